package pbxsim

import "strconv"

// requestHangup asks a channel to hang up from outside (the phone or the
// far end: HangupRequest); its role decides what that publishes
// (onHangup).
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
	if ch.heldByPeer && ch.moh {
		// A held party's music stops as its hangup begins, before it
		// leaves the bridge (agent-verbs lab: the held party hung up).
		s.mohStop(ch)
	}
	s.onHangup(ch, cause, requested)
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

func (s *Server) forget(ch *channel) {
	for i, c := range s.pbx.channels {
		if c == ch {
			s.pbx.channels = append(s.pbx.channels[:i], s.pbx.channels[i+1:]...)
			return
		}
	}
}

// cmpCause is the cause a hangup publishes: none given (0) is 16, normal
// clearing.
func cmpCause(c int) int {
	if c == 0 {
		return 16
	}
	return c
}
