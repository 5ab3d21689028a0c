package pbxsim

// role is what a channel does now. It decides how the channel reacts to
// what comes from outside: a hangup (onHangup), its bridge dissolving
// (onKicked), the progress of the leg it dialled (onProgress) and a key
// it receives (onDTMF). The code that starts an activity sets the role and
// the data the role needs (channel.dial, call, leg). The switches below are
// the whole table of reactions; the longer ones are methods next to their
// activity (dial.go, queuecall.go, queueleave.go, originate.go).
type role int

const (
	// rolePlain: nothing special. A hangup leaves any bridge and ends the
	// channel; a dissolving bridge hangs it up.
	rolePlain role = iota
	// roleFakePhone: a fake-phone Local ;2; a hangup runs its h extension.
	roleFakePhone
	// roleDialplan: an application of the dialplan waits; a hangup ends
	// the dialplan there.
	roleDialplan
	// roleReading: Read() waits for a key (channel.read).
	roleReading
	// roleOriginated: the channel of an Originate (channel.orig), until
	// its dialplan gives it another role.
	roleOriginated
	// roleDialCaller, roleDialCallee: Dial (channel.dial) rings the callee.
	roleDialCaller
	roleDialCallee
	// roleDialCallerBridged, roleDialCalleeBridged: the callee answered
	// and both are bridged.
	roleDialCallerBridged
	roleDialCalleeBridged
	// roleQueueCaller: a caller waits in a queue (channel.call).
	roleQueueCaller
	// roleQueueLeg: a member's channel the queue rings (call, leg).
	roleQueueLeg
	// roleQueueCallerBridged, roleQueueMemberBridged: a member answered
	// and is bridged with the caller (call; the member's leg).
	roleQueueCallerBridged
	roleQueueMemberBridged
	// roleXferTarget: the Local ;1 an attended transfer dials
	// (channel.xfer, atxfer.go).
	roleXferTarget
)

// onHangup ends the channel's current activity when a hangup is asked for
// (AMI Hangup, the far end, a bridge dissolving). requested says whether a
// HangupRequest is published first.
func (s *Server) onHangup(ch *channel, cause int, requested bool) {
	switch ch.role {
	case rolePlain:
		s.plainHangup(ch, cause, requested)
	case roleFakePhone:
		s.fakePhoneHangup(ch, cause, requested)
	case roleDialplan, roleReading:
		s.appHangup(ch, cause, requested)
	case roleOriginated:
		s.originateHangup(ch, cause, requested)
	case roleDialCaller:
		s.dialCancel(ch.dial, cause, requested)
	case roleDialCallee:
		s.dialCalleeHangup(ch.dial, cause, requested)
	case roleDialCallerBridged:
		s.dialCallerHangup(ch.dial, cause, requested)
	case roleDialCalleeBridged:
		s.bridgedHangup(ch, cause, requested)
	case roleQueueCaller:
		s.queueAbandon(ch.call, cause, requested)
	case roleQueueLeg:
		s.queueLegHangup(ch.call, ch.leg, cause, requested)
	case roleQueueCallerBridged:
		s.queueCallerHangup(ch.call, cause, requested)
	case roleQueueMemberBridged:
		s.queueMemberHangup(ch.leg, cause, requested)
	case roleXferTarget:
		if requested {
			s.hangupRequested(ch, cause)
		}
		s.atxferTargetHangup(ch.xfer, cause)
	}
}

// onKicked is the channel's reaction to its bridge dissolving because the
// other party left. A dual Redirect moves it (channel.redirectTo).
func (s *Server) onKicked(ch *channel) {
	if to := ch.redirectTo; to != nil {
		ch.redirectTo = nil
		s.moveTo(ch, to.context, to.exten)
		return
	}
	switch ch.role {
	case roleDialCallerBridged:
		s.dialReturned(ch.dial, 0)
	case roleQueueCallerBridged:
		s.queueCallerKicked(ch.call)
	case roleDialCalleeBridged, roleQueueMemberBridged:
		ch.epoch++
		s.rtpQoSVars(ch)
		s.destroy(ch, 16)
	default:
		s.requestHangup(ch, 16)
	}
}

// onProgress is a dialled channel telling its dialer that it rings,
// answered or is busy. An Originate hears from its channel until a
// redirect; Dial and Queue from the legs they ring.
func (s *Server) onProgress(ch *channel, p progress) {
	if ch.orig != nil {
		s.originateProgress(ch, p)
		return
	}
	switch ch.role {
	case roleDialCallee, roleDialCalleeBridged:
		s.dialProgress(ch.dial, p)
	case roleQueueLeg, roleQueueMemberBridged:
		s.queueLegProgress(ch.call, ch.leg, p)
	case roleXferTarget:
		s.atxferProgress(ch.xfer, p)
	}
}

// onDTMF is a key the channel receives (PlayDTMF with Receive). A Read
// takes it (the read stays with the channel until it ends); else the
// feature hooks of the channel's bridge (dynhold.go).
func (s *Server) onDTMF(ch *channel, digit byte) {
	if ch.read == nil {
		s.featureKey(ch, digit)
		return
	}
	key := string(digit)
	if digit == '#' {
		key = ""
	}
	s.readDone(ch, key, "OK")
}

// place is a dialplan position a channel is sent to.
type place struct{ context, exten string }
