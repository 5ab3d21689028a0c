package pbxsim

import (
	"fmt"
	"strconv"
	"time"
)

// devState is Asterisk's enum ast_device_state (devicestate.h): the number
// QueueMember / QueueMemberStatus report as Status.
type devState int

const (
	devUnknown devState = iota
	devNotInUse
	devInUse
	devBusy
	devInvalid
	devUnavailable
	devRinging
	devRingInUse
	devOnHold
)

var devStateNames = [...]string{"UNKNOWN", "NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD"}
var devStateTexts = [...]string{"Unknown", "Not in use", "In use", "Busy", "Invalid", "Unavailable", "Ringing", "Ring+Inuse", "On Hold"}

// String is the DeviceStateChange State value.
func (d devState) String() string { return devStateNames[d] }

// text is the PJSIP EndpointList DeviceState value.
func (d devState) text() string { return devStateTexts[d] }

// extState maps a device state to an extension (hint) state, as
// ast_devstate_to_extenstate does.
func (d devState) extState() int {
	switch d {
	case devInUse:
		return 1
	case devBusy:
		return 2
	case devUnavailable, devInvalid:
		return 4
	case devRinging:
		return 8
	case devRingInUse:
		return 9
	case devOnHold:
		return 16
	}
	return 0
}

// extStateText is the StatusText of an ExtensionStatus.
func extStateText(st int) string {
	switch st {
	case 0:
		return "Idle"
	case 1:
		return "InUse"
	case 2:
		return "Busy"
	case 4:
		return "Unavailable"
	case 8:
		return "Ringing"
	case 9:
		return "InUse&Ringing"
	case 16:
		return "Hold"
	case 17:
		return "InUse&Hold"
	}
	return "Unknown"
}

// device is a SIP peer or a PJSIP endpoint: a phone that may register.
type device struct {
	tech, name string // "SIP", "801"
	callerName string // "Ext 801"
	port       int    // the phone's UDP port once registered
	registered bool
	qualified  bool // answers OPTIONS: PeerStatus Reachable, RTT known
	// lastQualified: the phone answered a qualify since Asterisk started.
	// chan_sip keeps the round trip (lastms) when the phone unregisters, so
	// SIPpeers goes on saying "OK (1 ms)" beside IPaddress -none- (seen on
	// a real Asterisk 20.20.1 with sipp: expire_register keeps lastms).
	lastQualified bool
	rtt           time.Duration
	autoAnswer    time.Duration
	autoSet       bool // autoAnswer set per device, overriding Options
	// qualify: the phone answers qualify OPTIONS, when qualifySet (else
	// when it answers calls by itself).
	qualify, qualifySet bool
	regTime             time.Time
	hintState           int // last ExtensionStatus sent
	// shown is the last DeviceStateChange published: Asterisk publishes a
	// cachable device state only when it differs from its cache
	// (ast_publish_device_state_full; ami-14: SIP/801 dialling out is
	// INUSE, and stays so, unannounced, when the call is answered). The
	// cache is updated asynchronously, so two changes at the same moment
	// both pass: a phone that starts ringing (chan_sip's ringing counter
	// and the channel going Ringing) shows RINGING twice (ami-11, ami-12).
	shown devState
}

func (d *device) id() string { return d.tech + "/" + d.name }

// contactURI is the phone's registered contact.
func (d *device) contactURI() string {
	return fmt.Sprintf("sip:%s@127.0.0.1:%d", d.name, d.port)
}

// lookupDevice finds a phone by "801", "SIP/801" or "PJSIP/900".
func (s *Server) lookupDevice(name string) (*device, error) {
	if d, ok := s.pbx.devices[name]; ok {
		return d, nil
	}
	for _, d := range s.pbx.deviceList {
		if d.name == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("pbxsim: no peer or endpoint %q", name)
}

// deviceState computes a phone's device state from registration and its
// channels. Hold (see hold.go): a chan_sip peer holding a call is ONHOLD
// whatever else it does (notifyhold = yes); a chan_pjsip channel that
// receives a hold counts as ONHOLD in the aggregate, which ranks it below
// ringing and in use and makes ringing + held RINGINUSE
// (ast_devstate_aggregate_add).
//
// pjsip.conf's device_state_busy_at = 1 is not modelled: Asterisk reports
// a PJSIP endpoint with any channel past Down as BUSY.
func (s *Server) deviceState(d *device) devState {
	if !d.registered {
		return devUnavailable
	}
	ringing, up, held := false, false, false
	for _, ch := range s.pbx.channels {
		if ch.dev != d || ch.gone {
			continue
		}
		switch {
		case d.tech == "SIP" && ch.held:
			return devOnHold
		case d.tech == "PJSIP" && ch.heldByPeer:
			held = true
		case ch.state == stateDown || ch.state == stateRinging: // being called
			ringing = true
		default: // up, or dialling out (Ring)
			up = true
		}
	}
	switch {
	case ringing && (up || held):
		return devRingInUse
	case up:
		return devInUse
	case ringing:
		return devRinging
	case held:
		return devOnHold
	}
	return devNotInUse
}

// deviceChanged publishes a phone's new state: DeviceStateChange, then the
// hint's ExtensionStatus and queue member statuses when they changed. An
// unregistered phone stays UNAVAILABLE, published when it unregistered:
// its calls ending publish nothing more (ami-12: 801, 802 and 805
// unregister during the call, their hangups bring no DeviceStateChange).
func (s *Server) deviceChanged(d *device) {
	if !d.registered {
		return
	}
	st := s.deviceState(d)
	if st == d.shown && st != devRinging {
		return
	}
	d.shown = st
	s.emit(classCall, "DeviceStateChange", hdrs("Device", d.id(), "State", st.String())...)
	s.hintChanged(d, st)
	s.membersChanged(d.id(), st)
}

// hintChanged sends ExtensionStatus for the hint exten@internal of d.
func (s *Server) hintChanged(d *device, st devState) {
	es := st.extState()
	if es == d.hintState {
		return
	}
	d.hintState = es
	s.emit(classCall, "ExtensionStatus", hdrs("Exten", d.name, "Context", "internal", "Hint", d.id(),
		"Status", strconv.Itoa(es), "StatusText", extStateText(es))...)
}

// localDeviceChanged publishes the state of a Local device
// ("Local/800@fake-phone"): Asterisk reports each half going up as INUSE
// and each half going away as NOT_INUSE.
func (s *Server) localDeviceChanged(dev string, st devState) {
	s.emit(classCall, "DeviceStateChange", hdrs("Device", dev, "State", st.String())...)
	s.membersChanged(dev, st)
}

// register marks a phone registered and publishes what chan_sip /
// chan_pjsip publish. The caller holds s.mu.
func (s *Server) register(name string, announce bool) error {
	d, err := s.lookupDevice(name)
	if err != nil {
		return err
	}
	if d.registered {
		return nil
	}
	d.registered = true
	d.regTime = time.Now()
	d.qualified = d.tech == "PJSIP" || (d.qualifySet && d.qualify) || (!d.qualifySet && s.autoAnswerOf(d) > 0)
	reachable := d.qualified && !d.lastQualified
	d.lastQualified = d.lastQualified || d.qualified
	d.rtt = time.Millisecond
	if !announce {
		d.hintState = s.deviceState(d).extState()
		s.refreshMembers(false)
		return nil
	}
	s.securityEvent("ChallengeSent", d, "Challenge", s.nextChallenge())
	if d.tech == "SIP" {
		s.emit(classSystem, "PeerStatus", hdrs("ChannelType", "SIP", "Peer", d.id(), "PeerStatus", "Registered",
			"Address", fmt.Sprintf("127.0.0.1:%d", d.port))...)
		s.securityEvent("SuccessfulAuth", d, "UsingPassword", "1")
		s.deviceChanged(d)
		if reachable {
			s.peerReachable(d)
		}
		return nil
	}
	s.securityEvent("SuccessfulAuth", d, "UsingPassword", "1")
	s.contactStatus(d, "NonQualified", "0")
	s.emit(classSystem, "PeerStatus", hdrs("ChannelType", "PJSIP", "Peer", d.id(), "PeerStatus", "Reachable")...)
	s.contactStatus(d, "Reachable", strconv.Itoa(int(d.rtt/time.Microsecond)))
	s.deviceChanged(d)
	return nil
}

// peerReachable is chan_sip's PeerStatus Reachable after the qualify
// OPTIONS of a new registration: published only when the peer's qualify
// state changes, and chan_sip keeps the round trip (lastms) when a phone
// unregisters, so only the first registration since Asterisk started
// brings it (ami-11: 801 and 802; ami-12, the same Asterisk 5 s later:
// 805, registering for the first time, but not 801 and 802).
func (s *Server) peerReachable(d *device) {
	s.emit(classSystem, "PeerStatus", hdrs("ChannelType", "SIP", "Peer", d.id(), "PeerStatus", "Reachable")...)
}

// unregister is the phone's REGISTER with Expires: 0. The caller holds s.mu.
func (s *Server) unregister(name string) error {
	d, err := s.lookupDevice(name)
	if err != nil {
		return err
	}
	if !d.registered {
		return nil
	}
	d.registered, d.qualified = false, false
	s.securityEvent("ChallengeSent", d, "Challenge", s.nextChallenge())
	if d.tech == "SIP" {
		s.emit(classSystem, "PeerStatus", hdrs("ChannelType", "SIP", "Peer", d.id(), "PeerStatus", "Unregistered", "Cause", "Expired")...)
		s.hintChanged(d, devUnavailable)
		s.securityEvent("SuccessfulAuth", d, "UsingPassword", "1")
	} else {
		s.securityEvent("SuccessfulAuth", d, "UsingPassword", "1")
		s.emit(classSystem, "PeerStatus", hdrs("ChannelType", "PJSIP", "Peer", d.id(), "PeerStatus", "Unreachable")...)
		s.hintChanged(d, devUnavailable)
		s.contactStatus(d, "Removed", "0")
	}
	d.shown = devUnavailable
	s.emit(classCall, "DeviceStateChange", hdrs("Device", d.id(), "State", devUnavailable.String())...)
	s.membersChanged(d.id(), devUnavailable)
	return nil
}

func (s *Server) contactStatus(d *device, status, rtt string) {
	s.emit(classSystem, "ContactStatus", hdrs("URI", d.contactURI(), "ContactStatus", status, "AOR", d.name,
		"EndpointName", d.name, "RoundtripUsec", rtt)...)
}

// securityEvent publishes a res_security_log event about a phone.
func (s *Server) securityEvent(name string, d *device, extraKey, extraValue string) {
	s.securityEventAs(name, d, d.name, extraKey, extraValue)
}

// securityEventAs is securityEvent naming another account: chan_sip names
// an INVITE's challenge after its From URI and its success after the
// dialled extension (ami-14: ChallengeSent sip:801@127.0.0.1, then
// SuccessfulAuth 802, for 801 calling 802).
func (s *Server) securityEventAs(name string, d *device, account, extraKey, extraValue string) {
	local := "IPV4/UDP/127.0.0.1/5060"
	if d.tech == "PJSIP" {
		local = "IPV4/UDP/127.0.0.1/5160"
	}
	s.emit(classSecurity, name, hdrs("EventTV", eventTV(time.Now()), "Severity", "Informational", "Service", d.tech,
		"EventVersion", "1", "AccountID", account, "SessionID", fmt.Sprintf("%d-%s@127.0.0.1", d.port, d.name),
		"LocalAddress", local, "RemoteAddress", fmt.Sprintf("IPV4/UDP/127.0.0.1/%d", d.port), extraKey, extraValue)...)
}

func (s *Server) nextChallenge() string {
	s.seq.uniq++
	return fmt.Sprintf("%08x", uint32(s.seq.uniq)*2654435761)
}

func eventTV(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000+0000") }

// autoAnswerOf is the delay after which phone d answers, 0 = never.
func (s *Server) autoAnswerOf(d *device) time.Duration {
	if d.autoSet {
		return d.autoAnswer
	}
	return s.opts.AutoAnswer
}

// sipPeerStatus is the SIPpeers Status column.
func sipPeerStatus(d *device) string {
	if d.registered || d.lastQualified {
		return fmt.Sprintf("OK (%d ms)", max(1, int(d.rtt/time.Millisecond)))
	}
	return "UNKNOWN"
}
