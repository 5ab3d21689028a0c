package testbed

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// link is the bed's way to a real Asterisk: a loopback TCP proxy that can
// be cut, so that a test can have Asterisk unreachable for a while without
// stopping it (which would end every other test's calls), and that records
// each AMI session when COOCENTER_TEST_RECORD is set.
type link struct {
	upstream string
	addr     string
	record   string // base name of the transcripts; "" records nothing

	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]bool
	sessions int
	closed   bool
	note     func(msg []byte) // writes a STAGE block into the session being recorded
	pending  [][]byte         // STAGE blocks of steps taken between sessions
	wg       sync.WaitGroup
}

// startLink listens on a loopback port for connections to upstream; it is
// closed when the test ends.
func startLink(t testing.TB, upstream, record string) *link {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testbed: link to Asterisk: %v", err)
	}
	l := &link{upstream: upstream, addr: ln.Addr().String(), record: record, ln: ln, conns: map[net.Conn]bool{}}
	l.serve(ln)
	t.Cleanup(l.close)
	return l
}

func (l *link) serve(ln net.Listener) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.wg.Add(1)
			go func() { defer l.wg.Done(); l.pipe(c) }()
		}
	}()
}

// pipe carries one client connection to Asterisk and back.
func (l *link) pipe(client net.Conn) {
	server, err := net.Dial("tcp", l.upstream)
	if err != nil {
		client.Close()
		return
	}
	n, ok := l.track(client, server)
	if !ok {
		return
	}
	defer l.untrack(client, server)
	if l.record != "" {
		l.recordSession(client, server, l.record, n)
		return
	}
	done := make(chan struct{}, 2)
	for _, p := range [][2]net.Conn{{server, client}, {client, server}} {
		go func() {
			_, _ = io.Copy(p[0], p[1])
			p[0].Close()
			done <- struct{}{}
		}()
	}
	<-done
	<-done
}

// track registers a session's connections so that cut can drop them; it
// returns the session's number in the test.
func (l *link) track(cs ...net.Conn) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil { // cut or closed while dialling
		for _, c := range cs {
			c.Close()
		}
		return 0, false
	}
	l.sessions++
	for _, c := range cs {
		l.conns[c] = true
	}
	return l.sessions, true
}

func (l *link) untrack(cs ...net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(l.conns, c)
	}
}

// cut makes Asterisk unreachable for d: open sessions drop and new
// connections are refused, as when Asterisk is stopped, until d has passed.
func (l *link) cut(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil {
		return
	}
	l.ln.Close()
	l.ln = nil
	for c := range l.conns {
		c.Close()
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.reopen(d)
	}()
}

// reopen listens on the link's address again after d.
func (l *link) reopen(d time.Duration) {
	end := time.Now().Add(d)
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return
		}
		if time.Now().After(end) {
			if ln, err := net.Listen("tcp", l.addr); err == nil {
				l.ln = ln
				l.serve(ln)
				l.mu.Unlock()
				return
			}
		}
		l.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *link) close() {
	l.mu.Lock()
	l.closed = true
	if l.ln != nil {
		l.ln.Close()
		l.ln = nil
	}
	for c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}
