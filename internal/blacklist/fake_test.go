package blacklist

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/clock"
)

var errDown = errors.New("fake AstDB: not connected")

// fakeAstDB is an in-memory AstDB whose link can be cut.
type fakeAstDB struct {
	mu   sync.Mutex
	keys map[string]map[string]string // family → key → value
	down bool
	// delAbsentErr: DBDel of a missing key fails as on Asterisk 20
	// (matching ErrAbsent); otherwise it succeeds as on 13–19.
	delAbsentErr bool
	// jitter makes each call take up to 200 µs (outside the lock), so that
	// concurrent writers overtake each other as they do over a socket.
	jitter bool
	// downAfter > 0: the link drops after that many more Put/Del calls.
	downAfter int
	calls     int
	// silent: Put and Del get no answer, as from an Asterisk that is
	// connected but stuck; they return when their context ends.
	silent bool
}

// hit counts a Put or Del and reports whether the link is down; f.mu held.
func (f *fakeAstDB) hit() (down bool) {
	f.calls++
	if f.downAfter > 0 {
		if f.downAfter--; f.downAfter == 0 {
			f.down = true
		}
	}
	return f.down
}

// wait delays a Put or Del as jitter and silent say; it fails with the
// context's error when silent.
func (f *fakeAstDB) wait(ctx context.Context) error {
	f.mu.Lock()
	j, silent := f.jitter, f.silent
	f.mu.Unlock()
	if silent {
		<-ctx.Done()
		return ctx.Err()
	}
	if j {
		time.Sleep(time.Duration(rand.IntN(1000)) * time.Microsecond)
	}
	return nil
}

func newFake() *fakeAstDB { return &fakeAstDB{keys: map[string]map[string]string{}} }

func (f *fakeAstDB) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *fakeAstDB) setSilent(silent bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.silent = silent
}

func (f *fakeAstDB) Put(ctx context.Context, family, key, value string) error {
	if err := f.wait(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hit() {
		return errDown
	}
	if f.keys[family] == nil {
		f.keys[family] = map[string]string{}
	}
	f.keys[family][key] = value
	return nil
}

func (f *fakeAstDB) Del(ctx context.Context, family, key string) error {
	if err := f.wait(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hit() {
		return errDown
	}
	if _, ok := f.keys[family][key]; !ok && f.delAbsentErr {
		return fmt.Errorf("DBDel: Database entry could not be deleted: %w", ErrAbsent)
	}
	delete(f.keys[family], key)
	return nil
}

func (f *fakeAstDB) Tree(ctx context.Context, family string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.down {
		return nil, errDown
	}
	return maps.Clone(f.keys[family]), nil
}

// set writes a key behind the store's back (the dialplan, an old box, a person).
func (f *fakeAstDB) set(key, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keys["blacklist"] == nil {
		f.keys["blacklist"] = map[string]string{}
	}
	f.keys["blacklist"][key] = value
}

// unset deletes a key behind the store's back.
func (f *fakeAstDB) unset(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.keys["blacklist"], key)
}

// wipe empties AstDB, as a reinstalled Asterisk would.
func (f *fakeAstDB) wipe() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = map[string]map[string]string{}
}

func (f *fakeAstDB) numbers() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.keys["blacklist"]))
}

func (f *fakeAstDB) value(key string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.keys["blacklist"][key]
	return v, ok
}

// newClock is the tests' clock: noon of 2026-11-21, UTC.
func newClock() *clock.Manual { return clock.NewManual(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)) }

// openStore opens a Store on db with fast test timings.
func openStore(t *testing.T, db *bbolt.DB, f *fakeAstDB, opts Options) *Store {
	t.Helper()
	if opts.MirrorTimeout == 0 {
		opts.MirrorTimeout = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RetryMin == 0 {
		opts.RetryMin, opts.RetryMax = time.Millisecond, 5*time.Millisecond
	}
	s, err := Open(db, "blacklist", f, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mustAdd adds numbers, failing the test at the first error.
func mustAdd(t *testing.T, s *Store, numbers ...string) {
	t.Helper()
	for _, n := range numbers {
		if err := s.Add(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
}

func mustList(t *testing.T, s *Store) []string {
	t.Helper()
	l, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// assertMirrored checks that AstDB holds exactly the store's entries, each
// with its value, and that nothing is pending.
func assertMirrored(t *testing.T, s *Store, f *fakeAstDB) {
	t.Helper()
	entries, err := s.Entries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range entries {
		want = append(want, e.Number)
		r := record{Reason: e.Reason, Added: e.Added, Expires: e.Expires}
		if v, _ := f.value(e.Number); v != mirrorValue(r) {
			t.Errorf("AstDB %s = %q, want %q", e.Number, v, mirrorValue(r))
		}
	}
	if got := f.numbers(); !slices.Equal(got, want) {
		t.Errorf("AstDB has %q, bbolt has %q", got, want)
	}
	if n, err := s.Pending(); err != nil || n != 0 {
		t.Errorf("Pending() = %d, %v; want 0", n, err)
	}
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
