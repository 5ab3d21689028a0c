package blacklist

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// The bbolt layout. Every write goes through one transaction that keeps the
// four buckets consistent with each other: an entry, its expiry index key,
// the count and the pending mark change together or not at all.
var (
	// bucketEntries: number → JSON record. The source of truth.
	bucketEntries = []byte("blacklist")
	// bucketExpiry: 8-byte big-endian expiry (unix seconds) + number → "".
	// Ordered by time, so lifting expired entries reads only those.
	bucketExpiry = []byte("blacklist_expiry")
	// bucketPending: number → 8-byte sequence. The number's AstDB key must
	// still be brought to its state in bucketEntries (written or deleted).
	// The sequence tells a mirror attempt whether the number changed again
	// while it was talking to Asterisk.
	bucketPending = []byte("blacklist_pending")
	// bucketMeta: keyCount, keyFamily, keyReconciled+family.
	bucketMeta = []byte("blacklist_meta")
)

var (
	keyCount      = []byte("count")  // 8-byte entry count, for the cap
	keyFamily     = []byte("family") // the AstDB family of the last Open
	keyReconciled = "reconciled/"    // + family: time of the first reconcile
	allBuckets    = [][]byte{bucketEntries, bucketExpiry, bucketPending, bucketMeta}
)

// record is an entry as stored; the number is its key.
type record struct {
	Reason  string    `json:"reason,omitempty"`
	Added   time.Time `json:"added"`
	Expires time.Time `json:"expires,omitzero"`
}

func (r record) entry(number string) Entry {
	return Entry{Number: number, Reason: r.Reason, Added: r.Added, Expires: r.Expires}
}

func (r record) expired(now time.Time) bool {
	return !r.Expires.IsZero() && !now.Before(r.Expires)
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func readU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func expiryKey(number string, at time.Time) []byte {
	return append(u64(uint64(at.Unix())), number...)
}

// tx wraps a bbolt transaction with the package's buckets.
type tx struct {
	entries, expiry, pending, meta *bbolt.Bucket
}

func wrap(t *bbolt.Tx) tx {
	return tx{t.Bucket(bucketEntries), t.Bucket(bucketExpiry), t.Bucket(bucketPending), t.Bucket(bucketMeta)}
}

func (t tx) get(number string) (record, bool, error) {
	v := t.entries.Get([]byte(number))
	if v == nil {
		return record{}, false, nil
	}
	r, err := decode(number, v)
	return r, err == nil, err
}

func decode(number string, v []byte) (record, error) {
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return record{}, fmt.Errorf("decode entry %q: %w", number, err)
	}
	return r, nil
}

func (t tx) count() uint64 { return readU64(t.meta.Get(keyCount)) }

// put stores r under number, keeping the index and the count, and marks the
// number pending. A zero r.Added becomes that of the entry already there,
// unless it has expired, else now: re-adding a number keeps when it was
// first listed. max is the cap for a number not yet present (0: none).
func (t tx) put(number string, r record, max int, now time.Time) error {
	old, had, err := t.get(number)
	if err != nil {
		return err
	}
	if r.Added.IsZero() {
		r.Added = now
		if had && !old.expired(now) {
			r.Added = old.Added
		}
	}
	n := t.count()
	if !had {
		if max > 0 && n >= uint64(max) {
			return fmt.Errorf("add %s: %w (%d entries)", number, ErrFull, max)
		}
		n++
	}
	if had && !old.Expires.IsZero() {
		if err := t.expiry.Delete(expiryKey(number, old.Expires)); err != nil {
			return err
		}
	}
	if !r.Expires.IsZero() {
		if err := t.expiry.Put(expiryKey(number, r.Expires), nil); err != nil {
			return err
		}
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := t.entries.Put([]byte(number), v); err != nil {
		return err
	}
	if err := t.meta.Put(keyCount, u64(n)); err != nil {
		return err
	}
	return t.markPending(number)
}

// del removes number, keeping the index and the count, and marks it pending.
func (t tx) del(number string) (record, bool, error) {
	old, had, err := t.get(number)
	if err != nil || !had {
		return old, had, err
	}
	if !old.Expires.IsZero() {
		if err := t.expiry.Delete(expiryKey(number, old.Expires)); err != nil {
			return old, had, err
		}
	}
	if err := t.entries.Delete([]byte(number)); err != nil {
		return old, had, err
	}
	if n := t.count(); n > 0 {
		if err := t.meta.Put(keyCount, u64(n-1)); err != nil {
			return old, had, err
		}
	}
	return old, true, t.markPending(number)
}

func (t tx) markPending(number string) error {
	seq, err := t.pending.NextSequence()
	if err != nil {
		return err
	}
	return t.pending.Put([]byte(number), u64(seq))
}

// mirrorValue is what the AstDB key of an entry holds. The dialplan only
// tests that the key exists; the value is for a person reading
// `database show`, and lets a first reconcile restore an entry whole.
func mirrorValue(r record) string {
	var b strings.Builder
	b.WriteString("since=" + r.Added.UTC().Format(time.RFC3339))
	if !r.Expires.IsZero() {
		b.WriteString(" until=" + r.Expires.UTC().Format(time.RFC3339))
	}
	if r.Reason != "" {
		b.WriteString(" reason=" + r.Reason)
	}
	return b.String()
}

// parseMirrorValue reads an AstDB value back into a record. A value not in
// mirrorValue's form comes from elsewhere (an old box writes "1" or a note):
// it becomes the reason, and the entry counts as added now.
func parseMirrorValue(v string, now time.Time) record {
	r := record{Added: now}
	rest, ok := strings.CutPrefix(v, "since=")
	if !ok {
		if v = strings.TrimSpace(v); v != "1" && validReason(v) == nil {
			r.Reason = v
		}
		return r
	}
	since, rest, _ := strings.Cut(rest, " ")
	if t, err := time.Parse(time.RFC3339, since); err == nil {
		r.Added = t.UTC()
	}
	if until, ok := strings.CutPrefix(rest, "until="); ok {
		until, rest, _ = strings.Cut(until, " ")
		if t, err := time.Parse(time.RFC3339, until); err == nil {
			r.Expires = t.UTC()
		}
	}
	if reason, ok := strings.CutPrefix(rest, "reason="); ok && validReason(reason) == nil {
		r.Reason = reason
	}
	return r
}
