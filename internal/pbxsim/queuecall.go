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
	ch.hangup = func(cause int, requested bool) { s.queueAbandon(qc, cause, requested) }
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
		s.queueLegHandlers(qc, leg)
		s.runDialplan(two)
		if !one.gone {
			s.dialEvent("DialBegin", caller, one, "DialString", m.iface)
		}
	} else {
		ch := s.newPhoneChannel(t.dev, caller, "")
		leg.ch = ch
		s.inheritVars(caller, ch)
		s.setVar(ch, "DIALEDPEERNUMBER", m.iface)
		s.agentEvent("AgentCalled", qc, leg)
		s.dialEvent("DialBegin", caller, ch, "DialString", m.iface)
		s.queueLegHandlers(qc, leg)
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

// queueLegHandlers wires a ringing member channel to its queue caller.
func (s *Server) queueLegHandlers(qc *queueCaller, leg *queueLeg) {
	leg.ch.progress = func(p progress) {
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
	leg.ch.hangup = func(cause int, requested bool) {
		if requested {
			s.hangupRequested(leg.ch, cause)
		}
		status := "NOANSWER"
		if cause == 17 || cause == 21 {
			status = "BUSY"
		}
		s.queueLegFailed(qc, leg, status, cause)
	}
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

// leaveQueue takes the caller off the waiting list: QueueCallerLeave,
// then QUEUEPOSITION, its place when it left (leave_queue).
func (s *Server) leaveQueue(qc *queueCaller) {
	q := qc.q
	pos := qc.position()
	q.callers = slices.DeleteFunc(q.callers, func(c *queueCaller) bool { return c == qc })
	s.queueCallsChanged(q)
	s.chanEvent(classAgent, "QueueCallerLeave", qc.ch, hdrs("Queue", q.name, "Position", itoa(pos), "Count", itoa(len(q.callers)))...)
	s.setVar(qc.ch, "QUEUEPOSITION", itoa(pos))
}

// position is the caller's place in its queue now, 1 for the first.
func (qc *queueCaller) position() int {
	return slices.Index(qc.q.callers, qc) + 1
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

// queueAbandon: the caller hangs up, or is hung up by AMI, while it waits.
// wait_for_answer cancels the members, Queue times the wait, records the
// abandon, sets the QUEUE* variables once more and leaves the queue; it
// returns -1, so the dialplan ends (ami-16: 804 ringing; ami-17: nobody
// to ring).
func (s *Server) queueAbandon(qc *queueCaller, cause int, requested bool) {
	ch := qc.ch
	if requested {
		s.hangupRequested(ch, cause)
	}
	s.cancelLegs(qc, nil, true)
	s.queueStopVars(qc)
	s.recordAbandoned(qc)
	s.setQueueVars(ch, qc.q)
	s.leaveQueue(qc)
	ch.qc = nil
	s.endDialplan(ch, cmpCause(cause))
}

// queueTimeout: the caller's wait is over. app_queue counts it as
// abandoned, times the wait, sets the QUEUE* variables once more, leaves
// the queue with QUEUESTATUS TIMEOUT, and the dialplan goes on (ami-15).
func (s *Server) queueTimeout(qc *queueCaller) {
	ch := qc.ch
	s.cancelLegs(qc, nil, false)
	s.recordAbandoned(qc)
	s.queueStopVars(qc)
	s.mohStop(ch)
	s.setQueueVars(ch, qc.q)
	s.leaveQueue(qc)
	ch.qc = nil
	s.setVar(ch, "QUEUESTATUS", "TIMEOUT")
	ch.hangup = func(c int, requested bool) { s.plainHangup(ch, c, requested) }
	qc.done()
}

// recordAbandoned is app_queue's record_abandoned: ABANDONED, the QUEUE*
// variables (counted before this call), QueueCallerAbandon.
func (s *Server) recordAbandoned(qc *queueCaller) {
	s.setVar(qc.ch, "ABANDONED", "TRUE")
	s.setQueueVars(qc.ch, qc.q)
	s.chanEvent(classAgent, "QueueCallerAbandon", qc.ch, hdrs("Queue", qc.q.name, "Position", itoa(qc.position()),
		"OriginalPosition", itoa(qc.pos), "HoldTime", itoa(qc.hold()))...)
	qc.q.abandoned++
}

// queueStopVars are the times Queue sets as it returns (queue_exec's stop:
// label), each only if it is still empty: QUEUEWAIT in whole seconds,
// DIALEDTIME since the channel began, ANSWEREDTIME 0, each with its _MS.
// A caller that leaves unanswered gets all three (ami-15, 16, 17); one
// transferred from a member has its QUEUEWAIT from the connect (ami-19).
func (s *Server) queueStopVars(qc *queueCaller) {
	ch := qc.ch
	for _, v := range []struct {
		name string
		d    time.Duration
	}{
		{"QUEUEWAIT", time.Duration(qc.hold()) * time.Second},
		{"DIALEDTIME", time.Since(ch.created)},
		{"ANSWEREDTIME", 0},
	} {
		if val, _ := ch.varValue(v.name); val == "" {
			s.setDurationVars(ch, v.name, v.d)
		}
	}
}

// queueConnect bridges the caller with the member that answered.
func (s *Server) queueConnect(qc *queueCaller, win *queueLeg) {
	caller, q, m := qc.ch, qc.q, win.m
	qc.connected, qc.connAt = win, time.Now()
	caller.epoch++
	win.ch.epoch++
	hold := qc.hold()
	if win.ch.half == 1 {
		s.upLocalOne(win.ch)
		s.newexten(win.ch, 1, "AppQueue", "(Outgoing Line)")
		s.setConnected(win.ch, caller.cidNum, caller.cidName)
	}
	s.dialEvent("DialEnd", caller, win.ch, "DialStatus", "ANSWER")
	s.cancelLegs(qc, win, false)
	m.ringing = false
	if win.ch.dev != nil {
		s.setConnected(caller, win.ch.cidNum, win.ch.cidName)
		if caller.half == 2 {
			caller.other.cidDirty = true
		}
	}
	s.mohStop(caller)
	s.setMemberVars(caller, m, hold)
	s.setQueueVars(caller, q)
	s.setMemberVars(win.ch, m, hold)
	s.setQueueVars(win.ch, q)
	s.setVar(caller, "MIXMONITOR_FILENAME", "/var/spool/asterisk/monitor/"+caller.uniqueid+".wav")
	s.chanEvent(classCall, "MixMonitorStart", caller)
	s.leaveQueue(qc)
	ms := int(time.Since(qc.joined) / time.Millisecond)
	s.setVars(caller, "QUEUEWAIT", itoa(hold), "QUEUEWAIT_MS", itoa(ms))
	m.inCall = true
	caller.cdrs = append(caller.cdrs, &cdrRecord{dst: caller.exten, dstContext: caller.context, dstChannel: win.ch.name,
		lastApp: "Queue", lastData: caller.appData, start: qc.joined, answer: qc.connAt, disposition: "ANSWERED"})
	s.agentEvent("AgentConnect", qc, win, "HoldTime", itoa(hold), "RingTime", itoa(int(time.Since(win.started)/time.Second)))
	s.bridgeCall(win.ch, caller)
	s.queueBridgedHandlers(qc, win)
}

func (s *Server) queueBridgedHandlers(qc *queueCaller, win *queueLeg) {
	caller := qc.ch
	caller.hangup = func(cause int, requested bool) {
		if requested {
			s.hangupRequested(caller, cause)
		}
		qc.softHungup = !requested
		win.m.inCall = false
		s.leaveBridge(caller)
		s.queueComplete(qc, "caller")
		s.queueContinue(qc)
		s.chanEvent(classCall, "SoftHangupRequest", caller, hdrs("Cause", "16")...)
		s.destroy(caller, 16)
	}
	caller.kicked = func() {
		if qc.goOn {
			// The agent hung up: with c, Queue returns 0 and the
			// dialplan goes on in a new CDR (ami-22).
			s.queueComplete(qc, "agent")
			s.queueContinue(qc)
			caller.hangup = func(c int, requested bool) { s.plainHangup(caller, c, requested) }
			caller.cdrPending = true
			qc.done()
			return
		}
		// The agent hung up: the bridge hangs the caller up (Queue has no
		// c option here), so Queue returns -1 and the dialplan stops
		// (ami-13, lines 4450-4551: SoftHangupRequest Cause 16, Hangup, no
		// Newexten for the Hangup() after Queue).
		s.queueComplete(qc, "agent")
		s.chanEvent(classCall, "SoftHangupRequest", caller, hdrs("Cause", "16")...)
		s.destroy(caller, 16)
	}
	win.ch.kicked = func() {
		win.ch.epoch++
		s.rtpQoSVars(win.ch)
		s.destroy(win.ch, 16)
	}
	win.ch.hangup = func(cause int, requested bool) {
		if requested && s.sipBye(win.ch, cause) {
			win.m.inCall = false
			s.leaveBridge(win.ch)
			s.destroy(win.ch, cmpCause(cause))
			return
		}
		if requested && win.ch.dev != nil {
			s.hangupRequested(win.ch, cause)
		}
		win.m.inCall = false
		s.leaveBridge(win.ch)
		s.rtpQoSVars(win.ch)
		s.destroy(win.ch, cmpCause(cause))
	}
}

// queueComplete ends a connected queue call: statistics, variables and
// AgentComplete with the side that ended it.
func (s *Server) queueComplete(qc *queueCaller, reason string) {
	q, win, caller := qc.q, qc.connected, qc.ch
	if win == nil || caller.qc == nil {
		return
	}
	s.queueCounted(qc)
	// app_queue sets the QUEUE* variables on both sides of the times
	// (ami-03: QUEUENAME … QUEUESRVLEVELPERF twice around ANSWEREDTIME).
	s.setQueueVars(caller, q)
	s.setDurationVars(caller, "ANSWEREDTIME", time.Since(qc.connAt))
	s.setDurationVars(caller, "DIALEDTIME", time.Since(qc.joined))
	s.setQueueVars(caller, q)
	s.agentComplete(qc, reason)
}

// queueContinue is queue_exec's stop label for a call an agent took,
// with the c option: QUEUESTATUS CONTINUE, whoever hung up (ami-18: the
// caller hung up by AMI; ami-22: the agent hung up).
func (s *Server) queueContinue(qc *queueCaller) {
	if qc.goOn {
		s.setVar(qc.ch, "QUEUESTATUS", "CONTINUE")
	}
}

// queueTransferred: the member blind-transferred the caller. app_queue's
// transfer handler publishes AgentComplete Reason transfer at once; the
// caller leaves the bridge, and Queue returns with its times and the
// QUEUE* variables (ami-19). It returns what follows the bridge.
func (s *Server) queueTransferred(qc *queueCaller) (afterBridge func()) {
	s.queueCounted(qc)
	s.agentComplete(qc, "transfer")
	return func() {
		s.queueStopVars(qc)
		s.setQueueVars(qc.ch, qc.q)
	}
}

// queueCounted ends a connected queue call in the queue's and the member's
// statistics.
func (s *Server) queueCounted(qc *queueCaller) {
	q, m := qc.q, qc.connected.m
	qc.ch.qc = nil
	hold, talk := qc.holdTalk()
	m.inCall = false
	m.callsTaken++
	m.lastCall = time.Now().Unix()
	q.completed++
	q.holdTotal += hold
	q.talkTotal += talk
}

func (s *Server) agentComplete(qc *queueCaller, reason string) {
	hold, talk := qc.holdTalk()
	s.agentEvent("AgentComplete", qc, qc.connected, "HoldTime", itoa(hold), "TalkTime", itoa(talk), "Reason", reason)
}
