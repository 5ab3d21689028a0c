package blacklist

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/testkit"
)

// startRun runs s.Run until the test ends.
func startRun(t *testing.T, s *Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v", err)
		}
	})
}

// TestRunRetriesPending: writes AstDB refused are retried by Run, with
// no reconcile, once it answers again.
func TestRunRetriesPending(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	s := openStore(t, testkit.TempDB(t), f, Options{})
	if err := s.Add(ctx, "111"); err != nil {
		t.Fatal(err)
	}
	f.setDown(true)
	if err := s.Add(ctx, "222"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove(ctx, "111"); err != nil {
		t.Fatal(err)
	}
	startRun(t, s)
	time.Sleep(20 * time.Millisecond) // a few failed retries
	f.setDown(false)
	eventually(t, "AstDB to catch up", func() bool {
		n, _ := s.Pending()
		return n == 0
	})
	assertMirrored(t, s, f)
}

// TestAstDBSilent: an Asterisk that takes AMI actions but never answers
// them (stuck, or writetimeout) holds an API call for MirrorTimeout, no
// longer: the change is kept, its AstDB write stays pending, and Run
// makes it once Asterisk answers again.
func TestAstDBSilent(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	s := openStore(t, testkit.TempDB(t), f, Options{MirrorTimeout: 20 * time.Millisecond})
	if err := s.Add(ctx, "111"); err != nil {
		t.Fatal(err)
	}
	f.setSilent(true)
	for name, change := range map[string]func() error{
		"Add":    func() error { return s.Add(ctx, "222") },
		"Remove": func() error { _, err := s.Remove(ctx, "111"); return err },
	} {
		done := make(chan error, 1)
		go func() { done <- change() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s with AstDB silent = %v, want nil", name, err)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("%s with AstDB silent still waits after 2 s (MirrorTimeout 20 ms)", name)
		}
	}
	if got, want := mustList(t, s), []string{"222"}; !slices.Equal(got, want) {
		t.Fatalf("List() = %q, want %q", got, want)
	}
	if n, _ := s.Pending(); n != 2 {
		t.Fatalf("Pending() = %d, want 2 (222 to write, 111 to delete)", n)
	}
	startRun(t, s)
	time.Sleep(50 * time.Millisecond) // retries that time out
	f.setSilent(false)
	eventually(t, "AstDB to catch up", func() bool {
		n, _ := s.Pending()
		return n == 0
	})
	assertMirrored(t, s, f)
}

// TestExpiry: a temporary entry stops counting when its time comes, and
// Run lifts it from bbolt and AstDB.
func TestExpiry(t *testing.T) {
	ctx := context.Background()
	f, clock := newFake(), newClock()
	s := openStore(t, testkit.TempDB(t), f, Options{Now: clock.Now, SweepEvery: time.Millisecond})
	for _, e := range []Entry{
		{Number: "111", Expires: clock.Now().Add(time.Hour)},
		{Number: "222*", Expires: clock.Now().Add(2 * time.Hour), Reason: "two hours"},
		{Number: "333"},
	} {
		if err := s.AddEntry(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// Adding 444 again, for good, drops its expiry.
	if err := s.AddEntry(ctx, Entry{Number: "444", Expires: clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, "444"); err != nil {
		t.Fatal(err)
	}

	clock.Advance(time.Hour)
	if got, want := mustList(t, s), []string{"222*", "333", "444"}; !slices.Equal(got, want) {
		t.Fatalf("List() at expiry = %q, want %q (even before Run lifts it)", got, want)
	}
	if n, err := s.liftExpired(ctx); n != 1 || err != nil {
		t.Fatalf("liftExpired() = %d, %v; want 1", n, err)
	}
	assertMirrored(t, s, f)

	startRun(t, s)
	clock.Advance(time.Hour)
	eventually(t, "Run to lift 222*", func() bool {
		_, ok := f.value("222*")
		n, _ := s.Pending()
		return !ok && n == 0
	})
	if got, want := mustList(t, s), []string{"333", "444"}; !slices.Equal(got, want) {
		t.Fatalf("List() = %q, want %q", got, want)
	}
	if err := s.Add(ctx, "555"); err != nil { // the count followed the lifts
		t.Fatal(err)
	}
	assertMirrored(t, s, f)
}

// TestExpiryAcrossRestart: an entry that expired while the daemon was down
// is lifted as soon as Run starts.
func TestExpiryAcrossRestart(t *testing.T) {
	ctx := context.Background()
	f, clock := newFake(), newClock()
	db := testkit.TempDB(t)
	s := openStore(t, db, f, Options{Now: clock.Now, SweepEvery: time.Hour})
	if err := s.AddEntry(ctx, Entry{Number: "111", Expires: clock.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	clock.Advance(time.Hour)
	s = openStore(t, db, f, Options{Now: clock.Now, SweepEvery: time.Hour})
	startRun(t, s)
	eventually(t, "the overdue entry to be lifted", func() bool {
		n, _ := s.Pending()
		return len(f.numbers()) == 0 && n == 0
	})
	assertMirrored(t, s, f)
}

// TestExpiryWhileAstDBDown: a lift AstDB does not take is retried by Run.
func TestExpiryWhileAstDBDown(t *testing.T) {
	ctx := context.Background()
	f, clock := newFake(), newClock()
	s := openStore(t, testkit.TempDB(t), f, Options{Now: clock.Now, SweepEvery: time.Millisecond})
	if err := s.AddEntry(ctx, Entry{Number: "111", Expires: clock.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	f.setDown(true)
	startRun(t, s)
	time.Sleep(10 * time.Millisecond) // past Run's first retry pass: only the lift's failure may start one
	clock.Advance(time.Minute)
	eventually(t, "the lift", func() bool { return len(mustList(t, s)) == 0 })
	time.Sleep(10 * time.Millisecond) // failed retries
	f.setDown(false)
	eventually(t, "AstDB to follow", func() bool {
		n, _ := s.Pending()
		return n == 0
	})
	assertMirrored(t, s, f)
}
