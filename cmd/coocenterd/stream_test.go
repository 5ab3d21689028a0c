package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// openStream opens the daemon's event stream with the headers given.
func (d *daemon) openStream(t *testing.T, query string, header ...string) *testkit.SSE {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, d.base+"/coocenter-api/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	s := testkit.OpenSSE(t, req)
	if s.Resp.StatusCode != http.StatusOK {
		t.Fatalf("GET events%s: %d", query, s.Resp.StatusCode)
	}
	return s
}

// call makes one call 801 → 802, answered, then hung up by 801.
func (d *daemon) call(t *testing.T) {
	t.Helper()
	d.idle(t)
	caller, err := d.Stage().Dial("801", "802")
	if err != nil {
		t.Fatal(err)
	}
	d.answerThenHangUp(t, caller)
}

// answerThenHangUp answers 802, which caller rings, and hangs caller up.
func (d *daemon) answerThenHangUp(t *testing.T, caller string) {
	t.Helper()
	d.answerRinging(t, "802")
	// On a real Asterisk the answer takes a moment over SIP: hung up
	// before it, the call would end unanswered.
	testkit.Eventually(t, "802 answered", 10*time.Second, func() bool {
		legs := d.PhoneChannels("802")
		return len(legs) == 1 && legs[0].State == 6
	})
	if err := d.Stage().Hangup(caller, 16); err != nil {
		t.Fatal(err)
	}
}

// idle waits until 801 and 802 have no channel left.
func (d *daemon) idle(t *testing.T) {
	t.Helper()
	testkit.Eventually(t, "801 and 802 idle", 10*time.Second, func() bool {
		return len(d.PhoneChannels("801"))+len(d.PhoneChannels("802")) == 0
	})
}

// until reads events from s until one named name comes whose data holds
// text, and returns those read.
func until(t *testing.T, s *testkit.SSE, name, text string) []testkit.SSEEvent {
	t.Helper()
	var got []testkit.SSEEvent
	for range 200 {
		ev := s.NextEvent(t, 10*time.Second)
		got = append(got, ev)
		if ev.Name == name && strings.Contains(ev.Data, text) {
			return got
		}
	}
	t.Fatalf("no %s with %s among %d events", name, text, len(got))
	return nil
}

// TestDaemonStreamsEvents runs the whole daemon on the bed's PBX, with no
// push URL: a stream client sees the snapshots, then a call's pushes as
// they happen, each with its id, and the board's rows that change; it
// leaves, a call happens, and back with Last-Event-ID it gets every event
// it missed, in order, once.
func TestDaemonStreamsEvents(t *testing.T) {
	d := startDaemon(t, []string{"801", "802"}, func(cfg *config.Config) { cfg.General.URLs = nil })
	s := d.openStream(t, "")
	var names []string
	for range 4 {
		names = append(names, s.NextEvent(t, 10*time.Second).Name)
	}
	if !slices.Equal(names, []string{"agent-status", "queue-info", "realtime", "current-calls"}) {
		t.Fatalf("the stream opened with %v", names)
	}
	// 801 calls 802, which rings until the board has sent its row (the
	// board looks at most every 50 ms: a ring shorter than that may never
	// show), then answers; 801 hangs up.
	caller, err := d.Stage().Dial("801", "802")
	if err != nil {
		t.Fatal(err)
	}
	first := until(t, s, "agent", `"extension":"802"`)
	d.answerThenHangUp(t, caller)
	first = append(first, until(t, s, "hangup", `"calleridnum":"802"`)...)
	seen := map[string]bool{}
	for _, ev := range first {
		switch {
		case ev.Name == "agent" || ev.Name == "queue":
			if !strings.HasPrefix(ev.ID, "brd_") || !strings.HasPrefix(ev.Data, `{"now":"`) {
				t.Errorf("event %+v: want a board row with the board's id", ev)
			}
		case !strings.HasPrefix(ev.ID, "msg_") || !strings.HasPrefix(ev.Data, `{"event":"`+ev.Name+`"`):
			t.Errorf("event %+v: want a push with its outbox id", ev)
		}
		seen[ev.Name] = true
	}
	for _, name := range []string{"dialbegein", "dialend", "extensionstatus", "hangup", "agent"} {
		if !seen[name] {
			t.Errorf("no %s on the stream: %v", name, first)
		}
	}
	last := first[len(first)-1].ID
	s.Close()

	d.call(t) // while no client listens
	d.idle(t)
	again := d.openStream(t, "", "Last-Event-ID", last)
	missed := until(t, again, "hangup", `"calleridnum":"802"`)
	ids := map[string]bool{}
	for _, ev := range missed {
		if ev.Name == "agent-status" || ev.Name == "realtime" || ev.Name == "reset" || ids[ev.ID] || ev.ID == last {
			t.Fatalf("resumed stream: %+v among %v", ev, missed)
		}
		ids[ev.ID] = true
	}
	if !slices.ContainsFunc(missed, func(ev testkit.SSEEvent) bool { return ev.Name == "dialbegein" }) {
		t.Errorf("the missed events lack the second call's start: %v", missed)
	}
	d.Stop(t) // the open stream does not hold the shutdown up
}
