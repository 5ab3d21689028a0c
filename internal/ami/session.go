package ami

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// session is one TCP connection: a reader goroutine that routes every
// message, a mutex that keeps each action's bytes whole on the wire, and the
// table of actions waiting for their answer.
type session struct {
	c       *Client
	nc      net.Conn
	version string

	wmu sync.Mutex // one writer at a time, so actions never interleave

	mu        sync.Mutex
	pending   map[string]*call
	early     []Message // events read before publish; nil once released
	released  bool
	bootSeen  bool
	bootCh    chan struct{} // closed at the first FullyBooted
	err       error
	dead      chan struct{} // closed when the connection is gone
	closeOnce sync.Once
	leaving   atomic.Bool // Logoff sent: the coming EOF is ours
}

// call is one action waiting for its answer.
type call struct {
	name   string
	list   bool // an event list: collect items until the Complete event
	res    Result
	err    error
	doneCh chan struct{}
}

// open dials, reads the greeting and starts the reader.
func (c *Client) open(ctx context.Context) (*session, error) {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	nc, err := c.cfg.Dial(dctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	r := NewReaderSize(nc, c.cfg.MaxMessageSize)
	_ = nc.SetReadDeadline(time.Now().Add(c.cfg.DialTimeout))
	version, err := r.ReadGreeting()
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	_ = nc.SetReadDeadline(time.Time{})
	s := &session{
		c: c, nc: nc, version: version,
		pending: make(map[string]*call),
		bootCh:  make(chan struct{}),
		dead:    make(chan struct{}),
	}
	go s.read(r)
	return s, nil
}

// read routes every message until the connection fails. It never blocks on
// a consumer: answers go to waiting calls, events to subscription queues.
func (s *session) read(r *Reader) {
	for {
		m, err := r.ReadMessage()
		if err != nil {
			if s.leaving.Load() {
				s.close(ErrClosed)
			}
			s.close(fmt.Errorf("%w: %v", ErrDisconnected, err))
			return
		}
		s.route(m)
	}
}

func (s *session) route(m Message) {
	if id := m.ActionID(); id != "" && s.answer(id, m) {
		return
	}
	if !m.IsEvent() {
		return // an answer nobody waits for any more (it timed out)
	}
	if equalFold(m.Event(), "FullyBooted") {
		s.mu.Lock()
		if !s.bootSeen {
			s.bootSeen = true
			close(s.bootCh)
		}
		s.mu.Unlock()
		s.c.booted(s)
	}
	s.mu.Lock()
	if !s.released {
		s.early = append(s.early, m)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.c.broadcast(Event{Kind: AMIEvent, Msg: m})
}

// answer hands m to the call waiting on id and reports whether it was one.
// Events that merely carry an ActionID (OriginateResponse, UserEvent copies,
// other sessions' ids) and are not part of a pending list fall through to
// the subscribers.
func (s *session) answer(id string, m Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cl := s.pending[id]
	if cl == nil {
		return false
	}
	if !m.IsEvent() {
		if cl.res.Response.Len() > 0 {
			return false
		}
		cl.res.Response = m
		if !equalFold(m.Response(), "Error") && (equalFold(m.Get("EventList"), "start") || cl.list) {
			cl.list = true
			return true
		}
		s.finish(id, cl, nil)
		return true
	}
	if !cl.list || cl.res.Response.Len() == 0 {
		return false
	}
	if equalFold(m.Get("EventList"), "Complete") || strings.HasSuffix(m.Event(), "Complete") {
		cl.res.Complete = m
		s.finish(id, cl, nil)
		return true
	}
	cl.res.Events = append(cl.res.Events, m)
	return true
}

// finish completes a call; s.mu is held.
func (s *session) finish(id string, cl *call, err error) {
	delete(s.pending, id)
	cl.res.Seq = s.c.eventSeq.Load() // the reader broadcasts each event before it reads the next message
	cl.err = err
	close(cl.doneCh)
}

// close ends the connection once and fails every pending call at once.
func (s *session) close(err error) {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.err = err
		for id, cl := range s.pending {
			s.finish(id, cl, fmt.Errorf("%s: %w", cl.name, err))
		}
		s.mu.Unlock()
		s.nc.Close()
		close(s.dead)
	})
}

func (s *session) cause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		return ErrDisconnected
	}
	return s.err
}

// release delivers the events held back during login.
func (s *session) release() {
	s.mu.Lock()
	early := s.early
	s.early, s.released = nil, true
	s.mu.Unlock()
	for _, m := range early {
		s.c.broadcast(Event{Kind: AMIEvent, Msg: m})
	}
}

// do sends one action and waits for its answer.
func (s *session) do(ctx context.Context, a Action) (Result, error) {
	id := s.c.nextActionID()
	wire, err := a.encode(id)
	if err != nil {
		return Result{}, err
	}
	cl := &call{name: a.Name, list: isListAction(a.Name), doneCh: make(chan struct{})}
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return Result{}, fmt.Errorf("%s: %w", a.Name, ErrDisconnected)
	}
	s.pending[id] = cl
	s.mu.Unlock()

	if err := s.write(wire); err != nil {
		s.close(fmt.Errorf("%w: write: %v", ErrDisconnected, err))
	}
	select {
	case <-cl.doneCh:
	case <-ctx.Done():
		s.mu.Lock()
		if s.pending[id] == cl {
			s.finish(id, cl, fmt.Errorf("%s: no answer from Asterisk: %w", a.Name, ctx.Err()))
		}
		s.mu.Unlock()
		<-cl.doneCh
	}
	if cl.err != nil {
		return cl.res, cl.err
	}
	if equalFold(cl.res.Response.Response(), "Error") {
		return cl.res, &ResponseError{Action: a.Name, Message: cl.res.Response.Get("Message")}
	}
	return cl.res, nil
}

func (s *session) write(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.nc.SetWriteDeadline(time.Now().Add(s.c.cfg.WriteTimeout))
	_, err := s.nc.Write(b)
	return err
}

func (s *session) doTimeout(ctx context.Context, a Action) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.c.cfg.ActionTimeout)
	defer cancel()
	return s.do(ctx, a)
}

// login authenticates with a plain secret or an MD5 challenge.
func (s *session) login(ctx context.Context) error {
	cfg := s.c.cfg
	a := Action{Name: "Login", Headers: []Header{{"Username", cfg.Username}}}
	if strings.EqualFold(cfg.AuthType, "md5") {
		res, err := s.doTimeout(ctx, Action{Name: "Challenge", Headers: []Header{{"AuthType", "MD5"}}})
		if err != nil {
			return fmt.Errorf("login challenge: %w", err)
		}
		sum := md5.Sum([]byte(res.Response.Get("Challenge") + cfg.Secret))
		a.Headers = append(a.Headers, Header{"AuthType", "MD5"}, Header{"Key", hex.EncodeToString(sum[:])})
	} else {
		a.Headers = append(a.Headers, Header{"Secret", cfg.Secret})
	}
	a.Headers = append(a.Headers, Header{"Events", cfg.Events})
	if _, err := s.doTimeout(ctx, a); err != nil {
		var re *ResponseError
		if errors.As(err, &re) {
			return fmt.Errorf("login as %q: %w (%s)", cfg.Username, ErrAuth, re.Message)
		}
		return fmt.Errorf("login: %w", err)
	}
	return nil
}

// waitBooted waits up to d for FullyBooted, which Asterisk sends right after
// a successful login once it has finished starting.
func (s *session) waitBooted(ctx context.Context, d time.Duration) bool {
	if s.c.cfg.Events == "off" {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.bootCh:
		return true
	case <-t.C:
	case <-ctx.Done():
	case <-s.dead:
	}
	return false
}

// keepAlive pings until the connection ends; a Ping without answer drops it.
func (s *session) keepAlive(ctx context.Context) {
	if s.c.cfg.PingInterval < 0 {
		return
	}
	t := time.NewTicker(s.c.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.dead:
			return
		case <-t.C:
			if _, err := s.doTimeout(ctx, Action{Name: "Ping"}); err != nil && ctx.Err() == nil {
				s.close(fmt.Errorf("%w: keep-alive: %v", ErrDisconnected, err))
				return
			}
		}
	}
}

// logoff says goodbye politely, waiting briefly for the answer.
func (s *session) logoff() {
	s.leaving.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = s.do(ctx, Action{Name: "Logoff"})
	s.close(ErrClosed)
}
