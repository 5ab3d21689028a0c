package pbxsim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The dialplan coocenterd ships (asterisk/extensions_coocenter.conf) and
// the lab's [coocenter-inbound] that uses it the way README tells users to,
// reached through from-trunk cin-<number> and cinq-<queue>-<number>.
// Recorded in ami-18 (an exact number and a prefix pattern blocked, a
// caller let through to queue 630) and ami-22 (the survey after a queue
// call the agent hung up).

// gosubFrame is one frame of app_stack's Gosub stack: where Return goes
// back to, and the names of the subroutine's LOCAL variables, newest first
// (app_stack inserts them at the head of the frame's list).
type gosubFrame struct {
	context, exten string
	prio           int
	locals         []string
}

// gosub is Gosub(<data>) at priority prio, with args: a new frame gets
// the LOCAL variables ARG1..ARGn and ARGC, and the channel moves to
// context,exten,1.
func (s *Server) gosub(ch *channel, prio int, data, context, exten string, args ...string) *gosubFrame {
	s.newexten(ch, prio, "Gosub", data)
	f := &gosubFrame{context: ch.context, exten: ch.exten, prio: prio}
	for i, a := range args {
		s.setLocal(ch, f, fmt.Sprintf("ARG%d", i+1), a)
	}
	s.setLocal(ch, f, "ARGC", itoa(len(args)))
	ch.gotoExten(context, exten)
	ch.subDepth++
	return f
}

// setLocal is Set(LOCAL(name)=value), app_stack's frame_set_var: a new
// local is pushed in front of any variable of that name, which publishes
// nothing; an existing one is set as any variable (VarSet name). VarSet
// LOCAL(name) follows either way (ami-18: "LOCAL(i) 10", then "i 9" and
// "LOCAL(i) 9").
func (s *Server) setLocal(ch *channel, f *gosubFrame, name, value string) {
	if slices.Contains(f.locals, name) {
		s.setVar(ch, name, value)
	} else {
		f.locals = append([]string{name}, f.locals...)
		ch.vars = append([]chanVar{{name, value}}, ch.vars...)
	}
	s.chanEvent(classDialplan, "VarSet", ch, hdrs("Variable", "LOCAL("+name+")", "Value", value)...)
}

// gosubReturn is Return() at priority prio: the frame's locals go, newest
// first, each uncovering what it hid; GOSUB_RETVAL is set empty; the
// channel is back at its Gosub, and the caller's next priority follows.
func (s *Server) gosubReturn(ch *channel, f *gosubFrame, prio int) {
	s.newexten(ch, prio, "Return", "")
	for _, name := range f.locals {
		s.unsetVar(ch, name)
	}
	s.setVar(ch, "GOSUB_RETVAL", "")
	ch.context, ch.exten, ch.prio = f.context, f.exten, f.prio
	ch.subDepth--
}

// userEvent is UserEvent(<name>,<key>: <value>,...) at priority prio.
func (s *Server) userEvent(ch *channel, prio int, name string, kv ...string) {
	data := name
	for i := 0; i+1 < len(kv); i += 2 {
		data += "," + kv[i] + ": " + kv[i+1]
	}
	s.newexten(ch, prio, "UserEvent", data)
	s.chanEvent(classUser, "UserEvent", ch, hdrs(append([]string{"UserEvent", name}, kv...)...)...)
}

// gotoIf is the text of a GotoIf whose condition was cond.
func gotoIf(cond bool, label string) string {
	if cond {
		return "1?" + label
	}
	return "0?" + label
}

// keepChars is FILTER(<allowed>,s).
func keepChars(allowed, s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(allowed, r) {
			return r
		}
		return -1
	}, s)
}

// planShippedInbound is the lab's [coocenter-inbound] s: the blacklist
// Gosub, Answer, the IVR step reported, Queue(<q>,c,,,300), the survey,
// Hangup().
func (s *Server) planShippedInbound(ch *channel) {
	q := ch.targetQueue
	s.newexten(ch, 1, "NoOp", fmt.Sprintf("Inbound call from %s for queue %s", ch.cidNum, q))
	if s.shippedBlacklist(ch, 2) {
		return
	}
	ch.role = roleDialplan
	s.answer(ch, 3, func() {
		s.shippedIVREnter(ch, 4)
		s.newexten(ch, 5, "Wait", "1")
		s.later(ch, s.opts.Timing.IVRWait, func() {
			s.shippedIVRLeave(ch, 6, "610", "welcome", "1", q)
			s.newexten(ch, 7, "Queue", q+","+s.queueOptions("c")+",,,300")
			s.enterQueue(ch, s.findQueue(q), "c", func() {
				s.shippedSurvey(ch, 8, func() { s.dialplanHangup(ch, 9) })
			})
		})
	})
}

// shippedBlacklist is Gosub(coocenter-blacklist,s,1) at priority prio:
// DB_EXISTS of blacklist/<number>, then of each prefix pattern
// blacklist/<first i characters>* from i = min(length, 31) down to 1. A
// blocked caller is hung up there (blocked true); anyone else returns.
func (s *Server) shippedBlacklist(ch *channel, prio int) (blocked bool) {
	const family = "blacklist" // the lab passes no family argument
	f := s.gosub(ch, prio, "coocenter-blacklist,s,1", "coocenter-blacklist", "s")
	num := ch.cidNum
	s.newexten(ch, 1, "NoOp", "coocenter blacklist check for "+num)
	s.newexten(ch, 2, "Set", "LOCAL(family)="+family)
	s.setLocal(ch, f, "family", family)
	listed := func(p int, key string) bool { return s.gotoIfInDB(ch, p, family, key, "block") }
	s.newexten(ch, 3, "GotoIf", gotoIf(num == "", "allow"))
	if num != "" {
		if listed(4, num) {
			return s.blacklisted(ch)
		}
		i := min(len(num), 31)
		s.newexten(ch, 5, "Set", "LOCAL(i)="+itoa(i))
		s.setLocal(ch, f, "i", itoa(i))
		for {
			if listed(6, num[:i]+"*") {
				return s.blacklisted(ch)
			}
			i--
			s.newexten(ch, 7, "Set", "LOCAL(i)="+itoa(i))
			s.setLocal(ch, f, "i", itoa(i))
			s.newexten(ch, 8, "GotoIf", gotoIf(i > 0, "prefix"))
			if i == 0 {
				break
			}
		}
	}
	s.gosubReturn(ch, f, 9)
	return false
}

// blacklisted is the subroutine's block label: UserEvent Blacklisted
// (the number filtered to 0-9*#+), Hangup(21); the dialplan ends there,
// inside the Gosub.
func (s *Server) blacklisted(ch *channel) bool {
	s.userEvent(ch, 10, "Blacklisted", "CallerIDNum", keepChars("0123456789*#+", ch.cidNum), "Uniq", ch.uniqueid)
	s.newexten(ch, 11, "Hangup", "21")
	s.endDialplan(ch, 21)
	return true
}

// shippedIVREnter is Gosub(coocenter-ivr,enter,1) at priority prio.
func (s *Server) shippedIVREnter(ch *channel, prio int) {
	f := s.gosub(ch, prio, "coocenter-ivr,enter,1", "coocenter-ivr", "enter")
	s.setIVRStart(ch, 1)
	s.gosubReturn(ch, f, 2)
}

// setIVRStart is Set(COOCENTER_IVR_START=${STRFTIME(,,%s.%6q)}) at
// priority prio: now in unix seconds to the microsecond.
func (s *Server) setIVRStart(ch *channel, prio int) {
	t := time.Now()
	now := fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
	s.newexten(ch, prio, "Set", "COOCENTER_IVR_START="+now)
	s.setVar(ch, "COOCENTER_IVR_START", now)
}

// shippedIVRLeave is Gosub(coocenter-ivr,leave,1(<ivrId>,<ivrName>,<dtmf>,
// <queue>[,<called>])) at priority prio: UserEvent CoocenterIVR with the
// step's start and the DID (an originated Local channel has none).
func (s *Server) shippedIVRLeave(ch *channel, prio int, args ...string) {
	f := s.gosub(ch, prio, "coocenter-ivr,leave,1("+strings.Join(args, ",")+")", "coocenter-ivr", "leave", args...)
	arg := func(n int) string {
		if n <= len(args) {
			return args[n-1]
		}
		return ""
	}
	did := ""
	s.newexten(ch, 1, "Set", "LOCAL(did)="+did)
	s.setLocal(ch, f, "did", did)
	start, _ := ch.varValue("COOCENTER_IVR_START")
	s.userEvent(ch, 2, "CoocenterIVR", "ivrId", arg(1), "ivrName", arg(2), "ivrDtmf", arg(3), "queueCode", arg(4),
		"called", arg(5), "startTime", start, "trunkNumber", did)
	s.setIVRStart(ch, 3)
	s.gosubReturn(ch, f, 4)
}

// shippedSurvey is Gosub(coocenter-survey,s,1()) at priority prio: Read of
// one key within 5 s (no prompt: the lab has no sounds); a key 1 to 5 is
// sent as UserEvent CoocenterSurvey. then is the caller's next priority.
func (s *Server) shippedSurvey(ch *channel, prio int, then func()) {
	f := s.gosub(ch, prio, "coocenter-survey,s,1()", "coocenter-survey", "s")
	s.newexten(ch, 1, "Read", "LOCAL(key),,1,,1,5")
	s.readKey(ch, f, "key", func() {
		key, _ := ch.varValue("key")
		score := keepChars("12345", key)
		s.newexten(ch, 2, "Set", "LOCAL(score)="+score)
		s.setLocal(ch, f, "score", score)
		s.newexten(ch, 3, "GotoIf", gotoIf(score == "", "done"))
		if score != "" {
			s.userEvent(ch, 4, "CoocenterSurvey", "score", score)
		}
		s.gosubReturn(ch, f, 5)
		then()
	})
}

// readKey is app_read reading one key into LOCAL(name) within SurveyWait:
// READSTATUS ERROR as it starts, then the key (empty for '#', the
// terminator, or none in time) and READSTATUS OK or TIMEOUT; then next.
// Keys come from PlayDTMF with Receive (onDTMF). A hangup
// ends the read with READSTATUS HANGUP, and the dialplan there (ami-24).
func (s *Server) readKey(ch *channel, f *gosubFrame, name string, next func()) {
	s.setVar(ch, "READSTATUS", "ERROR")
	ch.role, ch.read = roleReading, &keyRead{frame: f, name: name, next: next}
	s.later(ch, s.opts.Timing.SurveyWait, func() { s.readDone(ch, "", "TIMEOUT") })
}

// keyRead is a Read() in progress: the Gosub frame and LOCAL variable the
// key goes to, and the dialplan after Read.
type keyRead struct {
	frame *gosubFrame
	name  string
	next  func()
}

// readEnd ends ch's read with key and READSTATUS status.
func (s *Server) readEnd(ch *channel, key, status string) {
	r := ch.read
	ch.read = nil
	ch.epoch++
	s.setLocal(ch, r.frame, r.name, key)
	s.setVar(ch, "READSTATUS", status)
}

// readDone ends ch's read and goes on in the dialplan.
func (s *Server) readDone(ch *channel, key, status string) {
	next := ch.read.next
	s.readEnd(ch, key, status)
	ch.role = roleDialplan
	next()
}
