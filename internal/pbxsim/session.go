package pbxsim

import (
	"net"
	"strings"
	"sync"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// greeting is what Asterisk 20 writes on accept, before reading anything.
const greeting = "Asterisk Call Manager/9.0.0\r\n"

// session is one AMI connection: a reader goroutine that runs the actions,
// a writer goroutine that drains a bounded queue of wire messages.
type session struct {
	s    *Server
	id   int
	conn net.Conn
	out  chan []byte // nil entry = close after writing what came before
	done chan struct{}
	once sync.Once

	// guarded by s.mu
	authed    bool
	mask      classMask
	challenge string
	// gone: the session belongs to an Asterisk that restarted (cut); it
	// reads on until the connection closes but runs nothing.
	gone bool
}

// newSession registers a session for conn. The caller holds s.mu.
func (s *Server) newSession(conn net.Conn) *session {
	s.seq.sess++
	sess := &session{
		s:    s,
		id:   s.seq.sess,
		conn: conn,
		out:  make(chan []byte, s.opts.SessionQueue),
		done: make(chan struct{}),
		mask: classAll,
	}
	s.sessions[sess] = struct{}{}
	sess.out <- []byte(greeting)
	return sess
}

func (sess *session) start() {
	sess.s.goOwned(sess.writeLoop)
	sess.s.goOwned(sess.readLoop)
}

// kill closes the connection at once; both goroutines then return.
func (sess *session) kill() {
	sess.once.Do(func() {
		close(sess.done)
		sess.conn.Close()
	})
}

// enqueue queues one wire message; a session whose queue is full is dropped,
// as Asterisk drops a client that blocks longer than writetimeout.
func (sess *session) enqueue(b []byte) {
	select {
	case <-sess.done:
		return
	default:
	}
	select {
	case sess.out <- b:
	default:
		sess.s.opts.Logger.Warn("pbxsim: slow AMI client dropped", "session", sess.id)
		sess.kill()
	}
}

// send queues a response or list item built from headers.
func (sess *session) send(headers ...ami.Header) {
	b, err := ami.AppendMessage(nil, headers)
	if err != nil {
		sess.s.opts.Logger.Error("pbxsim: unwritable message", "err", err)
		return
	}
	sess.enqueue(b)
}

// sendLoose is send for the few Asterisk responses whose keys contain a
// blank ("Named Callgroup" in SIPshowpeer), which ami.AppendMessage rightly
// refuses for anything a client writes. Line breaks are still refused.
func (sess *session) sendLoose(headers []ami.Header) {
	var b []byte
	for _, h := range headers {
		if err := ami.CheckHeader(strings.ReplaceAll(h.Key, " ", "-"), h.Value); err != nil {
			sess.s.opts.Logger.Error("pbxsim: unwritable message", "err", err)
			return
		}
		b = append(b, h.Key...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, "\r\n"...)
	}
	sess.enqueue(append(b, "\r\n"...))
}

// closeAfterFlush makes the writer close the connection once everything
// queued before has been written (Logoff, failed login).
func (sess *session) closeAfterFlush() { sess.enqueue(nil) }

// cut ends the session as an Asterisk that execs itself does: what was
// queued for it is written, then the connection closes; it gets no event
// and runs no action any more. The caller holds s.mu.
func (sess *session) cut() {
	sess.gone, sess.authed = true, false
	sess.closeAfterFlush()
}

func (sess *session) writeLoop() {
	for {
		select {
		case b := <-sess.out:
			if b == nil {
				sess.kill()
				return
			}
			sess.conn.SetWriteDeadline(time.Now().Add(sess.s.opts.Timing.WriteTimeout))
			if _, err := sess.conn.Write(b); err != nil {
				sess.kill()
				return
			}
		case <-sess.done:
			return
		}
	}
}

func (sess *session) readLoop() {
	s := sess.s
	defer func() {
		sess.kill()
		s.mu.Lock()
		delete(s.sessions, sess)
		s.mu.Unlock()
	}()
	r := ami.NewReaderSize(sess.conn, 64<<10)
	for {
		msg, err := r.ReadMessage()
		if err != nil {
			return
		}
		if !s.waitToAnswer(sess) {
			return
		}
		s.mu.Lock()
		post := postNone
		if !sess.gone {
			post = s.dispatch(sess, msg)
		}
		s.mu.Unlock()
		switch post {
		case postClose:
			sess.closeAfterFlush()
		case postAuthFailed:
			if !s.sleep(s.opts.Timing.AuthFailDelay, sess.done) {
				return
			}
			sess.send(response(msg, "Error", "Authentication failed")...)
			sess.closeAfterFlush()
		}
	}
}

// waitToAnswer applies SetResponseDelay and Stall before an action is run.
func (s *Server) waitToAnswer(sess *session) bool {
	s.mu.Lock()
	d, stall := s.respDelay, s.stall
	s.mu.Unlock()
	if stall != nil {
		select {
		case <-stall:
		case <-sess.done:
			return false
		case <-s.stop:
			return false
		}
	}
	return s.sleep(d, sess.done)
}
