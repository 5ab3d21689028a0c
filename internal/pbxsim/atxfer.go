package pbxsim

import (
	"cmp"

	"github.com/coocenter/coocenterd/internal/ami"
)

// Attended transfer as AMI Atxfer starts it and the transferer's keys end
// it (bridge_basic.c), as recorded on 22.9.0 with the shipped
// [coocenter-xfer] and the lab's internal _0X. (MixMonitor on the target's
// Local ;2, so the pair is never optimized away):
//
//   - Atxfer: "Atxfer successfully queued", VarSet TRANSFER_CONTEXT, DTMFEnd
//     of *, 7, 1; Hold on the transferer (no MusicClass), MusicOnHoldStart on
//     its peer; DTMFEnd of the exten digits; Local/<exten>@<context>-…;1 and
//     ;2 requested by the transferer (its linkedid): TRANSFERERNAME and
//     ATTENDEDTRANSFER then the transferer's inherited variables on ;1, the
//     consult bridge's BridgeCreate, the full copy on ;2, NewCallerid ;2,
//     LocalBridge; ;1 enters the consult bridge (ATTENDEDTRANSFER cleared)
//     while ;2 runs the dialplan. When ;2's Dial is answered the transferer
//     leaves the customer's bridge (which stays) and enters the consult
//     bridge, BRIDGEPEER on ;1 and it, Newstate ;1, DialEnd ANSWER of ;1
//     without a caller.
//   - abort (CancelAtxfer, *1): DTMFEnd *, 1; the transferer back in the
//     customer's bridge, MusicOnHoldStop, BRIDGEPEER on both, Unhold; the
//     target's ;1 leaves the consult bridge and hangs up.
//   - complete (*2): BridgeMerge (from the consult bridge into the
//     customer's), ;1 into the customer's bridge, MusicOnHoldStop (no
//     Unhold), the transferer out, BRIDGEPEER, AttendedTransfer DestType
//     Bridge, BridgeDestroy of the consult bridge; the transferer hangs up.
//   - threeway (*3): BridgeMerge, ;1 and the transferer into the customer's
//     bridge (softmix), MusicOnHoldStop, BRIDGEPEER lists, AttendedTransfer
//     DestType Threeway; the transferer leaving later leaves the other two
//     bridged.
//
// Not modelled: the "blond" transfer (complete before the target
// answered), atxfernoanswertimeout, swap (*4), the no-answer recall, the
// AgentComplete of a transferred queue call, *71 typed by a phone.
type atxfer struct {
	transferer, transferee *channel
	orig, consult          *bridge
	one                    *channel // the target's Local ;1, in the consult bridge
	answered               bool
}

const atxferCode = "*71" // features_coocenter.conf [featuremap] atxfer

func (s *Server) actionAtxfer(sess *session, req ami.Message) {
	ch, ok := s.xferChannel(sess, req)
	if !ok {
		return
	}
	exten := req.Get("Exten")
	if exten == "" {
		sess.send(response(req, "Error", "No extension specified")...)
		return
	}
	sess.send(response(req, "Success", "Atxfer successfully queued")...)
	if c := req.Get("Context"); c != "" {
		s.setVar(ch, "TRANSFER_CONTEXT", c)
	}
	for i := range len(atxferCode) {
		s.dtmfReceived(ch, atxferCode[i], 0)
	}
	peer := ch.peerOf()
	if peer == nil || ch.xfer != nil || ch.dynHold != nil || len(ch.bridge.members) != 2 {
		for i := range len(exten) {
			s.dtmfReceived(ch, exten[i], 0)
		}
		return
	}
	x := &atxfer{transferer: ch, transferee: peer, orig: ch.bridge}
	ch.xfer = x
	s.chanEvent(classCall, "Hold", ch)
	peer.heldByPeer = true
	s.mohStart(peer)
	for i := range len(exten) {
		s.dtmfReceived(ch, exten[i], 0)
	}
	ctx, _ := ch.varValue("TRANSFER_CONTEXT")
	s.callTarget(x, exten, cmp.Or(ctx, ch.context, "default"))
}

func (s *Server) actionCancelAtxfer(sess *session, req ami.Message) {
	ch, ok := s.xferChannel(sess, req)
	if !ok {
		return
	}
	sess.send(response(req, "Success", "CancelAtxfer successfully queued")...)
	s.dtmfReceived(ch, '*', 0)
	s.dtmfReceived(ch, '1', 0)
}

// xferChannel is the Channel of Atxfer and CancelAtxfer.
func (s *Server) xferChannel(sess *session, req ami.Message) (*channel, bool) {
	name := req.Get("Channel")
	if name == "" {
		sess.send(response(req, "Error", "No channel specified")...)
		return nil, false
	}
	ch := s.findChannel(name)
	if ch == nil {
		sess.send(response(req, "Error", "Channel specified does not exist")...)
		return nil, false
	}
	return ch, true
}

// dtmfReceived is a key queued on ch's read side (PlayDTMF Receive, the
// digits of Atxfer and CancelAtxfer): DTMFEnd, then whoever reads keys.
func (s *Server) dtmfReceived(ch *channel, digit byte, ms int) {
	s.chanEvent(classDTMF, "DTMFEnd", ch, hdrs("Digit", string(digit), "DurationMs", itoa(ms), "Direction", "Received")...)
	s.onDTMF(ch, digit)
}

// callTarget dials Local/<exten>@<context> for the transferer of x.
func (s *Server) callTarget(x *atxfer, exten, context string) {
	agent := x.transferer
	one, two := s.newLocalHalves(exten, context, agent, assignedIDs{})
	x.one = one
	one.role, one.xfer = roleXferTarget, x
	s.setVar(one, "TRANSFERERNAME", agent.name)
	s.setVar(one, "ATTENDEDTRANSFER", agent.name)
	s.inheritVars(agent, one)
	x.consult = s.newBridge()
	s.copyLocalVars(one, two)
	s.setCallerID(two, agent.cidNum, agent.cidName)
	s.localBridgeEvent(one, two, true)
	s.enterBridge(x.consult, one)
	s.setVar(one, "ATTENDEDTRANSFER", "")
	s.runDialplan(two)
}

// atxferProgress is the target's ;1 hearing from its ;2.
func (s *Server) atxferProgress(x *atxfer, p progress) {
	if p != progAnswer || x.answered {
		return
	}
	x.answered = true
	agent, one := x.transferer, x.one
	s.removeFromBridge(x.orig, agent)
	s.enterBridge(x.consult, agent)
	s.setBridgePeers(one, agent, false)
	s.upLocalOne(one)
	s.dialEvent("DialEnd", nil, one, "DialStatus", "ANSWER")
}

// atxferBack puts the transferer back with the transferee: Unhold after
// the music stops. The target's ;1 then goes.
func (s *Server) atxferBack(x *atxfer) {
	agent, cust := x.transferer, x.transferee
	agent.xfer, x.one.xfer = nil, nil
	if agent.bridge == x.consult {
		s.removeFromBridge(x.consult, agent)
		s.enterBridge(x.orig, agent)
	}
	cust.heldByPeer = false
	s.mohStop(cust)
	if len(x.orig.members) == 2 {
		s.setBridgePeers(x.orig.members[0], x.orig.members[1], false)
	}
	s.chanEvent(classCall, "Unhold", agent)
}

// atxferAbort is atxferabort: the consultation ends, the target hangs up.
func (s *Server) atxferAbort(x *atxfer) {
	s.atxferBack(x)
	one := x.one
	one.role = rolePlain
	s.setVar(one, "BRIDGEPEER", "")
	s.dropConsult(x)
	s.destroy(one, 16)
}

// atxferTargetHangup is the target's ;1 hung up (its ;2 ended) during
// the consultation: the transferer goes back to the transferee.
func (s *Server) atxferTargetHangup(x *atxfer, cause int) {
	s.atxferBack(x)
	x.one.role = rolePlain
	s.dropConsult(x)
	s.destroy(x.one, cmpCause(cause))
}

// dropConsult empties and destroys the consult bridge.
func (s *Server) dropConsult(x *atxfer) {
	b := x.consult
	for len(b.members) > 0 {
		s.removeFromBridge(b, b.members[0])
	}
	s.emit(classCall, "BridgeDestroy", b.snapshot()...)
	s.dropBridge(b)
}

// atxferComplete is atxfercomplete: the transferee and the target are
// bridged, the transferer hangs up.
func (s *Server) atxferComplete(x *atxfer) {
	agent, cust, one := x.transferer, x.transferee, x.one
	s.bridgeMerge(x)
	s.removeFromBridge(x.consult, one)
	cust.heldByPeer = false
	s.mohStop(cust)
	s.enterBridge(x.orig, one)
	s.setVar(agent, "BRIDGEPEER", "")
	s.removeFromBridge(x.consult, agent)
	s.setBridgePeers(x.orig.members[0], x.orig.members[1], false)
	s.attendedTransferEvent(x, "Bridge")
	s.emit(classCall, "BridgeDestroy", x.consult.snapshot()...)
	s.dropBridge(x.consult)
	agent.xfer, one.xfer, one.role = nil, nil, rolePlain
	s.transfererGone(agent)
}

// atxferThreeway is atxferthreeway: all three in the transferee's bridge.
func (s *Server) atxferThreeway(x *atxfer) {
	agent, cust, one := x.transferer, x.transferee, x.one
	s.bridgeMerge(x)
	x.orig.tech = "softmix"
	s.removeFromBridge(x.consult, one)
	s.enterBridge(x.orig, one)
	s.removeFromBridge(x.consult, agent)
	s.enterBridge(x.orig, agent)
	cust.heldByPeer = false
	s.mohStop(cust)
	x.orig.members = []*channel{one, agent, cust}
	s.setMultiPeers(x.orig)
	s.attendedTransferEvent(x, "Threeway")
	s.emit(classCall, "BridgeDestroy", x.consult.snapshot()...)
	s.dropBridge(x.consult)
	agent.xfer, one.xfer, one.role = nil, nil, rolePlain
}

func (s *Server) bridgeMerge(x *atxfer) {
	s.emit(classCall, "BridgeMerge", join(x.orig.snapshotAs("To"), x.consult.snapshotAs("From"))...)
}

// attendedTransferEvent is attended_transfer_to_ami for a successful
// transfer to a bridge (DestType Bridge or Threeway).
func (s *Server) attendedTransferEvent(x *atxfer, destType string) {
	agent := x.transferer
	h := join(hdrs("Result", "Success"), agent.snapshot("OrigTransferer"), x.orig.snapshotAs("Orig"),
		agent.snapshot("SecondTransferer"), x.consult.snapshotAs("Second"),
		x.transferee.snapshot("Transferee"), x.one.snapshot("TransferTarget"),
		hdrs("IsExternal", "No", "DestType", destType, "DestBridgeUniqueid", x.orig.id))
	if destType == "Threeway" {
		h = append(h, hdrs("DestTransfererChannel", agent.name)...)
	}
	s.emit(classCall, "AttendedTransfer", h...)
}

// transfererGone hangs up the transferer of a completed transfer, kicked
// out of the bridges: a Dial it placed returns as after a hangup.
func (s *Server) transfererGone(agent *channel) {
	if agent.role == roleDialCallerBridged {
		s.dialReturned(agent.dial, 16)
		return
	}
	agent.epoch++
	s.rtpQoSVars(agent)
	s.destroy(agent, 16)
}
