package pbxsim

import (
	"fmt"
	"strings"
	"time"
)

// This file is the control API tests drive the simulated PBX with: the
// stimuli a real PBX gets from phones, trunks and operators, and what the
// PBX holds. faults.go has the faults real deployments suffer.

// ChannelInfo is a live channel as the simulator sees it.
type ChannelInfo struct {
	Name, Uniqueid, Linkedid        string
	State                           int // channelstate.h: 4 Ring, 5 Ringing, 6 Up
	CallerIDNum, CallerIDName       string
	ConnectedLineNum, ConnectedLine string
	Context, Exten                  string
	Application, ApplicationData    string
	BridgeID                        string
	Created                         time.Time
	// OnHold: the party on this channel put the call on hold (Hold).
	OnHold bool
	// Variables are the channel variables by full name ("__CORR"): those
	// of Originate's Variable headers, inherited ones, and those the
	// dialplan set (VarSet). Nil when there are none.
	Variables map[string]string
}

// MemberInfo is a queue member.
type MemberInfo struct {
	Queue, Interface, MemberName, StateInterface string
	Penalty                                      int
	Dynamic, Paused, InCall                      bool
	PausedReason                                 string
	Status                                       int // device state, as QueueMember Status
	CallsTaken                                   int
}

// Register registers a SIP peer ("801") or PJSIP endpoint ("900") and
// publishes what Asterisk publishes (PeerStatus, ContactStatus,
// DeviceStateChange, ExtensionStatus, QueueMemberStatus).
func (s *Server) Register(peer string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.register(peer, true)
}

// Unregister is the phone's REGISTER with Expires: 0.
func (s *Server) Unregister(peer string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unregister(peer)
}

// SetAutoAnswer makes a phone answer calls by itself after d (0 = ring
// until Answer or Hangup). A phone that answers by itself also answers
// qualify OPTIONS, so registering it afterwards is followed by PeerStatus
// Reachable the first time since the PBX started (chan_sip publishes it
// when the qualify state changes, and keeps that state when the phone
// unregisters).
func (s *Server) SetAutoAnswer(peer string, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dev, err := s.lookupDevice(peer)
	if err != nil {
		return err
	}
	dev.autoAnswer, dev.autoSet = d, true
	return nil
}

// SetQualify says whether phone peer answers chan_sip's qualify OPTIONS,
// which brings PeerStatus Reachable after its first registration since the
// PBX started. Unset, a phone answers them when it answers calls by itself
// (sipp's scenarios); a phone that rings until told and still answers
// OPTIONS, as the testbed's SIP phones do, needs SetQualify(peer, true).
func (s *Server) SetQualify(peer string, answers bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dev, err := s.lookupDevice(peer)
	if err != nil {
		return err
	}
	dev.qualify, dev.qualifySet = answers, true
	return nil
}

// Dial makes the registered phone from ("800", "SIP/800") call exten to in
// context internal, and returns the phone's channel name.
func (s *Server) Dial(from, to string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.lookupDevice(from)
	if err != nil {
		return "", err
	}
	if !d.registered {
		return "", fmt.Errorf("pbxsim: %s is not registered", d.id())
	}
	if !extenExists("internal", to) {
		return "", fmt.Errorf("pbxsim: no extension %s@internal", to)
	}
	// chan_sip challenges the INVITE, makes the channel Down, sets what it
	// knows of the dialog and only then rings (ami-14). No PJSIP dial-out
	// is recorded: its channel starts in Ring.
	sip := d.tech == "SIP"
	state := stateRing
	if sip {
		s.securityEventAs("ChallengeSent", d, "sip:"+d.name+"@127.0.0.1", "Challenge", s.nextChallenge())
		state = stateDown
	}
	ch := s.newChannel(d.id()+"-"+s.nextSuffix(), state, "internal", to, nil, "")
	ch.dev = d
	ch.cidNum, ch.cidName = d.name, d.callerName
	s.newchannelEvent(ch)
	if sip {
		s.setVar(ch, "SIPURI", fmt.Sprintf("sip:%s@127.0.0.1:%d", d.name, d.port))
		s.setVar(ch, "SIPDOMAIN", "127.0.0.1")
		s.sipCallIDVar(ch)
		ch.state = stateRing
	}
	s.deviceChanged(d)
	if sip {
		s.chanEvent(classCall, "Newstate", ch)
		s.securityEventAs("SuccessfulAuth", d, to, "UsingPassword", "1")
	}
	s.runDialplan(ch)
	return ch.name, nil
}

// InboundCall simulates an external caller with number calling through the
// trunk into queue "630", "631" or "632"; "" means the default queue 630,
// the one of the plain in-<number> route (any other queue is an error).
// It does what the recorded tests did: Originate
// Local/in-<number>@from-trunk (or inq-<queue>-<number>) to MusicOnHold.
// The blacklist and IVR steps of the dialplan apply. It returns the
// caller's channel inside the PBX (the ;2 half, which joins the queue);
// hanging it up is the caller abandoning.
func (s *Server) InboundCall(number, queue string) (string, error) {
	exten := "in-" + number
	switch queue {
	case "", "630":
	case "631", "632":
		exten = "inq-" + queue + "-" + number
	default:
		return "", fmt.Errorf("pbxsim: no queue %q", queue)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !extenExists("from-trunk", exten) {
		return "", fmt.Errorf("pbxsim: bad number %q", number)
	}
	o := &originate{channel: "Local/" + exten + "@from-trunk", app: "MusicOnHold", async: true,
		cidName: "External caller", cidNum: number, timeout: time.Hour, responded: true}
	one, err := s.startOriginate(o)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(one.name, ";1") + ";2", nil
}

// Answer makes a ringing phone channel (e.g. "SIP/804-00000003") answer.
func (s *Server) Answer(channel string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.findChannel(channel)
	if ch == nil || ch.dev == nil {
		return fmt.Errorf("pbxsim: no ringing phone channel %q", channel)
	}
	s.answerPhone(ch)
	return nil
}

// Hangup makes the party on channel name hang up with cause (0 = 16, normal
// clearing; 17 = busy, to reject a ringing call).
func (s *Server) Hangup(name string, cause int) error {
	return s.withChannel(name, func(ch *channel) error {
		s.requestHangup(ch, cmpCause(cause))
		return nil
	})
}

// Hold makes the party on channel name (an answered call, e.g.
// "SIP/801-0000000a") put the call on hold, as a phone's hold key does:
// Event Hold on that channel, with MusicClass musicClass; "" means what the
// channel driver would send: nothing for a SIP phone (no mohsuggest in
// sip.conf), "default" for a PJSIP phone. A SIP phone on hold goes ONHOLD
// (DeviceStateChange ONHOLD, ExtensionStatus 16 "Hold", QueueMemberStatus
// 8); a PJSIP phone bridged with the holder goes ONHOLD unless it is busy
// otherwise. It fails if the channel is not up or already on hold.
func (s *Server) Hold(name, musicClass string) error {
	return s.withChannel(name, func(ch *channel) error { return s.hold(ch, musicClass) })
}

// Unhold takes the call held by Hold(name) off hold: Event Unhold and
// the device states back to what the calls make them. It fails if the
// channel is not on hold.
func (s *Server) Unhold(name string) error {
	return s.withChannel(name, s.unhold)
}

// BlindTransfer transfers the party bridged with channel name to
// exten@internal, as a phone's transfer key does.
func (s *Server) BlindTransfer(name, exten string) error {
	return s.withChannel(name, func(ch *channel) error { return s.blindTransfer(ch, "internal", exten, true) })
}

// withChannel runs fn with s.mu held on the live channel called name (or
// with that uniqueid).
func (s *Server) withChannel(name string, fn func(*channel) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.findChannel(name)
	if ch == nil {
		return fmt.Errorf("pbxsim: no channel %q", name)
	}
	return fn(ch)
}

// Channels lists the live channels in creation order.
func (s *Server) Channels() []ChannelInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ChannelInfo
	for _, ch := range s.pbx.channels {
		if ch.gone {
			continue
		}
		ci := ChannelInfo{Name: ch.name, Uniqueid: ch.uniqueid, Linkedid: ch.linkedid, State: ch.state,
			CallerIDNum: ch.cidNum, CallerIDName: ch.cidName, ConnectedLineNum: ch.connNum, ConnectedLine: ch.connName,
			Context: ch.context, Exten: ch.exten, Application: ch.app, ApplicationData: ch.appData, Created: ch.created}
		if ch.bridge != nil {
			ci.BridgeID = ch.bridge.id
		}
		ci.OnHold = ch.held
		for _, v := range ch.vars {
			if ci.Variables == nil {
				ci.Variables = make(map[string]string, len(ch.vars))
			}
			ci.Variables[v.name] = v.value
		}
		out = append(out, ci)
	}
	return out
}

// QueueMembers lists the members of a queue.
func (s *Server) QueueMembers(queue string) []MemberInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.findQueue(queue)
	if q == nil {
		return nil
	}
	var out []MemberInfo
	for _, m := range q.members {
		out = append(out, MemberInfo{Queue: q.name, Interface: m.iface, MemberName: m.name, StateInterface: m.stateIface,
			Penalty: m.penalty, Dynamic: m.dynamic, Paused: m.paused, InCall: m.inCall, PausedReason: m.reason,
			Status: int(m.status), CallsTaken: m.callsTaken})
	}
	return out
}

// PauseMember pauses or unpauses a member as QueuePause does (queue "" =
// every queue of the interface).
func (s *Server) PauseMember(queue, iface string, paused bool, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pauseMember(queue, iface, paused, reason)
}

// DBGet reads AstDB family/key.
func (s *Server) DBGet(family, key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.db[dbPath(family, key)]
	return v, ok
}

// DBPut writes AstDB family/key.
func (s *Server) DBPut(family, key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.db[dbPath(family, key)] = value
}

// DBDel deletes AstDB family/key and reports whether it existed.
func (s *Server) DBDel(family, key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.db[dbPath(family, key)]
	delete(s.db, dbPath(family, key))
	return ok
}
