package pbx

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestChangedClosesOnPublish: every caller gets the same channel until
// the model publishes a new Snapshot, which closes it; the next caller
// gets a fresh one. An event that publishes nothing closes nothing, and
// while no one asks the model makes no channel.
func TestChangedClosesOnPublish(t *testing.T) {
	p := bareModel()
	p.apply(msg("Event", "Newchannel", "Channel", "SIP/801-00000001", "Uniqueid", "1.1", "ChannelState", "4"))
	if p.changed.Load() != nil {
		t.Fatal("a channel was made with nobody waiting")
	}
	ch := p.Changed()
	if p.Changed() != ch {
		t.Fatal("two callers before a change got different channels")
	}
	p.apply(msg("Event", "SuccessfulAuth", "Service", "AMI", "AccountID", "coocenter"))
	if isClosed(ch) {
		t.Fatal("closed by an event that published nothing")
	}
	before := p.Snapshot().Version
	p.apply(msg("Event", "Newstate", "Channel", "SIP/801-00000001", "Uniqueid", "1.1", "ChannelState", "6"))
	if !isClosed(ch) {
		t.Fatal("not closed by a new Snapshot")
	}
	if v := p.Snapshot().Version; v <= before {
		t.Fatalf("closed, but the Snapshot is version %d still", v)
	}
	next := p.Changed()
	if next == ch || isClosed(next) {
		t.Fatal("after a change Changed returned the closed channel")
	}
	p.connected = false
	p.pub.changed |= connectionChanged
	p.flush()
	if !isClosed(next) {
		t.Fatal("not closed when the connection's state was published")
	}
}

// TestChangedReadersMissNothing: readers that take Changed, then the
// Snapshot, then wait, see every change the model publishes while it
// applies events on its own goroutine: each reaches the last Version and
// none waits on. Run with -race.
func TestChangedReadersMissNothing(t *testing.T) {
	p := bareModel()
	p.apply(msg("Event", "Newchannel", "Channel", "SIP/801-00000001", "Uniqueid", "1.1", "ChannelState", "4"))
	const events, readers = 2000, 4
	final := p.Snapshot().Version + events // each Newstate below changes the channel
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := uint64(0)
			for {
				changed := p.Changed()
				snap := p.Snapshot()
				if snap.Version < last {
					errs <- fmt.Errorf("version %d after %d", snap.Version, last)
					return
				}
				if last = snap.Version; last == final {
					return
				}
				select {
				case <-changed:
				case <-time.After(5 * time.Second):
					errs <- fmt.Errorf("no change seen after version %d of %d", last, final)
					return
				}
			}
		}()
	}
	for i := range events {
		p.apply(msg("Event", "Newstate", "Channel", "SIP/801-00000001", "Uniqueid", "1.1", "ChannelState", fmt.Sprint(5+i%2)))
	}
	if v := p.Snapshot().Version; v != final {
		t.Fatalf("the model ended at version %d, want %d", v, final)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
