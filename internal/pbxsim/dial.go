package pbxsim

import (
	"strings"
	"time"
)

// dialApp is app_dial: caller dials dest for at most timeout. When the
// call ends without the caller hanging up, next continues the dialplan.
func (s *Server) dialApp(caller *channel, dest string, timeout time.Duration, next func()) {
	t, err := s.parseTarget(dest)
	if err != nil || (t.dev != nil && !t.dev.registered) {
		s.setVar(caller, "DIALSTATUS", "CHANUNAVAIL")
		caller.cdrs = append(caller.cdrs, &cdrRecord{dst: caller.exten, dstContext: caller.context,
			lastApp: "Dial", lastData: caller.appData, disposition: "FAILED"})
		next()
		return
	}
	rec := &cdrRecord{dst: caller.exten, dstContext: caller.context, lastApp: "Dial", lastData: caller.appData, start: time.Now()}
	caller.cdrs = append(caller.cdrs, rec)
	callee := s.dialCallee(caller, t, dest)
	rec.dstChannel = callee.name
	done := false
	finish := func(status string, cause int) {
		done = true
		s.dialEvent("DialEnd", caller, callee, "DialStatus", status)
		s.setVar(caller, "DIALSTATUS", status)
		if !callee.gone {
			callee.epoch++
			s.destroy(callee, cause)
		}
		caller.hangup = func(c int, requested bool) { s.plainHangup(caller, c, requested) }
		next()
	}
	callee.progress = func(p progress) {
		if done {
			return
		}
		switch p {
		case progRinging:
			s.dialEvent("DialState", caller, callee, "DialStatus", "RINGING")
			if caller.state != stateUp && caller.state != stateRinging {
				s.setState(caller, stateRinging)
			}
		case progBusy:
			finish("BUSY", 17)
		case progAnswer:
			done = true
			rec.answer = time.Now()
			s.dialConnected(caller, callee, next)
		}
	}
	callee.hangup = func(cause int, requested bool) {
		if done {
			s.plainHangup(callee, cause, requested)
			return
		}
		if requested {
			s.chanEvent(classCall, "HangupRequest", callee, hdrs("Cause", itoa(cause))...)
		}
		status := "NOANSWER"
		if cause == 17 {
			status = "BUSY"
		}
		rec.disposition = map[string]string{"BUSY": "BUSY", "NOANSWER": "NO ANSWER"}[status]
		finish(status, cause)
	}
	caller.hangup = func(cause int, requested bool) {
		if requested {
			s.chanEvent(classCall, "HangupRequest", caller, hdrs("Cause", itoa(cause))...)
		}
		if !done {
			done = true
			s.dialEvent("DialEnd", caller, callee, "DialStatus", "CANCEL")
			callee.epoch++
			s.destroy(callee, 0)
		}
		s.destroy(caller, cause)
	}
	s.later(caller, timeout, func() {
		if !done {
			rec.disposition = "NO ANSWER"
			finish("NOANSWER", 0)
		}
	})
	if t.dev != nil {
		s.ringPhone(callee)
		s.dialEvent("DialState", caller, callee, "DialStatus", "RINGING")
		if caller.state != stateUp {
			s.setState(caller, stateRinging)
		}
	} else {
		s.runDialplan(callee.other)
	}
}

// dialCallee creates the dialled channel and publishes DialBegin.
func (s *Server) dialCallee(caller *channel, t dialTarget, dest string) *channel {
	dialString := strings.TrimPrefix(dest, t.tech+"/")
	if t.dev != nil {
		callee := s.newPhoneChannel(t.dev, caller, "")
		callee.connNum, callee.connName = caller.cidNum, caller.cidName
		s.dialEvent("DialBegin", caller, callee, "DialString", dialString)
		return callee
	}
	one, two := s.newLocalPair(t.exten, t.context, caller, assignedIDs{})
	one.dialed = true
	s.newexten(one, 1, "AppDial", "(Outgoing Line)")
	s.setCallerID(one, caller.cidNum, caller.cidName)
	two.connNum, two.connName = caller.cidNum, caller.cidName
	s.setCallerID(two, caller.cidNum, caller.cidName)
	s.setConnected(two, caller.cidNum, caller.cidName)
	s.localBridgeEvent(one, two, !strings.HasSuffix(dest, "/n"))
	s.dialEvent("DialBegin", caller, one, "DialString", dialString)
	return one
}

// dialConnected bridges an answered Dial. Either party hanging up ends the
// call; Dial then returns and the caller hangs up too.
func (s *Server) dialConnected(caller, callee *channel, next func()) {
	callee.epoch++
	if callee.half == 1 {
		s.upLocalOne(callee)
	}
	s.dialEvent("DialEnd", caller, callee, "DialStatus", "ANSWER")
	if caller.state != stateUp {
		s.setState(caller, stateUp)
	}
	s.setConnected(caller, callee.cidNum, callee.cidName)
	s.bridgeCall(callee, caller)
	if caller.recording {
		s.chanEvent(classCall, "MixMonitorStart", caller)
	}
	s.continueAfterAnswer(callee)
	callee.hangup = s.bridgedHangup(callee)
	callee.kicked = func() {
		s.rtpQoSVars(callee)
		callee.epoch++
		s.destroy(callee, 16)
	}
	caller.hangup = s.bridgedHangup(caller)
	caller.kicked = func() {
		caller.epoch++
		s.rtpQoSVars(caller)
		s.dialplanHangupAfterBridge(caller, next)
	}
}

// dialplanHangupAfterBridge: Dial returns after the callee left; the
// dialplan goes on (to Hangup() in this PBX).
func (s *Server) dialplanHangupAfterBridge(caller *channel, next func()) {
	caller.hangup = func(c int, requested bool) { s.plainHangup(caller, c, requested) }
	next()
}

// bridgedHangup is how a bridged party of a dialled call hangs up: the
// request (when asked for), leaving the bridge, RTP stats, then Hangup.
func (s *Server) bridgedHangup(ch *channel) func(cause int, requested bool) {
	return func(cause int, requested bool) {
		if requested {
			s.chanEvent(classCall, "HangupRequest", ch, hdrs("Cause", itoa(cause))...)
		}
		s.leaveBridge(ch)
		s.rtpQoSVars(ch)
		s.destroy(ch, cmpCause(cause))
	}
}
