package pusher

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

type opKind int

const (
	opAppend opKind = iota // a new event for every receiver
	opDone                 // delivered: delete
	opRetry                // failed: store attempts, next and the error
	opDead                 // failed past MaxAge: move to the dead letters
	opReplay               // dead letters back into the outbox
)

// op is one change for the committer. The dispatchers send done, retry and
// dead; Append sends append; Replay sends replay and waits on reply for the
// number of events queued again, or -1 when the outbox could not be
// written before shutdown.
type op struct {
	kind   opKind
	ev     Event
	r      *receiver
	seq    uint64
	rec    record
	filter Filter
	reply  chan int
}

// urgent is whether the op needs a transaction now: an append is
// delivered only once it is on disk, a replay answers once it is, and a
// dead letter must not wait to be listed. A delivery (done) or a failed
// attempt (retry) is only the outbox catching up with what already
// happened: it rides in the next transaction, or is written after
// Options.LazyWrite. If the daemon dies before it is written, the event
// is sent again after the restart, with its webhook-id: at least once,
// as ever.
func (o op) urgent() bool { return o.kind != opDone && o.kind != opRetry }

const maxBatch = 2048

// commit writes queued ops to disk and then hands new events to the
// receivers. One transaction takes every op waiting (group commit); ops
// that are not urgent wait, up to Options.LazyWrite, for one that is, so
// that at any rate a delivered event costs no transaction of its own. It runs
// until ops is closed and drained, writing what waits. A failed
// transaction is retried: accepted events are kept in memory, not
// dropped, until a shutdown's DrainTimeout is over (see lose).
func (p *Pusher) commit() {
	defer p.commitWG.Done()
	batch := make([]op, 0, maxBatch)
	lazy := time.NewTimer(time.Hour)
	lazy.Stop()
	defer lazy.Stop()
	waiting := false // batch holds ops that wait for lazy
	for {
		select {
		case o, ok := <-p.ops:
			if !ok {
				if len(batch) > 0 {
					p.apply(batch)
				}
				return
			}
			batch = append(batch, o)
		case <-lazy.C:
			waiting = false
			p.apply(batch)
			batch = batch[:0]
			continue
		}
		urgent := batch[len(batch)-1].urgent()
	fill:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-p.ops:
				if !ok {
					break fill // the next receive sees the close
				}
				batch = append(batch, o)
				urgent = urgent || o.urgent()
			default:
				break fill
			}
		}
		if !urgent && len(batch) < maxBatch {
			if !waiting {
				waiting = true
				lazy.Reset(p.opts.LazyWrite)
			}
			continue
		}
		if waiting {
			waiting = false
			lazy.Stop()
		}
		p.apply(batch)
		batch = batch[:0]
	}
}

// apply writes one batch, retrying a failed write, and then hands its
// new events to the receivers and answers its replays. A batch of
// appends, deliveries and failed attempts is one frame of the journal;
// one with a dead letter or a replay, or too big for the journal, is a
// bbolt transaction that also checks the journal in.
func (p *Pusher) apply(batch []op) {
	now := p.opts.Now()
	fresh, appended := p.prepare(batch, now)
	replayed := make([]int, len(batch))
	var died, revived int64
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
		for ri := range fresh {
			fresh[ri] = fresh[ri][:appended[ri]] // a failed replay's items go
		}
		var err error
		died, revived, err = p.write(batch, fresh, replayed, now)
		if err == nil {
			p.writeErr.Store(nil)
			break
		}
		p.writeFailures.Add(1)
		p.writeErr.Store(&err)
		if !p.retryIn(wait) {
			p.lose(batch, err)
			return
		}
		p.log.Error("push outbox write failed; retrying", "err", err, "ops", len(batch), "in", wait)
	}
	p.deadLetters.Add(died - revived)
	p.batches.Add(1)
	for ri, r := range p.receivers {
		if len(fresh[ri]) > 0 {
			r.give(fresh[ri])
		}
	}
	for i, o := range batch {
		switch o.kind {
		case opAppend:
			p.appended.Add(1)
		case opReplay:
			for _, r := range p.receivers {
				if o.filter.receiver(r.url) { // as configured or as listed (redacted)
					r.resume()
				}
			}
			o.reply <- replayed[i]
		}
	}
}

// prepare makes the items of the batch's new events, each receiver's next
// sequence numbers taken once (a retried write keeps them), and says how
// many there are per receiver.
func (p *Pusher) prepare(batch []op, now time.Time) ([][]*item, []int) {
	fresh := make([][]*item, len(p.receivers))
	for _, o := range batch {
		if o.kind != opAppend {
			continue
		}
		rec := record{ID: o.ev.ID, Name: o.ev.Name, Keys: o.ev.Keys, At: micro(o.ev.At), Queued: micro(now), Body: o.ev.Body}
		for ri, r := range p.receivers {
			fresh[ri] = append(fresh[ri], &item{seq: p.nextSeq(r.url), rec: rec, index: -1})
		}
	}
	appended := make([]int, len(fresh))
	for ri := range fresh {
		appended[ri] = len(fresh[ri])
	}
	return fresh, appended
}

// nextSeq takes the next sequence number of url's outbox.
func (p *Pusher) nextSeq(url string) uint64 {
	p.seqs[url]++
	return p.seqs[url]
}

// write writes the batch to the journal, or to bbolt when it must.
func (p *Pusher) write(batch []op, fresh [][]*item, replayed []int, now time.Time) (died, revived int64, err error) {
	if p.journal != nil && journalOnly(batch) {
		payload := p.frame(batch, fresh)
		if !p.journal.fits(len(payload)) && !p.stale {
			if err := p.checkpoint(); err != nil {
				return 0, 0, err
			}
		}
		if !p.stale && p.journal.fits(len(payload)) {
			if err := p.journalWrite(payload); err != nil {
				return 0, 0, err
			}
			p.note(batch, fresh)
			return 0, 0, nil
		}
	}
	err = p.update(func(tx *bbolt.Tx) error {
		died, revived = 0, 0
		if err := p.checkIn(tx); err != nil {
			return err
		}
		out, dead := tx.Bucket(outboxBucket), tx.Bucket(deadBucket)
		for ri, r := range p.receivers {
			for _, it := range fresh[ri] {
				if err := p.putOutbox(out, r.url, it.seq, &it.rec); err != nil {
					return err
				}
			}
		}
		for i, o := range batch {
			switch o.kind {
			case opDone:
				if err := out.Bucket([]byte(o.r.url)).Delete(seqKey(o.seq)); err != nil {
					return err
				}
			case opRetry:
				b := out.Bucket([]byte(o.r.url))
				if b.Get(seqKey(o.seq)) != nil { // not already delivered by an earlier attempt
					if err := b.Put(seqKey(o.seq), o.rec.appendJSON(nil)); err != nil {
						return err
					}
				}
			case opDead:
				if err := out.Bucket([]byte(o.r.url)).Delete(seqKey(o.seq)); err != nil {
					return err
				}
				o.rec.Died = micro(now)
				if err := putDead(dead, o.r.url, o.rec); err != nil {
					return err
				}
				died++
			case opReplay:
				n, err := p.replayIn(tx, o.filter, now, fresh)
				if err != nil {
					return err
				}
				replayed[i] = n
				revived += int64(n)
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	p.checkedIn()
	return died, revived, nil
}

// journalOnly: the batch holds nothing but appends, deliveries and
// failed attempts, which the journal holds.
func journalOnly(batch []op) bool {
	for _, o := range batch {
		if o.kind == opDead || o.kind == opReplay {
			return false
		}
	}
	return true
}

// frame is the journal payload of a batch.
func (p *Pusher) frame(batch []op, fresh [][]*item) []byte {
	b := p.payload[:0]
	for ri, r := range p.receivers {
		for _, it := range fresh[ri] {
			b = appendEntry(b, entryAppend, r.url, it.seq, &it.rec)
		}
	}
	for _, o := range batch {
		switch o.kind {
		case opDone:
			b = appendEntry(b, entryDone, o.r.url, o.seq, nil)
		case opRetry:
			b = appendEntry(b, entryRetry, o.r.url, o.seq, &o.rec)
		}
	}
	p.payload = b
	return b
}

// A pending entry is what the journal holds of one event of one receiver
// that bbolt does not hold yet.
type pendingKey struct {
	url string
	seq uint64
}

type pending struct {
	rec   record
	fresh bool // appended since the last checkpoint: not in bbolt
	done  bool // delivered: delete it from bbolt
}

// note records a batch written to the journal in what the next checkpoint
// writes to bbolt. An event appended and delivered between two
// checkpoints never reaches bbolt.
func (p *Pusher) note(batch []op, fresh [][]*item) {
	for ri, r := range p.receivers {
		for _, it := range fresh[ri] {
			p.remember(entryAppend, r.url, it.seq, it.rec)
		}
	}
	for _, o := range batch {
		switch o.kind {
		case opDone:
			p.remember(entryDone, o.r.url, o.seq, record{})
		case opRetry:
			p.remember(entryRetry, o.r.url, o.seq, o.rec)
		}
	}
}

// remember is one journal entry's effect on what bbolt is yet to be told:
// the journal's frames, written now or read back after a crash, go
// through it alike, and checkIn writes what it leaves.
func (p *Pusher) remember(kind byte, url string, seq uint64, rec record) {
	k := pendingKey{url, seq}
	e := p.pending[k]
	switch kind {
	case entryAppend:
		p.pending[k] = &pending{rec: rec, fresh: true}
	case entryDone:
		if e != nil && e.fresh {
			delete(p.pending, k)
		} else {
			p.pending[k] = &pending{done: true}
		}
	case entryRetry:
		if e != nil {
			e.rec = rec
		} else {
			p.pending[k] = &pending{rec: rec}
		}
	}
}

// checkIn writes what the journal holds into bbolt, in tx, in key order
// (bbolt inserts in order cheaply, at random dearly).
func (p *Pusher) checkIn(tx *bbolt.Tx) error {
	out := tx.Bucket(outboxBucket)
	keys := slices.SortedFunc(maps.Keys(p.pending), func(a, b pendingKey) int {
		return cmp.Or(strings.Compare(a.url, b.url), cmp.Compare(a.seq, b.seq))
	})
	for _, k := range keys {
		e := p.pending[k]
		switch {
		case e.done:
			if b := out.Bucket([]byte(k.url)); b != nil {
				if err := b.Delete(seqKey(k.seq)); err != nil {
					return err
				}
			}
		case e.fresh:
			if err := p.putOutbox(out, k.url, k.seq, &e.rec); err != nil {
				return err
			}
		default: // a failed attempt of an event bbolt holds
			if b := out.Bucket([]byte(k.url)); b != nil && b.Get(seqKey(k.seq)) != nil {
				if err := b.Put(seqKey(k.seq), e.rec.appendJSON(nil)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkedIn follows a bbolt transaction that ran checkIn: the journal
// starts again. If it cannot, bbolt takes every batch until it can
// (stale); what the journal still holds is checked in again at the next
// Open, which is harmless.
func (p *Pusher) checkedIn() {
	clear(p.pending)
	if p.journal == nil {
		return
	}
	if err := p.journal.reset(); err != nil {
		if !p.stale {
			p.log.Error("push journal cannot start again; writing the outbox to the database meanwhile", "err", err)
		}
		p.stale = true
		return
	}
	p.stale = false
}

// checkpoint moves what the journal holds into bbolt and starts it again.
func (p *Pusher) checkpoint() error {
	if err := p.update(p.checkIn); err != nil {
		return err
	}
	p.checkpoints.Add(1)
	p.checkedIn()
	return nil
}

// putOutbox stores rec at seq in url's outbox, whose sequence it keeps
// up with the numbers taken.
func (p *Pusher) putOutbox(out *bbolt.Bucket, url string, seq uint64, rec *record) error {
	b, err := out.CreateBucketIfNotExists([]byte(url))
	if err != nil {
		return fmt.Errorf("bucket for %s: %w", redact(url), err)
	}
	if seq > b.Sequence() {
		if err := b.SetSequence(seq); err != nil {
			return err
		}
	}
	return b.Put(seqKey(seq), rec.appendJSON(make([]byte, 0, 256+len(rec.Body))))
}

// retryIn waits before a failed write is tried again. While the pusher runs
// it retries for ever, keeping what it accepted; once Close has begun it
// retries until DrainTimeout is over, and then false: give the batch up.
func (p *Pusher) retryIn(wait time.Duration) bool {
	select {
	case <-p.stopping:
		left := time.Until(p.drainBy)
		if left <= 0 {
			return false
		}
		time.Sleep(min(wait, left))
		return true
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-p.stopping: // one more try at once, then within the drain time
	}
	return true
}

// lose gives a batch up at shutdown, when the outbox could not be written
// in time. Nothing goes silently: each new event is logged whole, for a
// person to replay by hand; a delivery or retry not recorded only means the
// event is sent again after the next start.
func (p *Pusher) lose(batch []op, err error) {
	for _, o := range batch {
		switch o.kind {
		case opAppend:
			p.lost.Add(1)
			p.log.Error("push event lost: the outbox could not be written before shutdown",
				"event", o.ev.ID, "name", o.ev.Name, "body", string(o.ev.Body), "err", err)
		case opReplay:
			o.reply <- -1
		}
	}
}

// putDead stores rec under the next sequence of url's dead letters.
func putDead(dead *bbolt.Bucket, url string, rec record) error {
	b, err := dead.CreateBucketIfNotExists([]byte(url))
	if err != nil {
		return fmt.Errorf("bucket for %s: %w", redact(url), err)
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	return b.Put(seqKey(seq), rec.appendJSON(make([]byte, 0, 256+len(rec.Body))))
}
