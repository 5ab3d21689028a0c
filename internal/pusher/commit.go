package pusher

import (
	"fmt"
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

func (p *Pusher) apply(batch []op) {
	now := p.opts.Now()
	fresh := make([][]*item, len(p.receivers))
	replayed := make([]int, len(batch))
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
		for i := range fresh {
			fresh[i] = fresh[i][:0]
		}
		var died, revived int64
		err := p.update(func(tx *bbolt.Tx) error {
			died, revived = 0, 0
			out, dead := tx.Bucket(outboxBucket), tx.Bucket(deadBucket)
			for i, o := range batch {
				switch o.kind {
				case opAppend:
					rec := record{ID: o.ev.ID, Name: o.ev.Name, Keys: o.ev.Keys, At: micro(o.ev.At), Queued: micro(now), Body: o.ev.Body}
					for ri, r := range p.receivers {
						it, err := put(out, r.url, rec)
						if err != nil {
							return err
						}
						fresh[ri] = append(fresh[ri], it)
					}
				case opDone:
					if err := out.Bucket([]byte(o.r.url)).Delete(seqKey(o.seq)); err != nil {
						return err
					}
				case opRetry:
					v := o.rec.appendJSON(nil)
					b := out.Bucket([]byte(o.r.url))
					if b.Get(seqKey(o.seq)) != nil { // not already delivered by an earlier attempt
						if err := b.Put(seqKey(o.seq), v); err != nil {
							return err
						}
					}
				case opDead:
					if err := out.Bucket([]byte(o.r.url)).Delete(seqKey(o.seq)); err != nil {
						return err
					}
					o.rec.Died = micro(now)
					if _, err := put(dead, o.r.url, o.rec); err != nil {
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
		if err == nil {
			p.deadLetters.Add(died - revived)
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

// put stores rec under the next sequence of parent's bucket for url.
func put(parent *bbolt.Bucket, url string, rec record) (*item, error) {
	b, err := parent.CreateBucketIfNotExists([]byte(url))
	if err != nil {
		return nil, fmt.Errorf("bucket for %s: %w", redact(url), err)
	}
	seq, err := b.NextSequence()
	if err != nil {
		return nil, err
	}
	if err := b.Put(seqKey(seq), rec.appendJSON(make([]byte, 0, 256+len(rec.Body)))); err != nil {
		return nil, err
	}
	return &item{seq: seq, rec: rec, index: -1}, nil
}
