package pbxsim

import (
	"cmp"
	"fmt"
)

// Hold as a phone does it: the phone sends a re-INVITE with sendonly (or
// inactive) media, its channel driver queues AST_CONTROL_HOLD on the
// phone's channel, and the bridge passes the indication to the other
// party, which hears music on hold.
//
//   - Event Hold on the holding channel: channel snapshot, then MusicClass
//     when the driver named one (channel_hold_cb,
//     main/manager_channels.c). chan_sip names the peer's mohsuggest (unset
//     in this sip.conf: no MusicClass), chan_pjsip the endpoint's
//     moh_suggest ("default"). Unhold: the snapshot alone.
//   - Device state: sip.conf has notifyhold = yes, so a chan_sip peer that
//     holds a call is ONHOLD, before anything else (sip_peer_hold,
//     sip_devicestate in chan_sip.c). chan_pjsip instead marks the channel
//     that receives the hold indication (chan_pjsip_indicate) and
//     aggregates it as ONHOLD with the endpoint's other channels
//     (chan_pjsip_devicestate). ONHOLD is hint state 16, StatusText Hold.
//   - Music: the party that receives the hold indication starts music on
//     hold itself (a Local channel intercepts it, chan_sip and chan_pjsip
//     play it): MusicOnHoldStart with the class (the suggested one, else
//     "default"), MusicOnHoldStop at Unhold (ami-13, lines 3479 and 3550:
//     SIP/804 holds, its bridge peer Local/inq-632-...;2 gets the music).

// hold puts ch on hold with music class class. The caller holds s.mu.
func (s *Server) hold(ch *channel, class string) error {
	if ch.held {
		return fmt.Errorf("pbxsim: %s is already on hold", ch.name)
	}
	if ch.state != stateUp {
		return fmt.Errorf("pbxsim: %s is not up", ch.name)
	}
	if class == "" && ch.dev != nil && ch.dev.tech == "PJSIP" {
		class = "default"
	}
	ch.held = true
	var extra []string
	if class != "" {
		extra = []string{"MusicClass", class}
	}
	s.chanEvent(classCall, "Hold", ch, hdrs(extra...)...)
	if ch.dev != nil && ch.dev.tech == "SIP" {
		s.deviceChanged(ch.dev)
	}
	if ch.bridge != nil {
		for _, p := range ch.bridge.members {
			if p == ch || p.gone || p.heldByPeer {
				continue
			}
			ch.holdPeers = append(ch.holdPeers, p)
			p.heldByPeer = true
			s.chanEvent(classCall, "MusicOnHoldStart", p, hdrs("Class", cmp.Or(class, "default"))...)
			if p.dev != nil && p.dev.tech == "PJSIP" {
				s.deviceChanged(p.dev)
			}
		}
	}
	return nil
}

// unhold takes ch off hold. The caller holds s.mu.
func (s *Server) unhold(ch *channel) error {
	if !ch.held {
		return fmt.Errorf("pbxsim: %s is not on hold", ch.name)
	}
	ch.held = false
	s.chanEvent(classCall, "Unhold", ch)
	if ch.dev != nil && ch.dev.tech == "SIP" {
		s.deviceChanged(ch.dev)
	}
	s.releaseHoldPeers(ch)
	return nil
}

// releaseHoldPeers ends the hold indication ch gave its bridge peers (on
// Unhold, or when ch goes away).
func (s *Server) releaseHoldPeers(ch *channel) {
	peers := ch.holdPeers
	ch.holdPeers = nil
	for _, p := range peers {
		p.heldByPeer = false
		if !p.gone {
			s.chanEvent(classCall, "MusicOnHoldStop", p)
		}
		if !p.gone && p.dev != nil && p.dev.tech == "PJSIP" {
			s.deviceChanged(p.dev)
		}
	}
}
