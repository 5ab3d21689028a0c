// Package testkit holds the small helpers the tests of many packages
// share. It imports nothing of the product, so that any package's own
// tests can use it; the scenario bed (internal/testbed), the replay of
// recorded sessions (internal/ami/amitest) and the manual clock
// (internal/clock) are the other test supports.
package testkit

import (
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// OpenDB opens the bbolt file at path as the daemon does (waiting at most
// a second for its lock) and closes it when the test ends, unless the test
// closed it first (a restart).
func OpenDB(tb testing.TB, path string) *bbolt.DB {
	tb.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// TempDB opens a new bbolt file in the test's temporary folder.
func TempDB(tb testing.TB) *bbolt.DB {
	tb.Helper()
	return OpenDB(tb, filepath.Join(tb.TempDir(), "coocenterd.db"))
}

// Eventually waits until cond holds (Poll) and fails the test after
// within with what it waited for.
func Eventually(tb testing.TB, what string, within time.Duration, cond func() bool) {
	tb.Helper()
	if !Poll(within, cond) {
		tb.Fatalf("timed out after %v waiting for: %s", within, what)
	}
}

// Poll reports whether cond holds within the time given, asking every few
// milliseconds. The loop is bounded in count as in time.
func Poll(within time.Duration, cond func() bool) bool {
	const every = 5 * time.Millisecond
	deadline := time.Now().Add(within)
	for range int(within/every) + 1 {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(every)
	}
	return cond()
}
