package pbxsim

import (
	"slices"
	"time"
)

// How a caller leaves a queue: a member answered (queueConnect, and how
// that call ends), the caller hung up (queueAbandon) or its wait is over
// (queueTimeout).

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
	ch.role = rolePlain
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
	// A member up before app_queue looks (wait_for_answer finds it
	// AST_STATE_UP) gets no DialEnd ANSWER: with the armed dialplan's
	// pre-dial Gosub a Local fake phone answers that fast (recorded on 20
	// and 22, TestGoldenInboundQueueCall).
	if !s.opts.ArmAgents || win.ch.half != 1 {
		s.dialEvent("DialEnd", caller, win.ch, "DialStatus", "ANSWER")
	}
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
	caller.role, win.ch.role = roleQueueCallerBridged, roleQueueMemberBridged
}

// queueCallerHangup: the connected caller hangs up, or is hung up by AMI.
func (s *Server) queueCallerHangup(qc *queueCaller, cause int, requested bool) {
	caller := qc.ch
	if requested {
		s.hangupRequested(caller, cause)
	}
	qc.softHungup = !requested
	qc.connected.m.inCall = false
	s.leaveBridge(caller)
	s.queueComplete(qc, "caller")
	s.queueContinue(qc)
	s.chanEvent(classCall, "SoftHangupRequest", caller, hdrs("Cause", "16")...)
	s.destroy(caller, 16)
}

// queueCallerKicked: the agent hung up, which dissolves the bridge.
func (s *Server) queueCallerKicked(qc *queueCaller) {
	caller := qc.ch
	if qc.goOn {
		// With c, Queue returns 0 and the dialplan goes on in a new CDR
		// (ami-22).
		s.queueComplete(qc, "agent")
		s.queueContinue(qc)
		caller.role = rolePlain
		caller.cdrPending = true
		qc.done()
		return
	}
	// The bridge hangs the caller up (Queue has no c option here), so
	// Queue returns -1 and the dialplan stops (ami-13, lines 4450-4551:
	// SoftHangupRequest Cause 16, Hangup, no Newexten for the Hangup()
	// after Queue).
	s.queueComplete(qc, "agent")
	s.chanEvent(classCall, "SoftHangupRequest", caller, hdrs("Cause", "16")...)
	s.destroy(caller, 16)
}

// queueMemberHangup: the connected member's channel hangs up. A SIP phone's
// BYE brings its RTP statistics first (sipBye).
func (s *Server) queueMemberHangup(win *queueLeg, cause int, requested bool) {
	ch := win.ch
	if requested && s.sipBye(ch, cause) {
		win.m.inCall = false
		s.leaveBridge(ch)
		s.destroy(ch, cmpCause(cause))
		return
	}
	if requested && ch.dev != nil {
		s.hangupRequested(ch, cause)
	}
	win.m.inCall = false
	s.leaveBridge(ch)
	s.rtpQoSVars(ch)
	s.destroy(ch, cmpCause(cause))
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
