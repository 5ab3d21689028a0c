package testkit

import (
	"bufio"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// SSEEvent is one Server-Sent Event as a client reads it, or a comment
// line (Comment set, the rest empty).
type SSEEvent struct {
	ID, Name, Data string
	Comment        string
}

// SSE reads a response of Server-Sent Events on a goroutine of its own,
// which Close (or the end of the test) stops.
type SSE struct {
	Resp   *http.Response
	events chan SSEEvent
	wg     sync.WaitGroup
	once   sync.Once
}

// OpenSSE sends req and, when the answer is 200, starts reading its
// events. The caller checks Resp.StatusCode; the body of another answer
// is left to it.
func OpenSSE(tb testing.TB, req *http.Request) *SSE {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	s := &SSE{Resp: resp, events: make(chan SSEEvent, 1024)}
	tb.Cleanup(s.Close)
	if resp.StatusCode != http.StatusOK {
		close(s.events)
		return s
	}
	s.wg.Go(s.read)
	return s
}

// read parses the stream: fields until a blank line, which ends an event;
// a block without data or name (retry:) is no event.
func (s *SSE) read() {
	defer close(s.events)
	sc := bufio.NewScanner(s.Resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var ev SSEEvent
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if len(data) > 0 || ev.Name != "" {
				ev.Data = strings.Join(data, "\n")
				s.events <- ev
			}
			ev, data = SSEEvent{}, nil
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			s.events <- SSEEvent{Comment: value}
		case "id":
			ev.ID = value
		case "event":
			ev.Name = value
		case "data":
			data = append(data, value)
		}
	}
}

// Next returns the next event or comment, failing the test when the
// stream ends or nothing comes within the time given.
func (s *SSE) Next(tb testing.TB, within time.Duration) SSEEvent {
	tb.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			tb.Fatal("the event stream ended")
		}
		return ev
	case <-time.After(within):
		tb.Fatalf("no event within %v", within)
	}
	return SSEEvent{}
}

// NextEvent is Next without the comments (heartbeats).
func (s *SSE) NextEvent(tb testing.TB, within time.Duration) SSEEvent {
	tb.Helper()
	for range 1000 {
		if ev := s.Next(tb, within); ev.Comment == "" {
			return ev
		}
	}
	tb.Fatal("only comments on the event stream")
	return SSEEvent{}
}

// Ended reports whether the stream ends (the server closed it) within
// the time given, skipping what comes before.
func (s *SSE) Ended(within time.Duration) bool {
	deadline := time.After(within)
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// Close stops reading and closes the response.
func (s *SSE) Close() {
	s.once.Do(func() {
		s.Resp.Body.Close()
		go func() { // let read go, should it be blocked on a full channel
			for range s.events {
			}
		}()
		s.wg.Wait()
	})
}
