package pusher

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
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
	waitFor(t, 10*time.Second, "some events accepted, more in flight", func() bool {
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
	db = openDB(t, path)
	p, err = Open(db, testOptions(t, h.url()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	waitFor(t, 10*time.Second, "every event accepted", func() bool { return h.acked() == len(evs) })
	waitFor(t, 5*time.Second, "an empty queue", func() bool { return p.Stats()[0].Pending == 0 })
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
	waitFor(t, 5*time.Second, "a new event accepted and nothing pending", func() bool {
		return h.acked() == len(evs)+1 && p.Stats()[0].Pending == 0
	})
	if n := len(h.requests()) - sent; n != 1 {
		t.Errorf("%d requests after the last restart, want the new event's only", n)
	}
}
