package pbx_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/pbxsim"
)

// slowQueues are pbxsim's fast timings but for the queues: a caller waits
// a minute and a member rings for one, so that a test sees both as they
// are.
func slowQueues() pbxsim.Timing {
	t := pbxsim.FastTiming()
	t.QueueMaxWait, t.QueueTimeout = time.Minute, time.Minute
	return t
}

// modelOn connects a model to sim, its domain events going to also, and
// waits until it has synced.
func modelOn(t *testing.T, sim *pbxsim.Server, also ...func(pbx.Event)) (*pbx.PBX, *ami.Client) {
	t.Helper()
	client := ami.Connect(context.Background(), ami.Config{Addr: sim.Addr(), Username: "coocenter", Secret: "coocenter-secret",
		Logger: slog.New(slog.DiscardHandler), MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	t.Cleanup(func() { client.Close() })
	model := pbx.New(client, pbx.Options{Logger: slog.New(slog.DiscardHandler)})
	for _, f := range also {
		model.Subscribe(f)
	}
	model.Start(context.Background())
	t.Cleanup(model.Close)
	waitUntil(t, "the model synced", model.Connected)
	return model, client
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func waiting(m *pbx.PBX, queue string) []pbx.Waiting {
	for _, q := range m.Queues() {
		if q.Name == queue {
			return q.Waiting
		}
	}
	return nil
}

func channelNamed(m *pbx.PBX, name string) (pbx.Channel, bool) {
	for _, c := range m.Channels() {
		if c.Name == name {
			return c, true
		}
	}
	return pbx.Channel{}, false
}

// TestWaitingCallersResync: callers waiting in a queue (632, nobody logged
// in) are in the model that saw them join, and in one that connects
// afterwards, which reads them from QueueStatus's QueueEntry list: the
// same callers in the same order, each joined its Wait before the load.
// A model that resyncs keeps the join time it saw. The caller's channel
// names its queue either way.
func TestWaitingCallersResync(t *testing.T) {
	sim, err := pbxsim.Start(pbxsim.Options{Timing: slowQueues()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var syncs atomic.Int32
	live, _ := modelOn(t, sim, func(e pbx.Event) {
		if _, ok := e.(pbx.Synced); ok {
			syncs.Add(1)
		}
	})
	first, err := sim.InboundCall("0501000001", "632")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the first caller waiting", func() bool { return len(waiting(live, "632")) == 1 })
	time.Sleep(1500 * time.Millisecond) // a Wait of 1 s, for QueueStatus
	second, err := sim.InboundCall("0501000002", "632")
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "both callers waiting", func() bool { return len(waiting(live, "632")) == 2 })
	seen := waiting(live, "632")
	for i, number := range []string{"0501000001", "0501000002"} {
		w := seen[i]
		if w.Position != i+1 || w.CallerIDNum != number || w.CallerIDName == "" || w.Uniqueid == "" || w.Linkedid == "" ||
			time.Since(w.Since) > 3*time.Second {
			t.Errorf("caller %d waits as %+v", i+1, w)
		}
	}
	for _, ch := range []string{first, second} {
		if c, ok := channelNamed(live, ch); !ok || c.Queue != "632" {
			t.Errorf("caller %s: %+v, want Queue 632", ch, c)
		}
	}

	loaded, _ := modelOn(t, sim)
	got := waiting(loaded, "632")
	if len(got) != 2 {
		t.Fatalf("the model that connected later has %+v waiting, want the 2 of %+v", got, seen)
	}
	for i, w := range got {
		s := seen[i]
		// Wait is whole seconds, the load's time taken before QueueStatus.
		if d := w.Since.Sub(s.Since); d < -250*time.Millisecond || d > 1100*time.Millisecond {
			t.Errorf("caller %d loaded with Since %v, it joined at %v", i+1, w.Since, s.Since)
		}
		w.Since = s.Since
		if w != s {
			t.Errorf("caller %d loaded as %+v, seen as %+v", i+1, w, s)
		}
	}
	if c, ok := channelNamed(loaded, first); !ok || c.Queue != "632" {
		t.Errorf("loaded caller %s: %+v, want Queue 632", first, c)
	}

	// The live model reconnects and resyncs: the join times stand.
	synced := syncs.Load()
	sim.DropConnections()
	waitUntil(t, "the live model synced again", func() bool { return syncs.Load() > synced })
	if again := waiting(live, "632"); fmt.Sprint(again) != fmt.Sprint(seen) {
		t.Errorf("after a resync %+v wait, want %+v", again, seen)
	}

	// The first caller hangs up: the second moves up, in both models.
	if err := sim.Hangup(first, 16); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*pbx.PBX{"live": live, "loaded": loaded} {
		waitUntil(t, name+" model: one caller left", func() bool {
			ws := waiting(m, "632")
			return len(ws) == 1 && ws[0].Position == 1 && ws[0].CallerIDNum == "0501000002"
		})
	}
}

// TestQueueLegsNameTheirQueue: the caller's channel and the member's leg
// that app_queue rings name the queue, ringing and answered. A resync
// keeps it on the channels the model had.
func TestQueueLegsNameTheirQueue(t *testing.T) {
	sim, err := pbxsim.Start(pbxsim.Options{Registered: []string{"804"}, Timing: slowQueues()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var syncs atomic.Int32
	model, _ := modelOn(t, sim, func(e pbx.Event) {
		if _, ok := e.(pbx.Synced); ok {
			syncs.Add(1)
		}
	})
	caller, err := sim.InboundCall("0501000003", "632")
	if err != nil {
		t.Fatal(err)
	}
	var leg pbx.Channel
	waitUntil(t, "804 rung", func() bool {
		for _, c := range model.Channels() {
			if strings.HasPrefix(c.Name, "SIP/804-") {
				leg = c
				return c.Queue != ""
			}
		}
		return false
	})
	if leg.Queue != "632" {
		t.Errorf("804's leg while it rings: Queue %q, want 632", leg.Queue)
	}
	if err := sim.Answer(leg.Name); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "804's leg answered", func() bool {
		c, ok := channelNamed(model, leg.Name)
		return ok && c.State == 6
	})
	if c, _ := channelNamed(model, leg.Name); c.Queue != "632" {
		t.Errorf("804's leg talking: Queue %q, want 632", c.Queue)
	}
	if c, ok := channelNamed(model, caller); !ok || c.Queue != "632" {
		t.Errorf("the caller talking: %+v, want Queue 632", c)
	}

	synced := syncs.Load()
	sim.DropConnections()
	waitUntil(t, "the model synced again", func() bool { return syncs.Load() > synced })
	if c, ok := channelNamed(model, leg.Name); !ok || c.Queue != "632" {
		t.Errorf("804's leg after a resync: %+v", c)
	}
	if c, ok := channelNamed(model, caller); !ok || c.Queue != "632" {
		t.Errorf("the caller after a resync: %+v", c)
	}
}
