package pausetimer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// TestExtendAndEnd: the API moves a running wrap-up's end, or ends it now.
func TestExtendAndEnd(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Options{Enabled: true})
	h.send(completed("801", "c1"), completed("802", "c2"), callEnded("801", "c1"), callEnded("802", "c2"))
	h.at(10)
	until, err := h.timer.Extend(ctx, "801", 20*time.Second)
	if err != nil || !until.Equal(h.sec(50)) {
		t.Fatalf("Extend(801, 20s) = %v, %v; want +50s", until, err)
	}
	if _, err := h.timer.Extend(ctx, "803", time.Second); !errors.Is(err, ErrNoWrapUp) {
		t.Errorf("Extend(803) = %v, want ErrNoWrapUp", err)
	}
	if _, err := h.timer.Extend(ctx, "801", 0); err == nil {
		t.Error("Extend(801, 0) succeeded")
	}
	if err := h.timer.End(ctx, "803"); !errors.Is(err, ErrNoWrapUp) {
		t.Errorf("End(803) = %v, want ErrNoWrapUp", err)
	}

	h.at(17)
	h.pbx.setDown(true)
	if err := h.timer.End(ctx, "802"); !errors.Is(err, pbx.ErrNotConnected) {
		t.Errorf("End(802) with Asterisk down = %v, want ErrNotConnected", err)
	}
	h.pbx.setDown(false)
	h.at(18) // the retry
	h.wantRecords(rec("c2", 18))

	h.at(49)
	h.wantRecords(rec("c2", 18))
	h.at(50)
	h.wantRecords(rec("c2", 18), rec("c1", 50))
	h.wantKinds("start", "start", "extend", "end:api", "end:timer")
	h.wantCalls(pause("801"), pause("802"), pauseCall{Exten: "802", Failed: true}, unpause("802"), unpause("801"))
}

// TestEndDeferred: ending a deferred wrap-up drops it.
func TestEndDeferred(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	h.send(h.pbx.setHint("801", 1))
	h.send(completed("801", "c1"), callEnded("801", "c1"))
	if err := h.timer.End(context.Background(), "801"); err != nil {
		t.Fatal(err)
	}
	h.wantRecords(rec("c1", 0))
	h.wantCalls()
	if a := h.timer.Active(); len(a) != 0 {
		t.Errorf("Active() = %+v", a)
	}
}

// TestClosed: after Close, events are dropped and the API says so.
func TestClosed(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	tm := h.timer
	h.close()
	tm.Handle(completed("801", "c1"))
	if err := tm.End(context.Background(), "801"); !errors.Is(err, ErrClosed) {
		t.Errorf("End after Close = %v, want ErrClosed", err)
	}
	tm.Close()
	h.wantCalls()
}

// TestCloseDrains: events handed over before Close are still processed:
// records go out, and a wrap-up whose pause Close cut short is stored and
// paused again on the next Synced.
func TestCloseDrains(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	tm := h.timer
	gate, held := make(chan struct{}), make(chan struct{})
	tm.post(item{do: func() { close(held); <-gate }})
	<-held
	tm.Handle(callEnded("", "c1"))
	tm.Handle(completed("801", "c2"))
	closed := make(chan struct{})
	go func() { tm.Close(); close(closed) }()
	for i := 0; ; i++ { // until Close has begun: bounded in count and time
		tm.mu.Lock()
		c := tm.closed
		tm.mu.Unlock()
		if c {
			break
		}
		if i == 5000 {
			t.Fatal("Close did not begin")
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	h.wantRecords(rec("c1", 0))
	h.wantCalls(pauseCall{Exten: "801", Paused: true, Failed: true})

	h.close()
	h.open()
	h.send(pbx.Synced{})
	h.wantCalls(pauseCall{Exten: "801", Paused: true, Failed: true}, pause("801"))
	h.at(30)
	h.wantCalls(pauseCall{Exten: "801", Paused: true, Failed: true}, pause("801"), unpause("801"))
}

// TestOpenBadReason: a reason PauseMember would refuse stops Open, rather
// than every after-call pause failing later.
func TestOpenBadReason(t *testing.T) {
	h := newHarness(t, Options{})
	for what, reason := range map[string]string{
		"holding CR LF": "a\r\nb", "of 65 characters": strings.Repeat("x", 65), "not ASCII": "pause café",
	} {
		if _, err := Open(h.db, h.pbx, Options{Reason: reason}); err == nil {
			t.Errorf("Open with a reason %s succeeded", what)
		}
	}
}

// TestWallClock: with no Clock, real time drives the timer.
func TestWallClock(t *testing.T) {
	f := newFakePBX()
	ends := make(chan WrapUp, 1)
	h := newHarness(t, Options{}) // only for its database
	tm, err := Open(h.db, f, Options{Enabled: true, Length: 20 * time.Millisecond, Logger: h.opts.Logger,
		OnWrapUp: func(w WrapUp) {
			if w.Kind == "end" {
				ends <- w
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	f.mu.Lock()
	f.echo = tm.Handle
	f.mu.Unlock()
	tm.Handle(completed("801", "c1"))
	select {
	case w := <-ends:
		if w.Ended != "timer" || w.Exten != "801" {
			t.Errorf("end = %+v, want 801 ended by the timer", w)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no end within 5 s")
	}
}

// TestConcurrentUse: Handle, Active, Extend and End may be called from any
// goroutine while the Timer works (run with -race).
func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			ext := []string{"801", "802"}[g%2]
			for i := range 50 {
				h.timer.Handle(completed(ext, fmt.Sprintf("g%d-%d", g, i)))
				_ = h.timer.Active()
				_, _ = h.timer.Extend(context.Background(), ext, time.Second)
				if i%10 == 9 {
					_ = h.timer.End(context.Background(), ext)
				}
			}
		}()
	}
	for range 4 {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("workers did not finish")
		}
	}
	h.settle()
	h.at(3600)
	if a := h.timer.Active(); len(a) != 0 {
		t.Errorf("Active() = %+v after an hour", a)
	}
	ended := map[string]int{}
	for _, w := range h.wrapUpList() {
		if w.Kind == "end" {
			ended[w.Exten]++
		}
	}
	if ended["801"] == 0 || ended["802"] == 0 {
		t.Errorf("ends by extension = %v", ended)
	}
}
