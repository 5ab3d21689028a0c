// Package callid makes the ids of the calls coocenterd originates
// (click-number, extenSpy). Asterisk gives the call's first channel that id
// (Originate's ChannelId), so every push of the call carries it as its
// uniqueid, and clients store it as they store Asterisk's own ids: often as
// a number.
//
// An id therefore has Asterisk's numeric form, "<unix seconds>.<digits>",
// and never equals an id Asterisk makes itself. Asterisk writes its channel
// counter after the dot without leading zeros ("%li.%d" in
// main/channel_internal_api.c, or "system-name-..." when systemname is
// set); ours write a sequence of the second as "0" and three digits:
// "1796223761.0001". So the text differs, and as numbers Asterisk's
// fractions are 0 or at least 0.1 while ours lie in (0, 0.1): they differ
// there too, and no two of ours are equal as numbers. Fourteen significant
// digits fit a float64 exactly enough to keep them apart.
//
// Ids are unique across restarts: with a database, the last id issued is
// written before it is handed out, and the next process continues after
// it, even if the clock went back. A second with more than 999 originations
// borrows the next one.
package callid

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

var (
	bucket  = []byte("callid")
	lastKey = []byte("last")
)

// perSecond is how many ids one second holds: ".0001" to ".0999".
const perSecond = 999

// Generator issues call ids. It is safe for concurrent use.
type Generator struct {
	db  *bbolt.DB // nil: in memory only
	now func() time.Time

	mu   sync.Mutex
	secs int64 // of the last id issued
	seq  int   // 1..perSecond
}

// New returns a generator that keeps nothing: ids are unique within the
// process only (tests, the demo).
func New(now func() time.Time) *Generator {
	if now == nil {
		now = time.Now
	}
	return &Generator{now: now}
}

// Open returns a generator that stores the last id issued in db (bucket
// "callid"), continuing after the one a previous process stored.
func Open(db *bbolt.DB, now func() time.Time) (*Generator, error) {
	g := New(now)
	g.db = db
	err := db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		if v := b.Get(lastKey); v != nil {
			if g.secs, g.seq, err = parse(string(v)); err != nil {
				return fmt.Errorf("stored last call id %q: %w", v, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open call ids: %w", err)
	}
	return g, nil
}

// Next returns a new id. It fails only when the database cannot store it.
func (g *Generator) Next() (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	secs, seq := g.secs, g.seq
	switch now := g.now().Unix(); {
	case now > secs:
		secs, seq = now, 1
	case seq < perSecond:
		seq++
	default:
		secs, seq = secs+1, 1
	}
	id := format(secs, seq)
	if g.db != nil {
		err := g.db.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket(bucket).Put(lastKey, []byte(id))
		})
		if err != nil {
			return "", fmt.Errorf("store call id: %w", err)
		}
	}
	g.secs, g.seq = secs, seq
	return id, nil
}

func format(secs int64, seq int) string {
	return strconv.FormatInt(secs, 10) + ".0" + fmt.Sprintf("%03d", seq)
}

func parse(id string) (int64, int, error) {
	s, frac, ok := strings.Cut(id, ".")
	secs, err1 := strconv.ParseInt(s, 10, 64)
	seq, err2 := strconv.Atoi(strings.TrimPrefix(frac, "0"))
	if !ok || err1 != nil || err2 != nil || len(frac) != 4 || frac[0] != '0' || seq < 1 || seq > perSecond {
		return 0, 0, errors.New("not <seconds>.0NNN")
	}
	return secs, seq, nil
}
