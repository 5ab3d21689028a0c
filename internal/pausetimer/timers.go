package pausetimer

import "time"

// The Timer's clock timers. Each has a key; setting a key again replaces
// its timer, and a firing whose generation is no longer the key's is
// stale (it raced with a replacement or a stop).
type timerKind int

const (
	untilTimer timerKind = iota // a running wrap-up is due
	retryTimer                  // retry a failed pause or unpause
	deferTimer                  // a deferred wrap-up waited DeferMax
	waitTimer                   // a held record waited JoinWait for its AgentCompleted
)

type timerKey struct {
	kind timerKind
	id   string // extension, or queue call Uniqueid for waitTimer
}

type armedTimer struct {
	gen  uint64
	stop func() bool
}

type firing struct {
	key timerKey
	gen uint64
	at  time.Time // when it was due
}

// setTimer arms key to fire at at (at once if past).
func (t *Timer) setTimer(key timerKey, at time.Time) {
	t.stopTimer(key)
	t.gen++
	gen := t.gen
	// The firing happens at at, or now if that is past: its work is timed
	// so, whenever the goroutine comes to it.
	if now := t.now(); at.Before(now) {
		at = now
	}
	stop := t.clock.AfterFunc(max(at.Sub(t.clock.Now()), 0), func() {
		t.post(item{fire: &firing{key: key, gen: gen, at: at}})
	})
	t.timers[key] = armedTimer{gen: gen, stop: stop}
}

func (t *Timer) stopTimer(key timerKey) {
	if a, ok := t.timers[key]; ok {
		a.stop()
		delete(t.timers, key)
	}
}

func (t *Timer) stopTimers() {
	for key := range t.timers {
		t.stopTimer(key)
	}
}

func (t *Timer) fired(f firing) {
	if a, ok := t.timers[f.key]; !ok || a.gen != f.gen {
		return
	}
	delete(t.timers, f.key)
	switch f.key.kind {
	case untilTimer:
		t.due(f.key.id)
	case retryTimer:
		t.retry(f.key.id)
	case deferTimer:
		t.deferOver(f.key.id)
	case waitTimer:
		t.waitOver(f.key.id)
	}
}

// backoff returns the delay before retrying w's next PauseMember.
func (t *Timer) backoff(w *wrapUp) time.Duration {
	d := t.opts.RetryMin
	for i := 1; i < w.attempts && d < t.opts.RetryMax; i++ {
		d *= 2
	}
	return min(d, t.opts.RetryMax)
}
