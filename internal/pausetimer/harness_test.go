package pausetimer

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/clock"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// record is one OnRecord call.
type record struct {
	Uniqueid string
	Pause    time.Duration
}

// harness runs a Timer on a fake PBX and a fake clock and collects what it
// reports.
type harness struct {
	t     *testing.T
	clock *clock.Manual
	pbx   *fakePBX
	path  string
	db    *bbolt.DB
	timer *Timer
	opts  Options
	t0    time.Time

	mu      sync.Mutex
	records []record
	wrapups []WrapUp
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	h := &harness{t: t, clock: clock.NewManual(t0), pbx: newFakePBX(), t0: t0,
		path: filepath.Join(t.TempDir(), "coocenterd.db")}
	opts.Clock = h.clock
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.OnRecord = func(c pbx.QueueCall, pause time.Duration) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.records = append(h.records, record{c.Uniqueid, pause})
	}
	opts.OnWrapUp = func(w WrapUp) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.wrapups = append(h.wrapups, w)
	}
	h.opts = opts
	h.open()
	t.Cleanup(h.close)
	return h
}

func (h *harness) open() {
	h.t.Helper()
	db := testkit.OpenDB(h.t, h.path)
	h.db = db
	tm, err := Open(db, h.pbx, h.opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.pbx.mu.Lock()
	h.pbx.echo = tm.Handle
	h.pbx.mu.Unlock()
	h.timer = tm
	h.settle()
}

func (h *harness) close() {
	if h.timer != nil {
		h.timer.Close()
		h.timer = nil
		h.db.Close()
	}
}

// restart closes the Timer (and the database) at closeAt, seconds after
// t0, and opens them again at openAt.
func (h *harness) restart(closeAt, openAt int) {
	h.t.Helper()
	h.at(closeAt)
	h.close()
	h.clock.Set(h.t0.Add(time.Duration(openAt) * time.Second))
	h.open()
}

// barrier returns once the Timer has processed everything posted so far.
func (h *harness) barrier() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.timer.call(ctx, func() error { return nil }); err != nil {
		h.t.Fatalf("waiting for the timer's goroutine: %v", err)
	}
}

// settle processes everything posted and every timer due now.
func (h *harness) settle() {
	h.t.Helper()
	for range 1000 {
		h.barrier()
		if h.clock.FireDue() == 0 {
			return
		}
	}
	h.t.Fatal("timers keep firing")
}

// at moves the clock to sec seconds after t0, stopping at each timer due
// on the way.
func (h *harness) at(sec int) {
	h.t.Helper()
	target := h.t0.Add(time.Duration(sec) * time.Second)
	for range 1000 {
		next, ok := h.clock.Next()
		if !ok || next.After(target) {
			break
		}
		if next.After(h.clock.Now()) {
			h.clock.Set(next)
		}
		h.settle()
	}
	h.clock.Set(target)
	h.settle()
}

// hold stops the Timer's goroutine until the returned func is called.
func (h *harness) hold() (release func()) {
	gate, held := make(chan struct{}), make(chan struct{})
	h.timer.post(item{do: func() { close(held); <-gate }})
	<-held
	return func() { close(gate); h.settle() }
}

func (h *harness) send(evs ...pbx.Event) {
	h.t.Helper()
	for _, e := range evs {
		h.timer.Handle(e)
	}
	h.settle()
}

func (h *harness) recordList() []record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.records)
}

func (h *harness) wrapUpList() []WrapUp {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.wrapups)
}

// wantRecords checks every OnRecord so far: uniqueid → pause in seconds.
func (h *harness) wantRecords(want ...record) {
	h.t.Helper()
	if got := h.recordList(); !slices.Equal(got, want) {
		h.t.Errorf("records = %v, want %v", got, want)
	}
}

// wantCalls checks every PauseMember call so far.
func (h *harness) wantCalls(want ...pauseCall) {
	h.t.Helper()
	if got := h.pbx.callList(); !slices.Equal(got, want) {
		h.t.Errorf("PauseMember calls = %v, want %v", got, want)
	}
}

// wantKinds checks the kinds of every OnWrapUp so far ("end:timer" for ends).
func (h *harness) wantKinds(want ...string) {
	h.t.Helper()
	var got []string
	for _, w := range h.wrapUpList() {
		k := w.Kind
		if k == "end" {
			k += ":" + w.Ended
		}
		got = append(got, k)
	}
	if !slices.Equal(got, want) {
		h.t.Errorf("wrap-up events = %q, want %q", got, want)
	}
}

func (h *harness) sec(n int) time.Time { return h.t0.Add(time.Duration(n) * time.Second) }

func rec(uid string, secs int) record { return record{uid, time.Duration(secs) * time.Second} }

func pause(exten string) pauseCall   { return pauseCall{Exten: exten, Paused: true} }
func unpause(exten string) pauseCall { return pauseCall{Exten: exten} }

func completed(exten, uid string) pbx.AgentCompleted {
	return pbx.AgentCompleted{Queue: "630", Interface: "SIP/" + exten, Member: exten, Exten: exten, Uniqueid: uid, Reason: "caller"}
}

func callEnded(exten, uid string) pbx.QueueCallEnded {
	return pbx.QueueCallEnded{Call: pbx.QueueCall{Uniqueid: uid, Queue: "630", Agent: exten, State: "bridged", Caller: "0612345678"}}
}
