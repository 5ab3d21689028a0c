package pbxsim

import (
	"fmt"

	"github.com/coocenter/coocenterd/internal/ami"
)

// bridge is a basic two-party bridge as Dial and Queue create.
type bridge struct {
	id      string
	members []*channel
}

func (b *bridge) snapshot() []ami.Header {
	return hdrs("BridgeUniqueid", b.id, "BridgeType", "basic", "BridgeTechnology", "simple_bridge",
		"BridgeCreator", "<unknown>", "BridgeName", "<unknown>", "BridgeNumChannels", itoa(len(b.members)),
		"BridgeVideoSourceMode", "none")
}

// bridgeCall creates a bridge and puts callee then caller into it, as
// Dial and Queue do, with BRIDGEPEER set on both. Linkedids converge on
// the oldest.
func (s *Server) bridgeCall(callee, caller *channel) *bridge {
	s.seq.bridge++
	n := s.seq.bridge
	b := &bridge{id: fmt.Sprintf("%08x-%04x-4%03x-b%03x-%012x", uint32(n)*2654435761, n&0xffff, n&0xfff, (n*7)&0xfff, n)}
	s.pbx.bridges = append(s.pbx.bridges, b)
	s.emit(classCall, "BridgeCreate", b.snapshot()...)
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
	s.setBridgePeers(b, callee, caller, false)
	return b
}

// setBridgePeers sets (or clears) BRIDGEPEER on both parties; a chan_sip
// party also gets BRIDGEPVTCALLID on its peer.
func (s *Server) setBridgePeers(b *bridge, callee, caller *channel, clear bool) {
	val := func(c *channel) string {
		if clear {
			return ""
		}
		return c.name
	}
	s.setVar(callee, "BRIDGEPEER", val(caller))
	s.setVar(caller, "BRIDGEPEER", val(callee))
	if callee.dev != nil && callee.dev.tech == "SIP" {
		pvt := ""
		if !clear {
			pvt = callee.uniqueid + "@127.0.0.1"
		}
		s.setVar(caller, "BRIDGEPVTCALLID", pvt)
	}
}

// leaveBridge takes ch out of its bridge and dissolves the bridge: the other
// party is kicked out and runs its own kicked handler.
func (s *Server) leaveBridge(ch *channel) {
	b := ch.bridge
	if b == nil {
		return
	}
	if len(b.members) == 2 {
		callee, caller := b.members[0], b.members[1]
		s.setBridgePeers(b, callee, caller, true)
	}
	s.removeFromBridge(b, ch)
	for len(b.members) > 0 {
		other := b.members[0]
		s.removeFromBridge(b, other)
		s.emit(classCall, "BridgeDestroy", b.snapshot()...)
		s.dropBridge(b)
		if other.kicked != nil {
			k := other.kicked
			other.kicked = nil
			k()
		} else {
			s.requestHangup(other, 16)
		}
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
