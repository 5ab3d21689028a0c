package blacklist

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Run keeps the mirror and the expiries going until ctx is done or Close is
// called: it retries pending AstDB writes (at once, then with backoff from
// RetryMin doubling to RetryMax while they fail) and lifts expired entries
// every SweepEvery. Call it once, in its own goroutine; it returns nil when
// stopped.
func (s *Store) Run(ctx context.Context) error {
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return ErrClosed
	case s.running:
		s.mu.Unlock()
		return errors.New("blacklist: Run called twice")
	}
	s.running = true
	s.mu.Unlock()
	defer close(s.runDone)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.stop, cancel)()

	sweep := time.NewTicker(s.opts.SweepEvery)
	defer sweep.Stop()
	retry := time.NewTimer(0) // at once: work left pending before a restart
	defer retry.Stop()
	var backoff time.Duration // 0 while Asterisk takes our writes
	s.sweep(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sweep.C:
			s.sweep(ctx)
			continue
		case <-s.kick:
			if backoff > 0 {
				continue // the retry timer is already set
			}
		case <-s.recovered:
			backoff = 0
		case <-retry.C:
		}
		if err := s.flushPending(ctx); err != nil && ctx.Err() == nil {
			backoff = min(max(2*backoff, s.opts.RetryMin), s.opts.RetryMax)
			s.log.Warn("AstDB writes still pending", "retry_in", backoff, "err", err)
			retry.Reset(backoff)
		} else {
			backoff = 0
		}
	}
}

// sweep lifts expired entries, logging what fails.
func (s *Store) sweep(ctx context.Context) {
	if n, err := s.liftExpired(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("lifting expired entries", "lifted", n, "err", err)
		s.wake() // what AstDB did not take is pending: retry it
	} else if n > 0 {
		s.log.Info("lifted expired entries", "count", n)
	}
}

// liftExpired removes every entry whose expiry has come, then mirrors the
// removals (what AstDB does not take stays pending). It reads only the
// expiry index up to now.
func (s *Store) liftExpired(ctx context.Context) (int, error) {
	now := s.opts.Now()
	var due [][]byte
	err := s.db.View(func(bt *bbolt.Tx) error { // most sweeps find nothing: no write
		c := bt.Bucket(bucketExpiry).Cursor()
		for k, _ := c.First(); len(k) > 8 && int64(readU64(k[:8])) <= now.Unix(); k, _ = c.Next() {
			due = append(due, bytes.Clone(k))
		}
		return nil
	})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	var lifted []string
	err = s.db.Update(func(bt *bbolt.Tx) error {
		t := wrap(bt)
		lifted = lifted[:0]
		for _, k := range due {
			number := string(k[8:])
			r, had, err := t.get(number)
			if err != nil {
				return err
			}
			if had && r.expired(now) {
				if _, _, err := t.del(number); err != nil {
					return err
				}
				lifted = append(lifted, number)
			} else if err := t.expiry.Delete(k); err != nil { // stale index key
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("lift expired blacklist entries: %w", err)
	}
	_, err = s.flushAll(ctx, lifted)
	return len(lifted), err
}
