package stream

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/testkit"
)

// fakeNow is a clock a test moves.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeNow) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeNow) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestStream(t *testing.T, opts Options) *Stream {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

// publish publishes events e1…en (extensionstatus of 801) and waits until
// the window holds want events.
func publish(t *testing.T, s *Stream, from, to, want int) {
	t.Helper()
	for i := from; i <= to; i++ {
		s.Publish(ev(i, "extensionstatus", `{"event":"extensionstatus","exten":"801"}`))
	}
	testkit.Eventually(t, fmt.Sprintf("%d events in the window", want), 5*time.Second, func() bool { return s.Len() == want })
}

func ev(i int, name, body string) Event {
	return Event{ID: fmt.Sprintf("e%d", i), Name: name, Body: []byte(body)}
}

// ids reads n events from sub, failing after a while.
func ids(t *testing.T, sub *Subscription, n int) []string {
	t.Helper()
	var out []string
	for range n {
		select {
		case e, ok := <-sub.Events():
			if !ok {
				t.Fatalf("subscription ended after %v: %v", out, sub.Err())
			}
			out = append(out, e.ID)
		case <-time.After(5 * time.Second):
			t.Fatalf("got %v, waiting for %d events", out, n)
		}
	}
	return out
}

func idsOf(evs []*Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func TestSubscribeResumes(t *testing.T) {
	clk := &fakeNow{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	s := newTestStream(t, Options{MaxEvents: 5, Window: time.Hour, Now: clk.Now})
	publish(t, s, 1, 3, 3)
	for _, tc := range []struct {
		name   string
		after  string
		missed []string
		reset  bool
	}{
		{"fresh", "", nil, false},
		{"from the newest", "e3", nil, false},
		{"from the middle", "e1", []string{"e2", "e3"}, false},
		{"unknown id", "msg_elsewhere", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := s.Subscribe(Filter{}, tc.after)
			defer sub.Close()
			if got := idsOf(sub.Missed); !slices.Equal(got, tc.missed) || sub.Reset != tc.reset || sub.Head != "e3" {
				t.Fatalf("missed %v reset %v head %q; want %v %v e3", got, sub.Reset, sub.Head, tc.missed, tc.reset)
			}
		})
	}
}

// TestResumeLosesNothing: a subscriber leaves, events happen, it comes back
// with the last id it saw and gets each event once, in order.
func TestResumeLosesNothing(t *testing.T) {
	s := newTestStream(t, Options{})
	sub := s.Subscribe(Filter{}, "")
	publish(t, s, 1, 3, 3)
	seen := ids(t, sub, 3)
	sub.Close()
	publish(t, s, 4, 6, 6)
	again := s.Subscribe(Filter{}, seen[len(seen)-1])
	defer again.Close()
	s.Publish(ev(7, "hangup", `{}`))
	got := append(seen, idsOf(again.Missed)...)
	got = append(got, ids(t, again, 1)...)
	if want := []string{"e1", "e2", "e3", "e4", "e5", "e6", "e7"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestWindowBounds: the window keeps MaxEvents and Window's worth; an id
// it dropped is a reset.
func TestWindowBounds(t *testing.T) {
	clk := &fakeNow{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	s := newTestStream(t, Options{MaxEvents: 3, Window: time.Minute, Now: clk.Now})
	publish(t, s, 1, 4, 3) // e1 falls out of the count
	if sub := s.Subscribe(Filter{}, "e1"); !sub.Reset {
		t.Error("e1, beyond MaxEvents: no reset")
	}
	if sub := s.Subscribe(Filter{}, "e2"); sub.Reset || !slices.Equal(idsOf(sub.Missed), []string{"e3", "e4"}) {
		t.Errorf("e2: reset %v missed %v", sub.Reset, idsOf(sub.Missed))
	}
	clk.Advance(61 * time.Second) // everything is older than Window
	if sub := s.Subscribe(Filter{}, "e4"); !sub.Reset || sub.Head != "" {
		t.Errorf("e4, older than Window: reset %v head %q", sub.Reset, sub.Head)
	}
}

func TestFilters(t *testing.T) {
	s := newTestStream(t, Options{})
	bodies := []Event{
		ev(1, "extensionstatus", `{"event":"extensionstatus","exten":"801","status":"0"}`),
		ev(2, "dialbegein", `{"event":"dialbegein","calleridnum":"0501234567","destcalleridnum":"802"}`),
		ev(3, "cc_cdr", `{"event":"cc_cdr","caller":"0501234567","agentCode":"801","queueCode":"630","holdTime":0}`),
		ev(4, "wrapupstart", `{"event":"wrapupstart","agentCode":"803","queues":"631,632"}`),
		ev(5, "hangup", `not json`),
	}
	for _, e := range bodies {
		s.Publish(e)
	}
	testkit.Eventually(t, "the events in the window", 5*time.Second, func() bool { return s.Len() == len(bodies) })
	for _, tc := range []struct {
		name string
		f    Filter
		want []string
	}{
		{"none", Filter{}, []string{"e2", "e3", "e4", "e5"}},
		{"extension", Filter{Extensions: []string{"801"}}, []string{"e3"}},
		{"extensions", Filter{Extensions: []string{"802", "803"}}, []string{"e2", "e4"}},
		{"a caller's number", Filter{Extensions: []string{"0501234567"}}, []string{"e2", "e3"}},
		{"queue", Filter{Queues: []string{"632"}}, []string{"e4"}},
		{"queueCode", Filter{Queues: []string{"630", "639"}}, []string{"e3"}},
		{"event", Filter{Events: []string{"hangup", "dialbegein"}}, []string{"e2", "e5"}},
		{"all of them", Filter{Extensions: []string{"801"}, Queues: []string{"630"}, Events: []string{"cc_cdr"}}, []string{"e3"}},
		{"fields are and", Filter{Extensions: []string{"802"}, Queues: []string{"630"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := s.Subscribe(tc.f, "e1")
			defer sub.Close()
			if got := idsOf(sub.Missed); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSlowSubscriberDropped: a subscriber that stops reading is dropped
// once its buffer is full; another keeps receiving every event.
func TestSlowSubscriberDropped(t *testing.T) {
	const buffer = 4
	s := newTestStream(t, Options{Buffer: buffer})
	slow := s.Subscribe(Filter{}, "")
	fast := s.Subscribe(Filter{}, "")
	defer fast.Close()
	var got []string
	for i := 1; i <= 3*buffer; i++ {
		s.Publish(ev(i, "hangup", `{}`))
		got = append(got, ids(t, fast, 1)...)
	}
	if len(got) != 3*buffer {
		t.Fatalf("the reading subscriber got %v", got)
	}
	n := 0
	for range slow.Events() { // closed after what it buffered
		n++
	}
	if n != buffer || !errors.Is(slow.Err(), ErrSlow) || s.Dropped() != 1 || s.Subscribers() != 1 {
		t.Fatalf("slow: %d events buffered, err %v; dropped %d, subscribers %d", n, slow.Err(), s.Dropped(), s.Subscribers())
	}
}

func TestCloseEndsSubscriptions(t *testing.T) {
	s := New(Options{})
	sub := s.Subscribe(Filter{}, "")
	s.Close()
	if _, ok := <-sub.Events(); ok || !errors.Is(sub.Err(), ErrClosed) {
		t.Fatalf("after Close: open %v err %v", ok, sub.Err())
	}
	s.Publish(ev(1, "hangup", `{}`)) // nothing, no panic
	if late := s.Subscribe(Filter{}, ""); !errors.Is(late.Err(), ErrClosed) {
		t.Fatalf("Subscribe after Close: %v", late.Err())
	}
	sub.Close() // twice is harmless
	s.Close()
}

func TestAppendSSE(t *testing.T) {
	for _, tc := range []struct {
		id, name, data, want string
	}{
		{"msg_1", "hangup", `{"event":"hangup"}`, "id: msg_1\nevent: hangup\ndata: {\"event\":\"hangup\"}\n\n"},
		{"", "reset", `{}`, "event: reset\ndata: {}\n\n"},
		{"", "", "a\r\nb\nc", "data: a\ndata: b\ndata: c\n\n"},
	} {
		if got := string(AppendSSE(nil, tc.id, tc.name, []byte(tc.data))); got != tc.want {
			t.Errorf("AppendSSE(%q, %q, %q) = %q, want %q", tc.id, tc.name, tc.data, got, tc.want)
		}
	}
	if got := string(AppendComment(nil, "heartbeat")); got != ": heartbeat\n\n" {
		t.Errorf("comment %q", got)
	}
}
