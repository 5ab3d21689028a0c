package ami

import (
	"sync"
	"sync/atomic"
)

// Kind says what an Event carries.
type Kind uint8

// The kinds of Event a subscription receives.
const (
	// AMIEvent: Msg is an event from Asterisk.
	AMIEvent Kind = iota
	// Connected: logged in; Version is the AMI version, Booted whether
	// FullyBooted came. Everything known about Asterisk may be stale: resync.
	Connected
	// Disconnected: the connection is gone (Err says why); events are missed
	// until the next Connected.
	Disconnected
	// Booted: Asterisk finished starting after we connected: resync.
	Booted
	// Overflow: this subscriber fell behind and Dropped events were lost
	// just before this one: resync.
	Overflow
)

// Event is one item of a subscription: an AMI event, or a change of the
// connection that the subscriber must know about to keep its state true.
type Event struct {
	Kind    Kind
	Msg     Message
	Err     error
	Version string
	Booted  bool
	Dropped uint64
	// Seq numbers the client's AMI events from 1, over all connections.
	// An Overflow has the Seq of the last event it says was dropped.
	Seq uint64
}

// DefaultQueue is the number of events a subscription holds for a consumer
// that is busy, before it starts dropping.
const DefaultQueue = 1 << 16

// handOver is how many events C holds ready for the consumer, so that a
// consumer can take what is waiting as one batch (see pbx's run loop).
const handOver = 256

// Subscription receives every event of the client in order. The socket
// reader never waits for it: events are queued (up to the limit given to
// Subscribe, plus the batch being handed over) and handed to the consumer by the subscription's own
// goroutine. A consumer that falls so far behind that the queue is full
// loses the newest events; they are counted (Dropped) and the consumer then
// receives an Overflow event saying how many, so it can resync instead of
// silently working from a gap. Connection notices are never dropped.
type Subscription struct {
	c       *Client
	ch      chan Event
	max     int
	dropped atomic.Uint64

	mu     sync.Mutex
	queue  []Event
	spare  []Event
	gap    uint64
	gapSeq uint64 // the Seq of the last event dropped
	wake   chan struct{}
	quit   chan struct{}
	closed bool
	done   chan struct{}
}

// Subscribe returns a subscription that queues up to max events (0 means
// DefaultQueue). If the client is connected, the first event is Connected. The caller reads C until it is closed, which happens on
// Unsubscribe or when the client is closed.
func (c *Client) Subscribe(max int) *Subscription {
	if max <= 0 {
		max = DefaultQueue
	}
	s := &Subscription{
		c: c, ch: make(chan Event, handOver), max: max,
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		close(s.ch)
		close(s.done)
		s.closed = true
		return s
	}
	c.subs[s] = struct{}{}
	if c.sess != nil {
		// Connected already: a new subscriber learns it first, exactly as
		// if it had been there, so it never waits for a notice that passed.
		s.push(Event{Kind: Connected, Version: c.status.Version, Booted: c.status.Booted})
	}
	c.mu.Unlock()
	go s.pump()
	return s
}

// C delivers the events.
func (s *Subscription) C() <-chan Event { return s.ch }

// Dropped is the number of events this subscription has lost so far.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Unsubscribe stops delivery and closes C.
func (s *Subscription) Unsubscribe() {
	s.c.mu.Lock()
	delete(s.c.subs, s)
	s.c.mu.Unlock()
	s.stop()
}

func (s *Subscription) stop() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.quit)
	}
	s.mu.Unlock()
	<-s.done
}

// push queues e without ever blocking.
func (s *Subscription) push(e Event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if e.Kind == AMIEvent && len(s.queue) >= s.max {
		s.gap++
		s.gapSeq = e.Seq
		s.dropped.Add(1)
		s.mu.Unlock()
		return
	}
	if s.gap > 0 {
		s.queue = append(s.queue, Event{Kind: Overflow, Dropped: s.gap, Seq: s.gapSeq})
		s.gap = 0
	}
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pump hands queued events to the consumer, a batch at a time.
func (s *Subscription) pump() {
	defer close(s.done)
	defer close(s.ch)
	for {
		s.mu.Lock()
		batch := s.queue
		s.queue, s.spare = s.spare[:0], nil
		if s.gap > 0 { // the drops came after this batch: say so right after it
			s.queue = append(s.queue, Event{Kind: Overflow, Dropped: s.gap, Seq: s.gapSeq})
			s.gap = 0
		}
		s.mu.Unlock()
		for i := range batch {
			select {
			case s.ch <- batch[i]:
				batch[i] = Event{}
			case <-s.quit:
				return
			}
		}
		s.mu.Lock()
		if s.spare == nil {
			s.spare = batch[:0]
		}
		s.mu.Unlock()
		if len(batch) > 0 {
			continue
		}
		select {
		case <-s.wake:
		case <-s.quit:
			return
		}
	}
}
