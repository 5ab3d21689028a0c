package pbxsim

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// queue is one app_queue queue (strategy ringall, as queues.conf).
type queue struct {
	name       string
	members    []*member
	callers    []*queueCaller
	completed  int
	abandoned  int
	holdTotal  int // seconds, over completed calls
	talkTotal  int
	availState devState // Queue:<name>_avail as last published; devUnknown: not yet
	callState  devState // Queue:<name>
}

// member is a queue member.
type member struct {
	iface, name, stateIface string
	penalty                 int
	dynamic                 bool
	paused                  bool
	reason                  string
	callsTaken              int
	lastCall, lastPause     int64
	loginTime               int64
	inCall                  bool
	ringing                 bool
	status                  devState
}

// add inserts m where app_queue's member container puts it: members live
// in a hash table of 37 buckets keyed by the interface from its "/" on,
// and every listing (QueueStatus, the ring order of ringall) walks the
// buckets in order, members of one bucket in the order they came. So
// queue 630 lists Local/801@fake-phone/n before Local/800@fake-phone/n, as
// the recorded QueueStatus of a real Asterisk 20 does (ami-01).
func (q *queue) add(m *member) {
	b := memberBucket(m.iface)
	i := len(q.members)
	for i > 0 && memberBucket(q.members[i-1].iface) > b {
		i--
	}
	q.members = slices.Insert(q.members, i, m)
}

// memberBucket is app_queue's member_hash_fn modulo its 37 buckets: up to
// five characters of the interface from its "/", each squeezed into six bits.
func memberBucket(iface string) int {
	if i := strings.IndexByte(iface, '/'); i >= 0 {
		iface = iface[i:]
	}
	h := 0
	for i := 0; i < 5 && i < len(iface); i++ {
		c := int(iface[i])
		switch {
		case c < 32:
			c = 0
		case c > 96:
			c -= 64
		default:
			c -= 32
		}
		h += c << (i * 6)
	}
	return h % 37
}

// available says whether ringall may ring the member now (ringinuse=no).
func (m *member) available() bool {
	return !m.paused && !m.ringing && !m.inCall && (m.status == devNotInUse || m.status == devUnknown)
}

func (m *member) membership() string {
	if m.dynamic {
		return "dynamic"
	}
	return "static"
}

func b2s(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func (s *Server) findQueue(name string) *queue {
	for _, q := range s.pbx.queues {
		if strings.EqualFold(q.name, name) {
			return q
		}
	}
	return nil
}

func (q *queue) member(iface string) *member {
	for _, m := range q.members {
		if strings.EqualFold(m.iface, iface) {
			return m
		}
	}
	return nil
}

// memberEvent publishes a member event with the member blob
// (queue_member_blob_create).
func (s *Server) memberEvent(name string, q *queue, m *member) {
	s.emit(classAgent, name, hdrs("Queue", q.name, "MemberName", m.name, "Interface", m.iface,
		"StateInterface", m.stateIface, "Membership", m.membership(), "Penalty", itoa(m.penalty),
		"CallsTaken", itoa(m.callsTaken), "LastCall", i64(m.lastCall), "LastPause", i64(m.lastPause),
		"LoginTime", i64(m.loginTime), "InCall", b2s(m.inCall), "Status", itoa(int(m.status)),
		"Paused", b2s(m.paused), "PausedReason", m.reason, "Ringinuse", "0", "Wrapuptime", "0")...)
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }

// averages are the mean hold and talk seconds of the completed calls and
// the service level performance app_queue reports beside them.
func (q *queue) averages() (hold, talk int, perf string) {
	if q.completed == 0 {
		return 0, 0, "0.0"
	}
	return q.holdTotal / q.completed, q.talkTotal / q.completed, "100.0"
}

// params is the QueueParams item.
func (q *queue) params() []ami.Header {
	hold, talk, perf := q.averages()
	return hdrs("Queue", q.name, "Max", "0", "Strategy", "ringall", "Calls", itoa(len(q.callers)),
		"Holdtime", itoa(hold), "TalkTime", itoa(talk), "Completed", itoa(q.completed),
		"Abandoned", itoa(q.abandoned), "ServiceLevel", "60", "ServicelevelPerf", perf,
		"ServicelevelPerf2", perf, "Weight", "0")
}

// setQueueVars sets the ten QUEUE* variables of setqueuevar=yes, with the
// values of QueueParams.
func (s *Server) setQueueVars(ch *channel, q *queue) {
	hold, talk, perf := q.averages()
	s.setVars(ch, "QUEUENAME", q.name, "QUEUEMAX", "0", "QUEUESTRATEGY", "ringall", "QUEUECALLS", itoa(len(q.callers)),
		"QUEUEHOLDTIME", itoa(hold), "QUEUETALKTIME", itoa(talk), "QUEUECOMPLETED", itoa(q.completed),
		"QUEUEABANDONED", itoa(q.abandoned), "QUEUESRVLEVEL", "60", "QUEUESRVLEVELPERF", perf)
}

// setMemberVars sets MEMBER* (setinterfacevar) and QE* (setqueueentryvar).
func (s *Server) setMemberVars(ch *channel, m *member, hold int) {
	s.setVars(ch, "MEMBERINTERFACE", m.iface, "MEMBERNAME", m.name, "MEMBERCALLS", itoa(m.callsTaken),
		"MEMBERLASTCALL", i64(m.lastCall), "MEMBERPENALTY", itoa(m.penalty), "MEMBERDYNAMIC", b2s(m.dynamic),
		"MEMBERREALTIME", "0", "QEHOLDTIME", itoa(hold), "QEORIGINALPOS", "1")
}

func (s *Server) actionQueueStatus(sess *session, req ami.Message) {
	qname, mfilter := req.Get("Queue"), req.Get("Member")
	sess.send(listStart(req, "Queue status will follow")...)
	n := 0
	for _, q := range s.pbx.queues {
		if qname != "" && !strings.EqualFold(q.name, qname) {
			continue
		}
		sess.send(join(hdrs("Event", "QueueParams"), q.params(), actionID(req))...)
		n++
		for _, m := range q.members {
			if mfilter != "" && mfilter != m.iface && mfilter != m.name {
				continue
			}
			sess.send(listItemIDLast(req, "QueueMember", hdrs("Queue", q.name, "Name", m.name, "Location", m.iface,
				"StateInterface", m.stateIface, "Membership", m.membership(), "Penalty", itoa(m.penalty),
				"CallsTaken", itoa(m.callsTaken), "LastCall", i64(m.lastCall), "LastPause", i64(m.lastPause),
				"LoginTime", i64(m.loginTime), "InCall", b2s(m.inCall), "Status", itoa(int(m.status)),
				"Paused", b2s(m.paused), "PausedReason", m.reason, "Wrapuptime", "0")...)...)
			n++
		}
		for i, c := range q.callers {
			ch := c.ch
			sess.send(listItemIDLast(req, "QueueEntry", hdrs("Queue", q.name, "Position", itoa(i+1), "Channel", ch.name,
				"Uniqueid", ch.uniqueid, "CallerIDNum", orPlain(ch.cidNum), "CallerIDName", orPlain(ch.cidName),
				"ConnectedLineNum", orPlain(ch.connNum), "ConnectedLineName", orPlain(ch.connName),
				"Wait", itoa(int(time.Since(c.joined)/time.Second)), "Priority", "0")...)...)
			n++
		}
	}
	sess.send(listComplete(req, "QueueStatusComplete", n)...)
}

func orPlain(v string) string {
	if v == "" {
		return "unknown"
	}
	return v
}

func (s *Server) actionQueueSummary(sess *session, req ami.Message) {
	qname := req.Get("Queue")
	sess.send(listStart(req, "Queue summary will follow")...)
	n := 0
	for _, q := range s.pbx.queues {
		if qname != "" && !strings.EqualFold(q.name, qname) {
			continue
		}
		logged, avail := 0, 0
		for _, m := range q.members {
			if m.status != devUnavailable && m.status != devInvalid {
				logged++
				if m.available() {
					avail++
				}
			}
		}
		longest := 0
		if len(q.callers) > 0 {
			longest = int(time.Since(q.callers[0].joined) / time.Second)
		}
		hold, talk, _ := q.averages()
		sess.send(listItemIDLast(req, "QueueSummary", hdrs("Queue", q.name, "LoggedIn", itoa(logged),
			"Available", itoa(avail), "Callers", itoa(len(q.callers)), "HoldTime", itoa(hold),
			"TalkTime", itoa(talk), "LongestHoldTime", itoa(longest))...)...)
		n++
	}
	sess.send(listComplete(req, "QueueSummaryComplete", n)...)
}

func (s *Server) actionQueuePause(sess *session, req ami.Message) {
	iface, pausedStr := req.Get("Interface"), req.Get("Paused")
	if iface == "" || pausedStr == "" {
		sess.send(response(req, "Error", "Need 'Interface' and 'Paused' parameters.")...)
		return
	}
	paused := astTrue(pausedStr)
	if err := s.pauseMember(req.Get("Queue"), iface, paused, req.Get("Reason")); err != nil {
		sess.send(response(req, "Error", "Interface not found")...)
		return
	}
	msg := "Interface unpaused successfully"
	if paused {
		msg = "Interface paused successfully"
	}
	sess.send(response(req, "Success", msg)...)
}

// pauseMember pauses or unpauses iface in one queue or, with qname "", in
// every queue it is in; one QueueMemberPause per queue. Caller holds s.mu.
func (s *Server) pauseMember(qname, iface string, paused bool, reason string) error {
	var hits []*queue
	for _, q := range s.pbx.queues {
		if (qname == "" || strings.EqualFold(q.name, qname)) && q.member(iface) != nil {
			hits = append(hits, q)
		}
	}
	if len(hits) == 0 {
		return errNotFound
	}
	for _, q := range hits {
		m := q.member(iface)
		was := m.paused
		m.paused, m.reason = paused, reason
		if paused {
			m.lastPause = time.Now().Unix()
		}
		if was != paused {
			s.pauseDeviceChanged(q, m.iface, paused)
		}
		s.memberEvent("QueueMemberPause", q, m)
		if !paused {
			m.reason = ""
		}
		s.queueAvailChanged(q, true)
		s.kickQueue(q)
	}
	return nil
}

// pauseDevice names app_queue's pause device state of a member (Asterisk
// 16+), for hints on a pause key: INUSE while paused, else NOT_INUSE.
func pauseDevice(q *queue, iface string) string { return "Queue:" + q.name + "_pause_" + iface }

// pauseDeviceChanged publishes a member's pause device state, as app_queue
// does when it adds, pauses, unpauses or removes one (NOT_INUSE): only on a
// change, like every device state, so a member added unpaused publishes
// nothing the second time (ami-10). Caller holds s.mu.
func (s *Server) pauseDeviceChanged(q *queue, iface string, paused bool) {
	state := devNotInUse
	if paused {
		state = devInUse
	}
	dev := pauseDevice(q, iface)
	if old, ok := s.pbx.pauseDevs[dev]; ok && old == state {
		return
	}
	s.pbx.pauseDevs[dev] = state
	s.emit(classCall, "DeviceStateChange", hdrs("Device", dev, "State", state.String())...)
}

func (s *Server) actionQueueAdd(sess *session, req ami.Message) {
	qname, iface := req.Get("Queue"), req.Get("Interface")
	if qname == "" {
		sess.send(response(req, "Error", "'Queue' not specified.")...)
		return
	}
	if iface == "" {
		sess.send(response(req, "Error", "'Interface' not specified.")...)
		return
	}
	q := s.findQueue(qname)
	switch {
	case q == nil:
		sess.send(response(req, "Error", "Unable to add interface to queue: No such queue")...)
		return
	case q.member(iface) != nil:
		sess.send(response(req, "Error", "Unable to add interface: Already there")...)
		return
	}
	penalty, _ := strconv.Atoi(req.Get("Penalty"))
	m := &member{iface: iface, name: cmp.Or(req.Get("MemberName"), iface), stateIface: cmp.Or(req.Get("StateInterface"), iface),
		penalty: max(penalty, 0), dynamic: true, paused: astTrue(req.Get("Paused")), loginTime: time.Now().Unix()}
	m.status = s.memberDevState(m)
	q.add(m)
	s.pauseDeviceChanged(q, iface, m.paused)
	sess.send(response(req, "Success", "Added interface to queue")...)
	s.memberEvent("QueueMemberAdded", q, m)
	s.queueAvailChanged(q, true)
	s.kickQueue(q)
}

func (s *Server) actionQueueRemove(sess *session, req ami.Message) {
	qname, iface := req.Get("Queue"), req.Get("Interface")
	if qname == "" || iface == "" {
		sess.send(response(req, "Error", "Need 'Queue' and 'Interface' parameters.")...)
		return
	}
	q := s.findQueue(qname)
	if q == nil {
		sess.send(response(req, "Error", "Unable to remove interface from queue: No such queue")...)
		return
	}
	m := q.member(iface)
	switch {
	case m == nil:
		sess.send(response(req, "Error", "Unable to remove interface: Not there")...)
		return
	case !m.dynamic:
		sess.send(response(req, "Error", "Member not dynamic")...)
		return
	}
	for i, x := range q.members {
		if x == m {
			q.members = append(q.members[:i], q.members[i+1:]...)
			break
		}
	}
	sess.send(response(req, "Success", "Removed interface from queue")...)
	s.memberEvent("QueueMemberRemoved", q, m)
	s.pauseDeviceChanged(q, iface, false)
	s.queueAvailChanged(q, true)
}

// astTrue is ast_true: yes, true, y, t, 1, on.
func astTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "y", "t", "1", "on":
		return true
	}
	return false
}
