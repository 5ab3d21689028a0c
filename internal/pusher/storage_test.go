package pusher

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/testkit"
)

var errDisk = errors.New("input/output error")

// failWrites makes the outbox's writes fail while fail is true: its
// journal's and its bbolt transactions.
func failWrites(p *Pusher, fail *atomic.Bool) {
	update, write := p.db.Update, p.journalWrite
	p.update = func(fn func(*bbolt.Tx) error) error {
		if fail.Load() {
			return errDisk
		}
		return update(fn)
	}
	p.journalWrite = func(payload []byte) error {
		if fail.Load() {
			return errDisk
		}
		return write(payload)
	}
}

// TestFailingDiskDoesNotHangClose: Close gives up a write that keeps
// failing after DrainTimeout, and says, event by event, what was lost.
func TestFailingDiskDoesNotHangClose(t *testing.T) {
	t.Parallel()
	h := newHook(t, status(http.StatusOK))
	logs := &syncBuffer{}
	opts := testOptions(t, h.url())
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	opts.DrainTimeout = 300 * time.Millisecond
	p := start(t, opts)
	var fail atomic.Bool
	fail.Store(true)
	failWrites(p, &fail)

	evs := testEvents(3, 1)
	appendAll(t, p, evs)
	testkit.Eventually(t, "the outbox reported failing", 5*time.Second, func() bool { return p.StorageErr() != nil })
	if !errors.Is(p.StorageErr(), errDisk) {
		t.Errorf("StorageErr = %v, want %v", p.StorageErr(), errDisk)
	}

	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waiting on a failing disk after 10 s")
	}
	if err == nil || !strings.Contains(err.Error(), "3 push events lost") {
		t.Errorf("Close = %v, want 3 push events lost", err)
	}
	out := logs.String()
	for _, ev := range evs {
		if !strings.Contains(out, strings.ReplaceAll(string(ev.Body), `"`, `\"`)) {
			t.Errorf("the log does not name the lost event %s:\n%s", ev.Body, out)
		}
	}
	if n := strings.Count(out, "push event lost"); n != len(evs) {
		t.Errorf("%d lost events logged, want %d", n, len(evs))
	}
	if len(h.requests()) != 0 {
		t.Errorf("events never written were sent: %d requests", len(h.requests()))
	}
}

// TestDiskRecovers: while the outbox cannot be written, what was accepted
// waits in memory; when the disk is back it is written and delivered, and
// StorageErr is nil again.
func TestDiskRecovers(t *testing.T) {
	t.Parallel()
	h := newHook(t, status(http.StatusOK))
	p := start(t, testOptions(t, h.url()))
	var fail atomic.Bool
	fail.Store(true)
	failWrites(p, &fail)

	evs := testEvents(2, 2)
	appendAll(t, p, evs)
	testkit.Eventually(t, "the outbox reported failing", 5*time.Second, func() bool { return p.StorageErr() != nil })
	if n, err := p.Replay(t.Context(), Filter{}); n != 0 || !errors.Is(err, ErrStorage) {
		t.Errorf("Replay while the outbox fails = %d, %v; want ErrStorage at once", n, err)
	}
	fail.Store(false)
	testkit.Eventually(t, "every event delivered", 10*time.Second, func() bool { return h.acked() == len(evs) })
	checkDelivered(t, h, evs)
	if err := p.StorageErr(); err != nil {
		t.Errorf("StorageErr = %v after the disk came back", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}
