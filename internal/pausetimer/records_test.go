package pausetimer

import (
	"testing"
	"time"
)

// TestNoWrapUp: no pause, and the record goes out at once with 0, when the
// feature is off, the agent was paused already, nobody answered, or the
// agent is in no queue.
func TestNoWrapUp(t *testing.T) {
	tests := []struct {
		name    string
		enabled bool
		paused  string // reason 801 is paused with before the call; "-" not paused
		exten   string
		agent   string // QueueCall.Agent
	}{
		{"disabled", false, "-", "801", "801"},
		{"paused for lunch", true, "lunch", "801", "801"},
		{"paused without reason", true, "", "801", "801"},
		{"no agent answered", true, "-", "", ""},
		{"in no queue", true, "-", "803", "803"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{Enabled: tt.enabled})
			if tt.paused != "-" {
				h.pbx.agent("", "801", true, tt.paused)
			}
			if tt.exten != "" {
				h.send(completed(tt.exten, "c1"))
			}
			call := callEnded(tt.agent, "c1")
			h.send(call)
			h.wantRecords(rec("c1", 0))
			h.wantCalls()
			h.wantKinds()
			if tt.paused != "-" {
				if got := h.pbx.paused("801"); got["630"] != tt.paused || got["631"] != tt.paused {
					t.Errorf("801 paused in %v, want its own pause untouched", got)
				}
			}
		})
	}
}

// TestQueueCallEndedFirst: a record that comes before its AgentCompleted
// waits for it up to JoinWait, then goes out with 0.
func TestQueueCallEndedFirst(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.send(callEnded("801", "c1"))
	h.at(1)
	h.send(completed("801", "c1"))
	h.wantRecords()
	h.at(31)
	h.wantRecords(rec("c1", 30))

	h.send(callEnded("802", "c2"))
	h.at(35)
	h.wantRecords(rec("c1", 30))
	h.at(36)
	h.wantRecords(rec("c1", 30), rec("c2", 0))
	h.wantCalls(pause("801"), unpause("801"))
}

// TestEndedExpire: a pause length no record came for is forgotten after
// KeepEnded; the late record then says 0.
func TestEndedExpire(t *testing.T) {
	h := newHarness(t, Options{Enabled: true, KeepEnded: time.Minute})
	h.send(completed("801", "c1"), completed("802", "c2"))
	h.at(30)
	h.send(callEnded("801", "c1"))
	h.at(90)
	h.barrier()
	h.send(callEnded("802", "c2"))
	h.wantRecords(rec("c1", 30)) // c2 waits for an AgentCompleted as if none had come
	h.at(95)
	h.wantRecords(rec("c1", 30), rec("c2", 0))
}
