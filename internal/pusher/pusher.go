package pusher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/pausetimer"
	"github.com/coocenter/coocenterd/internal/pbx"
)

// ErrClosed is returned by Append and Replay after Close.
var ErrClosed = errors.New("pusher is closed")

// ErrStorage is returned by Replay while the outbox cannot be written;
// StorageErr says why.
var ErrStorage = errors.New("the push outbox cannot be written")

// StandardSchedule is the Standard Webhooks retry schedule: the delay
// before each attempt, the first being immediate; the last repeats.
var StandardSchedule = []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// Options configure the pusher; zero values take the defaults shown.
type Options struct {
	URLs        []string      // receivers; every event goes to each
	Translator  Translator    // MAC, time zone, legacy event name
	Secrets     []Secret      // signing keys; none = no webhook-signature header
	InFlight    int           // concurrent requests per receiver (4)
	Timeout     time.Duration // one request (15 s)
	MaxAge      time.Duration // an event failing this long becomes a dead letter (72 h)
	MaxInterval time.Duration // ceiling of the backoff and of Retry-After (2 h)
	Schedule    []time.Duration
	Jitter      float64 // ± share of each backoff delay picked at random (0.2); < 0 none
	UserAgent   string  // "coocenterd/<version>"
	Client      *http.Client
	Logger      *slog.Logger
	Now         func() time.Time
	// QueueSize bounds events accepted but not yet on disk; Handle blocks
	// when it is full (the disk is stalled). 8192.
	QueueSize int
	// DrainTimeout bounds how long Close keeps retrying a failing outbox
	// write before it gives the events up, loudly (10 s).
	DrainTimeout time.Duration
	// LazyWrite bounds how long a delivery (its deletion from the outbox)
	// or a failed attempt waits for a transaction to ride in before it is
	// written in one of its own (1 s; see op.urgent).
	LazyWrite time.Duration
	// OnAppend, if set, is given every event Append accepts, its ID set,
	// in the same step as it is queued for the outbox (with no receiver,
	// where the outbox would be): the live stream's Publish. It runs on
	// Append's goroutine, the model's, so it must not block.
	OnAppend    func(Event)
	journalSize int64 // the journal file's size (8 MiB); tests make it small
}

// Pusher owns the outbox and the receivers' dispatchers.
type Pusher struct {
	db        *bbolt.DB
	opts      Options
	log       *slog.Logger
	receivers []*receiver

	ops    chan op
	mu     sync.RWMutex // guards closed against concurrent Append
	closed bool
	update func(func(*bbolt.Tx) error) error // db.Update; tests make it fail
	// The committer's own: the journal, and what it holds that bbolt does
	// not (commit.go).
	journal      *journal
	journalWrite func([]byte) error // journal.append; tests make it fail
	stale        bool               // the journal could not start again: bbolt takes every batch
	pending      map[pendingKey]*pending
	seqs         map[string]uint64 // per receiver URL, the last sequence number taken
	payload      []byte
	stopOnce     sync.Once
	stopping     chan struct{} // closed when Close begins
	drainBy      time.Time     // set before stopping is closed
	cancel       context.CancelFunc
	wg           sync.WaitGroup
	commitWG     sync.WaitGroup

	appended      atomic.Uint64
	batches       atomic.Uint64
	checkpoints   atomic.Uint64
	deadLetters   atomic.Int64
	writeFailures atomic.Uint64         // outbox transactions that failed
	writeErr      atomic.Pointer[error] // the last one's error while the outbox cannot be written
	lost          atomic.Uint64         // events given up at shutdown
}

// Open loads the undelivered events of every configured receiver and starts
// delivering them and whatever Handle adds.
func Open(db *bbolt.DB, opts Options) (*Pusher, error) {
	if opts.InFlight <= 0 {
		opts.InFlight = 4
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 72 * time.Hour
	}
	if opts.MaxInterval <= 0 {
		opts.MaxInterval = 2 * time.Hour
	}
	if len(opts.Schedule) == 0 {
		opts.Schedule = StandardSchedule
	}
	if opts.Jitter == 0 {
		opts.Jitter = 0.2
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "coocenterd/dev"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 8192
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 10 * time.Second
	}
	if opts.LazyWrite <= 0 {
		opts.LazyWrite = time.Second
	}
	if opts.Client == nil {
		opts.Client = &http.Client{
			Transport: &http.Transport{
				Proxy:               nil, // a receiver on the LAN is not reached through a proxy
				MaxIdleConnsPerHost: opts.InFlight,
				IdleConnTimeout:     90 * time.Second,
				TLSHandshakeTimeout: 10 * time.Second,
			},
		}
	}
	client := *opts.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	opts.Client = &client

	if opts.journalSize <= 0 {
		opts.journalSize = journalSize
	}
	p := &Pusher{db: db, opts: opts, log: opts.Logger.With("component", "pusher"), ops: make(chan op, opts.QueueSize),
		stopping: make(chan struct{}), update: db.Update, pending: map[pendingKey]*pending{}, seqs: map[string]uint64{}}
	seen := map[string]bool{}
	for _, u := range opts.URLs {
		if seen[u] {
			continue
		}
		seen[u] = true
		p.receivers = append(p.receivers, newReceiver(p, u))
	}
	if err := p.openJournal(); err != nil {
		return nil, err
	}
	if err := p.load(); err != nil {
		p.closeJournal()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.commitWG.Add(1)
	go p.commit()
	for _, r := range p.receivers {
		p.wg.Add(1)
		go r.run(ctx)
	}
	return p, nil
}

// load creates the buckets and gives each receiver its stored events.
func (p *Pusher) load() error {
	return p.db.Update(func(tx *bbolt.Tx) error {
		out, err := tx.CreateBucketIfNotExists(outboxBucket)
		if err != nil {
			return fmt.Errorf("push outbox: %w", err)
		}
		dead, err := tx.CreateBucketIfNotExists(deadBucket)
		if err != nil {
			return fmt.Errorf("push dead letters: %w", err)
		}
		for _, r := range p.receivers {
			b, err := out.CreateBucketIfNotExists([]byte(r.url))
			if err != nil {
				return fmt.Errorf("push outbox of %s: %w", r.label, err)
			}
			p.seqs[r.url] = b.Sequence()
			var items []*item
			err = b.ForEach(func(k, v []byte) error {
				var rec record
				if err := json.Unmarshal(v, &rec); err != nil {
					p.log.Error("unreadable push record skipped", "receiver", r.label, "seq", keySeq(k), "err", err)
					return nil
				}
				items = append(items, &item{seq: keySeq(k), rec: rec, index: -1})
				return nil
			})
			if err != nil {
				return err
			}
			r.restore(items, p.opts.Now())
			r.give(items)
			if len(items) > 0 {
				p.log.Info("push outbox resumed", "receiver", r.label, "events", len(items))
			}
		}
		// Events for receivers no longer configured stay where they are and
		// are delivered if that URL is configured again.
		_ = out.ForEachBucket(func(name []byte) error {
			if !seen(p.receivers, string(name)) {
				if n := out.Bucket(name).Stats().KeyN; n > 0 {
					p.log.Warn("undelivered pushes kept for a receiver no longer configured", "receiver", redact(string(name)), "events", n)
				}
			}
			return nil
		})
		var n int64
		_ = dead.ForEachBucket(func(name []byte) error {
			n += int64(dead.Bucket(name).Stats().KeyN)
			return nil
		})
		p.deadLetters.Store(n)
		return nil
	})
}

func seen(rs []*receiver, u string) bool {
	for _, r := range rs {
		if r.url == u {
			return true
		}
	}
	return false
}

// Handle translates a pbx event and appends it; subscribe it to the model
// (pbx.PBX.Subscribe). It returns at once unless QueueSize events are
// waiting for the disk.
func (p *Pusher) Handle(e pbx.Event) {
	if ev, ok := p.opts.Translator.Translate(e); ok {
		p.push(ev)
	}
}

// push appends ev; a failure is logged (after Close there is nobody to tell).
func (p *Pusher) push(ev Event) {
	if err := p.Append(ev); err != nil && !errors.Is(err, ErrClosed) {
		p.log.Error("push event not queued", "event", ev.Name, "err", err)
	}
}

// HandleQueueCall pushes a finished queue call's cc_cdr; it is
// pausetimer.Options.OnRecord.
func (p *Pusher) HandleQueueCall(call pbx.QueueCall, pause time.Duration) {
	p.push(p.opts.Translator.QueueCall(call, pause))
}

// HandleWrapUp pushes an after-call pause's start, extension or end; it is
// pausetimer.Options.OnWrapUp.
func (p *Pusher) HandleWrapUp(w pausetimer.WrapUp) {
	if ev, ok := p.opts.Translator.WrapUp(w); ok {
		p.push(ev)
	}
}

// Append queues ev for every receiver. It is written to disk (in a batch
// with whatever else is waiting) before any delivery. ev.ID is set here
// when empty: this is where every push gets its id, and where the live
// stream is fed (Options.OnAppend).
func (p *Pusher) Append(ev Event) error {
	if ev.ID == "" {
		ev.ID = newID(p.opts.Now())
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrClosed
	}
	if len(p.receivers) > 0 {
		p.ops <- op{kind: opAppend, ev: ev}
	}
	if p.opts.OnAppend != nil {
		p.opts.OnAppend(ev)
	}
	return nil
}

// StorageErr is why the outbox cannot be written, nil while it can: the
// last transaction failed, and the committer is retrying it.
func (p *Pusher) StorageErr() error {
	if e := p.writeErr.Load(); e != nil {
		return *e
	}
	return nil
}

// Close stops delivery at once (requests in flight are abandoned and sent
// again after the next Open) and writes every accepted event to disk. If
// the disk fails, it gives up after DrainTimeout and logs each event lost.
func (p *Pusher) Close() error {
	p.stopOnce.Do(func() {
		p.drainBy = time.Now().Add(p.opts.DrainTimeout)
		close(p.stopping) // first: an Append blocked on a stalled disk lets go of mu
	})
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	close(p.ops)
	p.commitWG.Wait()
	p.closeJournal()
	if n := p.lost.Load(); n > 0 {
		return fmt.Errorf("%d push events lost: the outbox could not be written (%v)", n, p.StorageErr())
	}
	return nil
}

// redact is a receiver URL fit for logs and metrics: no credentials, no
// query (either may carry a token).
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
