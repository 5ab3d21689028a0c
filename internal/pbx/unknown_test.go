package pbx_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/pbxsim"
)

// TestNoChanSIP: on an Asterisk without chan_sip (21+), SIPpeers is an
// unknown action that costs a RequestBadFormat security event each time
// (seen on Asterisk 22.9.0). The model asks once per connection, however
// often it resyncs, and again after a reconnect; PJSIP phones load as ever.
func TestNoChanSIP(t *testing.T) {
	sim, err := pbxsim.Start(pbxsim.Options{NoChanSIP: true, Registered: []string{"900"}, Timing: pbxsim.FastTiming()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	client := ami.Connect(context.Background(), ami.Config{Addr: sim.Addr(), Username: "coocenter", Secret: "coocenter-secret",
		Logger: slog.New(slog.DiscardHandler), MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	t.Cleanup(func() { client.Close() })
	var badRequests atomic.Int32
	sub := client.Subscribe(0)
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		for e := range sub.C() {
			if e.Kind == ami.AMIEvent && e.Msg.Event() == "RequestBadFormat" {
				badRequests.Add(1)
			}
		}
	}()
	t.Cleanup(func() { sub.Unsubscribe(); <-counted })
	model := pbx.New(client, pbx.Options{Logger: slog.New(slog.DiscardHandler), ResyncInterval: 20 * time.Millisecond})
	model.Start(context.Background())
	t.Cleanup(model.Close)

	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	registered := func() bool {
		for _, p := range model.Peers() {
			if p.Name == "900" && p.Tech == pbx.PJSIP && p.Addr != "-none-" {
				return true
			}
		}
		return false
	}
	waitUntil("the model synced with PJSIP/900 registered", func() bool { return model.Connected() && registered() })
	time.Sleep(300 * time.Millisecond) // about 15 resyncs
	if n := badRequests.Load(); n != 1 {
		t.Fatalf("%d RequestBadFormat on one connection, want 1", n)
	}
	// The drop is watched on the client: the model may be synced again
	// before a poll sees it disconnected.
	drops := client.Subscribe(0)
	defer drops.Unsubscribe()
	sim.DropConnections()
	for dropped := false; !dropped; {
		select {
		case e := <-drops.C():
			dropped = e.Kind == ami.Disconnected
		case <-time.After(5 * time.Second):
			t.Fatal("timed out waiting for the drop")
		}
	}
	waitUntil("the model synced again", model.Connected)
	waitUntil("SIPpeers asked again after the reconnect", func() bool { return badRequests.Load() == 2 })
	time.Sleep(100 * time.Millisecond)
	if n := badRequests.Load(); n != 2 {
		t.Fatalf("%d RequestBadFormat over two connections, want 2", n)
	}
}
