package pbxsim

import (
	"slices"
	"strings"
)

// Keys in a bridge, and the hold feature the shipped configuration arms
// (asterisk/features_coocenter.conf, extensions_coocenter.conf): a
// bridged channel's feature hooks collect the keys it receives (PlayDTMF
// Receive, or the phone); a complete code runs its feature, a key that
// starts no code goes on to the peer (nothing published for that here).
//
//	*70  coocenter-hold, armed when DYNAMIC_FEATURES names it
//	*71  atxfer (featuremap), with its exten digits (atxfer.go)
//	*1 *2 *3  atxferabort, atxfercomplete, atxferthreeway, during a consult
//
// The hold feature is applicationmap "coocenter-hold => *70,self,
// Gosub(coocenter-hold,s,1),default": ast_bridge_channel_run_app writes
// the hold (Hold with MusicClass default on the agent, MusicOnHoldStart on
// the peer), runs the Gosub on the agent, which stays in the bridge, and
// writes the unhold once it returns. As recorded on 22.9.0 (Local
// channels, PlayDTMF *, 7, 0): DTMFEnd of each key (no DTMFBegin),
// VarSet DYNAMIC_FEATURENAME and DYNAMIC_WHO_ACTIVATED, Hold (the
// snapshot still where the agent's dialplan is), VarSet LOCAL(ARGC)=0 (no
// Newexten for the Gosub itself), Newexten Set(COOCENTER_HOLD=1), its
// VarSet, Newexten WaitForCondition; then MusicOnHoldStart on the peer.
// Setvar COOCENTER_HOLD=0 ends it: WAITFORCONDITIONSTATUS=TRUE, Set, Return
// (ARGC and GOSUB_RETVAL cleared), Unhold with the snapshot at
// coocenter-hold,s,4, MusicOnHoldStop on the peer, BRIDGEPEER set again on
// both (the bridge re-evaluates), and a Newexten of the agent's own
// dialplan priority, where its snapshot is back.
//
// The peer hanging up during the hold leaves the agent in the bridge
// (WaitForCondition watches only its own channel): no event until the
// Setvar, after whose Unhold the agent leaves the bridge (BridgeLeave,
// the Newexten of its place, BridgeDestroy) and goes on as a channel whose
// bridge dissolved (onKicked).

// dynHold is the hold feature running on a channel.
type dynHold struct {
	context, exten string
	prio           int
	app, data      string
	frame          *gosubFrame
	peers          []*channel
	// orphaned: the peer left; the bridge waits for the agent.
	orphaned bool
}

// holdArmed says whether ch's bridge armed the coocenter-hold feature.
// Asterisk reads DYNAMIC_FEATURES when the channel joins the bridge;
// pbxsim reads it when the key comes. A phone's channel counts as armed
// too: the lab's dialplan arms every phone leg with
// b(coocenter-agent^s^1) or Gosub(coocenter-agent), whose events pbxsim's
// internal and queue routes do not publish (they follow the recordings).
func holdArmed(ch *channel) bool {
	if v, ok := ch.varValue("DYNAMIC_FEATURES"); ok && slices.Contains(strings.Split(v, "#"), "coocenter-hold") {
		return true
	}
	return ch.dev != nil
}

// featureKey is a key ch receives while bridged; it reports whether a
// feature hook took it.
func (s *Server) featureKey(ch *channel, digit byte) bool {
	if ch.bridge == nil || ch.dynHold != nil {
		return ch.dynHold != nil // the hold's app has the channel: keys are eaten
	}
	codes := []string{"*71"}
	if holdArmed(ch) {
		codes = append(codes, "*70")
	}
	if x := ch.xfer; x != nil && x.transferer == ch && x.answered {
		codes = []string{"*1", "*2", "*3"}
	}
	ch.keys += string(digit)
	for _, code := range codes {
		if code == ch.keys {
			ch.keys = ""
			s.runFeature(ch, code)
			return true
		}
	}
	for _, code := range codes {
		if strings.HasPrefix(code, ch.keys) {
			return true
		}
	}
	ch.keys = ""
	return false
}

// runFeature runs the feature of a complete code.
func (s *Server) runFeature(ch *channel, code string) {
	switch code {
	case "*70":
		s.startDynHold(ch)
	case "*71":
		// The exten digits would follow; pbxsim's atxfer takes them from
		// the Atxfer action only.
	case "*1":
		s.atxferAbort(ch.xfer)
	case "*2":
		s.atxferComplete(ch.xfer)
	case "*3":
		s.atxferThreeway(ch.xfer)
	}
}

// startDynHold runs coocenter-hold on ch inside its bridge.
func (s *Server) startDynHold(ch *channel) {
	s.setVar(ch, "DYNAMIC_FEATURENAME", "coocenter-hold")
	s.setVar(ch, "DYNAMIC_WHO_ACTIVATED", ch.name)
	s.chanEvent(classCall, "Hold", ch, hdrs("MusicClass", "default")...)
	h := &dynHold{context: ch.context, exten: ch.exten, prio: ch.prio, app: ch.app, data: ch.appData}
	h.frame = &gosubFrame{context: ch.context, exten: ch.exten, prio: ch.prio}
	ch.dynHold = h
	s.setLocal(ch, h.frame, "ARGC", "0")
	ch.gotoExten("coocenter-hold", "s")
	ch.subDepth++
	s.newexten(ch, 1, "Set", "COOCENTER_HOLD=1")
	s.setVar(ch, "COOCENTER_HOLD", "1")
	s.newexten(ch, 2, "WaitForCondition", "#,#[#{COOCENTER_HOLD} != 1],7200,0.2")
	for _, p := range ch.bridge.members {
		if p != ch && !p.gone && !p.moh {
			h.peers = append(h.peers, p)
			p.heldByPeer = true
			s.mohStart(p)
		}
	}
}

// varChanged is a variable of ch set from outside (AMI Setvar): a hold
// waiting for COOCENTER_HOLD to leave 1 ends.
func (s *Server) varChanged(ch *channel, name string) {
	if v, _ := ch.varValue("COOCENTER_HOLD"); name == "COOCENTER_HOLD" && ch.dynHold != nil && v != "1" {
		s.endDynHold(ch)
	}
}

// endDynHold is the rest of [coocenter-hold] and the unhold.
func (s *Server) endDynHold(ch *channel) {
	h := ch.dynHold
	s.setVar(ch, "WAITFORCONDITIONSTATUS", "TRUE")
	s.newexten(ch, 3, "Set", "COOCENTER_HOLD=0")
	s.setVar(ch, "COOCENTER_HOLD", "0")
	s.newexten(ch, 4, "Return", "")
	for _, name := range h.frame.locals {
		s.unsetVar(ch, name)
	}
	s.setVar(ch, "GOSUB_RETVAL", "")
	ch.subDepth--
	ch.dynHold = nil
	s.chanEvent(classCall, "Unhold", ch)
	for _, p := range h.peers {
		p.heldByPeer = false
		if !p.gone {
			s.mohStop(p)
		}
	}
	back := func() {
		ch.context, ch.exten = h.context, h.exten
		s.newexten(ch, h.prio, h.app, h.data)
	}
	b := ch.bridge
	if !h.orphaned {
		if b != nil && len(b.members) == 2 {
			s.setBridgePeers(b.members[0], b.members[1], false)
		}
		back()
		return
	}
	s.removeFromBridge(b, ch)
	back()
	s.emit(classCall, "BridgeDestroy", b.snapshot()...)
	s.dropBridge(b)
	if ch.role == roleDialCallerBridged {
		// Its Dial returns as after a hangup: no Newexten Hangup (lab).
		s.dialReturned(ch.dial, 16)
		return
	}
	s.onKicked(ch)
}
