package pusher

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/testkit"
)

// benchBody is about the size of a hangup push.
var benchBody = []byte(`{"event":"hangup","timestamp":"2025-03-01 12:00:00","channel":"PJSIP/1001-00000001",` +
	`"calleridnum":"1001","cause":"16","causetxt":"Normal Clearing","uniqueid":"1740830400.1",` +
	`"linkedid":"1740830400.1","mac":"68:69:2e:05:0f:9a","n":`)

func benchPusher(b *testing.B, url string) *Pusher {
	b.Helper()
	// The database as the daemon opens it: fsync on every commit.
	db := testkit.OpenDB(b, filepath.Join(b.TempDir(), "bench.db"))
	p, err := Open(db, Options{URLs: []string{url}, UserAgent: "coocenterd/bench",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	return p
}

// BenchmarkAppend measures durable appends: each op appends a burst of
// events and waits until all of them are on disk (one group commit, or a
// few, per burst), while they are also being delivered to a receiver that
// answers 200 at once. A burst of 1 is the cost of one fsync'd commit.
// naive is what the outbox is held against: a bbolt Put of each event in
// a transaction of its own, in a database opened as the daemon's is, with
// nothing delivered or deleted.
func BenchmarkAppend(b *testing.B) {
	for _, burst := range []int{1, 1000} {
		b.Run(fmt.Sprintf("burst=%d", burst), func(b *testing.B) { benchAppend(b, burst) })
	}
	b.Run("naive", benchNaiveAppend)
}

func benchNaiveAppend(b *testing.B) {
	db := testkit.OpenDB(b, filepath.Join(b.TempDir(), "bench.db"))
	began := time.Now()
	n := 0
	for b.Loop() {
		body := append(strconv.AppendInt(slices.Clip(benchBody), int64(n), 10), '}')
		err := db.Update(func(tx *bbolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists(outboxBucket)
			if err != nil {
				return err
			}
			seq, _ := bk.NextSequence()
			return bk.Put(seqKey(seq), body)
		})
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	elapsed := time.Since(began)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n), "ns/event")
}

func benchAppend(b *testing.B, burst int) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(srv.Close)
	p := benchPusher(b, srv.URL)
	began := time.Now()
	for i := 0; b.Loop(); i++ {
		for j := range burst {
			n := i*burst + j
			body := strconv.AppendInt(slices.Clip(benchBody), int64(n), 10)
			ev := Event{Name: "hangup", Keys: []string{"call:" + strconv.Itoa(n/10)}, At: time.Now(), Body: append(body, '}')}
			if err := p.Append(ev); err != nil {
				b.Fatal(err)
			}
		}
		want := uint64((i + 1) * burst)
		deadline := time.Now().Add(30 * time.Second)
		for p.appended.Load() < want { // yield, not sleep: a timer's slack is more than an fdatasync
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d events on disk after 30s", p.appended.Load(), want)
			}
			runtime.Gosched()
		}
	}
	elapsed := time.Since(began)
	n := p.appended.Load()
	b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n), "ns/event")
}

// BenchmarkEndToEnd2000 pushes e2eEvents events per op at 2000 events/s
// (50 calls at a time, each call's events in order) to a receiver on
// loopback and reports how long an event takes from Append to arrival.
func BenchmarkEndToEnd2000(b *testing.B) {
	const (
		rate      = 2000
		e2eEvents = 4000
	)
	var arrivals atomic.Pointer[[]atomic.Int64] // unix ns of the first arrival, by event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now().UnixNano()
		body, _ := io.ReadAll(r.Body)
		var n int
		if _, err := fmt.Sscanf(string(body[len(benchBody):]), "%d}", &n); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if a := arrivals.Load(); a != nil && n >= 0 && n < len(*a) {
			(*a)[n].CompareAndSwap(0, now)
		}
	}))
	b.Cleanup(srv.Close)
	p := benchPusher(b, srv.URL)
	var latencies []time.Duration
	for b.Loop() {
		arrived := make([]atomic.Int64, e2eEvents)
		arrivals.Store(&arrived)
		sent := make([]time.Time, e2eEvents)
		began := time.Now()
		tick := time.NewTicker(time.Millisecond)
		for n := 0; n < e2eEvents; {
			// Catch up with the schedule: event n is due at n/rate.
			for due := min(int(time.Since(began)*rate/time.Second)+1, e2eEvents); n < due; n++ {
				body := append(strconv.AppendInt(slices.Clip(benchBody), int64(n), 10), '}')
				sent[n] = time.Now()
				if err := p.Append(Event{Name: "hangup", Keys: []string{fmt.Sprintf("call:%d", n%50)}, At: sent[n], Body: body}); err != nil {
					b.Fatal(err)
				}
			}
			if n < e2eEvents {
				<-tick.C
			}
		}
		tick.Stop()
		deadline := time.Now().Add(30 * time.Second)
		for i := range arrived {
			for arrived[i].Load() == 0 {
				if time.Now().After(deadline) {
					b.Fatalf("event %d not delivered 30s after the last append", i)
				}
				time.Sleep(100 * time.Microsecond)
			}
			latencies = append(latencies, time.Unix(0, arrived[i].Load()).Sub(sent[i]))
		}
	}
	slices.Sort(latencies)
	ms := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(ms(1), "max-ms")
}
