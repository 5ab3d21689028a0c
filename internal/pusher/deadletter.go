package pusher

import (
	"context"
	"encoding/json"
	"time"

	"go.etcd.io/bbolt"
)

// Filter selects dead letters.
type Filter struct {
	Receiver string    // a receiver URL, as configured or as listed; "" = every receiver
	ID       string    // one event's webhook-id; "" = any
	Since    time.Time // events that happened at or after; zero = any
	Limit    int       // listing only: at most this many (100; at most 1000)
}

// DeadLetter is an event a receiver never accepted.
type DeadLetter struct {
	ID        string          `json:"id"`
	Event     string          `json:"event"`
	Receiver  string          `json:"receiver"` // without credentials or query
	At        time.Time       `json:"at"`       // when it happened
	Died      time.Time       `json:"died"`     // when delivery was given up
	Attempts  int             `json:"attempts"`
	LastError string          `json:"lastError"`
	Body      json.RawMessage `json:"body"`
}

func (f Filter) receiver(url string) bool {
	return f.Receiver == "" || f.Receiver == url || f.Receiver == redact(url)
}

func (f Filter) match(rec *record) bool {
	return (f.ID == "" || f.ID == rec.ID) && (f.Since.IsZero() || rec.At >= micro(f.Since))
}

// DeadLetters lists dead letters, oldest first.
func (p *Pusher) DeadLetters(f Filter) ([]DeadLetter, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	out := []DeadLetter{}
	err := p.db.View(func(tx *bbolt.Tx) error {
		dead := tx.Bucket(deadBucket)
		if dead == nil {
			return nil
		}
		return dead.ForEachBucket(func(name []byte) error {
			url := string(name)
			if !f.receiver(url) {
				return nil
			}
			return dead.Bucket(name).ForEach(func(_, v []byte) error {
				var rec record
				if len(out) >= limit || json.Unmarshal(v, &rec) != nil || !f.match(&rec) {
					return nil
				}
				out = append(out, DeadLetter{ID: rec.ID, Event: rec.Name, Receiver: redact(url), At: fromMicro(rec.At),
					Died: fromMicro(rec.Died), Attempts: rec.Attempts, LastError: rec.LastError, Body: rec.Body})
				return nil
			})
		})
	})
	return out, err
}

// Replay queues the matching dead letters of the configured receivers
// again, with their webhook-id unchanged, and resumes a receiver that had
// answered 410. It returns how many were queued; ErrStorage at once while
// the outbox cannot be written (the replay would wait on the disk).
func (p *Pusher) Replay(ctx context.Context, f Filter) (int, error) {
	if p.StorageErr() != nil {
		return 0, ErrStorage
	}
	reply := make(chan int, 1)
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		return 0, ErrClosed
	}
	select {
	case p.ops <- op{kind: opReplay, filter: f, reply: reply}:
	case <-ctx.Done():
		p.mu.RUnlock()
		return 0, ctx.Err()
	}
	p.mu.RUnlock()
	select {
	case n := <-reply:
		if n < 0 {
			return 0, ErrStorage
		}
		return n, nil
	case <-ctx.Done():
		return 0, ctx.Err() // it still happens
	}
}

// replayIn moves dead letters back into the outbox inside the committer's
// transaction; fresh collects the new items per receiver.
func (p *Pusher) replayIn(tx *bbolt.Tx, f Filter, now time.Time, fresh [][]*item) (int, error) {
	out, dead := tx.Bucket(outboxBucket), tx.Bucket(deadBucket)
	n := 0
	for ri, r := range p.receivers {
		if !f.receiver(r.url) {
			continue
		}
		b := dead.Bucket([]byte(r.url))
		if b == nil {
			continue
		}
		var keys [][]byte
		var recs []record
		err := b.ForEach(func(k, v []byte) error {
			var rec record
			if json.Unmarshal(v, &rec) == nil && f.match(&rec) {
				keys = append(keys, append([]byte(nil), k...))
				recs = append(recs, rec)
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		for i, rec := range recs {
			rec.Attempts, rec.Next, rec.LastError, rec.Died, rec.Queued = 0, 0, "", 0, micro(now)
			it := &item{seq: p.nextSeq(r.url), rec: rec, index: -1}
			if err := p.putOutbox(out, r.url, it.seq, &it.rec); err != nil {
				return 0, err
			}
			if err := b.Delete(keys[i]); err != nil {
				return 0, err
			}
			fresh[ri] = append(fresh[ri], it)
			n++
		}
	}
	return n, nil
}
