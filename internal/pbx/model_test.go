package pbx

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// TestStartAndStop: New starts nothing, so Close without Start returns at
// once; a receiver subscribed after Start is refused, as it would miss
// events; the model's goroutine ends with Start's context, and Close then
// returns. leak_test.go checks that nothing is left running.
func TestStartAndStop(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	client := ami.Connect(context.Background(), ami.Config{Addr: "127.0.0.1:1", Username: "coocenter", Secret: "x",
		Logger: log, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	defer client.Close()
	New(client, Options{Logger: log}).Close()

	p := New(client, Options{Logger: log})
	p.Subscribe(func(Event) {})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.Start(ctx)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Subscribe after Start was taken")
			}
		}()
		p.Subscribe(func(Event) {})
	}()
	cancel()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the model still runs after its context ended")
	}
	p.Close()
}

// TestPauseMemberBeforeSync: before the first sync the model knows no
// member; PauseMember says Asterisk is not connected, which the pause
// timer retries, rather than "not a member", which it takes as final.
// Nothing is sent: the model has no AMI client.
func TestPauseMemberBeforeSync(t *testing.T) {
	p := bareModel()
	err := p.PauseMember(context.Background(), "", "801", true, "after-call")
	if !errors.Is(err, ErrNotConnected) {
		t.Fatalf("PauseMember before the first sync: %v, want ErrNotConnected", err)
	}
	p.synced = true
	republish(p)
	err = p.PauseMember(context.Background(), "", "801", true, "after-call")
	if errors.Is(err, ErrNotConnected) || err == nil {
		t.Fatalf("PauseMember of no member once synced: %v, want it refused as such", err)
	}
}

// TestAppliersTable: the table is keyed as apply looks it up.
func TestAppliersTable(t *testing.T) {
	for name, f := range appliers {
		if name != strings.ToLower(name) || f == nil {
			t.Errorf("appliers[%q]: want a lower-case name and an applier", name)
		}
	}
}

// TestIgnoredEventPublishesNothing: an event the model does not follow
// and that names no channel changes nothing, not even the Snapshot's
// Version; one that names a channel refreshes its snapshot, in a new
// Snapshot, and leaves the one readers hold as it was.
func TestIgnoredEventPublishesNothing(t *testing.T) {
	p := bareModel()
	p.st.channels["1.1"] = &Channel{Name: "SIP/801-00000001", Uniqueid: "1.1", State: 4}
	republish(p)
	before := p.Snapshot()
	p.apply(msg("Event", "SuccessfulAuth", "Service", "AMI", "AccountID", "coocenter"))
	if p.Snapshot() != before {
		t.Fatal("an ignored event published a new Snapshot")
	}
	p.apply(msg("Event", "Newstate", "Channel", "SIP/801-00000001", "ChannelState", "6", "ChannelStateDesc", "Up", "Uniqueid", "1.1"))
	after := p.Snapshot()
	if c := after.Channels; len(c) != 1 || c[0].State != 6 || after.Version <= before.Version {
		t.Errorf("channels after Newstate: %+v (version %d after %d), want 1.1 Up", c[0], after.Version, before.Version)
	}
	if c := before.Channels; len(c) != 1 || c[0].State != 4 {
		t.Errorf("the Snapshot a reader held changed: %+v", c[0])
	}
}
