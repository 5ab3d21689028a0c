package pbx

import (
	"context"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/testkit"
)

// TestAppliedWait: a command's wait ends when the model has applied the
// events up to its answer's Seq, not before; one whose ctx ends first
// leaves no waiter behind; a model that stopped lets every waiter go.
func TestAppliedWait(t *testing.T) {
	var a applied
	a.advance(3)
	a.wait(context.Background(), 2) // applied already: returns at once

	done := make(chan struct{})
	go func() {
		a.wait(context.Background(), 5)
		close(done)
	}()
	testkit.Eventually(t, "a waiter", 5*time.Second, func() bool { return a.waiting.Load() == 1 })
	a.advance(4)
	select {
	case <-done:
		t.Fatal("the wait for event 5 ended at event 4")
	case <-time.After(20 * time.Millisecond):
	}
	a.advance(5)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the wait for event 5 did not end at event 5")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a.wait(ctx, 9)
	if n := a.waiting.Load(); n != 0 || len(a.waiters) != 0 {
		t.Fatalf("%d waiters left after their ctx ended", n)
	}

	stopped := make(chan struct{})
	go func() {
		a.wait(context.Background(), 1<<40)
		close(stopped)
	}()
	testkit.Eventually(t, "a waiter", 5*time.Second, func() bool { return a.waiting.Load() == 1 })
	a.advance(^uint64(0)) // as run does when it returns
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("a waiter outlived the model")
	}
}
