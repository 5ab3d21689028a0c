package pusher

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// item is one event on its way to one receiver.
type item struct {
	seq       uint64
	rec       record
	index     int  // position in the ready heap; -1 when not in it
	inflight  bool // a request is out
	transient bool // its last failure was the receiver's (down, 5xx, timeout), not the event's
}

func (it *item) next() time.Time { return fromMicro(it.rec.Next) }

// receiver delivers to one URL. Its dispatcher goroutine (run) owns the
// pending events; the committer hands it new ones through give.
type receiver struct {
	p     *Pusher
	url   string
	label string // url without credentials or query

	mu       sync.Mutex
	incoming []*item
	resumed  bool
	wake     chan struct{}

	// owned by run
	items    map[uint64]*item    // pending, by seq
	keys     map[string][]uint64 // per ordering key, the pending seqs in order
	ready    readyHeap           // heads of all their keys, not in flight, by (next, seq)
	order    []uint64            // seqs in arrival order (delivered ones skipped lazily)
	inflight int
	hold     time.Time // Retry-After: nothing is sent before
	gone     bool      // answered 410 Gone: nothing is sent until a replay or restart
	failures int       // consecutive failed attempts

	// read by Metrics
	depth, oldest              atomic.Int64 // pending events; At (unix µs) of the oldest
	delivered, retried, killed atomic.Uint64
	goneNow                    atomic.Bool
}

func newReceiver(p *Pusher, url string) *receiver {
	return &receiver{p: p, url: url, label: redact(url), wake: make(chan struct{}, 1),
		items: map[uint64]*item{}, keys: map[string][]uint64{}}
}

// give hands events to the dispatcher; it never blocks.
func (r *receiver) give(items []*item) {
	r.mu.Lock()
	r.incoming = append(r.incoming, items...)
	r.mu.Unlock()
	r.poke()
}

// resume lifts a 410 stop (after dead letters were queued again).
func (r *receiver) resume() {
	r.mu.Lock()
	r.resumed = true
	r.mu.Unlock()
	r.poke()
}

func (r *receiver) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

type result struct {
	it         *item
	status     int
	retryAfter time.Duration
	err        error
}

func (r *receiver) run(ctx context.Context) {
	defer r.p.wg.Done()
	results := make(chan result, r.p.opts.InFlight)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		r.take()
		now := r.p.opts.Now()
		if r.gone {
			r.expire(now)
		}
		r.dispatch(ctx, now, results)
		r.publish()
		timer.Stop()
		if d, ok := r.nextWake(now); ok {
			timer.Reset(max(d, time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case res := <-results:
			r.inflight--
			r.settle(res)
		case <-timer.C:
		}
	}
}

// take moves what the committer gave into the dispatcher's state.
func (r *receiver) take() {
	r.mu.Lock()
	in, resumed := r.incoming, r.resumed
	r.incoming, r.resumed = nil, false
	r.mu.Unlock()
	if resumed && r.gone {
		r.gone = false
		r.goneNow.Store(false)
		r.p.log.Info("push receiver resumed", "receiver", r.label)
	}
	for _, it := range in {
		r.items[it.seq] = it
		r.order = append(r.order, it.seq)
		for _, k := range it.rec.Keys {
			r.keys[k] = append(r.keys[k], it.seq)
		}
		if r.isHead(it) {
			heap.Push(&r.ready, it)
		}
	}
}

// isHead: no earlier pending event shares a key with it.
func (r *receiver) isHead(it *item) bool {
	for _, k := range it.rec.Keys {
		if q := r.keys[k]; len(q) > 0 && q[0] != it.seq {
			return false
		}
	}
	return true
}

func (r *receiver) dispatch(ctx context.Context, now time.Time, results chan<- result) {
	for r.inflight < r.p.opts.InFlight && !r.gone && len(r.ready) > 0 && !now.Before(r.hold) {
		it := r.ready[0]
		if it.next().After(now) {
			return
		}
		heap.Pop(&r.ready)
		it.inflight = true
		r.inflight++
		r.p.wg.Add(1) // Close waits for the cancelled request too
		go func() {
			defer r.p.wg.Done()
			results <- r.send(ctx, it) // never blocks: room for InFlight
		}()
	}
}

func (r *receiver) nextWake(now time.Time) (time.Duration, bool) {
	switch {
	case r.gone:
		// When the oldest event waiting is due for the dead letters (expire
		// goes in arrival order, which is the order of Queued).
		for _, seq := range r.order {
			if it, ok := r.items[seq]; ok && !it.inflight {
				return fromMicro(it.rec.Queued).Add(r.p.opts.MaxAge).Sub(now), true
			}
		}
		return 0, false
	case r.inflight >= r.p.opts.InFlight || len(r.ready) == 0:
		return 0, false
	}
	at := r.ready[0].next()
	if r.hold.After(at) {
		at = r.hold
	}
	return at.Sub(now), true
}

// send makes one attempt.
func (r *receiver) send(ctx context.Context, it *item) result {
	ctx, cancel := context.WithTimeout(ctx, r.p.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(it.rec.Body))
	if err != nil {
		return result{it: it, err: err}
	}
	ts := r.p.opts.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", r.p.opts.UserAgent)
	req.Header.Set("webhook-id", it.rec.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	if len(r.p.opts.Secrets) > 0 {
		req.Header.Set("webhook-signature", Sign(r.p.opts.Secrets, it.rec.ID, ts, it.rec.Body))
	}
	resp, err := r.p.opts.Client.Do(req)
	if err != nil {
		return result{it: it, err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	res := result{it: it, status: resp.StatusCode}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		res.retryAfter = retryAfter(resp.Header.Get("Retry-After"), r.p.opts.Now())
	}
	return res
}

// retryAfter reads delta-seconds or an HTTP date; 0 when absent or invalid.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// settle records the outcome of an attempt.
func (r *receiver) settle(res result) {
	it := res.it
	it.inflight = false
	now := r.p.opts.Now()
	switch {
	case res.err == nil && res.status >= 200 && res.status < 300:
		r.p.ops <- op{kind: opDone, r: r, seq: it.seq}
		r.finish(it)
		r.delivered.Add(1)
		if r.failures > 0 {
			r.p.log.Info("push receiver recovered", "receiver", r.label, "failed_attempts", r.failures, "pending", len(r.items))
			if r.failures >= downAfter { // it was down: what waits for it need not wait its backoff out
				r.pullForward(now)
			}
		}
		r.failures = 0
		return
	case res.err == nil && res.status == http.StatusGone:
		r.gone = true
		r.goneNow.Store(true)
		heap.Push(&r.ready, it)
		r.p.log.Error("push receiver answered 410 Gone: stopped sending to it; events are kept, and a replay of dead letters or a restart resumes",
			"receiver", r.label, "pending", len(r.items))
		return
	}
	it.rec.Attempts++
	it.rec.LastError = describe(res)
	it.transient = res.err != nil || res.status >= 500 || res.status == http.StatusTooManyRequests || res.status == http.StatusRequestTimeout
	r.failures++
	if r.failures == 1 {
		r.p.log.Warn("push receiver failing; retrying with backoff", "receiver", r.label, "event", it.rec.ID, "err", it.rec.LastError)
	}
	deadline := fromMicro(it.rec.Queued).Add(r.p.opts.MaxAge)
	if !now.Before(deadline) {
		r.kill(it, now)
		return
	}
	delay := r.backoff(it.rec.Attempts)
	if res.retryAfter > 0 {
		ra := min(res.retryAfter, r.p.opts.MaxInterval)
		r.hold = now.Add(ra)
		delay = max(delay, ra)
		r.p.log.Info("push receiver asked to wait", "receiver", r.label, "retry_after", ra)
	}
	next := now.Add(delay)
	if next.After(deadline) {
		next = deadline // one last attempt at the deadline
	}
	it.rec.Next = micro(next)
	r.p.ops <- op{kind: opRetry, r: r, seq: it.seq, rec: it.rec}
	heap.Push(&r.ready, it)
	r.retried.Add(1)
}

func describe(res result) string {
	if res.err != nil {
		if errors.Is(res.err, context.DeadlineExceeded) {
			return "timed out"
		}
		// A *url.Error repeats the URL with its user name and query (only a
		// password is masked); this goes to logs and dead letters.
		if ue := (*url.Error)(nil); errors.As(res.err, &ue) {
			return ue.Err.Error()
		}
		return res.err.Error()
	}
	return fmt.Sprintf("HTTP %d %s", res.status, http.StatusText(res.status))
}

// backoff is the delay after the n-th failed attempt: the schedule's
// entry, at most MaxInterval, with jitter.
func (r *receiver) backoff(n int) time.Duration {
	s := r.p.opts.Schedule
	d := s[min(n, len(s)-1)]
	d = min(d, r.p.opts.MaxInterval)
	if j := r.p.opts.Jitter; j > 0 {
		d = time.Duration(float64(d) * (1 + j*(2*rand.Float64()-1)))
	}
	return d
}

// kill moves an event to the dead letters.
func (r *receiver) kill(it *item, now time.Time) {
	r.p.ops <- op{kind: opDead, r: r, seq: it.seq, rec: it.rec}
	r.finish(it)
	r.killed.Add(1)
	r.p.log.Warn("push event given up: moved to the dead letters", "receiver", r.label, "event", it.rec.ID,
		"name", it.rec.Name, "attempts", it.rec.Attempts, "age", now.Sub(fromMicro(it.rec.Queued)).Round(time.Second), "err", it.rec.LastError)
}

// expire moves events older than MaxAge to the dead letters while the
// receiver is gone.
func (r *receiver) expire(now time.Time) {
	for _, seq := range r.order {
		it, ok := r.items[seq]
		if !ok || it.inflight {
			continue
		}
		if now.Sub(fromMicro(it.rec.Queued)) < r.p.opts.MaxAge {
			break // the rest are younger
		}
		if it.index >= 0 {
			heap.Remove(&r.ready, it.index)
		}
		if it.rec.LastError == "" {
			it.rec.LastError = "receiver gone (HTTP 410)"
		}
		r.kill(it, now)
	}
}

// finish forgets a delivered or dead event and lets the next event of each
// of its keys go.
func (r *receiver) finish(it *item) {
	delete(r.items, it.seq)
	for _, k := range it.rec.Keys {
		q := r.keys[k]
		for i, s := range q {
			if s == it.seq {
				q = append(q[:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(r.keys, k)
			continue
		}
		r.keys[k] = q
		if nx := r.items[q[0]]; nx != nil && !nx.inflight && nx.index < 0 && r.isHead(nx) {
			heap.Push(&r.ready, nx)
		}
	}
}

// downAfter is how many failed attempts in a row make a receiver down:
// when it answers again, what waits for it is due at once.
const downAfter = 3

// restore brings back, from the records of a receiver's events, what its
// dispatcher knew before a restart: events that had failed count as
// failures of the receiver (the record does not say why, so as transient),
// and the one due first is due now. A receiver that came back while the
// daemon was down is found at once, and on its answer the rest follows
// (settle); one still down costs one request. It runs before run.
func (r *receiver) restore(items []*item, now time.Time) {
	var first *item
	for _, it := range items {
		if it.rec.Attempts == 0 {
			continue
		}
		it.transient = true
		if first == nil || it.rec.Next < first.rec.Next {
			first = it
		}
	}
	if first == nil {
		return
	}
	r.failures = downAfter
	first.rec.Next = min(first.rec.Next, micro(now))
	r.p.log.Info("push receiver was failing before the restart: trying it now", "receiver", r.label, "events", len(items))
}

// pullForward makes events that failed only because the receiver was down
// due now.
func (r *receiver) pullForward(now time.Time) {
	for _, it := range r.ready {
		if it.transient && it.next().After(now) {
			it.rec.Next = micro(now)
		}
	}
	heap.Init(&r.ready)
}

// publish updates the figures Metrics reads.
func (r *receiver) publish() {
	for len(r.order) > 0 {
		if _, ok := r.items[r.order[0]]; ok {
			break
		}
		r.order = r.order[1:]
	}
	if len(r.order) == 0 && cap(r.order) > 1024 {
		r.order = nil
	}
	r.depth.Store(int64(len(r.items)))
	if len(r.order) > 0 {
		r.oldest.Store(r.items[r.order[0]].rec.At)
	} else {
		r.oldest.Store(0)
	}
}

// readyHeap orders events by when they may be sent, then by arrival.
type readyHeap []*item

func (h readyHeap) Len() int { return len(h) }
func (h readyHeap) Less(i, j int) bool {
	if h[i].rec.Next != h[j].rec.Next {
		return h[i].rec.Next < h[j].rec.Next
	}
	return h[i].seq < h[j].seq
}
func (h readyHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *readyHeap) Push(x any) {
	it := x.(*item)
	it.index = len(*h)
	*h = append(*h, it)
}
func (h *readyHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	it.index = -1
	*h = old[:len(old)-1]
	return it
}
