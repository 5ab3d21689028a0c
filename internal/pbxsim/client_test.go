package pbxsim

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// testClient is a minimal AMI client for the tests: it records every
// message the simulator sends.
type testClient struct {
	t        testing.TB
	conn     net.Conn
	greeting string
	mu       sync.Mutex
	msgs     []ami.Message
	changed  chan struct{} // signalled on every new message
	closed   chan struct{} // closed at EOF
}

func dialSim(t testing.TB, sim *Server) *testClient {
	t.Helper()
	conn, err := net.Dial("tcp", sim.Addr())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	br := bufio.NewReader(conn)
	r := ami.NewReader(br)
	g, err := r.ReadGreeting()
	if err != nil {
		t.Fatalf("greeting: %v", err)
	}
	c := &testClient{t: t, conn: conn, greeting: "Asterisk Call Manager/" + g,
		changed: make(chan struct{}, 1), closed: make(chan struct{})}
	go func() {
		defer close(c.closed)
		for {
			m, err := r.ReadMessage()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
			select {
			case c.changed <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-c.closed })
	return c
}

func (c *testClient) send(headers ...ami.Header) {
	c.t.Helper()
	b, err := ami.AppendMessage(nil, headers)
	if err != nil {
		c.t.Fatalf("encode: %v", err)
	}
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *testClient) action(kv ...string) { c.t.Helper(); c.send(hdrs(kv...)...) }

func (c *testClient) all() []ami.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ami.Message(nil), c.msgs...)
}

// waitFor waits until some received message satisfies ok and returns it.
func (c *testClient) waitFor(what string, ok func(ami.Message) bool) ami.Message {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		for _, m := range c.all() {
			if ok(m) {
				return m
			}
		}
		select {
		case <-c.changed:
		case <-c.closed:
			for _, m := range c.all() {
				if ok(m) {
					return m
				}
			}
			c.t.Fatalf("connection closed while waiting for %s", what)
		case <-deadline:
			c.t.Fatalf("timeout waiting for %s; got:\n%s", what, dump(c.all()))
		}
	}
}

// response waits for the response to ActionID id.
func (c *testClient) response(id string) ami.Message {
	c.t.Helper()
	return c.waitFor("response "+id, func(m ami.Message) bool { return m.Response() != "" && m.ActionID() == id })
}

// event waits for the n-th (1-based) event named name.
func (c *testClient) event(name string, n int) ami.Message {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		seen := 0
		for _, m := range c.all() {
			if m.Event() == name {
				if seen++; seen == n {
					return m
				}
			}
		}
		select {
		case <-c.changed:
		case <-deadline:
			c.t.Fatalf("timeout waiting for %s #%d; got:\n%s", name, n, dump(c.all()))
		}
	}
}

// waitCount waits until at least n messages arrived and none for quiet.
func (c *testClient) waitCount(n int, quiet time.Duration) bool {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		have := len(c.msgs)
		c.mu.Unlock()
		if have >= n {
			select {
			case <-c.changed:
				continue
			case <-time.After(quiet):
				return true
			}
		}
		select {
		case <-c.changed:
		case <-c.closed:
			return false
		case <-time.After(quiet):
		}
	}
	return false
}

func (c *testClient) login() {
	c.t.Helper()
	c.action("Action", "Login", "ActionID", "login", "Username", "coocenter", "Secret", "coocenter-secret")
	if r := c.response("login"); r.Response() != "Success" {
		c.t.Fatalf("login: %v", r)
	}
}

func dump(ms []ami.Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.String())
	}
	return b.String()
}

func startSim(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Timing == (Timing{}) {
		opts.Timing = FastTiming()
	}
	sim, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}
