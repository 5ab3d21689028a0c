package pbxsim

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// The recorded PBX (test/asterisk/etc): sip.conf, pjsip.conf and
// queues.conf as data.
var (
	sipPeers      = []string{"800", "801", "802", "803", "804", "805", "806", "807", "808", "809"}
	pjsipEndpoint = []string{"900", "901", "902", "903", "904", "905", "906", "907", "908", "909"}
	queueConf     = []struct {
		name    string
		members [][2]string // interface, member name
	}{
		{"630", [][2]string{{"Local/800@fake-phone/n", "Agent 800"}, {"Local/801@fake-phone/n", "Agent 801"}}},
		{"631", [][2]string{{"SIP/802", "Agent 802"}, {"Local/803@fake-phone/n", "Agent 803"}}},
		{"632", [][2]string{{"SIP/804", "Agent 804"}, {"PJSIP/904", "Agent 904"}}},
	}
)

// pbxState is everything a restart of Asterisk forgets (AstDB lives on the
// Server and survives).
type pbxState struct {
	devices    map[string]*device // "SIP/801" -> device
	deviceList []*device          // sip.conf then pjsip.conf order
	channels   []*channel         // in creation order
	bridges    []*bridge
	queues     []*queue
	// pauseDevs caches app_queue's pause device states by device name;
	// Asterisk publishes them while loading queues.conf, before any AMI
	// client is there.
	pauseDevs map[string]devState
	// globals are the global variables (Setvar without Channel).
	globals map[string]string
}

func newPBXState(s *Server) *pbxState {
	p := &pbxState{devices: make(map[string]*device), pauseDevs: make(map[string]devState), globals: make(map[string]string)}
	add := func(tech string, names []string, basePort int) {
		for i, n := range names {
			d := &device{tech: tech, name: n, callerName: "Ext " + n, port: basePort + i, hintState: 4}
			p.devices[d.id()] = d
			p.deviceList = append(p.deviceList, d)
		}
	}
	add("SIP", sipPeers, 5070)
	add("PJSIP", pjsipEndpoint, 5090)
	now := time.Now().Unix()
	for _, qc := range queueConf {
		q := &queue{name: qc.name, callState: devNotInUse}
		for _, m := range qc.members {
			q.add(&member{iface: m[0], name: m[1], stateIface: m[0], loginTime: now})
			p.pauseDevs[pauseDevice(q, m[0])] = devNotInUse
		}
		p.queues = append(p.queues, q)
	}
	s.pbx = p
	s.refreshMembers(false)
	for _, q := range p.queues {
		q.availState = devUnknown // none published yet: see queueAvailChanged
	}
	return p
}

// memberDevState is the device state behind a member's state interface.
func (s *Server) memberDevState(m *member) devState {
	if d, ok := s.pbx.devices[m.stateIface]; ok {
		return s.deviceState(d)
	}
	if exten, ok := hintExten(m.stateIface); ok {
		d := s.hintDevice(exten)
		if d == nil {
			return devInvalid // no such hint: ast_extension_state fails
		}
		return hintMemberState(s.deviceState(d))
	}
	dev := localDevice(m.stateIface)
	if dev == "" {
		return devInvalid
	}
	for _, ch := range s.pbx.channels {
		if ch.localDev == dev && ch.state == stateUp {
			return devInUse
		}
	}
	return devNotInUse
}

// hintExten splits a state interface "hint:805@internal" into "805@internal"
// (the context defaults to "default", as app_queue's).
func hintExten(stateIface string) (string, bool) {
	if len(stateIface) < 5 || !strings.EqualFold(stateIface[:5], "hint:") {
		return "", false
	}
	exten, ctx, _ := strings.Cut(stateIface[5:], "@")
	return exten + "@" + cmp.Or(ctx, "default"), true
}

// hintDevice is the device behind the hint "805@internal": the lab's hints
// (extensions.conf, context internal) are one per phone, exten => 805,hint,SIP/805.
func (s *Server) hintDevice(extenAtCtx string) *device {
	exten, ctx, _ := strings.Cut(extenAtCtx, "@")
	if ctx != "internal" {
		return nil
	}
	for _, d := range s.pbx.deviceList {
		if d.name == exten {
			return d
		}
	}
	return nil
}

// hintMemberState is the status of a member whose state interface is a
// hint: app_queue watches the hint's extension state and turns it back
// into a device state (extensionstate2devicestate), so a registered idle
// phone is NOT_INUSE (ami-10: QueueMemberAdded of SIP/805 with
// StateInterface hint:805@internal, Status 1) and In use + On hold reads
// as INUSE.
func hintMemberState(st devState) devState {
	switch st.extState() {
	case 0:
		return devNotInUse
	case 1, 17:
		return devInUse
	case 2:
		return devBusy
	case 4:
		return devUnavailable
	case 8:
		return devRinging
	case 9:
		return devRingInUse
	case 16:
		return devOnHold
	}
	return devInvalid
}

// localDevice turns "Local/800@fake-phone/n" into "Local/800@fake-phone";
// "" if iface is not a Local interface.
func localDevice(iface string) string {
	if len(iface) < 6 || iface[:6] != "Local/" {
		return ""
	}
	if i := strings.LastIndexByte(iface, '/'); i > 5 {
		return iface[:i]
	}
	return iface
}

// refreshMembers recomputes every member's status; with announce it
// publishes the changes.
func (s *Server) refreshMembers(announce bool) {
	for _, q := range s.pbx.queues {
		for _, m := range q.members {
			st := s.memberDevState(m)
			if st != m.status && announce {
				m.status = st
				s.memberEvent("QueueMemberStatus", q, m)
			}
			m.status = st
		}
		s.queueAvailChanged(q, announce)
	}
}

// membersChanged is app_queue's device_state_cb: QueueMemberStatus for
// the members watching dev whose status changed, then the availability of
// every queue with such a member.
func (s *Server) membersChanged(dev string, st devState) {
	for _, q := range s.pbx.queues {
		found, changed := false, false
		for _, m := range q.members {
			mst := st
			if exten, ok := hintExten(m.stateIface); ok {
				if d := s.hintDevice(exten); d == nil || d.id() != dev {
					continue
				}
				mst = hintMemberState(st)
			} else if m.stateIface != dev && localDevice(m.stateIface) != dev {
				continue
			}
			found = true
			if m.status == mst {
				continue
			}
			m.status = mst
			s.memberEvent("QueueMemberStatus", q, m)
			changed = true
		}
		if found {
			s.queueAvailChanged(q, true)
		}
		if changed {
			s.kickQueue(q)
		}
	}
}

// queueAvailChanged keeps the Queue:<name>_avail device: NOT_INUSE while a
// member could take a call. Like every cached device state it is published
// on a change only, but a started Asterisk has none cached (availState
// devUnknown): the first member device event after the start publishes it
// whatever it is (ami-11, Uptime 0: Queue:631_avail NOT_INUSE when SIP/802
// registers, although Local/803 was available all along; ami-12 on the
// same Asterisk: nothing). Without announce (phones registered at Start)
// the state is taken as published before any client came.
func (s *Server) queueAvailChanged(q *queue, announce bool) {
	st := devInUse
	for _, m := range q.members {
		if m.available() {
			st = devNotInUse
			break
		}
	}
	if st == q.availState {
		return
	}
	q.availState = st
	if announce {
		s.emit(classCall, "DeviceStateChange", hdrs("Device", fmt.Sprintf("Queue:%s_avail", q.name), "State", st.String())...)
	}
}

// queueCallsChanged keeps the Queue:<name> device: RINGING while callers wait.
func (s *Server) queueCallsChanged(q *queue) {
	st := devNotInUse
	if len(q.callers) > 0 {
		st = devRinging
	}
	if st == q.callState {
		return
	}
	q.callState = st
	s.emit(classCall, "DeviceStateChange", hdrs("Device", "Queue:"+q.name, "State", st.String())...)
}

// reset forgets the dynamic state, as an Asterisk restart does.
func (s *Server) resetState() {
	s.pbx = nil
	newPBXState(s)
}
