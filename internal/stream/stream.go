package stream

import (
	"errors"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultWindow    = time.Hour
	DefaultMaxEvents = 10000
	DefaultBuffer    = 256
)

var (
	// ErrSlow ends a subscription whose buffer was full: its client did
	// not read for too long.
	ErrSlow = errors.New("the client did not keep up with the stream")
	// ErrClosed ends the subscriptions of a stream that is closed.
	ErrClosed = errors.New("the stream is closed")
)

// Event is one push event as the stream carries it. Subscribers share
// it: it is read-only.
type Event struct {
	ID   string // the push's id in the outbox (its webhook-id), or the board's own
	Name string // the push's event name
	Body []byte // the push's JSON object
	// Extensions and Queues, when either is set, are what the event
	// names for the filters; else they are read from Body's keys (a
	// push's parties).
	Extensions []string
	Queues     []string
}

// Options configure a Stream; zero values take the defaults.
type Options struct {
	Window    time.Duration // how long an event stays in the window (DefaultWindow)
	MaxEvents int           // how many events the window holds at most (DefaultMaxEvents)
	Buffer    int           // events a subscriber may fall behind before it is dropped (DefaultBuffer)
	Now       func() time.Time
}

// Stream is the window of recent events and its subscribers.
type Stream struct {
	opts Options

	in       sync.Mutex
	pending  []Event // published, not yet taken by run
	inClosed bool    // Close has begun: Publish drops
	wake     chan struct{}

	mu     sync.Mutex // guards what follows
	ring   []item     // the window, oldest at head
	head   int
	n      int
	subs   map[*Subscription]struct{}
	closed bool
	drops  uint64

	stop chan struct{}
	done chan struct{}
}

// item is an event in the window, with what filters match on.
type item struct {
	ev     *Event
	at     time.Time // when it entered the window
	exts   []string
	queues []string
}

// New starts a stream; Close stops it.
func New(opts Options) *Stream {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = DefaultMaxEvents
	}
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Stream{opts: opts, wake: make(chan struct{}, 1), ring: make([]item, opts.MaxEvents),
		subs: map[*Subscription]struct{}{}, stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

// Publish adds ev to the stream. It never blocks: the stream's goroutine
// takes it from there. ev.Body must not be changed afterwards.
func (s *Stream) Publish(ev Event) {
	s.in.Lock()
	if s.inClosed {
		s.in.Unlock()
		return
	}
	s.pending = append(s.pending, ev)
	s.in.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // run is awake already, and will see it
	}
}

// run moves published events into the window and to the subscribers
// until Close.
func (s *Stream) run() {
	defer close(s.done)
	var batch []Event
	for {
		select {
		case <-s.stop:
			return
		case <-s.wake:
		}
		s.in.Lock()
		batch, s.pending = s.pending, batch[:0]
		s.in.Unlock()
		for i := range batch {
			s.add(&batch[i])
		}
		clear(batch) // the window keeps copies; let the bodies go with it
	}
}

// add puts one event in the window and offers it to every subscriber.
func (s *Stream) add(ev *Event) {
	e := *ev
	it := item{ev: &e, at: s.opts.Now()}
	it.exts, it.queues = e.Extensions, e.Queues
	if it.exts == nil && it.queues == nil {
		it.exts, it.queues = tags(e.Body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.expire(it.at)
	if s.n == len(s.ring) {
		s.ring[s.head] = item{}
		s.head = (s.head + 1) % len(s.ring)
		s.n--
	}
	s.ring[(s.head+s.n)%len(s.ring)] = it
	s.n++
	for sub := range s.subs {
		if !sub.f.Match(e.Name, it.exts, it.queues) {
			continue
		}
		select {
		case sub.c <- it.ev:
		default:
			s.end(sub, ErrSlow)
			s.drops++
		}
	}
}

// expire removes from the window the events older than Window at now.
func (s *Stream) expire(now time.Time) {
	for s.n > 0 && now.Sub(s.ring[s.head].at) > s.opts.Window {
		s.ring[s.head] = item{}
		s.head = (s.head + 1) % len(s.ring)
		s.n--
	}
}

// at is the i-th event of the window, 0 the oldest.
func (s *Stream) at(i int) *item { return &s.ring[(s.head+i)%len(s.ring)] }

// end closes a subscription with err; s.mu is held.
func (s *Stream) end(sub *Subscription, err error) {
	if _, ok := s.subs[sub]; !ok {
		return
	}
	delete(s.subs, sub)
	sub.err = err
	close(sub.c)
	close(sub.done)
}

// Subscription is one subscriber's view of the stream.
type Subscription struct {
	s    *Stream
	f    Filter
	c    chan *Event
	done chan struct{} // closed with c
	err  error         // set before c is closed

	// Missed are the events of the window after the one Subscribe was
	// given, that pass the filter, oldest first; they come before those of
	// Events.
	Missed []*Event
	// Reset says Subscribe was given an id the window does not hold: the
	// events after it cannot be told, and the client must reload its state.
	Reset bool
	// Head is the id of the newest event of the window when Subscribe
	// ran, "" for an empty window: the id to resume from for a client
	// that has the state as of then.
	Head string
}

// Subscribe adds a subscriber for the events that pass f. after is the id
// of the last event the subscriber saw ("" for none): the events after it
// are in Missed, or Reset is set when the window does not hold it. Close
// the subscription when done.
func (s *Stream) Subscribe(f Filter, after string) *Subscription {
	sub := &Subscription{s: s, f: f, c: make(chan *Event, s.opts.Buffer), done: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs[sub] = struct{}{}
	if s.closed {
		s.end(sub, ErrClosed)
		return sub
	}
	s.expire(s.opts.Now())
	if s.n > 0 {
		sub.Head = s.at(s.n - 1).ev.ID
	}
	if after != "" {
		last := s.find(after)
		sub.Reset = last < 0
		for i := last + 1; last >= 0 && i < s.n; i++ {
			if it := s.at(i); f.Match(it.ev.Name, it.exts, it.queues) {
				sub.Missed = append(sub.Missed, it.ev)
			}
		}
	}
	return sub
}

// find is the index in the window of the event id, -1 if it holds none;
// newest first, as a client resuming has mostly missed little.
func (s *Stream) find(id string) int {
	for i := s.n - 1; i >= 0; i-- {
		if s.at(i).ev.ID == id {
			return i
		}
	}
	return -1
}

// Events are the live events that pass the filter, after Missed. The
// channel is closed when the subscription ends: Err says why.
func (sub *Subscription) Events() <-chan *Event { return sub.c }

// Done is closed when the subscription ends, at once, even while Events
// still holds events.
func (sub *Subscription) Done() <-chan struct{} { return sub.done }

// Err is why Events was closed: ErrSlow, ErrClosed, or nil after Close.
func (sub *Subscription) Err() error {
	sub.s.mu.Lock()
	defer sub.s.mu.Unlock()
	return sub.err
}

// Close ends the subscription.
func (sub *Subscription) Close() {
	sub.s.mu.Lock()
	defer sub.s.mu.Unlock()
	sub.s.end(sub, nil)
}

// Subscribers is the number of subscriptions open.
func (s *Stream) Subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// Len is the number of events in the window.
func (s *Stream) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire(s.opts.Now())
	return s.n
}

// Dropped is the number of subscriptions ended because they fell behind.
func (s *Stream) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.drops
}

// Close stops the stream and ends every subscription with ErrClosed;
// Publish does nothing afterwards.
func (s *Stream) Close() {
	s.in.Lock()
	s.inClosed = true
	s.pending = nil
	s.in.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for sub := range s.subs {
		s.end(sub, ErrClosed)
	}
	clear(s.ring)
	s.n = 0
	s.mu.Unlock()
	close(s.stop)
	<-s.done
}
