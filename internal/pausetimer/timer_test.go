package pausetimer

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// TestAutoPause: the agent is paused in all its queues when its queue call
// ends and unpaused 30 s later; the cc_cdr, which ended meanwhile, waits
// for it and says 30. Our own pause and unpause, echoed by Asterisk, end
// nothing.
func TestAutoPause(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.send(completed("801", "c1"))
	h.wantCalls(pause("801"))
	if got := h.pbx.paused("801"); !maps.Equal(got, map[string]string{"630": "after-call", "631": "after-call"}) {
		t.Errorf("801 paused in %v, want 630 and 631 with reason after-call", got)
	}
	active := h.timer.Active()
	if len(active) != 1 || active[0].Kind != "running" || !active[0].Until.Equal(h.sec(30)) ||
		!slices.Equal(active[0].Queues, []string{"630", "631"}) || !slices.Equal(active[0].Calls, []string{"c1"}) {
		t.Errorf("Active() = %+v, want 801 running until +30s in 630, 631", active)
	}

	h.at(2)
	h.send(callEnded("801", "c1"))
	h.at(29)
	h.wantRecords()
	h.wantCalls(pause("801"))

	h.at(30)
	h.wantCalls(pause("801"), unpause("801"))
	h.wantRecords(rec("c1", 30))
	h.wantKinds("start", "end:timer")
	if ws := h.wrapUpList(); len(ws) == 2 && (ws[1].Pause != 30*time.Second || !ws[1].End.Equal(h.sec(30)) || ws[1].Uniqueid != "c1") {
		t.Errorf("end = %+v, want a 30 s pause of c1 ending at +30s", ws[1])
	}
	if got := h.pbx.paused("801"); len(got) != 0 {
		t.Errorf("801 still paused in %v", got)
	}
	if got := h.timer.Active(); len(got) != 0 {
		t.Errorf("Active() = %+v after the end", got)
	}
	h.at(120)
	h.wantKinds("start", "end:timer")
}

// TestAgentEndsEarly: whoever unpauses the member (phone, API) ends the
// wrap-up; pauseTime is the real length and no unpause of ours follows —
// except in the queues the agent left paused by us. A pause for another
// reason takes the wrap-up over: it ends and the member stays paused.
func TestAgentEndsEarly(t *testing.T) {
	tests := []struct {
		name      string
		by        func(f *fakePBX) []pbx.Event
		wantCalls []pauseCall
		wantPause map[string]string
	}{
		{"unpaused everywhere", func(f *fakePBX) []pbx.Event { return f.agent("", "801", false, "") },
			[]pauseCall{pause("801")}, map[string]string{}},
		{"unpaused in one queue", func(f *fakePBX) []pbx.Event { return f.agent("630", "801", false, "") },
			[]pauseCall{pause("801"), {Queue: "631", Exten: "801"}}, map[string]string{}},
		{"paused for lunch", func(f *fakePBX) []pbx.Event { return f.agent("", "801", true, "lunch") },
			[]pauseCall{pause("801")}, map[string]string{"630": "lunch", "631": "lunch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{Enabled: true})
			h.send(completed("801", "c1"))
			h.at(12)
			h.send(tt.by(h.pbx)...)
			h.wantKinds("start", "end:agent")
			h.at(60)
			h.send(callEnded("801", "c1"))
			h.wantRecords(rec("c1", 12))
			h.wantCalls(tt.wantCalls...)
			if got := h.pbx.paused("801"); !maps.Equal(got, tt.wantPause) {
				t.Errorf("801 paused in %v, want %v", got, tt.wantPause)
			}
		})
	}
}

// TestLeftoverPause: a member paused with our reason but no wrap-up of
// ours behind it (lost state) gets a wrap-up like any other.
func TestLeftoverPause(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.pbx.agent("", "801", true, DefaultReason)
	h.send(completed("801", "c1"), callEnded("801", "c1"))
	h.at(30)
	h.wantCalls(pause("801"), unpause("801"))
	h.wantRecords(rec("c1", 30))
}

// TestBusyAgent: an agent still on another call (in use, busy, ringing,
// on hold) gets its pause when its hint is free; an unavailable one at
// once.
func TestBusyAgent(t *testing.T) {
	for _, status := range []int{1, 2, 8, 16, 9, 4} {
		t.Run(pbxStatus(status), func(t *testing.T) {
			h := newHarness(t, Options{Enabled: true})
			h.send(h.pbx.setHint("801", status))
			h.send(completed("801", "c1"), callEnded("801", "c1"))
			if status == 4 {
				h.wantCalls(pause("801"))
				return
			}
			h.wantCalls()
			if a := h.timer.Active(); len(a) != 1 || a[0].Kind != "deferred" {
				t.Errorf("Active() = %+v, want 801 deferred", a)
			}
			h.at(40)
			h.send(h.pbx.setHint("802", 1), h.pbx.setHint("801", status|16)) // still busy
			h.wantCalls()
			h.send(h.pbx.setHint("801", 0))
			h.wantCalls(pause("801"))
			h.wantKinds("start")
			if ws := h.wrapUpList(); !ws[0].Start.Equal(h.sec(40)) || !ws[0].Until.Equal(h.sec(70)) {
				t.Errorf("start = %+v, want from +40s to +70s", ws[0])
			}
			h.at(70)
			h.wantRecords(rec("c1", 30))
		})
	}
}

func pbxStatus(s int) string {
	return map[int]string{1: "in use", 2: "busy", 8: "ringing", 16: "on hold", 9: "in use and ringing", 4: "unavailable"}[s]
}

// TestBusyTooLong: a deferred wrap-up is given up after DeferMax.
func TestBusyTooLong(t *testing.T) {
	h := newHarness(t, Options{Enabled: true, DeferMax: time.Hour})
	h.send(h.pbx.setHint("801", 1))
	h.send(completed("801", "c1"), callEnded("801", "c1"))
	h.at(3599)
	h.wantRecords()
	h.at(3600)
	h.wantRecords(rec("c1", 0))
	h.send(h.pbx.setHint("801", 0))
	h.wantCalls()
	h.wantKinds()
}

// TestBackToBack: a second call of the agent ending during its pause
// restarts the timer; each call's pause runs from its own end.
func TestBackToBack(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.send(completed("801", "c1"))
	h.at(10)
	h.send(completed("801", "c2"), callEnded("801", "c1"), callEnded("801", "c2"))
	h.at(39)
	h.wantRecords()
	h.at(40)
	h.wantCalls(pause("801"), pause("801"), unpause("801"))
	h.wantRecords(rec("c1", 40), rec("c2", 30))
	h.wantKinds("start", "extend", "end:timer")
	if ws := h.wrapUpList(); ws[1].Uniqueid != "c2" || !ws[1].Until.Equal(h.sec(40)) || !slices.Equal(ws[2].Calls, []string{"c1", "c2"}) {
		t.Errorf("wrap-up events = %+v", ws)
	}
}

// TestTwoAgents: two agents finishing at once are independent.
func TestTwoAgents(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.send(completed("801", "c1"), completed("802", "c2"), callEnded("801", "c1"), callEnded("802", "c2"))
	if a := h.timer.Active(); len(a) != 2 || a[0].Exten != "801" || a[1].Exten != "802" {
		t.Errorf("Active() = %+v, want 801 and 802", a)
	}
	h.at(5)
	h.send(h.pbx.agent("", "802", false, "")...)
	h.wantRecords(rec("c2", 5))
	h.at(30)
	h.wantRecords(rec("c2", 5), rec("c1", 30))
	h.wantCalls(pause("801"), pause("802"), unpause("801"))
}

// TestStaleUnpause: an unpause that happened before our pause was sent
// (still queued when it was) does not end the wrap-up.
func TestStaleUnpause(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	release := h.hold()
	h.timer.Handle(completed("801", "c1"))
	h.timer.Handle(pbx.MemberPaused{Queue: "630", Interface: "SIP/801", Exten: "801"})
	release()
	h.wantKinds("start")
	h.at(30)
	h.wantKinds("start", "end:timer")
}

// TestLateUnpauseEcho: before Asterisk 18 the echo of our unpause has no
// reason. When it reaches us only after the next wrap-up's pause, the
// model already shows that pause, and the echo ends nothing. An unpause
// that really comes after our pause still ends the wrap-up.
func TestLateUnpauseEcho(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.send(completed("801", "c1"))
	h.at(30)
	h.send(completed("801", "c2"))
	h.send(pbx.MemberPaused{Queue: "630", Interface: "SIP/801", Exten: "801"}) // the unpause at +30s, echoed late
	h.wantKinds("start", "end:timer", "start")
	h.at(40)
	h.send(h.pbx.agent("630", "801", false, "")...)
	h.wantKinds("start", "end:timer", "start", "end:agent")
	h.wantCalls(pause("801"), unpause("801"), pause("801"), pauseCall{Queue: "631", Exten: "801"})
	if got := h.pbx.paused("801"); len(got) != 0 {
		t.Errorf("801 still paused in %v", got)
	}
}
