// Package amitest serves recorded AMI sessions: a loopback server that
// plays what a real Asterisk sent in a transcript (internal/ami/transcript's
// format) to a client under test, so that tests of the model, the pushes
// and the pause timer run on real Asterisk's bytes, deterministically and
// at once.
//
// The player walks the recorded server messages in order. An event is
// written as soon as the client can read it, stamped with a Timestamp
// header (as manager.conf's timestampevents writes it) holding the time
// it was recorded, so that every time the client derives is the
// recording's. A reply to an action is written only once the client has
// sent a matching action: the same action name and headers (the ActionID
// aside) as an unanswered recorded one, else the next unanswered recorded
// one of that name. The reply then carries the client's ActionID. Should
// the client wait for a reply recorded later than one it has not asked for
// yet (a resync asking in another order), that reply, list and all, is
// played at once. Queries (actions that only read: CoreShowChannels,
// QueueStatus, PJSIPShowContacts, ...) change nothing,
// and how often a client asks one again may follow its timers: one it
// asks more often than recorded is answered as the recording last
// answered it, one it does not ask while idle is left out. Ping is
// answered whether recorded or not; any other action without a recorded
// match gets an error response and is reported by Unmatched; the
// recording's own pings are left out.
//
// The replay's Clock follows the recording: it moves to each message's
// recorded time as the message is played, and to an action's recorded
// time while the player waits for the client to send it, running the
// clock's timers that fall due on the way (a pause timer's wrap-up ends
// when the recording says it did). A client reads behind the player, so
// a timer it sets may fall due at a time already played: while the
// player waits and the client is silent, the earliest timer runs.
//
// A recording made by the test bed also holds the test's own steps
// (STAGE blocks: what the test did to the PBX on a connection of its own).
// The player stops at each until the test takes that step again (Stage),
// so that the test sees the model as it was when it acted, however fast
// the recording plays. There it first writes a StepEvent, which tells the
// test when its client has caught up.
//
// After the last recorded message the player writes one more event,
// UserEvent End: a client that passes it on (the model turns every
// UserEvent into a pbx.UserEvent) tells its consumer that everything
// recorded has been applied.
package amitest

import (
	"bytes"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/ami/transcript"
	"github.com/coocenter/coocenterd/internal/clock"
)

// End is the UserEvent name the replay sends after the last recorded
// message.
const End = "AMITestEnd"

// StepEvent is the UserEvent the player writes where the test took a
// step (header Step: its number, from 1), before it waits for the test to
// take it again: a test that waits until its client has passed it on
// knows that the client has every event recorded before the step.
const StepEvent = "AMITestStep"

// Cut is the test's step that cut the client off from Asterisk: the
// player closes the connection there, whatever the session still holds.
const Cut = "Cut"

// Day is the date given to transcripts that recorded only the time of day
// (the older ones, "### S->C 18:19:35").
var Day = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// Replay is one running replay server.
type Replay struct {
	t        testing.TB
	ln       net.Listener
	sessions []session
	clock    *clock.Manual

	mu          sync.Mutex
	unmatched   []string // actions the recording had no answer for
	loose       []string // actions matched by name only
	waiting     string   // the recorded action the player waits for, if any
	accepted    int      // connections the server accepted
	where       string   // how far the player got
	done        chan struct{}
	doneOnce    sync.Once
	stopped     chan struct{}
	steps       chan string // the test's steps (Stage), in order
	stepsPlayed int         // steps the player has reached, over all sessions (the player's)
	conn        net.Conn
	closing     bool
}

// session is one recorded connection: the greeting, then the messages.
type session struct {
	path     string
	greeting string
	msgs     []recorded
}

// recorded is one message of a session.
type recorded struct {
	fromClient bool
	stage      bool // a step of the test (transcript.Stage): the player waits for Stage
	at         time.Time
	msg        ami.Message
}

// Serve starts a replay of the transcripts at paths, one per connection
// the client makes, in order: every session but the last ends with the
// server closing the connection, as when Asterisk went away. The server
// stops when the test ends.
func Serve(t testing.TB, paths ...string) *Replay {
	t.Helper()
	r := &Replay{t: t, done: make(chan struct{}), stopped: make(chan struct{}), steps: make(chan string, 256)}
	for _, p := range paths {
		s, err := readSession(p)
		if err != nil {
			t.Fatal(err)
		}
		r.sessions = append(r.sessions, s)
	}
	if len(r.sessions) == 0 {
		t.Fatal("amitest: no transcript")
	}
	r.clock = clock.NewManual(r.sessions[0].start())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.ln = ln
	go r.serve()
	t.Cleanup(r.close)
	return r
}

// Addr is the server's host:port.
func (r *Replay) Addr() string { return r.ln.Addr().String() }

// Clock is the recording's time: where the player has got to.
func (r *Replay) Clock() *clock.Manual { return r.clock }

// Done is closed once every recorded message, and the End event, is
// written, or the recording's last session ended with a Cut.
func (r *Replay) Done() <-chan struct{} { return r.done }

// Wait waits until the replay is done, failing the test after d (of wall
// clock) with what the player was waiting for.
func (r *Replay) Wait(d time.Duration) {
	r.t.Helper()
	select {
	case <-r.done:
	case <-time.After(d):
		r.mu.Lock()
		w := r.waiting
		r.mu.Unlock()
		r.t.Fatalf("amitest: replay not done after %v; waiting for the client to send: %s", d, w)
	}
}

// Stage tells the player that the test took the step it took when
// recorded (a STAGE block: "Stage: Answer"): the player plays on to the
// test's next recorded step. A recording made without steps plays through
// without waiting; steps it does not hold are ignored.
func (r *Replay) Stage(step string) {
	select {
	case r.steps <- step:
	default:
		r.t.Errorf("amitest: more than %d steps of the test waiting", cap(r.steps))
	}
}

// Waiting says what the player waits for: the client's action or the
// test's step, "" when it is playing or done.
func (r *Replay) Waiting() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.waiting != "" {
		return r.waiting
	}
	return fmt.Sprintf("nothing (%d connections accepted, %s)", r.accepted, r.where)
}

// Unmatched returns the actions the client sent that the recording could
// not answer, as "Action: X (headers)".
func (r *Replay) Unmatched() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.unmatched...)
}

// Loose returns the actions the client sent that matched a recorded one
// by name only: their headers differ from the recording's (an Originate's
// ids made anew, or a change in what the client asks).
func (r *Replay) Loose() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.loose...)
}

func (r *Replay) close() {
	r.mu.Lock()
	r.closing = true
	if r.conn != nil {
		r.conn.Close()
	}
	r.mu.Unlock()
	r.ln.Close()
	<-r.stopped
}

func (r *Replay) serve() {
	defer close(r.stopped)
	for i, s := range r.sessions {
		nc, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.closing {
			r.mu.Unlock()
			nc.Close()
			return
		}
		r.conn = nc
		r.accepted++
		r.mu.Unlock()
		p := newPlayer(r, nc, s)
		p.play(i == len(r.sessions)-1)
		nc.Close()
		p.wait()
	}
}

// start is the recorded time of the session's first message.
func (s session) start() time.Time {
	if len(s.msgs) == 0 {
		return Day
	}
	return s.msgs[0].at
}

func readSession(path string) (session, error) {
	entries, err := transcript.ReadFile(path)
	if err != nil {
		return session{}, err
	}
	s := session{path: path}
	pings := map[string]bool{}
	var prev time.Time
	for _, e := range entries {
		at, err := recordedAt(e.Time, prev)
		if err != nil {
			return session{}, fmt.Errorf("%s: %w", path, err)
		}
		prev = at
		if e.Greeting != "" {
			s.greeting = e.Greeting
			continue
		}
		if e.Dir == transcript.ClientToServer && strings.EqualFold(e.Msg.Get("Action"), "Logoff") {
			break // the client ended the session: what follows is not the client's to replay
		}
		if e.Dir == transcript.ClientToServer && strings.EqualFold(e.Msg.Get("Action"), "Ping") {
			pings[e.Msg.ActionID()] = true // keep-alives come when the client's timer says: answered, not replayed
			continue
		}
		if e.Dir == transcript.ServerToClient && pings[e.Msg.ActionID()] && !e.Msg.IsEvent() {
			continue
		}
		s.msgs = append(s.msgs, recorded{fromClient: e.Dir == transcript.ClientToServer, stage: e.Dir == transcript.Stage, at: at, msg: e.Msg})
	}
	if s.greeting == "" {
		return session{}, fmt.Errorf("%s: no greeting", path)
	}
	return s, nil
}

// recordedAt reads a block's time: RFC 3339 with fractions as the recorder
// now writes it, or the older hh:mm:ss on Day (a session that passes
// midnight moves on to the next day).
func recordedAt(s string, prev time.Time) (time.Time, error) {
	if strings.Contains(s, "T") {
		return time.Parse(time.RFC3339Nano, s)
	}
	clock, err := time.Parse("15:04:05", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("block time %q", s)
	}
	day := Day
	if !prev.IsZero() {
		day = time.Date(prev.Year(), prev.Month(), prev.Day(), 0, 0, 0, 0, time.UTC)
	}
	at := day.Add(time.Duration(clock.Hour())*time.Hour + time.Duration(clock.Minute())*time.Minute + time.Duration(clock.Second())*time.Second)
	if at.Before(prev) {
		at = at.Add(24 * time.Hour)
	}
	return at, nil
}

// stamp formats t as Asterisk's Timestamp header.
func stamp(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

// wire renders m with ActionID set to id (when m has one) and, for an
// event without one, a Timestamp of at.
func wire(m ami.Message, id string, at time.Time) []byte {
	hs := m.Headers()
	stamped := !m.IsEvent()
	for i := range hs {
		switch {
		case strings.EqualFold(hs[i].Key, "ActionID"):
			hs[i].Value = id
		case strings.EqualFold(hs[i].Key, "Timestamp"):
			stamped = true
		}
	}
	if !stamped {
		hs = append(hs[:1:1], append([]ami.Header{{Key: "Timestamp", Value: stamp(at)}}, hs[1:]...)...)
	}
	b, err := ami.AppendMessage(nil, hs)
	if err != nil {
		panic(fmt.Sprintf("amitest: recorded message cannot be written: %v", err))
	}
	return b
}

// sameAction reports whether the client's action a asks what the recorded
// action rec asked: the same headers, ActionID aside, in any order.
func sameAction(a, rec ami.Message) bool {
	return bytes.Equal(actionKey(a), actionKey(rec))
}

func actionKey(m ami.Message) []byte {
	var lines []string
	for k, v := range m.All() {
		if !strings.EqualFold(k, "ActionID") {
			lines = append(lines, strings.ToLower(k)+": "+v)
		}
	}
	slices.Sort(lines)
	return []byte(strings.Join(lines, "\n"))
}
