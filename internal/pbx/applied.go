package pbx

import (
	"context"
	"sync"
	"sync/atomic"
)

// applied is how far the model has applied the client's events, by their
// ami.Event.Seq. A command waits on it after Asterisk answers (up to the
// answer's Result.Seq), so that when it returns the model holds every
// event Asterisk wrote before its answer: a late QueueMemberPause of the
// member just removed, say, can no longer bring it back into the model
// after the command has taken it out.
type applied struct {
	seq     atomic.Uint64
	waiting atomic.Int64 // len(waiters), read without the lock

	mu      sync.Mutex
	waiters []*appliedWaiter
}

type appliedWaiter struct {
	seq  uint64
	done chan struct{}
}

// advance records that the events up to seq are applied. Only the
// model's goroutine calls it; with nobody waiting it takes no lock.
func (a *applied) advance(seq uint64) {
	if seq <= a.seq.Load() {
		return
	}
	a.seq.Store(seq)
	if a.waiting.Load() > 0 {
		a.release(seq)
	}
}

// release wakes the waiters for events up to seq.
func (a *applied) release(seq uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	kept := a.waiters[:0]
	for _, w := range a.waiters {
		if w.seq <= seq {
			close(w.done)
		} else {
			kept = append(kept, w)
		}
	}
	clear(a.waiters[len(kept):])
	a.waiters = kept
	a.waiting.Store(int64(len(kept)))
}

// wait returns once the events up to seq are applied, or ctx ends (the
// command is done all the same; the model only lags behind).
func (a *applied) wait(ctx context.Context, seq uint64) {
	if a.seq.Load() >= seq {
		return
	}
	w := &appliedWaiter{seq: seq, done: make(chan struct{})}
	a.mu.Lock()
	a.waiters = append(a.waiters, w)
	a.waiting.Store(int64(len(a.waiters)))
	a.mu.Unlock()
	a.release(a.seq.Load()) // advance may have passed seq before it saw w
	select {
	case <-w.done:
	case <-ctx.Done():
		a.mu.Lock()
		defer a.mu.Unlock()
		for i, x := range a.waiters {
			if x == w {
				a.waiters = append(a.waiters[:i], a.waiters[i+1:]...)
				a.waiting.Store(int64(len(a.waiters)))
				break
			}
		}
	}
}
