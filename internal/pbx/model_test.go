package pbx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/ami/transcript"
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

// TestSnapshotFollowsState: after every event of every recorded stream
// (the lab's transcripts and the test bed's recordings of Asterisk 20 and
// 22), the published Snapshot holds exactly the model's working state:
// publish copies only the channels the appliers touched and rebuilds only
// the sections they marked, so an applier that changed something behind
// its back would show here.
func TestSnapshotFollowsState(t *testing.T) {
	files, _ := filepath.Glob("../ami/testdata/*.txt")
	more, _ := filepath.Glob("../ami/testdata/asterisk*/*.txt")
	files = append(files, more...)
	if len(files) < 40 {
		t.Fatalf("only %d transcripts found", len(files))
	}
	for _, file := range files {
		entries, err := transcript.ReadFile(file)
		if err != nil {
			continue // not a transcript (raw streams)
		}
		p := bareModel()
		for i, e := range entries {
			if e.Dir != transcript.ServerToClient || !e.Msg.IsEvent() || e.Msg.ActionID() != "" {
				continue
			}
			p.apply(e.Msg)
			if err := snapshotMatches(p); err != nil {
				t.Fatalf("%s, entry %d (%s): %v", file, i, e.Msg.Event(), err)
			}
		}
	}
}

func snapshotMatches(p *PBX) error {
	snap := p.Snapshot()
	if len(snap.Channels) != len(p.st.channels) {
		return fmt.Errorf("%d channels published, %d in the model", len(snap.Channels), len(p.st.channels))
	}
	for i, c := range snap.Channels {
		if live := p.st.channels[c.Uniqueid]; live == nil || *live != *c {
			return fmt.Errorf("channel %s published as %+v, the model has %+v", c.Uniqueid, *c, live)
		}
		if i > 0 && snap.Channels[i-1].Created.After(c.Created) {
			return fmt.Errorf("channels out of order at %d", i)
		}
	}
	peers, _ := sortedPeers(p.st.peers)
	queues := sortedQueues(p.st.queues)
	switch {
	case !reflect.DeepEqual(peers, snap.Peers):
		return fmt.Errorf("peers published %+v, the model has %+v", snap.Peers, peers)
	case !reflect.DeepEqual(queues, snap.Queues):
		return fmt.Errorf("queues published %+v, the model has %+v", snap.Queues, queues)
	case !reflect.DeepEqual(sortedHints(p.st.hints, queues), snap.Hints):
		return fmt.Errorf("hints published %+v, the model has %+v", snap.Hints, p.st.hints)
	}
	return nil
}
