package blacklist

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"

	"go.etcd.io/bbolt"
)

// AstDB is the part of Asterisk's database the blacklist mirrors into. The
// daemon implements it over AMI (DBPut, DBDel, DBGetTree or, before
// 16.28/18.14/19.6/20.0, Command "database show <family>").
type AstDB interface {
	// Put writes family/key = value.
	Put(ctx context.Context, family, key, value string) error
	// Del deletes family/key. A key that is not there is not a failure:
	// return nil (Asterisk up to 19.x answers Success) or an error matching
	// ErrAbsent (map 20.x's "Database entry could not be deleted" to it).
	// Any other error means "try again later".
	Del(ctx context.Context, family, key string) error
	// Tree returns every key of the family, relative to it ("/blacklist/123"
	// is "123"), with its value. An empty family is an empty map, not an
	// error (DBGetTree answers an empty family with Response: Error).
	Tree(ctx context.Context, family string) (map[string]string, error)
}

// ErrAbsent is what an AstDB's Del may return for a key that is not there.
var ErrAbsent = errors.New("AstDB key not found")

// lock serialises mirror writes of one number (striped: two numbers may
// share a lock, which only costs waiting).
func (s *Store) lock(number string) func() {
	m := &s.locks[maphash.String(s.seed, number)%uint64(len(s.locks))]
	m.Lock()
	return m.Unlock
}

// mirrorNow brings number's AstDB key up to date on behalf of an API call:
// bounded by MirrorTimeout; on failure the pending mark stays and Run
// retries, so the caller never sees the error.
func (s *Store) mirrorNow(ctx context.Context, number string) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.MirrorTimeout)
	defer cancel()
	if err := s.flush(ctx, number); err != nil {
		s.log.Warn("AstDB not updated, will retry", "number", number, "err", err)
		s.wake()
	}
}

// wake tells Run there is pending work.
func (s *Store) wake() { signal(s.kick) }

// signal sends on a one-slot channel without waiting.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// flush makes number's AstDB key match its state in bbolt at this moment:
// written (with its value) if listed, deleted if not. Flushes of one number
// are serialised, and each reads the state afresh, so the last one to run
// writes the last state; the pending mark is cleared only if no change came
// in meanwhile (its sequence is unchanged). A failed flush leaves the number
// pending.
func (s *Store) flush(ctx context.Context, number string) error {
	defer s.lock(number)()
	var (
		r       record
		listed  bool
		pending []byte
	)
	err := s.db.View(func(bt *bbolt.Tx) error {
		t := wrap(bt)
		var err error
		r, listed, err = t.get(number)
		pending = bytes.Clone(t.pending.Get([]byte(number)))
		return err
	})
	if err != nil {
		return err
	}
	if listed {
		err = s.mirror.Put(ctx, s.family, number, mirrorValue(r))
	} else if err = s.mirror.Del(ctx, s.family, number); errors.Is(err, ErrAbsent) {
		err = nil
	}
	if err != nil {
		if pending == nil {
			err = errors.Join(err, s.db.Update(func(bt *bbolt.Tx) error { return wrap(bt).markPending(number) }))
		}
		return fmt.Errorf("AstDB %s/%s: %w", s.family, number, err)
	}
	if pending == nil {
		return nil
	}
	return s.db.Update(func(bt *bbolt.Tx) error {
		p := wrap(bt).pending
		if bytes.Equal(p.Get([]byte(number)), pending) {
			return p.Delete([]byte(number))
		}
		return nil
	})
}

// flushPending retries every pending number.
func (s *Store) flushPending(ctx context.Context) error {
	var numbers []string
	err := s.db.View(func(bt *bbolt.Tx) error {
		return bt.Bucket(bucketPending).ForEach(func(k, _ []byte) error {
			numbers = append(numbers, string(k))
			return nil
		})
	})
	if err != nil {
		return err
	}
	_, err = s.flushAll(ctx, numbers)
	return err
}

// flushAll flushes each number, each call bounded by MirrorTimeout. It
// gives up after three failures in a row (Asterisk is most likely down) or
// when ctx ends, and marks the numbers it did not try pending, so Run takes
// over where a cut-short reconcile stopped. It returns how many were not
// flushed and the first error; one number Asterisk keeps refusing cannot
// hold up the rest.
func (s *Store) flushAll(ctx context.Context, numbers []string) (failed int, first error) {
	inARow := 0
	for i, n := range numbers {
		if first == nil {
			first = ctx.Err()
		}
		if inARow == 3 || ctx.Err() != nil {
			rest := numbers[i:]
			return failed + len(rest), errors.Join(first, s.markAllPending(rest))
		}
		cctx, cancel := context.WithTimeout(ctx, s.opts.MirrorTimeout)
		err := s.flush(cctx, n)
		cancel()
		if err == nil {
			inARow = 0
			continue
		}
		failed++
		inARow++
		if first == nil {
			first = err
		}
	}
	return failed, first
}

// markAllPending marks numbers pending in one transaction.
func (s *Store) markAllPending(numbers []string) error {
	return s.db.Update(func(bt *bbolt.Tx) error {
		t := wrap(bt)
		for _, n := range numbers {
			if err := t.markPending(n); err != nil {
				return err
			}
		}
		return nil
	})
}
