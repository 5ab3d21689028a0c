package blacklist

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/testkit"
)

func TestAddListRemove(t *testing.T) {
	ctx := context.Background()
	f, clock := newFake(), newClock()
	s := openStore(t, testkit.TempDB(t), f, Options{Now: clock.Now})

	if l := mustList(t, s); l == nil || len(l) != 0 {
		t.Fatalf("empty List() = %#v, want an empty non-nil slice", l)
	}
	mustAdd(t, s, "0509999999", "123", "400*")
	clock.Advance(time.Hour)
	if err := s.AddEntry(ctx, Entry{Number: "123", Reason: " spam "}); err != nil { // idempotent: updates
		t.Fatal(err)
	}
	if got, want := mustList(t, s), []string{"0509999999", "123", "400*"}; !slices.Equal(got, want) {
		t.Fatalf("List() = %q, want %q", got, want)
	}
	e, ok, err := s.Lookup(ctx, "123")
	if err != nil || !ok || e.Reason != "spam" || !e.Added.Equal(clock.Now().Add(-time.Hour)) {
		t.Errorf("Lookup(123) = %+v, %v, %v; want reason spam, added an hour ago", e, ok, err)
	}
	assertMirrored(t, s, f)

	if found, err := s.Remove(ctx, "123"); !found || err != nil {
		t.Fatalf("Remove(123) = %v, %v", found, err)
	}
	if found, err := s.Remove(ctx, "123"); found || err != nil {
		t.Fatalf("second Remove(123) = %v, %v; want false, nil (the API answers 404)", found, err)
	}
	if _, err := s.Remove(ctx, "12x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Remove(12x) = %v, want ErrInvalid", err)
	}
	if err := s.Add(ctx, "12x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Add(12x) = %v, want ErrInvalid", err)
	}
	if err := s.AddEntry(ctx, Entry{Number: "5", Expires: clock.Now()}); !errors.Is(err, ErrInvalid) {
		t.Errorf("AddEntry with a past expiry = %v, want ErrInvalid", err)
	}
	assertMirrored(t, s, f)

	// An entry that has expired, even if not lifted yet, is listed anew.
	if err := s.AddEntry(ctx, Entry{Number: "6", Expires: clock.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if err := s.Add(ctx, "6"); err != nil {
		t.Fatal(err)
	}
	if e, _, _ := s.Lookup(ctx, "6"); !e.Added.Equal(clock.Now()) || !e.Expires.IsZero() {
		t.Errorf("6 re-added after it expired = %+v, want added now, for good", e)
	}
	assertMirrored(t, s, f)
}

func TestLookup(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s := openStore(t, testkit.TempDB(t), newFake(), Options{Now: clock.Now})
	mustAdd(t, s, "4*", "400*", "4001", "900*")
	if err := s.AddEntry(ctx, Entry{Number: "777*", Expires: clock.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute) // 777* has expired but is not lifted yet
	for caller, want := range map[string]string{
		"4001": "4001", "4002": "400*", "41": "4*", "4": "4*", "900": "900*", "90": "", "7770": "", "": "",
	} {
		e, ok, err := s.Lookup(ctx, caller)
		if err != nil || ok != (want != "") || e.Number != want {
			t.Errorf("Lookup(%q) = %q, %v, %v; want %q", caller, e.Number, ok, err, want)
		}
	}
}

func TestCap(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	s := openStore(t, testkit.TempDB(t), f, Options{MaxEntries: 3})
	mustAdd(t, s, "1", "2", "3")
	if err := s.Add(ctx, "4"); !errors.Is(err, ErrFull) {
		t.Fatalf("Add over the cap = %v, want ErrFull", err)
	}
	if err := s.Add(ctx, "3"); err != nil {
		t.Fatalf("re-adding at the cap = %v, want nil", err)
	}
	if _, err := s.Remove(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, "4"); err != nil {
		t.Fatalf("Add after a removal = %v", err)
	}
	assertMirrored(t, s, f)
}

// TestReopenLosesNothing closes and reopens the store and the bbolt file
// while AstDB is down: entries and pending AstDB writes both survive.
func TestReopenLosesNothing(t *testing.T) {
	ctx := context.Background()
	f, clock := newFake(), newClock()
	db := testkit.TempDB(t)
	path := db.Path()
	s := openStore(t, db, f, Options{Now: clock.Now})
	mustAdd(t, s, "111", "222", "333")
	f.setDown(true)
	if err := s.AddEntry(ctx, Entry{Number: "444*", Reason: "premium", Expires: clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove(ctx, "222"); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Entries(ctx)
	s.Close()
	db.Close()

	s = openStore(t, testkit.OpenDB(t, path), f, Options{Now: clock.Now})
	after, err := s.Entries(ctx)
	if err != nil || !slices.Equal(after, before) {
		t.Fatalf("after reopening: %+v, %v; want %+v", after, err, before)
	}
	if n, _ := s.Pending(); n != 2 {
		t.Errorf("Pending() after reopening = %d, want 2 (444* and 222)", n)
	}
	f.setDown(false)
	if err := s.flushPending(ctx); err != nil {
		t.Fatal(err)
	}
	assertMirrored(t, s, f)
}

// TestConcurrentChanges runs 50 goroutines adding and removing the same
// few numbers: AstDB must end equal to bbolt without any repair. A later
// change heals an earlier race, so only the last ones can show one: hence
// several short rounds, each checked.
func TestConcurrentChanges(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	f.delAbsentErr, f.jitter = true, true
	db := testkit.TempDB(t)
	db.NoSync = true // durability is another test's subject; keep this one fast
	s := openStore(t, db, f, Options{})
	for round := range 8 {
		var wg sync.WaitGroup
		for g := range 50 {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(g), uint64(round)))
				for range 3 {
					n := fmt.Sprint(1000 + rng.IntN(3))
					var err error
					if rng.IntN(2) == 0 {
						err = s.Add(ctx, n)
					} else {
						_, err = s.Remove(ctx, n)
					}
					if err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		assertMirrored(t, s, f)
		if t.Failed() {
			t.Fatalf("round %d", round)
		}
	}
}

// TestConcurrentChangesFlakyAstDB is the same with AstDB dropping in and
// out and reconciles among the changes: afterwards, one reconcile makes
// them equal.
func TestConcurrentChangesFlakyAstDB(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	f.jitter = true
	db := testkit.TempDB(t)
	db.NoSync = true
	s := openStore(t, db, f, Options{})
	var wg sync.WaitGroup
	for g := range 50 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 2))
			for range 20 {
				n := fmt.Sprint(2000 + rng.IntN(10))
				var err error
				switch rng.IntN(7) {
				case 0:
					f.setDown(rng.IntN(2) == 0)
				case 1:
					_ = s.Reconcile(ctx) // fails while AstDB is down
				case 2, 3, 4:
					err = s.Add(ctx, n)
				default:
					_, err = s.Remove(ctx, n)
				}
				if err != nil {
					t.Error(err) // a mirror failure must never fail the call
					return
				}
			}
		})
	}
	wg.Wait()
	f.setDown(false)
	if err := s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	assertMirrored(t, s, f)
}

func TestClosed(t *testing.T) {
	s := openStore(t, testkit.TempDB(t), newFake(), Options{})
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	eventually(t, "Run to start", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.running
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.runDone:
	default:
		t.Fatal("Close returned before Run did")
	}
	if err := <-done; err != nil {
		t.Errorf("Run() = %v after Close, want nil", err)
	}
	if err := s.Add(context.Background(), "1"); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close = %v, want ErrClosed", err)
	}
	if err := s.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close = %v, want ErrClosed", err)
	}
}
