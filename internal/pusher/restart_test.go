package pusher

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/testkit"
)

// TestRestartMidDelivery stops the pusher while requests are out (Close
// does not wait for them), closes and reopens the database, and opens a
// pusher again: what was accepted is delivered, in order per call, and
// what is sent twice is the same message.
func TestRestartMidDelivery(t *testing.T) {
	t.Parallel()
	slow := func(_ http.ResponseWriter, r *http.Request, _ string) int {
		select {
		case <-r.Context().Done():
			return http.StatusServiceUnavailable // the pusher went away
		case <-time.After(30 * time.Millisecond):
			return http.StatusOK
		}
	}
	h := newHook(t, slow)
	path := filepath.Join(t.TempDir(), "push.db")
	evs := testEvents(10, 30)

	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(db, testOptions(t, h.url()))
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, p, evs)
	testkit.Eventually(t, "some events accepted, more in flight", 10*time.Second, func() bool {
		return h.acked() >= 10 && h.active.Load() > 0
	})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if n := h.acked(); n >= len(evs) {
		t.Fatalf("all %d events accepted before Close: the test proves nothing", n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	h.setAnswer(nil) // fast now
	db = testkit.OpenDB(t, path)
	p, err = Open(db, testOptions(t, h.url()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	testkit.Eventually(t, "every event accepted", 10*time.Second, func() bool { return h.acked() == len(evs) })
	testkit.Eventually(t, "an empty queue", 5*time.Second, func() bool { return p.Stats()[0].Pending == 0 })
	checkDelivered(t, h, evs)
	seen, dup := map[string]bool{}, 0
	for _, d := range h.accepted() {
		if seen[d.ID] {
			dup++
		}
		seen[d.ID] = true
	}
	t.Logf("%d events, %d requests, %d accepted twice", len(evs), len(h.requests()), dup)

	// What was delivered is deleted for good: after one more restart
	// nothing is sent again.
	sent := len(h.requests())
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.View(func(tx *bbolt.Tx) error {
		left = tx.Bucket(outboxBucket).Bucket([]byte(h.url())).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d delivered events still in the outbox", left)
	}
	p, err = Open(db, testOptions(t, h.url()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	marker := testEvents(1, 1)
	marker[0].Body = []byte(`{"marker":true}`)
	appendAll(t, p, marker)
	testkit.Eventually(t, "a new event accepted and nothing pending", 5*time.Second, func() bool {
		return h.acked() == len(evs)+1 && p.Stats()[0].Pending == 0
	})
	if n := len(h.requests()) - sent; n != 1 {
		t.Errorf("%d requests after the last restart, want the new event's only", n)
	}
}

// TestReceiverLeftOutOfConfig: a URL listed twice is one receiver (each
// event is sent to it once); a receiver that a restart leaves out of the
// configuration keeps its undelivered events on disk, and gets them when it
// is configured again.
func TestReceiverLeftOutOfConfig(t *testing.T) {
	t.Parallel()
	a := newHook(t, nil)
	b := newHook(t, status(http.StatusServiceUnavailable))
	db := testkit.OpenDB(t, filepath.Join(t.TempDir(), "push.db"))
	evs := testEvents(3, 4)
	reopen := func(urls ...string) *Pusher {
		t.Helper()
		p, err := Open(db, testOptions(t, urls...))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		return p
	}

	p := reopen(a.url(), b.url(), a.url())
	if n := len(p.Stats()); n != 2 {
		t.Fatalf("%d receivers for two URLs, one listed twice", n)
	}
	appendAll(t, p, evs)
	testkit.Eventually(t, "a's events accepted, b's retried", 10*time.Second, func() bool {
		s := p.Stats()
		return a.acked() == len(evs) && s[0].Pending == 0 && s[1].Retried > 0
	})
	if n := len(a.requests()); n != len(evs) {
		t.Errorf("%d requests for %d events to a URL listed twice", n, len(evs))
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	p = reopen(a.url()) // b left out
	marker := testEvents(1, 1)
	marker[0].Body = []byte(`{"marker":true}`)
	appendAll(t, p, marker)
	testkit.Eventually(t, "the new event accepted", 5*time.Second, func() bool {
		return a.acked() == len(evs)+1 && p.Stats()[0].Pending == 0
	})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	var kept int
	if err := db.View(func(tx *bbolt.Tx) error {
		if kb := tx.Bucket(outboxBucket).Bucket([]byte(b.url())); kb != nil {
			kept = kb.Stats().KeyN
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if kept != len(evs) {
		t.Errorf("%d of b's %d events kept while it was not configured", kept, len(evs))
	}

	b.setAnswer(nil)
	before := len(b.requests())
	p = reopen(b.url(), a.url())
	testkit.Eventually(t, "b's events accepted", 10*time.Second, func() bool {
		s := p.Stats()
		return b.acked() == len(evs) && s[0].Pending == 0 && s[1].Pending == 0
	})
	checkDelivered(t, b, evs)
	if n := len(b.requests()) - before; n != len(evs) {
		t.Errorf("%d requests to b once configured again, want its %d events", n, len(evs))
	}
	if n := len(a.requests()); n != len(evs)+1 {
		t.Errorf("%d requests to a, want %d: what it accepted was sent again", n, len(evs)+1)
	}
}

// TestRetryStateSurvivesRestart: an event's attempts and its age count on
// across a restart, so one that keeps failing becomes a dead letter MaxAge
// after it was queued, however often the daemon restarts meanwhile.
func TestRetryStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	h := newHook(t, status(http.StatusInternalServerError))
	db := testkit.OpenDB(t, filepath.Join(t.TempDir(), "push.db"))
	clk := &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	opts := testOptions(t, h.url())
	opts.MaxAge = time.Hour
	opts.Now = clk.Now // frozen: the retry after the first attempt is never due
	p, err := Open(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, p, testEvents(1, 1))
	testkit.Eventually(t, "the first attempt failed", 5*time.Second, func() bool { return p.Stats()[0].Retried == 1 })
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	clk.Add(opts.MaxAge) // the daemon was down for the rest of the event's life
	p, err = Open(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	var dead []DeadLetter
	testkit.Eventually(t, "the event among the dead letters", 5*time.Second, func() bool {
		dead, err = p.DeadLetters(Filter{})
		return err == nil && len(dead) == 1
	})
	if dl := dead[0]; dl.Attempts != 2 || dl.LastError != "HTTP 500 Internal Server Error" {
		t.Errorf("dead letter %+v: want 2 attempts (one before the restart, one after)", dl)
	}
	if n := len(h.requests()); n != 2 {
		t.Errorf("%d requests, want one before the restart and one after", n)
	}
}

// stoppedWhileDown runs a pusher whose receiver answers 503, on a clock
// that never moves, until the first event of each of calls calls has
// failed once (its retry is saved five minutes on), and stops it: the
// daemon stopped while the receiver was down. It returns the database and
// the options to open it again.
func stoppedWhileDown(t *testing.T, h *hook, evs []Event, calls int) (*bbolt.DB, Options) {
	t.Helper()
	db := testkit.OpenDB(t, filepath.Join(t.TempDir(), "push.db"))
	clk := &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	opts := testOptions(t, h.url())
	opts.Schedule = []time.Duration{0, 5 * time.Minute}
	opts.MaxInterval = time.Hour
	opts.Now = clk.Now
	p, err := Open(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	appendAll(t, p, evs)
	testkit.Eventually(t, "the first event of every call failed", 5*time.Second, func() bool { return p.Stats()[0].Retried == uint64(calls) })
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return db, opts
}

// TestBacklogSentAtOnceAfterRestart: a receiver that was down when the
// daemon stopped and is back when it starts gets its backlog at once, not
// after the backoff saved before the restart (five minutes, on a clock that
// never moves, so only the restart probe can deliver it).
func TestBacklogSentAtOnceAfterRestart(t *testing.T) {
	t.Parallel()
	h := newHook(t, status(http.StatusServiceUnavailable))
	const calls = 3
	evs := testEvents(calls, 4) // three calls, four events each
	db, opts := stoppedWhileDown(t, h, evs, calls)

	h.setAnswer(status(http.StatusOK)) // the receiver is back; the daemon restarts
	began := time.Now()
	p, err := Open(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	testkit.Eventually(t, "the whole backlog delivered", 10*time.Second, func() bool { return h.acked() == len(evs) })
	t.Logf("%d events delivered %v after the restart", len(evs), time.Since(began).Round(time.Millisecond))
	checkDelivered(t, h, evs)
	testkit.Eventually(t, "nothing pending", 5*time.Second, func() bool { return p.Stats()[0].Pending == 0 })
}

// TestRestartProbeFailsKeepsBackoff: when the receiver is still down after
// the restart, one request finds it out, and the rest wait their backoff.
func TestRestartProbeFailsKeepsBackoff(t *testing.T) {
	t.Parallel()
	h := newHook(t, status(http.StatusServiceUnavailable))
	const calls = 3
	db, opts := stoppedWhileDown(t, h, testEvents(calls, 2), calls)

	p, err := Open(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	testkit.Eventually(t, "the probe failed", 5*time.Second, func() bool { return p.Stats()[0].Retried == 1 })
	if err := p.Close(); err != nil { // no more requests can start
		t.Fatal(err)
	}
	if n := len(h.requests()); n != calls+1 {
		t.Errorf("%d requests, want %d before the restart and one probe after", n, calls+1)
	}
}

// TestDeliveryRidesTheNextCommit: a delivered event is deleted from the
// outbox in the transaction of the next append, not in one of its own, so
// one event at a time costs one commit; Close writes the deletions still
// waiting. Had the daemon died before, the delivered events would be sent
// again after the restart, with their webhook-ids: at least once.
func TestDeliveryRidesTheNextCommit(t *testing.T) {
	t.Parallel()
	h := newHook(t, status(http.StatusOK))
	db := testkit.OpenDB(t, filepath.Join(t.TempDir(), "push.db"))
	opts := testOptions(t, h.url())
	opts.LazyWrite = time.Hour // only an append or Close writes a deletion
	p, err := Open(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	evs := testEvents(1, 10)
	for i, ev := range evs {
		appendAll(t, p, []Event{ev})
		testkit.Eventually(t, "the event delivered", 5*time.Second, func() bool {
			return h.acked() == i+1 && p.Stats()[0].Pending == 0
		})
	}
	if n := p.batches.Load(); n != uint64(len(evs)) {
		t.Errorf("%d commits for %d events appended one at a time, want one each", n, len(evs))
	}

	// What the disk holds now is what a daemon that died now would find:
	// the last event, delivered, not yet deleted.
	crashed := crashCopy(t, db)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if n := p.batches.Load(); n != uint64(len(evs))+1 {
		t.Errorf("%d commits after Close, want %d: the last deletion written", n, len(evs)+1)
	}
	if left := outboxLen(t, db, h.url()); left != 0 {
		t.Errorf("%d delivered events still in the outbox after Close", left)
	}

	again := testkit.OpenDB(t, crashed)
	p2, err := Open(again, testOptions(t, h.url()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p2.Close() })
	testkit.Eventually(t, "the last event sent again", 5*time.Second, func() bool { return len(h.accepted()) == len(evs)+1 })
	all := h.accepted()
	if first, last := all[len(evs)-1], all[len(evs)]; first.ID != last.ID || first.Body != last.Body {
		t.Errorf("sent again as %s %s, first sent as %s %s", last.ID, last.Body, first.ID, first.Body)
	}
}

// outboxLen is how many events the outbox on disk holds for url.
func outboxLen(t *testing.T, db *bbolt.DB, url string) int {
	t.Helper()
	var n int
	if err := db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket(outboxBucket).Bucket([]byte(url)); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}
