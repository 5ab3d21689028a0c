package pbxsim

import (
	"fmt"
	"strconv"
	"time"
)

// cdrRecord is one CDR as cdr_manager prints it.
type cdrRecord struct {
	dst, dstContext     string
	dstChannel, lastApp string
	lastData            string
	start, answer       time.Time
	disposition         string
}

// cdrsFor publishes the CDRs of a channel that hangs up (cdr_manager):
// one per call it placed, or one for the channel alone.
func (s *Server) cdrsFor(ch *channel) {
	if ch.dialed {
		return
	}
	if len(ch.cdrs) == 0 {
		dst, context := ch.exten, ch.context
		if ch.cdrExten != "" {
			dst, context = ch.cdrExten, ch.cdrContext
		}
		ch.cdrs = []*cdrRecord{{dst: dst, dstContext: context}}
	}
	end := time.Now()
	for _, r := range ch.cdrs {
		start := ch.created
		if !r.start.IsZero() {
			start = r.start
		}
		answer := r.answer
		if answer.IsZero() && r.disposition == "" && r.dstChannel == "" {
			answer = ch.answered
		}
		disp := r.disposition
		if disp == "" {
			disp = "NO ANSWER"
			if !answer.IsZero() {
				disp = "ANSWERED"
			}
		}
		lastApp, lastData := ch.app, ch.appData
		if r.lastApp != "" {
			lastApp, lastData = r.lastApp, r.lastData
		}
		var answerStr string
		billable := 0
		if !answer.IsZero() {
			answerStr = cdrTime(answer)
			billable = int(end.Sub(answer) / time.Second)
		}
		s.emit(classCDR, "Cdr", hdrs("AccountCode", "", "Source", ch.cidNum, "Destination", r.dst,
			"DestinationContext", r.dstContext, "CallerID", fmt.Sprintf("%q <%s>", ch.cidName, ch.cidNum),
			"Channel", ch.name, "DestinationChannel", r.dstChannel, "LastApplication", lastApp, "LastData", lastData,
			"StartTime", cdrTime(start), "AnswerTime", answerStr, "EndTime", cdrTime(end),
			"Duration", strconv.Itoa(int(end.Sub(start)/time.Second)), "BillableSeconds", strconv.Itoa(billable),
			"Disposition", disp, "AMAFlags", "DOCUMENTATION", "UniqueID", ch.uniqueid, "UserField", "")...)
	}
}

func cdrTime(t time.Time) string { return t.Format("2006-01-02 15:04:05") }
