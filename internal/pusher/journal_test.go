package pusher

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/testkit"
)

// TestJournalFrames: the frames of the journal's last generation are read
// back in order; a frame torn by a crash ends the reading, and so do the
// frames an earlier generation left after the current one's.
func TestJournalFrames(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j")
	j, got, err := openJournal(path, 4096)
	if err != nil || len(got) != 0 {
		t.Fatalf("new journal: %d frames, %v", len(got), err)
	}
	if err := j.reset(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := j.append([]byte(fmt.Sprintf("frame %d of the first generation", i))); err != nil {
			t.Fatal(err)
		}
	}
	reopen := func() [][]byte {
		t.Helper()
		j.close()
		var err error
		j, got, err = openJournal(path, 4096)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := reopen(); len(got) != 5 || string(got[4]) != "frame 4 of the first generation" {
		t.Fatalf("after five appends: %q", got)
	}

	// A new generation: two frames, shorter than what the first left.
	if err := j.reset(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := j.append([]byte(fmt.Sprintf("second %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if got := reopen(); len(got) != 2 || string(got[0]) != "second 0" || string(got[1]) != "second 1" {
		t.Fatalf("after a reset and two appends: %q", got)
	}

	// The last frame torn: only its first half reached the disk.
	if err := j.append([]byte("a frame the crash tore")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(data, []byte("a frame the crash tore"))
	copy(data[at+8:], make([]byte, 10))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := reopen(); len(got) != 2 {
		t.Fatalf("with a torn last frame: %q", got)
	}

	// A file that is not a journal reads as an empty one.
	j.close()
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := reopen(); len(got) != 0 {
		t.Fatalf("a file of x: %q", got)
	}
	j.close()
}

// TestJournalFull: while a receiver is down, its events fill the journal
// several times over; each time they move into bbolt (a checkpoint). A
// restart finds them all there, and once the receiver is back every event
// is delivered, in order per call.
func TestJournalFull(t *testing.T) {
	t.Parallel()
	h := newHook(t, status(http.StatusServiceUnavailable))
	db := testkit.OpenDB(t, filepath.Join(t.TempDir(), "push.db"))
	opts := testOptions(t, h.url())
	opts.journalSize = 8 << 10
	p, err := Open(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	evs := testEvents(5, 40)
	for i := 0; i < len(evs); i += 5 { // a frame each, not one batch too big for the journal
		appendAll(t, p, evs[i:i+5])
		testkit.Eventually(t, "the events written", 5*time.Second, func() bool { return p.appended.Load() == uint64(i+5) })
	}
	if p.checkpoints.Load() == 0 {
		t.Errorf("%d events of about 100 bytes through an 8 KiB journal without a checkpoint", len(evs))
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if n := outboxLen(t, db, h.url()); n != len(evs) {
		t.Fatalf("%d events in the outbox after a restart, want %d", n, len(evs))
	}
	h.setAnswer(nil)
	p, err = Open(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	testkit.Eventually(t, "every event delivered", 10*time.Second, func() bool { return h.acked() == len(evs) })
	checkDelivered(t, h, evs)
}

// TestJournalAfterCrash: a daemon that dies with events on their way
// (accepted, written, not yet delivered) leaves them in the journal; the
// next start checks them in and delivers every one.
func TestJournalAfterCrash(t *testing.T) {
	t.Parallel()
	h := newHook(t, status(http.StatusServiceUnavailable))
	dir := t.TempDir()
	db := testkit.OpenDB(t, filepath.Join(dir, "push.db"))
	opts := testOptions(t, h.url())
	opts.LazyWrite = time.Hour // nothing written after the appends
	p, err := Open(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	evs := testEvents(4, 10)
	appendAll(t, p, evs)
	testkit.Eventually(t, "every event written", 5*time.Second, func() bool { return p.appended.Load() == uint64(len(evs)) })

	crashed := crashCopy(t, db)
	h2 := newHook(t, nil)
	again := testkit.OpenDB(t, crashed)
	p2, err := Open(again, testOptions(t, h2.url()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p2.Close() })
	// h2 is another URL: the events wait for h's, which the next Open of
	// that URL delivers.
	if err := p2.Close(); err != nil {
		t.Fatal(err)
	}
	if n := outboxLen(t, again, h.url()); n != len(evs) {
		t.Fatalf("%d events in the crashed daemon's outbox for %s, want %d", n, h.url(), len(evs))
	}
	h.setAnswer(nil)
	p3, err := Open(again, testOptions(t, h.url()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p3.Close() })
	testkit.Eventually(t, "every event delivered after the crash", 10*time.Second, func() bool { return h.acked() == len(evs) })
	checkDelivered(t, h, evs)
}

// crashCopy copies what the disk holds of db's outbox now, its bbolt file
// and its journal, as a daemon that died now would leave them, and
// returns the copy's database path.
func crashCopy(t *testing.T, db *bbolt.DB) string {
	t.Helper()
	crashed := filepath.Join(t.TempDir(), "crashed.db")
	if err := db.View(func(tx *bbolt.Tx) error { return tx.CopyFile(crashed, 0o600) }); err != nil {
		t.Fatal(err)
	}
	journal, err := os.ReadFile(db.Path() + "-journal")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(crashed+"-journal", journal, 0o600); err != nil {
		t.Fatal(err)
	}
	return crashed
}

// TestOutboxWithoutJournal: a database whose outbox 1.0.0 wrote (records
// in bbolt, no journal beside it) is delivered by this one, which makes
// the journal and goes on numbering after the records it found.
func TestOutboxWithoutJournal(t *testing.T) {
	t.Parallel()
	h := newHook(t, status(http.StatusOK))
	db := testkit.OpenDB(t, filepath.Join(t.TempDir(), "push.db"))
	evs := testEvents(2, 3)
	err := db.Update(func(tx *bbolt.Tx) error {
		out, err := tx.CreateBucketIfNotExists(outboxBucket)
		if err != nil {
			return err
		}
		b, err := out.CreateBucketIfNotExists([]byte(h.url()))
		if err != nil {
			return err
		}
		for i, ev := range evs {
			seq, _ := b.NextSequence()
			rec := record{ID: fmt.Sprintf("msg_old%d", i), Name: ev.Name, Keys: ev.Keys, At: micro(ev.At), Queued: micro(ev.At), Body: ev.Body}
			v, err := json.Marshal(rec) // as 1.0.0 wrote them
			if err != nil {
				return err
			}
			if err := b.Put(seqKey(seq), v); err != nil {
				return err
			}
		}
		_, err = tx.CreateBucketIfNotExists(deadBucket)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db.Path() + "-journal"); !os.IsNotExist(err) {
		t.Fatalf("a journal before the first Open: %v", err)
	}
	p, err := Open(db, testOptions(t, h.url()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	more := testEvents(1, 2)
	for i := range more {
		more[i].Body = fmt.Appendf(nil, `{"new":%d}`, i)
	}
	appendAll(t, p, more)
	all := append(slices.Clone(evs), more...)
	testkit.Eventually(t, "the old events and the new delivered", 10*time.Second, func() bool { return h.acked() == len(all) })
	checkDelivered(t, h, all)
	if _, err := os.Stat(db.Path() + "-journal"); err != nil {
		t.Errorf("no journal after Open: %v", err)
	}
	if got := p.seqs[h.url()]; got != uint64(len(all)) {
		t.Errorf("last sequence number %d, want %d: the new events numbered after the old", got, len(all))
	}
}

// TestJournalUnreadable: a journal whose frames are whole but whose
// entries do not parse is set aside under another name, not deleted, and
// the daemon starts with a new one that works.
func TestJournalUnreadable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "push.db")
	j, _, err := openJournal(dbPath+"-journal", 4096)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.reset(); err != nil {
		t.Fatal(err)
	}
	if err := j.append([]byte("not entries")); err != nil {
		t.Fatal(err)
	}
	j.close()

	h := newHook(t, status(http.StatusOK))
	db := testkit.OpenDB(t, dbPath)
	logs := &syncBuffer{}
	opts := testOptions(t, h.url())
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	p, err := Open(db, opts)
	if err != nil {
		t.Fatalf("Open with an unreadable journal: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	aside, _ := filepath.Glob(dbPath + "-journal.unreadable-*")
	if len(aside) != 1 {
		t.Fatalf("journals set aside: %q", aside)
	}
	if data, err := os.ReadFile(aside[0]); err != nil || !bytes.Contains(data, []byte("not entries")) {
		t.Errorf("the set-aside journal lost its frame (%v)", err)
	}
	if !strings.Contains(logs.String(), "push journal unreadable") {
		t.Errorf("not logged:\n%s", logs.String())
	}
	evs := testEvents(1, 3)
	appendAll(t, p, evs)
	testkit.Eventually(t, "events delivered through the new journal", 5*time.Second, func() bool { return h.acked() == len(evs) })
}
