package pausetimer

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// pauseCall is one PauseMember call the fake received.
type pauseCall struct {
	Queue, Exten string
	Paused       bool
	Failed       bool
}

func (c pauseCall) String() string {
	s := fmt.Sprintf("%s pause=%v queue=%q", c.Exten, c.Paused, c.Queue)
	if c.Failed {
		s += " (failed)"
	}
	return s
}

// fakePBX is a Pauser holding queue members and hints. Like Asterisk
// 13.8–17 it echoes every change as one MemberPaused per queue, the reason
// only on pauses.
type fakePBX struct {
	mu     sync.Mutex
	queues []pbx.Queue
	hints  []pbx.Hint
	calls  []pauseCall
	down   bool // every call fails as when Asterisk is not connected
	fail   int  // the next fail calls fail
	echo   func(pbx.Event)
	// onCall, if set, runs at the start of each call (outside the lock).
	onCall func(pauseCall)
}

func newFakePBX() *fakePBX {
	return &fakePBX{
		queues: []pbx.Queue{
			{Name: "630", Members: []pbx.Member{{Interface: "SIP/801", Name: "801"}, {Interface: "SIP/802", Name: "802"}}},
			{Name: "631", Members: []pbx.Member{{Interface: "SIP/801", Name: "801"}}},
		},
		hints: []pbx.Hint{
			{Exten: "801", Context: "ext-local", Device: "SIP/801", StatusText: "Idle"},
			{Exten: "802", Context: "ext-local", Device: "SIP/802", StatusText: "Idle"},
		},
	}
}

func (f *fakePBX) PauseMember(ctx context.Context, queue, exten string, paused bool, reason string) error {
	c := pauseCall{Queue: queue, Exten: exten, Paused: paused}
	f.mu.Lock()
	hook := f.onCall
	f.mu.Unlock()
	if hook != nil {
		hook(c)
	}
	f.mu.Lock()
	if err := ctx.Err(); err != nil || f.down || f.fail > 0 {
		f.fail = max(f.fail-1, 0)
		c.Failed = true
		f.calls = append(f.calls, c)
		f.mu.Unlock()
		if err != nil {
			return err
		}
		return pbx.ErrNotConnected
	}
	f.calls = append(f.calls, c)
	evs := f.set(queue, exten, paused, reason)
	echo := f.echo
	f.mu.Unlock()
	if len(evs) == 0 {
		return fmt.Errorf("%w: %s", pbx.ErrNotMember, exten)
	}
	for _, e := range evs {
		if !paused {
			e.Reason = ""
		}
		echo(e)
	}
	return nil
}

// set changes exten's pause state and returns the events; f.mu held.
func (f *fakePBX) set(queue, exten string, paused bool, reason string) []pbx.MemberPaused {
	var evs []pbx.MemberPaused
	for qi := range f.queues {
		q := &f.queues[qi]
		for mi := range q.Members {
			m := &q.Members[mi]
			if (queue != "" && q.Name != queue) || pbx.InterfaceExten(m.Interface) != exten {
				continue
			}
			m.Paused, m.PausedReason = paused, ""
			if paused {
				m.PausedReason = reason
			}
			evs = append(evs, pbx.MemberPaused{Queue: q.Name, Interface: m.Interface, Exten: exten, Paused: paused, Reason: reason})
		}
	}
	return evs
}

// agent pauses or unpauses exten behind the timer's back (its phone, the
// API) and returns the events to hand to the timer.
func (f *fakePBX) agent(queue, exten string, paused bool, reason string) []pbx.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []pbx.Event
	for _, e := range f.set(queue, exten, paused, reason) {
		out = append(out, e)
	}
	return out
}

// forget unpauses everyone, as a restarted Asterisk does.
func (f *fakePBX) forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for qi := range f.queues {
		for mi := range f.queues[qi].Members {
			f.queues[qi].Members[mi].Paused = false
			f.queues[qi].Members[mi].PausedReason = ""
		}
	}
}

func (f *fakePBX) setHint(exten string, status int) pbx.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.hints {
		if f.hints[i].Exten == exten {
			f.hints[i].Status = status
			return pbx.HintChanged{Hint: f.hints[i]}
		}
	}
	panic("no hint " + exten)
}

func (f *fakePBX) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *fakePBX) Queues() []pbx.Queue {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.queues)
	for i := range out {
		out[i].Members = slices.Clone(out[i].Members)
	}
	return out
}

func (f *fakePBX) Hints() []pbx.Hint {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.hints)
}

func (f *fakePBX) callList() []pauseCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// paused returns the queues where exten is paused, with their reasons.
func (f *fakePBX) paused(exten string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for _, q := range f.queues {
		for _, m := range q.Members {
			if pbx.InterfaceExten(m.Interface) == exten && m.Paused {
				out[q.Name] = m.PausedReason
			}
		}
	}
	return out
}
