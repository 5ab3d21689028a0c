package pbxsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// Channel states (channelstate.h).
const (
	stateDown    = 0
	stateRing    = 4
	stateRinging = 5
	stateUp      = 6
	stateBusy    = 7
)

func stateDesc(st int) string {
	switch st {
	case stateDown:
		return "Down"
	case stateRing:
		return "Ring"
	case stateRinging:
		return "Ringing"
	case stateUp:
		return "Up"
	case stateBusy:
		return "Busy"
	}
	return "Unknown (" + strconv.Itoa(st) + ")"
}

// causeText is Cause-txt of a Hangup (ast_cause2str).
func causeText(c int) string {
	switch c {
	case 16:
		return "Normal Clearing"
	case 17:
		return "User busy"
	case 18:
		return "No user responding"
	case 19:
		return "User alerting, no answer"
	case 21:
		return "Call Rejected"
	case 26:
		return "Answered elsewhere"
	case 34:
		return "Circuit/channel congestion"
	}
	return "Unknown"
}

// channel is one Asterisk channel.
type channel struct {
	name, uniqueid, linkedid string
	// linkedSeq is the creation number of the channel whose uniqueid is
	// linkedid: Asterisk finds the oldest linkedid of a bridge by the
	// creation time and counter kept with the id (struct ast_channel_id),
	// not by its text, which Originate ChannelId makes arbitrary.
	linkedSeq int

	state             int
	cidNum, cidName   string
	connNum, connName string
	context, exten    string
	prio              int
	app, appData      string
	created, answered time.Time

	dev      *device  // the phone behind a SIP/PJSIP channel
	localDev string   // "Local/800@fake-phone" for a Local half
	half     int      // 1 or 2 for Local halves
	other    *channel // the other Local half
	bridge   *bridge
	gone     bool
	epoch    int // bumped when the channel changes activity; stale timers drop
	// rtp is how far chan_sip got with the RTP statistics of a SIP channel.
	rtp rtpStage

	// hangup ends the channel's current activity when a hangup is asked for
	// (AMI Hangup, the far end, a bridge dissolving). requested says whether
	// a HangupRequest should be published first.
	hangup func(cause int, requested bool)
	// kicked runs when the bridge the channel is in dissolves.
	kicked func()
	// dialed is set on channels created by Dial or Queue: their calls are
	// recorded in the dialer's CDRs, not their own.
	dialed bool
	cdrs   []*cdrRecord
	// cdrPending: the last CDR ended with a dial nobody answered; the CDR
	// engine opens a new record if the channel goes on in the dialplan
	// (ami-15: after Queue times out, Hangup() gets its own record).
	cdrPending bool
	// dialing is the answered Dial the channel is the caller of.
	dialing *dialCall
	// shownAt: an async goto (blind transfer) published the channel's new
	// place with a Newexten already; the dialplan's first step there
	// brings no second one (ami-19).
	shownAt bool
	// hangingUp: an AMI Hangup of several channels (hangupAll) has
	// soft-hung it up and will end it in its turn. requestShown: its
	// HangupRequest was published already.
	hangingUp, requestShown bool
	// cdrContext, cdrExten: the place in the dialplan a CDR of the channel
	// names, the last one outside a Gosub and the h extension (the CDR
	// engine ignores those: ami-18's blocked caller is at s@coocenter-
	// inbound, its fake phone at 800, not h). subDepth counts Gosubs.
	cdrContext, cdrExten string
	subDepth             int
	// moh: music on hold plays to the channel (a queue without r).
	moh bool
	// dtmf takes a key the channel receives (PlayDTMF with Receive) while
	// an application reads keys.
	dtmf func(digit byte)
	// progress tells the dialer of this channel that it rings, answered or
	// is busy.
	progress func(progress)
	// cidDirty: a connected-line update crossed this Local pair; Asterisk
	// then publishes a late NewCallerid on ;1 after its Hangup.
	cidDirty bool
	// targetQueue is TARGETQ of the inbound dialplan.
	targetQueue string
	// qc is set while the channel is a caller inside a queue.
	qc *queueCaller
	// spying is the target of a ChanSpy spy, spyOpts its options.
	spying  *channel
	spyOpts string
	// vars are the channel variables, most recently set first (the order
	// of Asterisk's varshead), with their full names ("__CORR").
	vars []chanVar
	// held: the phone on this channel put the call on hold (Hold event
	// sent, no Unhold yet). holdPeers are the channels that got the hold
	// indication through the bridge; heldByPeer marks such a channel.
	held       bool
	holdPeers  []*channel
	heldByPeer bool
}

// chanVar is one channel variable.
type chanVar struct{ name, value string }

// cdrRecord is one CDR as cdr_manager prints it.
type cdrRecord struct {
	dst, dstContext     string
	dstChannel, lastApp string
	lastData            string
	start, answer       time.Time
	disposition         string
}

func orUnknown(v string) string {
	if v == "" {
		return "<unknown>"
	}
	return v
}

// snapshot is the channel snapshot block of every channel event
// (ast_manager_build_channel_state_string_prefix).
func (ch *channel) snapshot(prefix string) []ami.Header {
	return []ami.Header{
		{Key: prefix + "Channel", Value: ch.name},
		{Key: prefix + "ChannelState", Value: strconv.Itoa(ch.state)},
		{Key: prefix + "ChannelStateDesc", Value: stateDesc(ch.state)},
		{Key: prefix + "CallerIDNum", Value: orUnknown(ch.cidNum)},
		{Key: prefix + "CallerIDName", Value: orUnknown(ch.cidName)},
		{Key: prefix + "ConnectedLineNum", Value: orUnknown(ch.connNum)},
		{Key: prefix + "ConnectedLineName", Value: orUnknown(ch.connName)},
		{Key: prefix + "Language", Value: "en"},
		{Key: prefix + "AccountCode", Value: ""},
		{Key: prefix + "Context", Value: ch.context},
		{Key: prefix + "Exten", Value: ch.exten},
		{Key: prefix + "Priority", Value: strconv.Itoa(ch.prio)},
		{Key: prefix + "Uniqueid", Value: ch.uniqueid},
		{Key: prefix + "Linkedid", Value: ch.linkedid},
	}
}

// newChannel allocates a channel; Newchannel is published by the caller
// once the name is complete. id is the uniqueid assigned by Originate
// ChannelId/OtherChannelId, "" for the usual <epoch>.<n> (the counter
// advances either way, as in channel_internal_api.c). The caller holds s.mu.
func (s *Server) newChannel(name string, state int, context, exten string, requestor *channel, id string) *channel {
	n := s.seq.uniq
	s.seq.uniq++
	if id == "" {
		id = fmt.Sprintf("%d.%d", s.booted.Unix(), n)
	}
	ch := &channel{
		name:     name,
		uniqueid: id,
		state:    state,
		context:  context,
		exten:    exten,
		prio:     1,
		created:  time.Now(),
	}
	ch.linkedid, ch.linkedSeq = ch.uniqueid, n
	if requestor != nil {
		ch.linkedid, ch.linkedSeq = requestor.linkedid, requestor.linkedSeq
	}
	ch.hangup = func(cause int, requested bool) { s.plainHangup(ch, cause, requested) }
	s.pbx.channels = append(s.pbx.channels, ch)
	return ch
}

// nextSuffix is the next 8-hex-digit channel suffix.
func (s *Server) nextSuffix() string {
	n := s.seq.chanID
	s.seq.chanID++
	return fmt.Sprintf("%08x", n)
}

func (s *Server) chanEvent(class classMask, name string, ch *channel, extra ...ami.Header) {
	s.emit(class, name, join(ch.snapshot(""), extra)...)
}

func (s *Server) newchannelEvent(ch *channel) { s.chanEvent(classCall, "Newchannel", ch) }

// newexten runs one dialplan priority: Newexten, and the app becomes current.
func (s *Server) newexten(ch *channel, prio int, app, data string) {
	if ch.cdrPending {
		// The new record of a channel that is up is answered as it
		// begins (ami-15, ami-22: AnswerTime = StartTime).
		ch.cdrPending = false
		r := &cdrRecord{dst: ch.exten, dstContext: ch.context, start: time.Now()}
		if ch.state == stateUp {
			r.answer = r.start
		}
		ch.cdrs = append(ch.cdrs, r)
	}
	if ch.shownAt {
		ch.shownAt = false
		if prio == 1 {
			ch.prio, ch.app, ch.appData = prio, app, data
			return
		}
	}
	ch.prio, ch.app, ch.appData = prio, app, data
	if ch.subDepth == 0 && ch.exten != "h" {
		ch.cdrContext, ch.cdrExten = ch.context, ch.exten
	}
	s.chanEvent(classDialplan, "Newexten", ch, hdrs("Extension", ch.exten, "Application", app, "AppData", data)...)
}

// gotoExten moves the channel to another place in the dialplan.
func (ch *channel) gotoExten(context, exten string) {
	ch.context, ch.exten, ch.prio = context, exten, 1
}

// setVar is pbx_builtin_setvar_helper: the variable replaces any of the
// same name (leading "_"/"__" ignored for the comparison), goes first in
// the list, and VarSet is published.
func (s *Server) setVar(ch *channel, name, value string) {
	tail := varTail(name)
	for i, v := range ch.vars {
		if varTail(v.name) == tail {
			ch.vars = append(ch.vars[:i], ch.vars[i+1:]...)
			break
		}
	}
	ch.vars = append([]chanVar{{name, value}}, ch.vars...)
	s.chanEvent(classDialplan, "VarSet", ch, hdrs("Variable", name, "Value", value)...)
}

// mohStart is music on hold starting on ch (class default).
func (s *Server) mohStart(ch *channel) {
	ch.moh = true
	s.chanEvent(classCall, "MusicOnHoldStart", ch, hdrs("Class", "default")...)
}

// mohStop stops ch's music on hold, if it plays.
func (s *Server) mohStop(ch *channel) {
	if ch.moh {
		ch.moh = false
		s.chanEvent(classCall, "MusicOnHoldStop", ch)
	}
}

// unsetVar is pbx_builtin_setvar_helper without a value: the first
// variable of that name goes, with a VarSet of an empty value only if it
// had a value (ami-18: a Gosub's empty LOCAL(did) goes silently).
func (s *Server) unsetVar(ch *channel, name string) {
	tail := varTail(name)
	for i, v := range ch.vars {
		if varTail(v.name) == tail {
			ch.vars = append(ch.vars[:i], ch.vars[i+1:]...)
			if v.value != "" {
				s.chanEvent(classDialplan, "VarSet", ch, hdrs("Variable", name, "Value", "")...)
			}
			return
		}
	}
}

// varTail is a variable name without its inheritance prefix ("_" or "__").
func varTail(name string) string {
	if strings.HasPrefix(name, "__") {
		return name[2:]
	}
	return strings.TrimPrefix(name, "_")
}

// inheritVars is ast_channel_inherit_variables, run when parent dials
// child: "_NAME" is copied as "NAME", "__NAME" as "__NAME" (VarSet each).
func (s *Server) inheritVars(parent, child *channel) {
	for _, v := range parent.vars {
		switch {
		case strings.HasPrefix(v.name, "__"):
			s.setVarTail(child, v.name, v.value)
		case strings.HasPrefix(v.name, "_"):
			s.setVarTail(child, v.name[1:], v.value)
		}
	}
}

// copyLocalVars is the variable copy of ast_unreal_call_setup: every
// variable of ;1 is appended to ;2, in ;1's order (VarSet each).
func (s *Server) copyLocalVars(one, two *channel) {
	for _, v := range one.vars {
		s.setVarTail(two, v.name, v.value)
	}
}

// setVarTail appends a variable at the end of the list, as the inherit and
// Local copies do (AST_LIST_INSERT_TAIL), and publishes VarSet.
func (s *Server) setVarTail(ch *channel, name, value string) {
	ch.vars = append(ch.vars, chanVar{name, value})
	s.chanEvent(classDialplan, "VarSet", ch, hdrs("Variable", name, "Value", value)...)
}

// uniqueidInUse is the conflict check of an assigned uniqueid
// (do_ids_conflict, main/channel.c @ 20.20.1). Its lookup, get_by_uniqueid
// of the default ao2_legacy channel storage, compares with strncasecmp over
// the length of the id asked for: a live channel whose uniqueid merely
// starts with id (any case) is a conflict too.
func (s *Server) uniqueidInUse(id string, also ...string) bool {
	if id == "" {
		return false
	}
	hit := func(uid string) bool { return len(uid) >= len(id) && strings.EqualFold(uid[:len(id)], id) }
	for _, ch := range s.pbx.channels {
		if !ch.gone && hit(ch.uniqueid) {
			return true
		}
	}
	for _, uid := range also {
		if hit(uid) {
			return true
		}
	}
	return false
}

func (s *Server) setVars(ch *channel, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		s.setVar(ch, kv[i], kv[i+1])
	}
}

// setState publishes Newstate and the device state that follows from it.
func (s *Server) setState(ch *channel, st int) {
	ch.state = st
	if st == stateUp && ch.answered.IsZero() {
		ch.answered = time.Now()
	}
	s.chanEvent(classCall, "Newstate", ch)
	if ch.dev != nil {
		s.deviceChanged(ch.dev)
	}
}

func (s *Server) setCallerID(ch *channel, num, name string) {
	ch.cidNum, ch.cidName = num, name
	s.chanEvent(classCall, "NewCallerid", ch, hdrs("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")...)
}

func (s *Server) setConnected(ch *channel, num, name string) {
	ch.connNum, ch.connName = num, name
	s.chanEvent(classCall, "NewConnectedLine", ch)
}

// requestHangup asks a channel to hang up from outside (the phone or the
// far end: HangupRequest); its current activity decides what that
// publishes.
func (s *Server) requestHangup(ch *channel, cause int) { s.hangupChannel(ch, cause, true) }

// amiHangup is the AMI Hangup action: a soft hangup inside Asterisk, so it
// publishes no HangupRequest (ami-08: the queue caller hung up by AMI shows
// only SoftHangupRequest).
func (s *Server) amiHangup(ch *channel, cause int) { s.hangupChannel(ch, cause, false) }

func (s *Server) hangupChannel(ch *channel, cause int, requested bool) {
	if ch == nil || ch.gone {
		return
	}
	if requested && ch.hangingUp && ch.bridge != nil {
		// hangupAll ends this bridged channel in its own turn; the far
		// end's hangup only shows now.
		s.hangupRequested(ch, cause)
		ch.requestShown = true
		return
	}
	ch.epoch++
	ch.hangup(cause, requested)
}

// hangupRequested publishes HangupRequest: the channel's far end hung up
// (a phone's BYE, a Local half's other half), unless hangupAll published
// it already when it deferred the channel's end.
func (s *Server) hangupRequested(ch *channel, cause int) {
	if !ch.requestShown {
		s.chanEvent(classCall, "HangupRequest", ch, hdrs("Cause", itoa(cause))...)
	}
}

// hangupAll is an AMI Hangup of several channels: Asterisk soft-hangs
// each up, then each channel's own thread ends it. Those outside a bridge
// end at once; those in a bridge as their bridge lets them go, after the
// others. So a bridged Local half whose other half was hung up too sees
// that hangup (HangupRequest, and app_queue's AgentComplete with the agent
// still there) before it leaves the bridge (ami-18: the queue caller and
// the member, both Local ;1/;2 pairs).
func (s *Server) hangupAll(hits []*channel, cause int) {
	for _, ch := range hits {
		ch.hangingUp = true
	}
	for _, ch := range hits {
		if ch.bridge == nil {
			ch.hangingUp = false
			s.amiHangup(ch, cause)
		}
	}
	for _, ch := range hits {
		ch.hangingUp = false
		s.hangupChannel(ch, cause, ch.requestShown)
	}
}

// plainHangup is the hangup of a channel doing nothing special.
func (s *Server) plainHangup(ch *channel, cause int, requested bool) {
	if requested {
		s.hangupRequested(ch, cause)
	}
	if ch.bridge != nil {
		s.leaveBridge(ch)
	}
	s.destroy(ch, cause)
}

// destroy publishes Hangup and the CDRs of a channel and forgets it. A
// Local half takes its other half down with it.
func (s *Server) destroy(ch *channel, cause int) {
	if ch.gone {
		return
	}
	ch.gone = true
	ch.epoch++
	s.mohStop(ch) // ast_hangup releases the channel's generator
	s.cdrsFor(ch)
	s.chanEvent(classCall, "Hangup", ch, hdrs("Cause", strconv.Itoa(cause), "Cause-txt", causeText(cause))...)
	if ch.half == 1 && ch.cidDirty {
		s.chanEvent(classCall, "NewCallerid", ch, hdrs("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")...)
	}
	s.forget(ch)
	s.releaseHoldPeers(ch)
	s.spyStop(ch)
	s.spiesGone(ch)
	if ch.dev != nil {
		s.deviceChanged(ch.dev)
	}
	if ch.localDev != "" {
		s.localDeviceChanged(ch.localDev, devNotInUse)
	}
	if ch.other != nil && !ch.other.gone {
		// chan_local hands a ;2's DIALSTATUS to ;1 as CHANLOCALSTATUS
		// (ami-19: the transferred caller's Dial to 802 was cancelled).
		if st, ok := ch.varValue("DIALSTATUS"); ok && ch.half == 2 {
			s.setVar(ch.other, "CHANLOCALSTATUS", st)
		}
		s.requestHangup(ch.other, cause)
	}
}

// varValue is the value of variable name on ch, if it is set.
func (ch *channel) varValue(name string) (string, bool) {
	for _, v := range ch.vars {
		if varTail(v.name) == name {
			return v.value, true
		}
	}
	return "", false
}

func (s *Server) forget(ch *channel) {
	for i, c := range s.pbx.channels {
		if c == ch {
			s.pbx.channels = append(s.pbx.channels[:i], s.pbx.channels[i+1:]...)
			return
		}
	}
}

// later runs fn after d if ch is still alive and doing the same thing.
func (s *Server) later(ch *channel, d time.Duration, fn func()) {
	epoch := ch.epoch
	s.after(d, func() {
		if !ch.gone && ch.epoch == epoch {
			fn()
		}
	})
}

// findChannel finds a live channel by exact name (any case) or uniqueid.
func (s *Server) findChannel(name string) *channel {
	for _, ch := range s.pbx.channels {
		if !ch.gone && equalFoldASCII(ch.name, name) {
			return ch
		}
	}
	for _, ch := range s.pbx.channels {
		if !ch.gone && ch.uniqueid == name {
			return ch
		}
	}
	return nil
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

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }
