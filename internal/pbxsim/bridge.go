package pbxsim

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/coocenter/coocenterd/internal/ami"
)

// bridge is a basic two-party bridge as Dial and Queue create.
type bridge struct {
	id      string
	members []*channel
	// tech is the bridge technology when not simple_bridge (softmix once
	// a three-way joins a third party).
	tech string
}

func (b *bridge) snapshot() []ami.Header { return b.snapshotAs("") }

// snapshotAs is the bridge snapshot with its keys prefixed
// (ast_manager_build_bridge_state_string_prefix).
func (b *bridge) snapshotAs(prefix string) []ami.Header {
	return hdrs(prefix+"BridgeUniqueid", b.id, prefix+"BridgeType", "basic", prefix+"BridgeTechnology", cmp.Or(b.tech, "simple_bridge"),
		prefix+"BridgeCreator", "<unknown>", prefix+"BridgeName", "<unknown>", prefix+"BridgeNumChannels", itoa(len(b.members)),
		prefix+"BridgeVideoSourceMode", "none")
}

// newBridge creates an empty basic bridge (BridgeCreate).
func (s *Server) newBridge() *bridge {
	s.seq.bridge++
	n := s.seq.bridge
	b := &bridge{id: fmt.Sprintf("%08x-%04x-4%03x-b%03x-%012x", uint32(n)*2654435761, n&0xffff, n&0xfff, (n*7)&0xfff, n)}
	s.pbx.bridges = append(s.pbx.bridges, b)
	s.emit(classCall, "BridgeCreate", b.snapshot()...)
	return b
}

// enterBridge adds ch to b (BridgeEnter); linkedids converge on the oldest.
func (s *Server) enterBridge(b *bridge, ch *channel) {
	oldest := ch
	for _, m := range b.members {
		if m.linkedSeq < oldest.linkedSeq {
			oldest = m
		}
	}
	for _, m := range append([]*channel{ch}, b.members...) {
		m.linkedid, m.linkedSeq = oldest.linkedid, oldest.linkedSeq
	}
	b.members = append(b.members, ch)
	ch.bridge = b
	s.emit(classCall, "BridgeEnter", join(b.snapshot(), ch.snapshot(""))...)
}

// setMultiPeers is set_bridge_peer_vars_multiparty: BRIDGEPEER of each
// member lists the others, comma-separated, in the bridge's order.
func (s *Server) setMultiPeers(b *bridge) {
	for _, ch := range b.members {
		var names []string
		for _, m := range b.members {
			if m != ch {
				names = append(names, m.name)
			}
		}
		s.setVar(ch, "BRIDGEPEER", strings.Join(names, ","))
	}
}

// bridgeCall creates a bridge and puts callee then caller into it, as
// Dial and Queue do, with BRIDGEPEER set on both. Linkedids converge on
// the oldest.
func (s *Server) bridgeCall(callee, caller *channel) *bridge {
	b := s.newBridge()
	oldest := callee
	if caller.linkedSeq < callee.linkedSeq {
		oldest = caller
	}
	for _, ch := range []*channel{callee, caller} {
		ch.linkedid, ch.linkedSeq = oldest.linkedid, oldest.linkedSeq
	}
	for _, ch := range []*channel{callee, caller} {
		b.members = append(b.members, ch)
		ch.bridge = b
		s.emit(classCall, "BridgeEnter", join(b.snapshot(), ch.snapshot(""))...)
	}
	s.setBridgePeers(callee, caller, false)
	return b
}

// setBridgePeers sets (or clears) the peer variables of a two-party bridge
// on each party in turn, as set_bridge_peer_vars_2party does: BRIDGEPEER,
// then BRIDGEPVTCALLID when the peer is a chan_sip channel, the one driver
// here with a private call id (ami-11: both SIP parties get both, callee
// first; ami-06: the Local caller of SIP/804 gets both, SIP/804 only
// BRIDGEPEER).
func (s *Server) setBridgePeers(callee, caller *channel, clear bool) {
	s.setPeerVars(callee, caller, clear)
	s.setPeerVars(caller, callee, clear)
}

func (s *Server) setPeerVars(ch, peer *channel, clear bool) {
	name, pvt := peer.name, sipCallID(peer)
	if clear {
		name = ""
	}
	s.setVar(ch, "BRIDGEPEER", name)
	if pvt != "" {
		if clear {
			pvt = ""
		}
		s.setVar(ch, "BRIDGEPVTCALLID", pvt)
	}
}

// leaveBridge takes ch out of its bridge and dissolves the bridge: the other
// party is kicked out and reacts as its role says (onKicked).
func (s *Server) leaveBridge(ch *channel) {
	b := ch.bridge
	if b == nil {
		return
	}
	if len(b.members) > 2 {
		// A three-way's bridge lets one go and keeps the others (lab
		// check 4 of docs/design/agent-verbs.md).
		s.setVar(ch, "BRIDGEPEER", "")
		s.removeFromBridge(b, ch)
		if len(b.members) == 2 {
			s.setBridgePeers(b.members[0], b.members[1], false)
		} else {
			s.setMultiPeers(b)
		}
		return
	}
	if len(b.members) == 2 {
		callee, caller := b.members[0], b.members[1]
		s.setBridgePeers(callee, caller, true)
	}
	s.removeFromBridge(b, ch)
	if len(b.members) > 0 {
		other := b.members[0]
		if other.dynHold != nil {
			// The hold feature holds it in the bridge until it returns.
			other.dynHold.orphaned = true
			return
		}
		s.removeFromBridge(b, other)
		s.emit(classCall, "BridgeDestroy", b.snapshot()...)
		s.dropBridge(b)
		s.onKicked(other)
		return
	}
	s.emit(classCall, "BridgeDestroy", b.snapshot()...)
	s.dropBridge(b)
}

func (s *Server) removeFromBridge(b *bridge, ch *channel) {
	for i, m := range b.members {
		if m == ch {
			b.members = append(b.members[:i], b.members[i+1:]...)
			break
		}
	}
	ch.bridge = nil
	s.emit(classCall, "BridgeLeave", join(b.snapshot(), ch.snapshot(""))...)
}

func (s *Server) dropBridge(b *bridge) {
	for i, x := range s.pbx.bridges {
		if x == b {
			s.pbx.bridges = append(s.pbx.bridges[:i], s.pbx.bridges[i+1:]...)
			return
		}
	}
}

// peerOf is the other party of ch's bridge, or nil.
func (ch *channel) peerOf() *channel {
	if ch.bridge == nil {
		return nil
	}
	for _, m := range ch.bridge.members {
		if m != ch {
			return m
		}
	}
	return nil
}
