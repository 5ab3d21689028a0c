package pausetimer

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"go.etcd.io/bbolt"
)

// The bbolt layout: one top-level bucket, three sub-buckets of JSON values.
// Every change is written before the PBX is asked to act on it, so that a
// restart finds at least what was under way.
var (
	bucketRoot = []byte("pausetimer")
	// bucketWrapUps: extension → wrapUp. Deferred, running and unpausing
	// wrap-ups.
	bucketWrapUps = []byte("wrapups")
	// bucketHeld: queue call Uniqueid → heldRecord. Finished queue calls
	// whose pause is not known yet.
	bucketHeld = []byte("held")
	// bucketEnded: queue call Uniqueid → endedPause. Pauses known before
	// their queue call finished.
	bucketEnded = []byte("ended")
)

// buckets are the sub-buckets of one transaction.
type buckets struct{ wraps, held, ended *bbolt.Bucket }

func (t *Timer) update(what string, f func(b buckets) error) {
	err := t.db.Update(func(tx *bbolt.Tx) error {
		root := tx.Bucket(bucketRoot)
		return f(buckets{root.Bucket(bucketWrapUps), root.Bucket(bucketHeld), root.Bucket(bucketEnded)})
	})
	if err != nil {
		// The PBX is acted on all the same: agents must not stay paused
		// because the disk is full. Only a restart would lose track.
		t.log.Error("store after-call pause state", "what", what, "err", err)
	}
}

func put(b *bbolt.Bucket, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return b.Put([]byte(key), data)
}

// saveWrap stores w.
func (t *Timer) saveWrap(w *wrapUp) {
	t.update("wrap-up of "+w.Exten, func(b buckets) error { return put(b.wraps, w.Exten, w) })
}

// load creates the buckets and reads what they hold.
func (t *Timer) load() error {
	return t.db.Update(func(tx *bbolt.Tx) error {
		root, err := tx.CreateBucketIfNotExists(bucketRoot)
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bucketWrapUps, bucketHeld, bucketEnded} {
			if _, err := root.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return errors.Join(
			loadBucket(root.Bucket(bucketWrapUps), t.log, func(k string, w *wrapUp) bool {
				switch w.Phase {
				case deferred, running, unpausing:
				default:
					return false
				}
				if w.Exten != k || len(w.Calls) == 0 {
					return false
				}
				t.wraps[k] = w
				return true
			}),
			loadBucket(root.Bucket(bucketHeld), t.log, func(k string, h *heldRecord) bool {
				if h.Call.Uniqueid != k {
					return false
				}
				t.held[k] = h
				return true
			}),
			loadBucket(root.Bucket(bucketEnded), t.log, func(k string, e *endedPause) bool {
				t.ended[k] = *e
				return true
			}),
		)
	})
}

// loadBucket decodes every value of b and hands it to keep. A value that
// does not decode, or that keep finds inconsistent, is logged and deleted
// rather than failing the start.
func loadBucket[T any](b *bbolt.Bucket, log *slog.Logger, keep func(key string, v *T) bool) error {
	var bad [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var x T
		err := json.Unmarshal(v, &x)
		if err == nil && keep(string(k), &x) {
			return nil
		}
		log.Warn("dropping an unreadable after-call pause entry", "key", string(k), "err", err)
		bad = append(bad, append([]byte(nil), k...))
		return nil
	})
	for _, k := range bad {
		err = errors.Join(err, b.Delete(k))
	}
	return err
}
