package blacklist

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// Entry is one blacklisted number or prefix pattern.
type Entry struct {
	Number  string    // a number, or a prefix pattern ending in '*' (see ValidNumber)
	Reason  string    // optional note, one line of at most MaxReasonLen characters
	Added   time.Time // set by the store when the number is first added
	Expires time.Time // zero: never; else the entry lifts itself at that moment
}

// Options tune a Store. Zero values take the defaults.
type Options struct {
	Now           func() time.Time // clock; time.Now
	Logger        *slog.Logger     // slog.Default()
	MaxEntries    int              // cap on entries (patterns included); 100 000
	MirrorTimeout time.Duration    // one AstDB call made on behalf of an API call; 2 s
	RetryMin      time.Duration    // first retry of pending mirror writes; 500 ms
	RetryMax      time.Duration    // retry backoff ceiling; 30 s
	SweepEvery    time.Duration    // how often Run lifts expired entries; 1 s
}

// DefaultMaxEntries is the default cap on the number of entries.
const DefaultMaxEntries = 100_000

func (o *Options) withDefaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MirrorTimeout <= 0 {
		o.MirrorTimeout = 2 * time.Second
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 500 * time.Millisecond
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(30*time.Second, o.RetryMin)
	}
	if o.SweepEvery <= 0 {
		o.SweepEvery = time.Second
	}
}

// Store is the blacklist: entries in bbolt, mirrored into one AstDB family.
// Its methods are safe for concurrent use.
type Store struct {
	db     *bbolt.DB
	family string
	mirror AstDB
	opts   Options
	log    *slog.Logger

	locks       [64]sync.Mutex // per-number (striped): one mirror write at a time
	seed        maphash.Seed   // picks a number's lock
	reconcileMu sync.Mutex

	kick      chan struct{}   // pending mirror work appeared
	recovered chan struct{}   // a reconcile succeeded: Asterisk answers again
	stop      context.Context // done after Close
	cancel    context.CancelFunc
	runDone   chan struct{} // closed when Run returns
	mu        sync.Mutex
	running   bool
	closed    bool
}

// Open prepares the store's buckets in db, which the caller owns and closes
// after Close. family is the AstDB family the dialplan checks; mirror is how
// the store reaches it (the daemon wires it to AMI).
func Open(db *bbolt.DB, family string, mirror AstDB, opts Options) (*Store, error) {
	if family == "" || strings.ContainsAny(family, "/\r\n\x00") {
		return nil, fmt.Errorf("open blacklist: bad AstDB family %q", family)
	}
	if mirror == nil {
		return nil, errors.New("open blacklist: no AstDB mirror")
	}
	opts.withDefaults()
	s := &Store{
		db: db, family: family, mirror: mirror, opts: opts,
		log:       opts.Logger.With("component", "blacklist", "family", family),
		seed:      maphash.MakeSeed(),
		kick:      make(chan struct{}, 1),
		recovered: make(chan struct{}, 1),
		runDone:   make(chan struct{}),
	}
	s.stop, s.cancel = context.WithCancel(context.Background())
	var previous string
	err := db.Update(func(t *bbolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := t.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := t.Bucket(bucketMeta)
		previous = string(meta.Get(keyFamily))
		return meta.Put(keyFamily, []byte(family))
	})
	if err != nil {
		return nil, fmt.Errorf("open blacklist: %w", err)
	}
	if previous != "" && previous != family {
		s.log.Warn("AstDB family changed: the old family is no longer maintained", "old", previous)
	}
	return s, nil
}

func (s *Store) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

// List returns the blacklisted numbers and patterns in byte order, never
// nil. Expired entries not yet lifted are left out.
func (s *Store) List(ctx context.Context) ([]string, error) {
	entries, err := s.Entries(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Number
	}
	return out, nil
}

// Entries returns every entry in number order, never nil. Expired entries
// not yet lifted are left out.
func (s *Store) Entries(ctx context.Context) ([]Entry, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	now := s.opts.Now()
	out := []Entry{}
	err := s.db.View(func(bt *bbolt.Tx) error {
		return bt.Bucket(bucketEntries).ForEach(func(k, v []byte) error {
			r, err := decode(string(k), v)
			if err == nil && !r.expired(now) {
				out = append(out, r.entry(string(k)))
			}
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list blacklist: %w", err)
	}
	return out, nil
}

// Lookup returns the entry that blocks caller: the exact number, else the
// longest matching prefix pattern — what the dialplan subroutine decides.
func (s *Store) Lookup(ctx context.Context, caller string) (Entry, bool, error) {
	if err := s.check(); err != nil {
		return Entry{}, false, err
	}
	now := s.opts.Now()
	var found Entry
	var ok bool
	err := s.db.View(func(t *bbolt.Tx) error {
		candidates := []string{caller}
		for i := min(len(caller), MaxNumberLen-1); i > 0; i-- {
			candidates = append(candidates, caller[:i]+"*")
		}
		for _, c := range candidates {
			r, had, err := wrap(t).get(c)
			if err != nil {
				return err
			}
			if had && !r.expired(now) {
				found, ok = r.entry(c), true
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return Entry{}, false, fmt.Errorf("look up %s in the blacklist: %w", show(caller), err)
	}
	return found, ok, nil
}

// Add blacklists number for good, with no reason: AddEntry(Entry{Number: number}).
func (s *Store) Add(ctx context.Context, number string) error {
	return s.AddEntry(ctx, Entry{Number: number})
}

// AddEntry adds e, or replaces the reason and expiry of an entry already
// there (Added is kept), so repeating it is harmless. The change is durable
// when AddEntry returns; the AstDB key is written before it returns if
// Asterisk answers in time, else a retry is queued (see Run) — a mirror
// failure is logged, never returned. Errors match ErrInvalid or ErrFull.
func (s *Store) AddEntry(ctx context.Context, e Entry) error {
	if err := s.check(); err != nil {
		return err
	}
	e.Reason = strings.TrimSpace(e.Reason)
	if err := ValidNumber(e.Number); err != nil {
		return err
	}
	if err := validReason(e.Reason); err != nil {
		return err
	}
	now := s.opts.Now().UTC().Truncate(time.Second)
	r := record{Reason: e.Reason}
	if !e.Expires.IsZero() {
		r.Expires = e.Expires.UTC().Truncate(time.Second)
		if !r.Expires.After(now) {
			return invalidf("expires %s is not in the future", r.Expires.Format(time.RFC3339))
		}
	}
	err := s.db.Update(func(bt *bbolt.Tx) error {
		return wrap(bt).put(e.Number, r, s.opts.MaxEntries, now)
	})
	if err != nil {
		return fmt.Errorf("blacklist %s: %w", e.Number, err)
	}
	s.mirrorNow(ctx, e.Number)
	return nil
}

// Remove takes number off the blacklist. found is false when it was not
// listed (an entry already expired counts as not listed, and is dropped).
// Like AddEntry, the AstDB key is deleted now or by a queued retry.
func (s *Store) Remove(ctx context.Context, number string) (found bool, err error) {
	if err := s.check(); err != nil {
		return false, err
	}
	if err := ValidNumber(number); err != nil {
		return false, err
	}
	now := s.opts.Now()
	var had bool
	err = s.db.Update(func(bt *bbolt.Tx) error {
		var old record
		old, had, err = wrap(bt).del(number)
		found = had && !old.expired(now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("remove %s from the blacklist: %w", number, err)
	}
	if had {
		s.mirrorNow(ctx, number)
	}
	return found, nil
}

// Pending returns how many numbers still wait for their AstDB key to be
// written or deleted.
func (s *Store) Pending() (int, error) {
	var n int
	err := s.db.View(func(t *bbolt.Tx) error {
		n = t.Bucket(bucketPending).Stats().KeyN
		return nil
	})
	return n, err
}

// Close stops Run and waits for it to return. Further calls fail with
// ErrClosed. It does not close the bbolt database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	running := s.running
	s.cancel()
	s.mu.Unlock()
	if running {
		<-s.runDone
	}
	return nil
}
