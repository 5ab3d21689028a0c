package pbxsim

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Server is a simulated Asterisk listening for AMI clients on a real TCP
// socket. Start it with Start and stop it with Close; all its methods are
// safe for concurrent use.
type Server struct {
	opts Options
	addr string // the resolved listen address, kept across restarts

	mu       sync.Mutex // guards everything below, and the whole PBX state
	ln       net.Listener
	closed   bool
	down     bool // between Restart and coming back
	booting  bool // back after a restart, its modules still loading (see bootDone)
	sessions map[*session]struct{}
	timers   map[*time.Timer]struct{}
	booted   time.Time

	respDelay time.Duration
	stall     chan struct{} // non-nil while stalled; closed to release

	db   map[string]string // AstDB, "/family/key" -> value; survives restarts
	pbx  *pbxState
	seq  counters
	wg   sync.WaitGroup // every goroutine and pending timer callback
	stop chan struct{}  // closed by Close
}

// counters hold the next number to use. uniq and chanID number uniqueids
// (<epoch>.<n>) and channel suffixes as Asterisk does, from 0 (the first
// channel is -00000000 with uniqueid <epoch>.0), and a restart starts
// them again as a new Asterisk process (ami-21-restart-mid-call-2: the
// first channel after "core restart now" is -00000000 again), moving the
// epoch on (nextBoot) so that uniqueids still never repeat in a test.
// bridge (bridge UUIDs) and sess (AMI session ids, pointers in Asterisk)
// go on counting.
type counters struct {
	uniq   int
	chanID int
	bridge int
	sess   int
}

// restart starts the channel counters again, as a new Asterisk process.
func (c *counters) restart() { c.uniq, c.chanID = 0, 0 }

// Start starts a simulated PBX with the given options and returns once it
// accepts connections.
func Start(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("pbxsim: listen %s: %w", opts.Addr, err)
	}
	s := &Server{
		opts:     opts,
		addr:     ln.Addr().String(),
		ln:       ln,
		sessions: make(map[*session]struct{}),
		timers:   make(map[*time.Timer]struct{}),
		db:       make(map[string]string),
		stop:     make(chan struct{}),
		booted:   time.Now(),
	}
	s.mu.Lock()
	s.pbx = newPBXState(s)
	for _, name := range opts.Registered {
		if err := s.register(name, false); err != nil {
			s.mu.Unlock()
			ln.Close()
			return nil, err
		}
	}
	s.mu.Unlock()
	s.serve(ln)
	opts.Logger.Info("pbxsim started", "addr", s.addr)
	return s, nil
}

// uptime is how long this Asterisk process has run, for Uptime and
// LastReload (pbxsim never reloads). The caller holds s.mu.
func (s *Server) uptime() time.Duration { return max(time.Since(s.booted), 0) }

// Addr is the host:port AMI clients connect to.
func (s *Server) Addr() string { return s.addr }

// Close drops every connection, stops every timer and goroutine of the
// simulator and waits for them to finish. It is safe to call twice.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stop)
	if s.stall != nil {
		close(s.stall)
		s.stall = nil
	}
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	s.cancelTimers()
	for sess := range s.sessions {
		sess.kill()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// serve runs the accept loop of one listener until it is closed.
func (s *Server) serve(ln net.Listener) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					s.opts.Logger.Warn("pbxsim accept", "err", err)
				}
				return
			}
			s.mu.Lock()
			if s.closed || s.down {
				s.mu.Unlock()
				conn.Close()
				continue
			}
			sess := s.newSession(conn)
			s.mu.Unlock()
			sess.start()
		}
	}()
}

// after runs fn with s.mu held once d has passed, unless the simulator is
// closed or restarted first. The caller holds s.mu.
func (s *Server) after(d time.Duration, fn func()) {
	if s.closed || s.down {
		return
	}
	var t *time.Timer
	s.wg.Add(1)
	t = time.AfterFunc(d, func() {
		defer s.wg.Done()
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.timers[t]; !ok {
			return // cancelled
		}
		delete(s.timers, t)
		fn()
	})
	s.timers[t] = struct{}{}
}

// cancelTimers stops every pending callback. The caller holds s.mu.
func (s *Server) cancelTimers() {
	for t := range s.timers {
		if t.Stop() {
			s.wg.Done()
		}
		delete(s.timers, t)
	}
}

// go runs fn in a goroutine owned by the server.
func (s *Server) goOwned(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// sleep waits d or until the server closes; it reports whether d passed.
func (s *Server) sleep(d time.Duration, done <-chan struct{}) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stop:
		return false
	case <-done:
		return false
	}
}
