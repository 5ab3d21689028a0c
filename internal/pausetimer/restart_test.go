package pausetimer

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// TestDaemonRestart: what was under way survives a restart of coocenterd.
// An overdue pause ends at Open (pauseTime counts the downtime: the member
// stayed paused), the others resume with the time they had left.
func TestDaemonRestart(t *testing.T) {
	tests := []struct {
		name string
		run  func(h *harness)
		want []record
		// wantKinds: the wrap-up ends, and the other events after the restart.
		wantKinds []string
		wantCalls []pauseCall
	}{
		{"overdue at open", func(h *harness) {
			h.send(completed("801", "c1"))
			h.at(3)
			h.send(callEnded("801", "c1"))
			h.restart(10, 50)
			h.wantRecords(rec("c1", 50)) // at Open, no event needed
		}, []record{rec("c1", 50)}, []string{"end:restart"}, []pauseCall{pause("801"), unpause("801")}},

		{"resumes", func(h *harness) {
			h.send(completed("801", "c1"))
			h.restart(10, 20)
			h.wantCalls(pause("801"))
			h.at(25)
			h.send(callEnded("801", "c1"))
			h.at(29)
			h.wantRecords()
			h.at(30)
		}, []record{rec("c1", 30)}, []string{"end:timer"}, []pauseCall{pause("801"), unpause("801")}},

		{"pause length kept for a late record", func(h *harness) {
			h.send(completed("801", "c1"))
			h.at(12)
			h.send(h.pbx.agent("", "801", false, "")...)
			h.restart(13, 20)
			h.send(callEnded("801", "c1"))
		}, []record{rec("c1", 12)}, []string{"end:agent"}, []pauseCall{pause("801")}},

		{"record waiting for its AgentCompleted", func(h *harness) {
			h.send(callEnded("801", "c1"))
			h.restart(2, 3)
			h.at(4)
			h.wantRecords()
			h.at(5)
		}, []record{rec("c1", 0)}, nil, nil},

		{"deferred", func(h *harness) {
			h.send(h.pbx.setHint("801", 1))
			h.send(completed("801", "c1"), callEnded("801", "c1"))
			h.restart(10, 20)
			if a := h.timer.Active(); len(a) != 1 || a[0].Kind != "deferred" {
				h.t.Errorf("Active() after restart = %+v, want 801 deferred", a)
			}
			h.send(pbx.Synced{}) // still busy
			h.wantCalls()
			h.at(25)
			h.send(h.pbx.setHint("801", 0))
			h.at(55)
		}, []record{rec("c1", 30)}, []string{"start", "end:timer"}, []pauseCall{pause("801"), unpause("801")}},

		{"unpause pending", func(h *harness) {
			h.send(completed("801", "c1"), callEnded("801", "c1"))
			h.pbx.setDown(true)
			h.at(30) // the unpause fails
			h.restart(31, 40)
			h.wantRecords()
			h.pbx.setDown(false)
			h.send(pbx.Synced{})
		}, []record{rec("c1", 40)}, []string{"end:timer"}, []pauseCall{pause("801"),
			{Exten: "801", Failed: true}, {Exten: "801", Failed: true}, // at 30 and 31
			{Exten: "801", Failed: true}, // at Open
			unpause("801")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{Enabled: true})
			tt.run(h)
			h.wantRecords(tt.want...)
			h.wantCalls(tt.wantCalls...)
			var kinds []string
			for _, w := range h.wrapUpList() {
				if w.Kind == "end" {
					kinds = append(kinds, "end:"+w.Ended)
				} else if w.Start.After(h.sec(10)) {
					kinds = append(kinds, w.Kind)
				}
			}
			if !slices.Equal(kinds, tt.wantKinds) {
				t.Errorf("wrap-up events after the restart = %q, want %q", kinds, tt.wantKinds)
			}
			if a := h.timer.Active(); len(a) != 0 {
				t.Errorf("Active() = %+v at the end", a)
			}
		})
	}
}

// TestAsteriskRestart: Synced re-applies the pause Asterisk forgot; the
// timer keeps its time.
func TestAsteriskRestart(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.send(completed("801", "c1"), callEnded("801", "c1"))
	h.at(10)
	h.pbx.forget()
	h.at(12)
	h.send(pbx.Synced{})
	h.wantCalls(pause("801"), pause("801"))
	if got := h.pbx.paused("801"); len(got) != 2 {
		t.Errorf("801 paused in %v after Synced, want 630 and 631", got)
	}
	h.at(30)
	h.wantRecords(rec("c1", 30))
	h.wantKinds("start", "end:timer")
}

// TestTakenOverWhileDisconnected: a member found paused for another reason
// at Synced was taken over by the agent: no re-pause, no unpause.
func TestTakenOverWhileDisconnected(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.send(completed("801", "c1"), callEnded("801", "c1"))
	h.at(10)
	h.pbx.agent("", "801", true, "lunch") // its events were lost
	h.send(pbx.Synced{})
	h.at(60)
	h.wantCalls(pause("801"))
	h.wantRecords(rec("c1", 10))
	h.wantKinds("start", "end:agent")
}

// TestRetry: a pause or unpause Asterisk refuses is retried with backoff
// (1 s, 2 s, 4 s, ... at most RetryMax) and at once on Synced.
func TestRetry(t *testing.T) {
	h := newHarness(t, Options{Enabled: true, RetryMax: 4 * time.Second})
	failed := func(paused bool) pauseCall { return pauseCall{Exten: "801", Paused: paused, Failed: true} }
	h.pbx.setDown(true)
	h.send(completed("801", "c1"), callEnded("801", "c1"))
	h.wantKinds("start") // the timer runs all the same
	h.at(2)              // retries at 1 (fails) and 3
	h.pbx.setDown(false)
	h.at(3)
	h.wantCalls(failed(true), failed(true), pause("801"))
	if got := h.pbx.paused("801"); len(got) != 2 {
		t.Errorf("801 paused in %v after the retry", got)
	}

	h.at(29)
	h.pbx.setDown(true)
	h.at(42) // unpause at 30, retries at 31, 33, 37, 41 (RetryMax 4 s)
	h.wantCalls(failed(true), failed(true), pause("801"),
		failed(false), failed(false), failed(false), failed(false), failed(false))
	h.wantRecords()
	h.pbx.setDown(false)
	h.send(pbx.Synced{}) // reconnected: at once, not at 45
	h.wantRecords(rec("c1", 42))
	h.at(60)
	h.wantKinds("start", "end:timer")
	if n := len(h.pbx.callList()); n != 9 {
		t.Errorf("%d PauseMember calls, want 9", n)
	}
}

// TestMemberGone: an agent who left every queue during the pause ends it
// (no retries for ever); one who left before it gets none.
func TestMemberGone(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.send(completed("801", "c1"), callEnded("801", "c1"))
	h.pbx.mu.Lock()
	h.pbx.queues = h.pbx.queues[:0]
	h.pbx.mu.Unlock()
	h.at(30)
	h.wantRecords(rec("c1", 30))
	h.wantKinds("start", "end:timer")
	h.send(completed("802", "c2"), callEnded("802", "c2"))
	h.wantRecords(rec("c1", 30), rec("c2", 0))
}

// TestWriteBeforeAct: the wrap-up is on disk before Asterisk is asked to
// pause, in the documented layout.
func TestWriteBeforeAct(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	var stored wrapUp
	h.pbx.onCall = func(c pauseCall) {
		if !c.Paused {
			return
		}
		err := h.db.View(func(tx *bbolt.Tx) error {
			v := tx.Bucket([]byte("pausetimer")).Bucket([]byte("wrapups")).Get([]byte("801"))
			return json.Unmarshal(v, &stored)
		})
		if err != nil {
			t.Errorf("reading the stored wrap-up: %v", err)
		}
	}
	h.send(completed("801", "c1"))
	if stored.Phase != running || !stored.Until.Equal(h.sec(30)) || len(stored.Calls) != 1 || stored.Calls[0].Uniqueid != "c1" {
		t.Errorf("stored before the pause: %+v", stored)
	}
}
