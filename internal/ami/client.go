package ami

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Errors a caller of Client.Do can match with errors.Is.
var (
	// ErrNotConnected: no logged-in connection right now; nothing was sent.
	ErrNotConnected = errors.New("ami: not connected to Asterisk")
	// ErrDisconnected: the connection dropped while the action was pending.
	ErrDisconnected = errors.New("ami: connection to Asterisk lost")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("ami: client closed")
	// ErrAuth: Asterisk refused the username or secret.
	ErrAuth = errors.New("ami: authentication failed")
)

// Config says where and how to connect. Zero durations take the defaults.
type Config struct {
	Addr     string // host:port of the manager interface
	Username string
	Secret   string
	AuthType string // "plain" or "md5" (challenge–response; the secret never crosses the wire)
	Events   string // event mask sent with Login: "on" (default), "off" or a class list

	ActionTimeout  time.Duration // per action when the caller's ctx has no deadline (10 s)
	PingInterval   time.Duration // keep-alive; a failed Ping drops the connection (20 s; < 0 disables)
	DialTimeout    time.Duration // TCP connect and greeting (5 s)
	WriteTimeout   time.Duration // one write to the socket (5 s)
	BootWait       time.Duration // how long to wait for FullyBooted after login (5 s)
	MinBackoff     time.Duration // first reconnect delay (500 ms)
	MaxBackoff     time.Duration // reconnect delays grow to this (30 s)
	MaxMessageSize int           // bound on one incoming message (DefaultMaxMessageSize)

	Logger *slog.Logger                                                      // nil: slog.Default()
	Dial   func(ctx context.Context, network, addr string) (net.Conn, error) // nil: net.Dialer
}

func (c *Config) withDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.ActionTimeout, 10*time.Second)
	def(&c.PingInterval, 20*time.Second)
	def(&c.DialTimeout, 5*time.Second)
	def(&c.WriteTimeout, 5*time.Second)
	def(&c.BootWait, 5*time.Second)
	def(&c.MinBackoff, 500*time.Millisecond)
	def(&c.MaxBackoff, 30*time.Second)
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.Events == "" {
		c.Events = "on"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Dial == nil {
		c.Dial = (&net.Dialer{}).DialContext
	}
}

// Status is a snapshot of the connection, for health checks.
type Status struct {
	Connected  bool
	Booted     bool      // FullyBooted seen on this connection
	Version    string    // AMI version from the greeting
	Since      time.Time // when the current state began
	Reconnects uint64    // successful logins after the first
	LastError  string    // why the last connection ended or failed
}

// Client keeps one logged-in AMI connection for as long as it runs,
// reconnecting with exponential backoff and jitter. Its methods are safe for
// concurrent use.
type Client struct {
	cfg      Config
	log      *slog.Logger
	idPrefix string
	seq      atomic.Uint64 // ActionIDs
	eventSeq atomic.Uint64 // the last AMI event's Seq

	mu     sync.Mutex
	sess   *session // the logged-in connection, nil while down
	status Status
	logins uint64 // successful logins so far
	subs   map[*Subscription]struct{}
	closed bool
	events eventCounts

	cancel context.CancelFunc
	done   chan struct{}
}

// Connect starts a Client that connects in the background and keeps
// reconnecting until Close. It returns at once; watch a Subscription for
// the Connected notice, or call Do and handle ErrNotConnected.
func Connect(ctx context.Context, cfg Config) *Client {
	cfg.withDefaults()
	var b [4]byte
	_, _ = crand.Read(b[:])
	ctx, cancel := context.WithCancel(ctx)
	c := &Client{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "ami", "addr", cfg.Addr),
		idPrefix: "coo-" + hex.EncodeToString(b[:]) + "-",
		subs:     make(map[*Subscription]struct{}),
		cancel:   cancel,
		done:     make(chan struct{}),
		status:   Status{Since: time.Now()},
	}
	go c.run(ctx)
	return c
}

// Close logs off, closes the connection, ends every subscription and waits
// for the client's goroutines. Pending actions fail with ErrClosed.
func (c *Client) Close() error {
	c.cancel()
	<-c.done
	c.mu.Lock()
	c.closed = true
	subs := c.subs
	c.subs = map[*Subscription]struct{}{}
	c.mu.Unlock()
	for s := range subs {
		s.stop()
	}
	return nil
}

// Status returns the current connection state.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Connected reports whether a logged-in connection is up.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess != nil
}

func (c *Client) nextActionID() string {
	return c.idPrefix + fmt.Sprint(c.seq.Add(1))
}

// run is the reconnect loop: one iteration per connection attempt.
func (c *Client) run(ctx context.Context) {
	defer close(c.done)
	attempt := 0
	for {
		started := time.Now()
		err := c.serve(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > c.cfg.MaxBackoff {
			attempt = 0 // it was up for a while: start the backoff afresh
		}
		delay := backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff)
		attempt++
		c.mu.Lock()
		c.status.LastError = err.Error()
		c.mu.Unlock()
		c.log.Warn("ami connection down, will retry", "err", err, "retry_in", delay.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// backoff is min·2^attempt capped at max, with "equal jitter": a random
// point in the upper half, so a fleet of daemons does not reconnect in step.
func backoff(attempt int, min, max time.Duration) time.Duration {
	d := max
	if attempt < 32 && min<<attempt < max && min<<attempt > 0 {
		d = min << attempt
	}
	return d/2 + rand.N(d/2+1)
}

// serve runs one connection from dial to drop and returns why it ended.
func (c *Client) serve(ctx context.Context) error {
	s, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer s.close(ErrDisconnected)
	if err := s.login(ctx); err != nil {
		return err
	}
	booted := s.waitBooted(ctx, c.cfg.BootWait)
	if !booted && c.cfg.Events != "off" {
		c.log.Warn("no FullyBooted after login: Asterisk is still starting, or the AMI user lacks read=system")
	}
	c.publish(s, booted)
	defer c.unpublish(s)
	go s.keepAlive(ctx)
	select {
	case <-ctx.Done():
		s.logoff()
		return ctx.Err()
	case <-s.dead:
		return s.cause()
	}
}

// publish makes s the connection that Do uses and tells subscribers, then
// releases the events that arrived during login, so that every subscriber
// sees Connected before the events of the new connection.
func (c *Client) publish(s *session, booted bool) {
	c.mu.Lock()
	c.sess = s
	c.logins++
	c.status = Status{Connected: true, Booted: booted, Version: s.version, Since: time.Now(), Reconnects: c.logins - 1}
	c.broadcastLocked(Event{Kind: Connected, Version: s.version, Booted: booted})
	c.mu.Unlock()
	s.release()
	c.log.Info("ami connected", "version", s.version, "fully_booted", booted)
}

func (c *Client) unpublish(s *session) {
	c.mu.Lock()
	if c.sess == s {
		c.sess = nil
	}
	err := s.cause()
	c.status = Status{Version: s.version, Since: time.Now(), Reconnects: c.status.Reconnects, LastError: err.Error()}
	c.broadcastLocked(Event{Kind: Disconnected, Err: err})
	c.mu.Unlock()
	if errors.Is(err, ErrClosed) {
		c.log.Info("ami connection closed")
		return
	}
	c.log.Warn("ami disconnected", "err", err)
}

// booted records a FullyBooted that came after Connected (Asterisk finished
// starting while we were connected) and tells subscribers, so they resync.
func (c *Client) booted(s *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == s && !c.status.Booted {
		c.status.Booted = true
		c.broadcastLocked(Event{Kind: Booted})
		c.log.Info("asterisk fully booted")
	}
}

func (c *Client) broadcast(e Event) {
	if e.Kind == AMIEvent {
		c.events.add(e.Msg.Get("Event"))
	}
	c.mu.Lock()
	if e.Kind == AMIEvent {
		e.Seq = c.eventSeq.Add(1) // under c.mu: every queue gets the events in Seq order
	}
	c.broadcastLocked(e)
	c.mu.Unlock()
}

func (c *Client) broadcastLocked(e Event) {
	for s := range c.subs {
		s.push(e)
	}
}
