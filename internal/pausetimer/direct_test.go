package pausetimer

import (
	"testing"

	"github.com/coocenter/coocenterd/internal/pbx"
)

func phoneCall(exten, callUID, linkedid string, answered, placed bool, queue string) pbx.ExtensionCallEnded {
	return pbx.ExtensionCallEnded{Exten: exten, Interface: "SIP/" + exten, CallUniqueid: callUID,
		Channel:  pbx.Channel{Name: "SIP/" + exten + "-00000001", Uniqueid: "leg-" + exten, Linkedid: linkedid},
		Answered: answered, Placed: placed, Queue: queue}
}

// TestAfterWhichCalls: [pausetime] after decides which calls of a queue
// member start a wrap-up; a queue's call is always AgentCompleted's.
func TestAfterWhichCalls(t *testing.T) {
	answered := phoneCall("801", "c1", "c1", true, false, "")
	placed := phoneCall("801", "leg-801", "leg-801", false, true, "")
	fromQueue := phoneCall("801", "c1", "c1", true, false, "630")
	notMember := phoneCall("803", "c1", "c1", true, false, "")
	for _, tc := range []struct {
		after After
		ev    pbx.ExtensionCallEnded
		want  bool
	}{
		{"", answered, true}, // the default: the original's rule
		{AfterAnswered, answered, true},
		{AfterAnswered, placed, false},
		{AfterAnswered, fromQueue, false},
		{AfterAnswered, notMember, false},
		{AfterQueue, answered, false},
		{AfterQueue, placed, false},
		{AfterAll, answered, true},
		{AfterAll, placed, true},
		{AfterAll, fromQueue, false},
		{AfterAll, phoneCall("801", "c1", "c1", false, false, ""), false},
	} {
		h := newHarness(t, Options{Enabled: true, After: tc.after})
		h.send(tc.ev)
		if got := len(h.pbx.callList()) > 0; got != tc.want {
			t.Errorf("after=%q %+v: paused %v, want %v", tc.after, tc.ev, got, tc.want)
		}
		h.close()
	}
	h := newHarness(t, Options{Enabled: false})
	h.send(answered)
	h.wantCalls()
}

// TestDirectCallWrapUp: an agent who answered a direct call is paused in
// all its queues and unpaused on time; the wrap-up's pushes name the call
// (as the cdr push does, and its Linkedid); no record waits for it and no
// pause length is kept for one.
func TestDirectCallWrapUp(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.send(phoneCall("801", "1796223761.5", "1796223761.5", true, false, ""))
	h.wantCalls(pause("801"))
	h.at(29)
	h.wantCalls(pause("801"))
	h.at(30)
	h.wantCalls(pause("801"), unpause("801"))
	h.wantKinds("start", "end:timer")
	ws := h.wrapUpList()
	if end := ws[len(ws)-1]; end.Uniqueid != "1796223761.5" || end.Linkedid != "1796223761.5" || end.Pause != 30e9 {
		t.Errorf("wrapupend %+v: want the call 1796223761.5 and a 30 s pause", end)
	}
	h.wantRecords()
	h.barrier()
	if n := len(h.timer.ended); n != 0 {
		t.Errorf("%d pause lengths kept for records that never come", n)
	}
}

// TestQueueCallTransferredToAgent: 801 answers queue call q1 and transfers
// it to 802, who answers: 802's wrap-up follows the same call as a direct
// one, and the queue call's record still gets 801's pause, not held for
// 802's.
func TestQueueCallTransferredToAgent(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.send(completed("801", "q1"))
	h.at(5)
	h.send(phoneCall("802", "q1", "q1", true, false, ""))
	h.wantCalls(pause("801"), pause("802"))
	h.at(30)
	h.send(callEnded("801", "q1"))
	h.wantRecords(rec("q1", 30))
	h.at(35)
	h.wantCalls(pause("801"), pause("802"), unpause("801"), unpause("802"))
	h.wantRecords(rec("q1", 30))
}
