// Package clock is the time source of the packages that keep time: the
// wall clock in the daemon, a replay's recorded time (internal/ami/amitest)
// or a test's own in tests.
package clock

import (
	"slices"
	"sync"
	"time"
)

// Clock tells the time and runs f once after d unless stop is called
// first; f runs on a goroutine of its own (time.AfterFunc) or, for a
// clock of recorded time, on the one that moves the time on.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// Wall is the real time.
var Wall Clock = wall{}

type wall struct{}

func (wall) Now() time.Time { return time.Now() }

func (wall) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// Manual is a Clock whose time moves only when told: a test's clock, or a
// replay's recorded time. Its timers run when FireDue is called, earliest
// first, on the caller's goroutine.
type Manual struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers []*manualTimer
}

type manualTimer struct {
	at  time.Time
	seq int
	f   func()
}

// NewManual returns a Manual clock at t.
func NewManual(t time.Time) *Manual { return &Manual{now: t} }

// Now is the clock's time.
func (c *Manual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc sets a timer for d from now; the returned func removes it,
// reporting whether it had not run yet.
func (c *Manual) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	tm := &manualTimer{at: c.now.Add(max(d, 0)), seq: c.seq, f: f}
	c.timers = append(c.timers, tm)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		i := slices.Index(c.timers, tm)
		if i >= 0 {
			c.timers = slices.Delete(c.timers, i, i+1)
		}
		return i >= 0
	}
}

// Set moves the clock to t; no timer runs.
func (c *Manual) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock on by d; no timer runs.
func (c *Manual) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Next is the time of the earliest timer, false when none is set.
func (c *Manual) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var at time.Time
	for _, tm := range c.timers {
		if at.IsZero() || tm.at.Before(at) {
			at = tm.at
		}
	}
	return at, !at.IsZero()
}

// FireDue runs the timers due by now, earliest first, and returns how many
// ran.
func (c *Manual) FireDue() int {
	c.mu.Lock()
	var due []*manualTimer
	c.timers = slices.DeleteFunc(c.timers, func(tm *manualTimer) bool {
		if tm.at.After(c.now) {
			return false
		}
		due = append(due, tm)
		return true
	})
	c.mu.Unlock()
	slices.SortFunc(due, func(a, b *manualTimer) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	for _, tm := range due {
		tm.f()
	}
	return len(due)
}
