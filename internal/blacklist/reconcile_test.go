package blacklist

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/testkit"
)

// TestFirstReconcileImports: the first reconcile takes over what an old box
// left in AstDB; values in our own form come back whole.
func TestFirstReconcileImports(t *testing.T) {
	ctx := context.Background()
	f, clock := newFake(), newClock()
	ours := record{Added: clock.Now().Add(-48 * time.Hour), Expires: clock.Now().Add(time.Hour), Reason: "kept"}
	f.set("0509999999", "spam")
	f.set("0501111111", "1")
	f.set("600*", mirrorValue(ours))
	f.set("700", mirrorValue(record{Added: ours.Added, Expires: clock.Now().Add(-time.Hour)})) // expired
	f.set("not-a-number", "x")
	f.set("sub/123", "x")
	s := openStore(t, testkit.TempDB(t), f, Options{Now: clock.Now})
	if err := s.Add(ctx, "111"); err != nil {
		t.Fatal(err)
	}

	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"0501111111", "0509999999", "111", "600*"}
	if got := mustList(t, s); !slices.Equal(got, want) {
		t.Fatalf("List() after the first reconcile = %q, want %q", got, want)
	}
	e, _, _ := s.Lookup(ctx, "0509999999")
	if e.Reason != "spam" || !e.Added.Equal(clock.Now()) {
		t.Errorf("imported 0509999999 = %+v, want reason spam, added now", e)
	}
	if e, _, _ := s.Lookup(ctx, "600123"); e.Reason != "kept" || !e.Added.Equal(ours.Added) || !e.Expires.Equal(ours.Expires) {
		t.Errorf("imported 600* = %+v, want %+v", e, ours)
	}
	assertMirrored(t, s, f) // invalid and expired keys deleted, values rewritten
}

// TestLaterReconcileRemovesStale: once the family is ours, a key found only
// in AstDB is deleted and a missing one written back.
func TestLaterReconcileRemovesStale(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	s := openStore(t, testkit.TempDB(t), f, Options{})
	if err := s.Reconcile(ctx); err != nil { // first, with AstDB empty
		t.Fatal(err)
	}
	mustAdd(t, s, "111", "222")
	f.set("666", "added by hand")
	f.set("111", "edited by hand")
	f.unset("222")

	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := mustList(t, s), []string{"111", "222"}; !slices.Equal(got, want) {
		t.Fatalf("List() = %q, want %q: a later reconcile must not import", got, want)
	}
	assertMirrored(t, s, f)
}

// TestReconcileAfterAsteriskRestart: Asterisk comes back with an empty
// AstDB; the reconcile on connect writes everything back.
func TestReconcileAfterAsteriskRestart(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	s := openStore(t, testkit.TempDB(t), f, Options{})
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, "111", "222*", "+333")
	f.wipe()
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	assertMirrored(t, s, f)
}

// TestAstDBDownDuringChanges: with Asterisk unreachable the API still works
// from bbolt, and the reconcile on reconnect catches AstDB up.
func TestAstDBDownDuringChanges(t *testing.T) {
	for _, delAbsentErr := range []bool{false, true} { // Asterisk ≤ 19 and 20+
		ctx := context.Background()
		f := newFake()
		f.delAbsentErr = delAbsentErr
		s := openStore(t, testkit.TempDB(t), f, Options{})
		if err := s.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		mustAdd(t, s, "111", "222")

		f.setDown(true)
		if err := s.Add(ctx, "333"); err != nil {
			t.Fatalf("Add with AstDB down = %v, want nil", err)
		}
		if found, err := s.Remove(ctx, "111"); !found || err != nil {
			t.Fatalf("Remove with AstDB down = %v, %v", found, err)
		}
		if err := s.Add(ctx, "444"); err != nil { // added and removed while down:
			t.Fatal(err)
		}
		if _, err := s.Remove(ctx, "444"); err != nil { // AstDB never had it
			t.Fatal(err)
		}
		if got, want := mustList(t, s), []string{"222", "333"}; !slices.Equal(got, want) {
			t.Fatalf("List() with AstDB down = %q, want %q", got, want)
		}
		if got, want := f.numbers(), []string{"111", "222"}; !slices.Equal(got, want) {
			t.Fatalf("AstDB while down = %q, want it untouched %q", got, want)
		}
		if err := s.Reconcile(ctx); !errors.Is(err, errDown) {
			t.Errorf("Reconcile with AstDB down = %v, want the AstDB error", err)
		}

		f.setDown(false)
		if err := s.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
		assertMirrored(t, s, f)
	}
}

// TestPendingDeleteIsNotImported: a number removed here while AstDB was
// unreachable must not come back from AstDB on the first reconcile.
func TestPendingDeleteIsNotImported(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	f.set("555", "old box")
	f.set("556", "old box")
	s := openStore(t, testkit.TempDB(t), f, Options{})
	f.setDown(true)
	if err := s.Add(ctx, "555"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove(ctx, "555"); err != nil {
		t.Fatal(err)
	}
	f.setDown(false)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := mustList(t, s), []string{"556"}; !slices.Equal(got, want) {
		t.Fatalf("List() = %q, want %q", got, want)
	}
	assertMirrored(t, s, f)
}

// TestImportOverCapWaits: an AstDB too big to import is left alone (no
// deletion) until a reconcile can import it.
func TestImportOverCapWaits(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	for _, n := range []string{"1", "2", "3"} {
		f.set(n, "1")
	}
	s := openStore(t, testkit.TempDB(t), f, Options{MaxEntries: 2})
	if err := s.Reconcile(ctx); !errors.Is(err, ErrFull) {
		t.Fatalf("Reconcile = %v, want ErrFull", err)
	}
	if got := f.numbers(); len(got) != 3 {
		t.Fatalf("AstDB after a failed import = %q, want all 3 kept", got)
	}
	if got := mustList(t, s); len(got) != 0 {
		t.Fatalf("List() after a failed import = %q, want nothing imported", got)
	}
	f.unset("3")
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	assertMirrored(t, s, f)
	if got := len(mustList(t, s)); got != 2 {
		t.Fatalf("imported %d, want 2", got)
	}
}

// TestReconcileCutShort: the link drops in the middle of a reconcile; what
// it did not get to stays pending, and Run finishes it without waiting for
// the next connect.
func TestReconcileCutShort(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	s := openStore(t, testkit.TempDB(t), f, Options{})
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, "1", "2", "3", "4", "5", "6", "7", "8")
	f.wipe()
	f.mu.Lock()
	f.downAfter = 3 // two writes go through, then the link drops
	f.mu.Unlock()
	if err := s.Reconcile(ctx); !errors.Is(err, errDown) {
		t.Fatalf("Reconcile = %v, want the AstDB error", err)
	}
	if n, _ := s.Pending(); n != 6 {
		t.Fatalf("Pending() = %d after a cut-short reconcile, want 6", n)
	}
	f.setDown(false)
	startRun(t, s)
	eventually(t, "Run to finish the reconcile", func() bool {
		n, _ := s.Pending()
		return n == 0
	})
	assertMirrored(t, s, f)
}
