package pbxsim

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// The agent verbs' part of the shipped dialplan (extensions_coocenter.conf):
// [coocenter-agent], run by Dial's b() option on the callee; [coocenter-xfer]
// where an attended transfer's target goes (atxfer.go); [coocenter-webcall]
// where a webcall's customer leg goes once it answered. [coocenter-hold]
// is in dynhold.go. As recorded on 22.9.0.

// agentSub is b(coocenter-agent^s^1) on ch before Dial calls it: a
// pre-dial Gosub publishes no Newexten Gosub, only LOCAL(ARGC)=0, the
// subroutine's priorities and the Return; ch's snapshot stays at the
// Return (DialBegin shows DestContext coocenter-agent, DestPriority 3).
func (s *Server) agentSub(ch *channel) {
	f := &gosubFrame{context: ch.context, exten: ch.exten, prio: ch.prio}
	s.setLocal(ch, f, "ARGC", "0")
	ch.gotoExten("coocenter-agent", "s")
	ch.subDepth++
	feats, _ := ch.varValue("DYNAMIC_FEATURES")
	armed := slices.Contains(strings.Split(feats, "#"), "coocenter-hold")
	s.newexten(ch, 1, "GotoIf", gotoIf(armed, "armed"))
	if !armed {
		v := "coocenter-hold"
		if feats != "" {
			v = feats + "#" + v
		}
		s.newexten(ch, 2, "Set", "DYNAMIC_FEATURES="+v)
		s.setVar(ch, "DYNAMIC_FEATURES", v)
	}
	s.newexten(ch, 3, "Return", "")
	for _, name := range f.locals {
		s.unsetVar(ch, name)
	}
	s.setVar(ch, "GOSUB_RETVAL", "")
	ch.subDepth--
}

// planXfer is [coocenter-xfer] 0: Goto(${COOCENTER_XFER_CONTEXT},
// ${COOCENTER_XFER_DST},1).
func (s *Server) planXfer(ch *channel) {
	ctx, _ := ch.varValue("COOCENTER_XFER_CONTEXT")
	dst, _ := ch.varValue("COOCENTER_XFER_DST")
	s.newexten(ch, 1, "Goto", ctx+","+dst+",1")
	ch.gotoExten(ctx, dst)
	s.runDialplan(ch)
}

// planWebcall is [coocenter-webcall] s: the caller ID the agent sees, then
// Dial of COOCENTER_WEBCALL_DIAL or Queue of COOCENTER_WEBCALL_QUEUE, each
// with tb(coocenter-agent^s^1), for COOCENTER_WEBCALL_TIMEOUT seconds.
func (s *Server) planWebcall(ch *channel) {
	cid, _ := ch.varValue("COOCENTER_WEBCALL_CID")
	queue, _ := ch.varValue("COOCENTER_WEBCALL_QUEUE")
	dial, _ := ch.varValue("COOCENTER_WEBCALL_DIAL")
	secs, _ := ch.varValue("COOCENTER_WEBCALL_TIMEOUT")
	s.newexten(ch, 1, "Set", "CALLERID(num)="+cid)
	num := ch.cidNum
	s.newexten(ch, 2, "Set", "CALLERID(name)="+cid)
	if num != cid || ch.cidName != cid {
		s.setCallerID(ch, cid, cid)
	}
	s.newexten(ch, 3, "GotoIf", gotoIf(queue != "", "queue"))
	ch.role = roleDialplan
	n, _ := strconv.Atoi(secs)
	timeout := time.Duration(float64(n) * s.opts.Timing.WaitScale * float64(time.Second))
	if queue == "" {
		s.newexten(ch, 4, "Dial", dial+","+secs+",tb(coocenter-agent^s^1)")
		s.dialWith(ch, dial, timeout, true, func() { s.dialplanHangup(ch, 5) })
		return
	}
	s.newexten(ch, 6, "Queue", queue+",tb(coocenter-agent^s^1),,,"+secs)
	if ch.state != stateUp {
		s.setState(ch, stateUp)
	}
	s.enterQueue(ch, s.findQueue(queue), "tb", func() { s.dialplanHangup(ch, 7) })
}
