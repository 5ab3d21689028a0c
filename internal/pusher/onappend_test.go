package pusher

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/testkit"
)

// tapped collects what OnAppend is given.
type tapped struct {
	mu  sync.Mutex
	evs []Event
}

func (t *tapped) add(ev Event) { t.mu.Lock(); t.evs = append(t.evs, ev); t.mu.Unlock() }

func (t *tapped) ids() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, ev := range t.evs {
		out = append(out, ev.ID)
	}
	return out
}

// TestOnAppendSeesTheOutboxID: the live stream's feed gets every event
// with the id the receivers get as webhook-id, in append order, with a
// receiver or without one; after Close it gets nothing.
func TestOnAppendSeesTheOutboxID(t *testing.T) {
	for _, tc := range []struct {
		name     string
		receiver bool
	}{{"a receiver", true}, {"no receiver", false}} {
		t.Run(tc.name, func(t *testing.T) {
			var tap tapped
			var h *hook
			opts := testOptions(t)
			if tc.receiver {
				h = newHook(t, nil)
				opts = testOptions(t, h.url())
			}
			opts.OnAppend = tap.add
			p := start(t, opts)
			evs := testEvents(2, 3)
			appendAll(t, p, evs)
			got := tap.ids()
			if len(got) != len(evs) {
				t.Fatalf("OnAppend got %d events, want %d", len(got), len(evs))
			}
			for i, ev := range tap.evs {
				if !slices.Equal(ev.Body, evs[i].Body) || len(ev.ID) != len("msg_")+26 {
					t.Errorf("event %d: %s %s, want the body %s with an id", i, ev.ID, ev.Body, evs[i].Body)
				}
			}
			if h != nil {
				testkit.Eventually(t, "the events accepted", 10*time.Second, func() bool { return h.acked() == len(evs) })
				var sent []string
				for _, d := range h.accepted() {
					sent = append(sent, d.ID)
				}
				slices.Sort(sent)
				slices.Sort(got)
				if !slices.Equal(sent, slices.Compact(got)) {
					t.Errorf("webhook-ids %v, OnAppend ids %v", sent, got)
				}
			}
			_ = p.Close()
			if err := p.Append(evs[0]); err == nil {
				t.Error("Append after Close: no error")
			}
			if n := len(tap.ids()); n != len(evs) {
				t.Errorf("OnAppend called after Close: %d events", n)
			}
		})
	}
}
