package pbxsim

import (
	"strconv"
	"strings"
	"time"
)

// dialCall is one Dial() in progress: caller dials callee.
type dialCall struct {
	caller, callee *channel
	number         string // the dial string after "TECH/": DialString, DIALEDPEERNUMBER
	rec            *cdrRecord
	start, answer  time.Time
	done           bool   // answered, failed or cancelled
	next           func() // the dialplan after Dial()
	// arm: Dial's b(coocenter-agent^s^1) runs the shipped subroutine on
	// the callee before it is called (shipped_agent.go).
	arm bool
}

// dialVars are the variables app_dial clears before it dials, in its order
// (ami-11: eleven empty VarSets after Newexten Dial).
var dialVars = []string{"DIALSTATUS", "DIALEDPEERNUMBER", "DIALEDPEERNAME", "ANSWEREDTIME", "ANSWEREDTIME_MS",
	"DIALEDTIME", "DIALEDTIME_MS", "RINGTIME", "RINGTIME_MS", "PROGRESSTIME", "PROGRESSTIME_MS"}

// dialApp is app_dial: caller dials dest for at most timeout. When Dial
// returns and the caller is not hung up, next continues the dialplan.
func (s *Server) dialApp(caller *channel, dest string, timeout time.Duration, next func()) {
	s.dialWith(caller, dest, timeout, false, next)
}

// dialWith is dialApp; arm says whether the callee runs
// b(coocenter-agent^s^1).
func (s *Server) dialWith(caller *channel, dest string, timeout time.Duration, arm bool, next func()) {
	for _, v := range dialVars {
		s.setVar(caller, v, "")
	}
	t, err := s.parseTarget(dest)
	if err != nil || (t.dev != nil && !t.dev.registered) {
		s.setVar(caller, "DIALSTATUS", "CHANUNAVAIL")
		caller.cdrs = append(caller.cdrs, &cdrRecord{dst: caller.exten, dstContext: caller.context,
			lastApp: "Dial", lastData: caller.appData, disposition: "FAILED"})
		next()
		return
	}
	d := &dialCall{caller: caller, number: strings.TrimPrefix(dest, t.tech+"/"), start: time.Now(), next: next, arm: arm}
	d.rec = &cdrRecord{dst: caller.exten, dstContext: caller.context, lastApp: "Dial", lastData: caller.appData, start: d.start}
	caller.cdrs = append(caller.cdrs, d.rec)
	d.callee = s.dialCallee(d, t)
	d.rec.dstChannel = d.callee.name
	d.callee.role, d.callee.dial = roleDialCallee, d
	caller.role, caller.dial = roleDialCaller, d
	s.later(caller, timeout, func() {
		if !d.done {
			d.rec.disposition = "NO ANSWER"
			s.dialFailed(d, "NOANSWER", 0)
		}
	})
	if t.dev != nil {
		s.ringPhone(d.callee)
		s.dialProgress(d, progRinging)
	} else {
		s.runDialplan(d.callee.other)
	}
}

// dialCallee creates the dialled channel and publishes DialBegin. A phone
// gets app_dial's setup first (ami-11, SIP/802): DIALEDPEERNUMBER, the
// caller's inherited variables, Newexten AppDial at the caller's
// extension, its connected line; after DialBegin, Dial of a single phone
// gives the caller the phone's caller ID as connected line
// (wait_for_answer).
func (s *Server) dialCallee(d *dialCall, t dialTarget) *channel {
	caller := d.caller
	if t.dev == nil {
		return s.dialLocal(d, t)
	}
	callee := s.newPhoneChannel(t.dev, caller, "")
	s.setVar(callee, "DIALEDPEERNUMBER", d.number)
	s.inheritVars(caller, callee)
	callee.exten = caller.exten
	callee.connNum, callee.connName = caller.cidNum, caller.cidName
	s.newexten(callee, 1, "AppDial", "(Outgoing Line)")
	s.setConnected(callee, caller.cidNum, caller.cidName)
	if d.arm {
		s.agentSub(callee)
	}
	s.dialEvent("DialBegin", caller, callee, "DialString", d.number)
	s.setConnected(caller, callee.cidNum, callee.cidName)
	return callee
}

// dialLocal creates the Local pair Dial calls; its ;1 is the callee.
func (s *Server) dialLocal(d *dialCall, t dialTarget) *channel {
	caller := d.caller
	one, two := s.newLocalPair(t.exten, t.context, caller, assignedIDs{})
	one.dialed = true
	s.newexten(one, 1, "AppDial", "(Outgoing Line)")
	s.setCallerID(one, caller.cidNum, caller.cidName)
	if d.arm {
		s.agentSub(one)
	}
	two.connNum, two.connName = caller.cidNum, caller.cidName
	s.setCallerID(two, caller.cidNum, caller.cidName)
	s.setConnected(two, caller.cidNum, caller.cidName)
	s.localBridgeEvent(one, two, !strings.HasSuffix(d.number, "/n"))
	s.dialEvent("DialBegin", caller, one, "DialString", d.number)
	return one
}

// dialProgress is what the callee tells Dial.
func (s *Server) dialProgress(d *dialCall, p progress) {
	if d.done {
		return
	}
	switch p {
	case progRinging:
		s.dialRinging(d)
	case progBusy:
		s.dialFailed(d, "BUSY", 17)
	case progAnswer:
		s.dialAnswered(d)
	}
}

// dialRinging: the callee rings. app_dial times it (RINGTIME, RINGTIME_MS),
// then publishes DialState (ami-11).
func (s *Server) dialRinging(d *dialCall) {
	caller := d.caller
	s.setDurationVars(caller, "RINGTIME", time.Since(d.start))
	s.dialEvent("DialState", caller, d.callee, "DialStatus", "RINGING")
	// A phone that dials hears the ringing (180) but its channel stays in
	// Ring (ami-14: SIP/801 calling 802).
	if caller.dev == nil && caller.state != stateUp && caller.state != stateRinging {
		s.setState(caller, stateRinging)
	}
}

// setDurationVars is app_dial's set_duration_var: whole seconds in name,
// milliseconds in name_MS.
func (s *Server) setDurationVars(ch *channel, name string, d time.Duration) {
	s.setVars(ch, name, strconv.Itoa(int(d/time.Second)), name+"_MS", strconv.FormatInt(d.Milliseconds(), 10))
}

// dialFailed ends an unanswered Dial; the dialplan goes on.
func (s *Server) dialFailed(d *dialCall, status string, cause int) {
	d.done = true
	caller, callee := d.caller, d.callee
	s.dialEvent("DialEnd", caller, callee, "DialStatus", status)
	s.setVar(caller, "DIALSTATUS", status)
	// The CDR engine opens a new record if the dialplan goes on (ami-20:
	// Hangup() after a Dial to a busy phone).
	caller.cdrPending = true
	if !callee.gone {
		callee.epoch++
		s.destroy(callee, cause)
	}
	caller.role = rolePlain
	d.next()
}

// dialCalleeHangup: the callee hangs up (or refuses) while it rings.
func (s *Server) dialCalleeHangup(d *dialCall, cause int, requested bool) {
	if d.done {
		s.plainHangup(d.callee, cause, requested)
		return
	}
	// A phone refusing the INVITE answers it (486, 603): no request to
	// hang up (ami-20: 803 busy).
	if requested && d.callee.dev == nil {
		s.hangupRequested(d.callee, cause)
	}
	status := "NOANSWER"
	if cause == 17 {
		status = "BUSY"
	}
	d.rec.disposition = map[string]string{"BUSY": "BUSY", "NOANSWER": "NO ANSWER"}[status]
	s.dialFailed(d, status, cause)
}

// dialCancel: the caller hangs up while the callee rings; Dial returns -1
// with DIALSTATUS CANCEL and the dialplan ends.
func (s *Server) dialCancel(d *dialCall, cause int, requested bool) {
	caller := d.caller
	if requested {
		s.hangupRequested(caller, cause)
	}
	if !d.done {
		d.done = true
		s.dialEvent("DialEnd", caller, d.callee, "DialStatus", "CANCEL")
		d.callee.epoch++
		s.destroy(d.callee, 0)
		s.setVar(caller, "DIALSTATUS", "CANCEL")
	}
	s.endDialplan(caller, cmpCause(cause))
}

// dialAnswered bridges an answered Dial: app_dial's result variables,
// DialEnd, then the bridge (ami-11). A phone's snapshot loses the extension
// Dial gave it as it joins, which Asterisk reports as a second Newexten
// AppDial (ami-11, ami-12). Either party hanging up ends the call.
func (s *Server) dialAnswered(d *dialCall) {
	caller, callee := d.caller, d.callee
	d.done, d.answer = true, time.Now()
	d.rec.answer = d.answer
	callee.epoch++
	if callee.half == 1 {
		s.upLocalOne(callee)
	}
	s.setVars(caller, "DIALSTATUS", "ANSWER", "DIALEDPEERNAME", callee.name, "DIALEDPEERNUMBER", d.number)
	s.dialEvent("DialEnd", caller, callee, "DialStatus", "ANSWER")
	if caller.state != stateUp {
		s.setState(caller, stateUp)
	}
	if callee.dev == nil {
		s.setConnected(caller, callee.cidNum, callee.cidName)
	} else {
		callee.exten = ""
		s.newexten(callee, 1, "AppDial", "(Outgoing Line)")
	}
	s.bridgeCall(callee, caller)
	callee.role, caller.role = roleDialCalleeBridged, roleDialCallerBridged
	if one := caller.other; caller.half == 2 && one != nil && !one.gone && (one.orig != nil || one.role == roleXferTarget) {
		// A Local ;2 that dialled before it answered is answered with the
		// Dial (ast_raw_answer in app_dial): ;1's dialer hears of it
		// (an originate of Local/<n>@internal, an attended transfer's
		// target).
		s.localDeviceChanged(one.localDev, devInUse)
		s.onProgress(one, progAnswer)
	}
}

// dialCallerHangup: the caller hangs up during the call. Leaving the bridge
// ends the callee's side; then its Dial returns, and its dialplan ends
// (ami-11: the AMI Hangup of SIP/801).
func (s *Server) dialCallerHangup(d *dialCall, cause int, requested bool) {
	caller := d.caller
	if requested && !s.sipBye(caller, cause) {
		s.hangupRequested(caller, cause)
	}
	s.leaveBridge(caller)
	s.dialReturned(d, cmpCause(cause))
}

// dialReturned: the bridge is over and Dial returns. app_dial times the
// call (ANSWEREDTIME, DIALEDTIME, each with _MS) and sets DIALSTATUS again;
// the dialplan goes on, or ends when the caller hung up with cause (ami-11,
// ami-12: SIP/801, no Newexten Hangup).
func (s *Server) dialReturned(d *dialCall, hungUp int) {
	caller := d.caller
	caller.epoch++
	now := time.Now()
	s.setDurationVars(caller, "ANSWEREDTIME", now.Sub(d.answer))
	s.setDurationVars(caller, "DIALEDTIME", now.Sub(d.start))
	s.setVar(caller, "DIALSTATUS", "ANSWER")
	caller.role = rolePlain
	if hungUp != 0 {
		s.endDialplan(caller, hungUp)
		return
	}
	d.next()
}

// bridgedHangup is how the bridged callee of a Dial hangs up: the
// request (when asked for), leaving the bridge, RTP stats, then Hangup.
func (s *Server) bridgedHangup(ch *channel, cause int, requested bool) {
	if requested {
		s.hangupRequested(ch, cause)
	}
	s.leaveBridge(ch)
	s.rtpQoSVars(ch)
	s.destroy(ch, cmpCause(cause))
}
