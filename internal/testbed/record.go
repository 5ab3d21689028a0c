package testbed

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// RecordEnv names a folder: with a real Asterisk, each test's AMI session
// is written there as a transcript in the format of
// internal/ami/testdata (### C->S / ### S->C blocks, CRLF kept)
// plus the raw bytes Asterisk sent (.s2c.raw.txt), for pbxsim's fidelity
// test and the parser's test data.
const RecordEnv = "COOCENTER_TEST_RECORD"

// recordSession pipes one client connection to Asterisk and back, writing
// the nth session of the test (base.txt, then base-2.txt after a
// reconnect, ...) and the raw bytes Asterisk sent (.s2c.raw.txt).
func (l *link) recordSession(client, server net.Conn, base string, n int) {
	name := base
	if n > 1 {
		name = fmt.Sprintf("%s-%d", base, n)
	}
	text, err1 := os.Create(name + ".txt")
	raw, err2 := os.Create(name + ".s2c.raw.txt")
	if err1 != nil || err2 != nil {
		return
	}
	defer text.Close()
	defer raw.Close()
	var mu sync.Mutex
	block := func(dir string, msg []byte) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(text, "### %s %s\n", dir, time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"))
		text.Write(msg)
	}
	l.setNote(func(msg []byte) { block("STAGE", msg) })
	defer l.setNote(nil)
	done := make(chan struct{}, 2)
	go func() { // client to Asterisk
		copyMessages(server, client, "C->S", false, block)
		server.Close()
		done <- struct{}{}
	}()
	go func() { // Asterisk to client
		copyMessages(client, io.TeeReader(server, raw), "S->C", true, block)
		client.Close()
		done <- struct{}{}
	}()
	<-done
	<-done
}

// copyMessages copies src to dst message by message (blank-line ended; the
// greeting is its first line), handing each to block before passing it on:
// an action is then always written down before Asterisk can answer it.
func copyMessages(dst io.Writer, src io.Reader, dir string, greeting bool, block func(string, []byte)) {
	r := bufio.NewReader(src)
	var msg bytes.Buffer
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			if msg.Len() == 0 && bytes.Equal(line, []byte("\r\n")) {
				// A stray blank line: Asterisk ends some errors with
				// "\n\r\n" plus one more "\r\n" (PJSIPShowContacts' "No
				// Contacts found\n"). It stays in the raw file only.
				if _, werr := dst.Write(line); werr != nil {
					return
				}
				continue
			}
			msg.Write(line)
			if greeting || bytes.Equal(line, []byte("\r\n")) {
				block(dir, msg.Bytes())
				if _, werr := dst.Write(msg.Bytes()); werr != nil {
					return
				}
				msg.Reset()
				greeting = false
			}
		}
		if err != nil {
			_, _ = dst.Write(msg.Bytes()) // a message cut off by the end of the session
			return
		}
	}
}

// setNote sets where mark writes: the session being recorded, nil when
// there is none. Steps taken between sessions go to the start of the next.
func (l *link) setNote(f func([]byte)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.note = f
	if f != nil {
		for _, msg := range l.pending {
			f(msg)
		}
		l.pending = nil
	}
}

// mark writes what the test does to the PBX into the session being
// recorded, as a STAGE block ("Stage: Answer", "Arg: SIP/804-00000007"):
// a replay of the session waits there until the test does it again.
func (l *link) mark(step string, args ...string) {
	if l.record == "" {
		return
	}
	hs := []ami.Header{{Key: "Stage", Value: step}}
	for _, a := range args {
		hs = append(hs, ami.Header{Key: "Arg", Value: a})
	}
	msg, err := ami.AppendMessage(nil, hs)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.note == nil {
		l.pending = append(l.pending, msg)
		return
	}
	l.note(msg)
}
