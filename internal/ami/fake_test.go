package ami_test

import (
	"crypto/md5"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// fakeAMI is a tiny AMI server on loopback. It answers Login (plain and
// MD5), Challenge, Ping and Logoff like Asterisk, sends FullyBooted after
// login, and hands every other action to the test's handler.
type fakeAMI struct {
	t      testing.TB
	ln     net.Listener
	addr   string
	secret string

	mu       sync.Mutex
	conns    map[*fakeConn]bool
	handler  func(fc *fakeConn, m ami.Message)
	noPong   bool
	noBoot   bool
	gate     chan struct{} // non-nil: sessions wait for it to close before the banner
	received []ami.Message
	logins   int
}

type fakeConn struct {
	nc  net.Conn
	wmu sync.Mutex
}

// send writes one message; the test builds it from key, value pairs.
func (fc *fakeConn) send(kv ...string) {
	var hs []ami.Header
	for i := 0; i+1 < len(kv); i += 2 {
		hs = append(hs, ami.Header{Key: kv[i], Value: kv[i+1]})
	}
	b, err := ami.AppendMessage(nil, hs)
	if err != nil {
		panic(err)
	}
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	_, _ = fc.nc.Write(b)
}

func newFakeAMI(t testing.TB) *fakeAMI {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAMI{t: t, secret: "s3cret", conns: map[*fakeConn]bool{}}
	f.addr = ln.Addr().String()
	f.serve(ln)
	t.Cleanup(f.close)
	return f
}

func (f *fakeAMI) serve(ln net.Listener) {
	f.mu.Lock()
	f.ln = ln
	f.mu.Unlock()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			fc := &fakeConn{nc: nc}
			f.mu.Lock()
			f.conns[fc] = true
			f.mu.Unlock()
			go f.session(fc)
		}
	}()
}

// restart closes the listener and every connection, then listens again on
// the same address after d, like an Asterisk restart.
func (f *fakeAMI) restart(d time.Duration) {
	f.close()
	time.Sleep(d)
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		f.t.Fatal(err)
	}
	f.serve(ln)
}

func (f *fakeAMI) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ln.Close()
	for fc := range f.conns {
		fc.nc.Close()
	}
	f.conns = map[*fakeConn]bool{}
}

func (f *fakeAMI) actions() []ami.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ami.Message(nil), f.received...)
}

// hold makes new sessions wait, banner unsent, until the returned func is
// called: a test can subscribe before its client can log in.
func (f *fakeAMI) hold() (open func()) {
	gate := make(chan struct{})
	f.mu.Lock()
	f.gate = gate
	f.mu.Unlock()
	return func() { close(gate) }
}

func (f *fakeAMI) session(fc *fakeConn) {
	defer fc.nc.Close()
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	_, _ = io.WriteString(fc.nc, "Asterisk Call Manager/9.0.0\r\n")
	r := ami.NewReader(fc.nc)
	challenge := ""
	for {
		m, err := r.ReadMessage()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.received = append(f.received, m)
		handler, noPong, noBoot, secret := f.handler, f.noPong, f.noBoot, f.secret
		f.mu.Unlock()
		id := m.ActionID()
		switch m.Get("Action") {
		case "Challenge":
			challenge = "123456789"
			fc.send("Response", "Success", "ActionID", id, "Challenge", challenge)
		case "Login":
			ok := m.Get("Secret") == secret
			if m.Get("AuthType") == "MD5" {
				sum := md5.Sum([]byte(challenge + secret))
				ok = m.Get("Key") == hex.EncodeToString(sum[:])
			}
			if !ok {
				fc.send("Response", "Error", "ActionID", id, "Message", "Authentication failed")
				return
			}
			f.mu.Lock()
			f.logins++
			f.mu.Unlock()
			fc.send("Response", "Success", "ActionID", id, "Message", "Authentication accepted")
			if !noBoot {
				fc.send("Event", "FullyBooted", "Privilege", "system,all", "Uptime", "5", "LastReload", "5", "Status", "Fully Booted")
			}
		case "Ping":
			if !noPong {
				fc.send("Response", "Success", "ActionID", id, "Ping", "Pong", "Timestamp", "1.0")
			}
		case "Logoff":
			fc.send("Response", "Goodbye", "ActionID", id, "Message", "Thanks for all the fish.")
			return
		default:
			if handler != nil {
				handler(fc, m)
			} else {
				fc.send("Response", "Error", "ActionID", id, "Message", "Invalid/unknown command: "+m.Get("Action")+". Use Action: ListCommands to show available commands.")
			}
		}
	}
}

func (f *fakeAMI) set(fn func(f *fakeAMI)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// logins is how many successful logins the server has seen.
func (f *fakeAMI) loginCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

// config is a client config for this server with test-sized timeouts.
func (f *fakeAMI) config() ami.Config {
	return ami.Config{
		Addr: f.addr, Username: "coocenter", Secret: f.secret, AuthType: "plain",
		ActionTimeout: 2 * time.Second, PingInterval: -1, BootWait: time.Second,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	}
}
