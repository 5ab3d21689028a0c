package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/testkit"
)

// BenchmarkEventToStream runs the daemon against a fed AMI stream (the
// feed of BenchmarkEventToPush: 500 live channels, 20 new calls a
// second) with no push URL and one client on the event stream. It
// reports how long an AMI event takes from the socket to its push on the
// stream (dialbegin, dialend and both hangups of every call); the target
// is well under 100 ms.
func BenchmarkEventToStream(b *testing.B) {
	const (
		live        = 500
		callsPerSec = 20
		calls       = 100
	)
	feed := startFeed(b, live)
	req, _ := http.NewRequest(http.MethodGet, "http://"+serveOnFeed(b, feed)+"/coocenter-api/events?event=dialbegein,dialend,hangup", nil)
	s := testkit.OpenSSE(b, req)
	if s.Resp.StatusCode != http.StatusOK {
		b.Fatalf("GET events: %d", s.Resp.StatusCode)
	}

	sent := &sentTimes{at: map[string]time.Time{}}
	var mu sync.Mutex
	var latencies []time.Duration
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			ev := s.Next(b, time.Minute)
			now := time.Now()
			var push struct{ Event, Uniqueid string }
			if json.Unmarshal([]byte(ev.Data), &push) != nil {
				continue
			}
			key := strings.Replace(push.Event, "dialbegein", "dialbegin", 1) + ":" + push.Uniqueid
			if at, ok := sent.take(key); ok {
				mu.Lock()
				latencies = append(latencies, now.Sub(at))
				mu.Unlock()
			}
		}
	})
	for round := 0; b.Loop(); round++ {
		feed.calls(b, round, calls, callsPerSec, sent)
		if !testkit.Poll(30*time.Second, func() bool { return sent.left() == 0 }) {
			b.Fatalf("%d events did not reach the stream, e.g. %v", sent.left(), sent.sample())
		}
	}
	close(stop)
	feed.calls(b, 1<<20, 1, callsPerSec, sent) // one more event wakes the reader to see stop
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	reportLatencies(b, latencies)
}
