package pbxsim

import (
	"slices"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// queueCaller is a channel inside app_queue.
type queueCaller struct {
	softHungup bool // hung up by AMI Hangup, not by the caller
	ch         *channel
	q          *queue
	joined     time.Time
	expire     time.Time // the caller's wait ends (Queue's timeout argument)
	pos        int
	legs       []*queueLeg
	ringLoop   bool // members are being rung right now
	retrying   bool
	connected  *queueLeg
	connAt     time.Time
	// goOn is Queue's c option: when the agent hangs up, the caller goes
	// on in the dialplan (QUEUESTATUS CONTINUE) instead of being hung up.
	goOn bool
	done func() // the dialplan after Queue()
}

// queueLeg is one member being rung.
type queueLeg struct {
	m        *member
	ch       *channel // the phone channel or the Local ;1
	answered bool
	started  time.Time
}

func (qc *queueCaller) hold() int { return int(time.Since(qc.joined) / time.Second) }

// holdTalk are a connected call's whole seconds in the queue and talking.
func (qc *queueCaller) holdTalk() (hold, talk int) {
	return int(qc.connAt.Sub(qc.joined) / time.Second), int(time.Since(qc.connAt) / time.Second)
}

// expired: the caller's wait is over. app_queue looks at it between ring
// attempts and after each retry pause, not in the middle of a pause.
func (qc *queueCaller) expired() bool { return !time.Now().Before(qc.expire) }

// enterQueue is Queue(<q>,<options>,,,<QueueMaxWait>) for ch; next runs
// when Queue returns. Options: r, the caller hears ringing (no event),
// else music on hold; c, see queueCaller.goOn.
func (s *Server) enterQueue(ch *channel, q *queue, options string, next func()) {
	if q == nil {
		next()
		return
	}
	s.setVars(ch, "ANSWEREDTIME", "", "ANSWEREDTIME_MS", "", "DIALEDTIME", "", "DIALEDTIME_MS", "", "QUEUEWAIT", "", "QUEUEWAIT_MS", "")
	now := time.Now()
	qc := &queueCaller{ch: ch, q: q, joined: now, expire: now.Add(s.opts.Timing.QueueMaxWait), pos: len(q.callers) + 1,
		goOn: strings.Contains(options, "c"), done: next}
	q.callers = append(q.callers, qc)
	ch.qc = qc
	s.queueCallsChanged(q)
	s.chanEvent(classAgent, "QueueCallerJoin", ch, hdrs("Queue", q.name, "Position", itoa(qc.pos), "Count", itoa(len(q.callers)))...)
	if !strings.Contains(options, "r") {
		s.mohStart(ch) // ami-18
	}
	ch.role, ch.call = roleQueueCaller, qc
	s.queueTry(qc)
}

// kickQueue makes waiting callers of q try the members again, soon (not
// from inside the state change that made a member available).
func (s *Server) kickQueue(q *queue) {
	if len(q.callers) == 0 {
		return
	}
	s.after(0, func() {
		for _, qc := range append([]*queueCaller(nil), q.callers...) {
			s.queueTry(qc)
		}
	})
}

// queueTry rings every available member (strategy ringall), last listed
// first: app_queue's try_calling walks the members in QueueStatus order
// but prepends each attempt to its outgoing list, so queue 630 rings 800
// before 801 (ami-03) although QueueStatus lists 801 first (ami-01).
func (s *Server) queueTry(qc *queueCaller) {
	if qc.ch.gone || qc.connected != nil || len(qc.legs) > 0 || qc.ringLoop {
		return
	}
	if qc.expired() {
		s.queueTimeout(qc)
		return
	}
	qc.ringLoop = true
	for _, m := range slices.Backward(qc.q.members) {
		if m.available() && !qc.ch.gone {
			qc.legs = append(qc.legs, s.queueRing(qc, m))
		}
	}
	qc.ringLoop = false
	var win *queueLeg
	for _, l := range qc.legs {
		if l.answered {
			win = l // several answered at once: the last rung wins, as recorded
		}
	}
	if win != nil {
		s.queueConnect(qc, win)
		return
	}
	if len(qc.legs) == 0 {
		s.queueRetry(qc)
	}
}

func (s *Server) queueRetry(qc *queueCaller) {
	if qc.retrying {
		return
	}
	qc.retrying = true
	s.later(qc.ch, s.opts.Timing.QueueRetry, func() {
		qc.retrying = false
		if qc.expired() {
			s.queueTimeout(qc)
			return
		}
		s.queueTry(qc)
	})
}

// queueRing calls one member: AgentCalled and DialBegin on the caller.
func (s *Server) queueRing(qc *queueCaller, m *member) *queueLeg {
	caller := qc.ch
	leg := &queueLeg{m: m, started: time.Now()}
	m.ringing = true
	t, err := s.parseTarget(m.iface)
	if err != nil || (t.dev == nil && t.tech != "Local") {
		t = dialTarget{tech: "Local", exten: m.iface, context: "invalid"}
	}
	if t.tech == "Local" {
		one, two := s.newLocalPair(t.exten, t.context, caller, assignedIDs{})
		one.dialed = true
		leg.ch = one
		s.newexten(one, 1, "AppQueue", "(Outgoing Line)")
		s.setCallerID(one, caller.cidNum, caller.cidName)
		peerNum := t.exten + "@" + t.context + "/n"
		s.setVar(one, "DIALEDPEERNUMBER", peerNum)
		s.setVar(two, "DIALEDPEERNUMBER", peerNum)
		two.connNum, two.connName = caller.cidNum, caller.cidName
		s.setCallerID(two, caller.cidNum, caller.cidName)
		s.setConnected(two, caller.cidNum, caller.cidName)
		s.localBridgeEvent(one, two, false)
		s.agentEvent("AgentCalled", qc, leg)
		s.queueLegRole(qc, leg)
		s.runDialplan(two)
		if !one.gone {
			s.dialEvent("DialBegin", caller, one, "DialString", m.iface)
		}
	} else {
		ch := s.newPhoneChannel(t.dev, caller, "")
		leg.ch = ch
		s.inheritVars(caller, ch)
		s.setVar(ch, "DIALEDPEERNUMBER", m.iface)
		if s.opts.ArmAgents { // the armed test dialplan's Queue(...,tb(coocenter-agent^s^1))
			s.agentSub(ch)
		}
		s.agentEvent("AgentCalled", qc, leg)
		s.dialEvent("DialBegin", caller, ch, "DialString", m.iface)
		s.queueLegRole(qc, leg)
		s.ringPhone(ch)
		s.newexten(ch, 1, "AppQueue", "(Outgoing Line)")
		s.setConnected(ch, caller.cidNum, caller.cidName)
		s.dialEvent("DialState", caller, ch, "DialStatus", "RINGING")
	}
	// A member rings for the queue's timeout, or until the caller's wait
	// ends if that comes first (try_calling).
	ring := min(s.opts.Timing.QueueTimeout, max(time.Until(qc.expire), 0))
	s.later(leg.ch, ring, func() { s.queueRingTimeout(qc) })
	return leg
}

// queueLegRole makes leg's channel a member leg of qc (roleQueueLeg).
func (s *Server) queueLegRole(qc *queueCaller, leg *queueLeg) {
	leg.ch.role, leg.ch.call, leg.ch.leg = roleQueueLeg, qc, leg
}

// queueLegProgress is what a member's channel tells the queue: busy, or
// answered (the call goes to it once the ring loop is over). Once the
// caller is connected, nothing counts.
func (s *Server) queueLegProgress(qc *queueCaller, leg *queueLeg, p progress) {
	switch {
	case qc.connected != nil:
	case p == progBusy:
		s.queueLegFailed(qc, leg, "BUSY", 17)
	case p == progAnswer:
		leg.answered = true
		if !qc.ringLoop {
			s.queueConnect(qc, leg)
		}
	}
}

// queueLegHangup: a ringing member's channel hangs up or refuses.
func (s *Server) queueLegHangup(qc *queueCaller, leg *queueLeg, cause int, requested bool) {
	if requested {
		s.hangupRequested(leg.ch, cause)
	}
	status := "NOANSWER"
	if cause == 17 || cause == 21 {
		status = "BUSY"
	}
	s.queueLegFailed(qc, leg, status, cause)
}

// queueLegFailed ends one ringing member: it refused or hung up.
func (s *Server) queueLegFailed(qc *queueCaller, leg *queueLeg, status string, cause int) {
	if qc.connected != nil || !s.dropLeg(qc, leg) {
		return
	}
	s.dialEvent("DialEnd", qc.ch, leg.ch, "DialStatus", status)
	leg.m.ringing = false
	s.noAnswerCDR(qc, leg)
	if !leg.ch.gone {
		leg.ch.epoch++
		s.destroy(leg.ch, cause)
	}
	s.queueAttemptOver(qc)
}

// queueRingTimeout ends a ring attempt nobody answered: every member
// still ringing gets AgentRingNoAnswer, then DialEnd NOANSWER
// (wait_for_answer), then DialEnd CANCEL as app_queue hangs them up
// (hangupcalls; ami-15).
func (s *Server) queueRingTimeout(qc *queueCaller) {
	if qc.connected != nil || len(qc.legs) == 0 {
		return
	}
	for _, l := range qc.legs {
		s.agentEvent("AgentRingNoAnswer", qc, l, "RingTime", itoa(int(time.Since(l.started)/time.Millisecond)))
	}
	for _, l := range qc.legs {
		s.dialEvent("DialEnd", qc.ch, l.ch, "DialStatus", "NOANSWER")
	}
	s.cancelLegs(qc, nil, false)
	s.queueAttemptOver(qc)
}

// queueAttemptOver: once no member of an attempt rings any more, the
// caller's wait is over or the queue pauses for retry.
func (s *Server) queueAttemptOver(qc *queueCaller) {
	switch {
	case len(qc.legs) > 0 || qc.ch.gone:
	case qc.expired():
		s.queueTimeout(qc)
	default:
		s.queueRetry(qc)
	}
}

func (s *Server) dropLeg(qc *queueCaller, leg *queueLeg) bool {
	for i, l := range qc.legs {
		if l == leg {
			qc.legs = append(qc.legs[:i], qc.legs[i+1:]...)
			return true
		}
	}
	return false
}

// cancelLegs hangs up every member still ringing (DialEnd CANCEL, from
// hangupcalls). When the caller went (callerLeft), wait_for_answer has
// published DialEnd CANCEL for each already (ami-16).
func (s *Server) cancelLegs(qc *queueCaller, except *queueLeg, callerLeft bool) {
	for _, l := range qc.legs {
		if l == except {
			continue
		}
		s.dialEvent("DialEnd", qc.ch, l.ch, "DialStatus", "CANCEL")
		if l.answered || callerLeft {
			s.dialEvent("DialEnd", qc.ch, l.ch, "DialStatus", "CANCEL")
		}
		l.m.ringing = false
		s.noAnswerCDR(qc, l)
		if !l.ch.gone {
			l.ch.epoch++
			s.destroy(l.ch, 26)
			if l.ch.half == 1 {
				s.chanEvent(classCall, "NewConnectedLine", l.ch)
			}
		}
	}
	qc.legs = nil
	if except != nil {
		qc.legs = []*queueLeg{except}
	}
}

// noAnswerCDR records a member that was rung but did not get the call.
func (s *Server) noAnswerCDR(qc *queueCaller, leg *queueLeg) {
	c := qc.ch
	c.cdrs = append(c.cdrs, &cdrRecord{dst: c.exten, dstContext: c.context, dstChannel: leg.ch.name,
		lastApp: "Queue", lastData: c.appData, start: qc.joined, disposition: "NO ANSWER"})
	c.cdrPending = true
}

// agentEvent publishes AgentCalled / AgentRingNoAnswer / AgentConnect /
// AgentComplete: caller snapshot, Dest snapshot, queue and member.
// agentEvent publishes a queue event about the caller and one member's
// leg. After an AMI Hangup of the caller, app_queue's AgentComplete has no
// Dest* snapshot: the member's leg is gone by then (ami-08); after a
// caller's own hangup it has (ami-03, ami-06). After the agent's hangup it
// has it too (ami-22), mostly: app_queue builds it in its own thread from
// the snapshot cache, and in ami-13 the agent's channel was gone first.
func (s *Server) agentEvent(name string, qc *queueCaller, leg *queueLeg, extra ...string) {
	var dest []ami.Header
	if !qc.softHungup {
		dest = leg.ch.snapshot("Dest")
	}
	s.emit(classAgent, name, join(qc.ch.snapshot(""), dest,
		hdrs("Queue", qc.q.name, "Interface", leg.m.iface, "MemberName", leg.m.name), hdrs(extra...))...)
}
