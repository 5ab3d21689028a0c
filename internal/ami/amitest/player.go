package amitest

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// player plays one session to one connection.
type player struct {
	r       *Replay
	nc      net.Conn
	s       session
	actions chan ami.Message // what the client sends, closed when it stops

	recActions []recAction
	byID       map[string]int // recorded ActionID → index in recActions
	sent       []bool         // per message: written ahead of its place
	pos        int            // the message being played
	quiet      int            // silences of the client in a row, no timer set
	broken     bool           // a write failed: the client is gone
}

// recAction is one action the recording holds.
type recAction struct {
	msg      ami.Message
	idx      int    // its index in the session's messages
	clientID string // the ActionID of the client's matching action
	matched  bool
	query    bool // it only reads (queries)
	skipped  bool // a query the client did not ask again: its reply is not played
	answered bool // its response is written
}

func newPlayer(r *Replay, nc net.Conn, s session) *player {
	p := &player{r: r, nc: nc, s: s, actions: make(chan ami.Message), byID: map[string]int{}, sent: make([]bool, len(s.msgs))}
	for i, m := range s.msgs {
		if m.fromClient {
			if id := m.msg.ActionID(); id != "" {
				p.byID[id] = len(p.recActions)
			}
			p.recActions = append(p.recActions, recAction{msg: m.msg, idx: i})
		}
	}
	for k := range p.recActions {
		p.recActions[k].query = queries[strings.ToLower(p.recActions[k].msg.Get("Action"))]
	}
	go p.read()
	return p
}

// read passes the client's actions to the player until the connection ends.
func (p *player) read() {
	defer close(p.actions)
	rd := ami.NewReader(p.nc)
	for {
		m, err := rd.ReadMessage()
		if err != nil {
			return
		}
		p.actions <- m
	}
}

// wait discards what the client still sends until its reader ends.
func (p *player) wait() {
	for range p.actions {
	}
}

// play writes the session; the last session then writes End, reports the
// replay done and answers the client until it goes.
func (p *player) play(last bool) {
	p.write([]byte(p.s.greeting + "\r\n"))
	for p.pos = 0; p.pos < len(p.s.msgs) && !p.broken; p.pos++ {
		m := p.s.msgs[p.pos]
		if m.stage {
			if !p.awaitStep(m) {
				return
			}
			if m.msg.Get("Stage") == Cut {
				if last {
					p.r.finish() // nothing more comes: the test cut Asterisk off for good
				}
				return
			}
			continue
		}
		if m.fromClient || p.sent[p.pos] {
			continue
		}
		p.takeWaiting()
		id := m.msg.ActionID()
		if k, ok := p.byID[id]; ok {
			if !p.await(k) {
				return
			}
			if p.recActions[k].skipped {
				continue
			}
			id = p.recActions[k].clientID
			p.recActions[k].answered = true
		}
		p.r.advanceTo(m.at)
		p.write(wire(m.msg, id, m.at))
		p.r.setWhere(fmt.Sprintf("session %s, message %d of %d", p.s.path, p.pos+1, len(p.s.msgs)))
	}
	p.r.setWhere(fmt.Sprintf("session %s played (broken %v)", p.s.path, p.broken))
	if !last || p.broken {
		return
	}
	end, _ := ami.NewMessage(ami.Header{Key: "Event", Value: "UserEvent"}, ami.Header{Key: "Privilege", Value: "user,all"},
		ami.Header{Key: "UserEvent", Value: End})
	p.write(wire(end, "", p.r.clock.Now()))
	p.r.finish()
	for a := range p.actions {
		p.answer(a, -1)
	}
}

// takeWaiting answers what the client has sent so far, without waiting.
func (p *player) takeWaiting() {
	for {
		select {
		case a, ok := <-p.actions:
			if !ok {
				return
			}
			p.answer(a, -1)
		default:
			return
		}
	}
}

// await waits until the client has sent recorded action k, answering what
// else it sends meanwhile; false when the client went away first.
func (p *player) await(k int) bool {
	rec := &p.recActions[k]
	if rec.matched {
		return true
	}
	// The client may wait for the reply to an action it sent before, not
	// yet due in the recording's order: it would not send k before that.
	for j := range p.recActions {
		if j != k && p.recActions[j].matched && !p.recActions[j].answered && !p.recActions[j].skipped {
			p.playReplyNow(j)
		}
	}
	p.r.advanceTo(p.s.msgs[rec.idx].at)
	p.r.setWaiting(fmt.Sprintf("%s (recorded at %s in %s)", oneLine(rec.msg), p.s.msgs[rec.idx].at.Format("15:04:05.000000"), p.s.path))
	defer p.r.setWaiting("")
	for !rec.matched && !rec.skipped {
		if !p.serveWaiting(k, nil) {
			return false
		}
	}
	return true
}

// awaitStep waits until the test takes the recorded step m, answering the
// client meanwhile; false when the client went away first.
func (p *player) awaitStep(m recorded) bool {
	p.r.advanceTo(m.at)
	p.r.stepsPlayed++
	mark, _ := ami.NewMessage(ami.Header{Key: "Event", Value: "UserEvent"}, ami.Header{Key: "Privilege", Value: "user,all"},
		ami.Header{Key: "UserEvent", Value: StepEvent}, ami.Header{Key: "Step", Value: strconv.Itoa(p.r.stepsPlayed)})
	p.write(wire(mark, "", m.at))
	want := m.msg.Get("Stage")
	p.r.setWaiting(fmt.Sprintf("the test's step %s (recorded at %s in %s)", oneLine(m.msg), m.at.Format("15:04:05.000000"), p.s.path))
	defer p.r.setWaiting("")
	for {
		var step string
		if !p.serveWaiting(-1, &step) {
			return false
		}
		switch {
		case step == "":
		case step != want:
			p.r.t.Errorf("amitest: the test's step %s where %s recorded it took %s", step, p.s.path, want)
			return true
		default:
			return true
		}
	}
}

// serveWaiting handles one thing while the player waits: an action of the
// client (answered as answer does while waiting for recorded action
// blocked), a step of the test (into *step, when step is not nil), or a
// silence of the client. Waiting for an action, the client's earliest
// timer then runs: it may have set it after the recording's time passed
// it (it reads behind the player), so it runs at the time it was set for.
// Waiting for a step, only the timers due by now run. false: the client
// went away.
func (p *player) serveWaiting(blocked int, step *string) bool {
	var steps chan string
	if step != nil {
		steps = p.r.steps
	}
	select {
	case a, ok := <-p.actions:
		if !ok {
			return false
		}
		p.quiet = 0
		p.answer(a, blocked)
	case *step = <-steps:
	case <-time.After(idle):
		if step != nil {
			// The test has not taken its step yet: the time stays where
			// it took it, and only timers due by then run.
			p.r.advanceTo(p.r.clock.Now())
			return true
		}
		if at, ok := p.r.clock.Next(); ok {
			p.r.advanceTo(at)
			p.quiet = 0
		} else if p.quiet++; blocked >= 0 && p.recActions[blocked].query && p.quiet >= skipAfter {
			// A query the client, silent with no timer set for a while,
			// does not ask this time (it asked it more often when
			// recorded). Should it ask later, it is answered all the same.
			p.recActions[blocked].skipped = true
			p.quiet = 0
		}
	}
	return true
}

// idle is how long the client may be silent, while the player waits for
// it, before the player runs the client's next timer; after skipAfter
// such silences with no timer set, a query it does not ask is left out.
const (
	idle      = 5 * time.Millisecond
	skipAfter = 200
)

// answer matches the client's action a with a recorded one. While the
// player waits for recorded action blocked (-1: it does not), a match
// recorded later has its reply played at once.
func (p *player) answer(a ami.Message, blocked int) {
	k := p.match(a)
	switch {
	case k < 0 && strings.EqualFold(a.Get("Action"), "Ping"):
		pong, _ := ami.NewMessage(ami.Header{Key: "Response", Value: "Success"}, ami.Header{Key: "ActionID", Value: a.ActionID()},
			ami.Header{Key: "Ping", Value: "Pong"}, ami.Header{Key: "Timestamp", Value: stamp(p.r.clock.Now())})
		p.write(wire(pong, a.ActionID(), p.r.clock.Now()))
	case k < 0 && p.answerQuery(a):
	case k < 0:
		p.r.addUnmatched(oneLine(a))
		refused, _ := ami.NewMessage(ami.Header{Key: "Response", Value: "Error"}, ami.Header{Key: "ActionID", Value: a.ActionID()},
			ami.Header{Key: "Message", Value: "amitest: the recording has no such action"})
		p.write(wire(refused, a.ActionID(), p.r.clock.Now()))
	default:
		p.recActions[k].matched, p.recActions[k].clientID = true, a.ActionID()
		if !sameAction(a, p.recActions[k].msg) {
			p.r.addLoose(oneLine(a))
		}
		if blocked >= 0 && k != blocked {
			p.playReplyNow(k)
		}
	}
}

// queries are the actions that only read, by lower-case name.
var queries = map[string]bool{
	"coreshowchannels": true, "coresettings": true, "corestatus": true, "status": true,
	"sippeers": true, "sipshowpeer": true, "pjsipshowendpoints": true, "pjsipshowendpoint": true, "pjsipshowcontacts": true,
	"queuestatus": true, "queuesummary": true, "extensionstatelist": true, "extensionstate": true, "dbget": true,
}

// answerQuery answers a query the client asks once more than recorded
// with the recording's nearest answer to it: the last played, else the
// next. false: a is no query the recording holds.
func (p *player) answerQuery(a ami.Message) bool {
	best := -1
	for k, rec := range p.recActions {
		if !rec.query || !sameAction(a, rec.msg) {
			continue
		}
		if best < 0 || rec.idx < p.pos {
			best = k
		}
	}
	if best < 0 {
		return false
	}
	id := p.recActions[best].msg.ActionID()
	for _, m := range p.s.msgs[p.recActions[best].idx:] {
		if m.fromClient || m.stage || m.msg.ActionID() != id {
			continue
		}
		p.write(wire(m.msg, a.ActionID(), p.r.clock.Now()))
		if strings.EqualFold(m.msg.Get("EventList"), "complete") {
			break
		}
	}
	return true
}

// match returns the unmatched recorded action a asks for, or -1.
func (p *player) match(a ami.Message) int {
	name := a.Get("Action")
	byName := -1
	for k := range p.recActions {
		rec := &p.recActions[k]
		if rec.matched || rec.skipped || !strings.EqualFold(rec.msg.Get("Action"), name) {
			continue
		}
		if sameAction(a, rec.msg) {
			return k
		}
		if byName < 0 {
			byName = k
		}
	}
	return byName
}

// playReplyNow writes recorded action k's reply ahead of its place: the
// response and, for a list, its items up to the one that completes it.
func (p *player) playReplyNow(k int) {
	id := p.recActions[k].msg.ActionID()
	p.recActions[k].answered = true
	for j := p.pos + 1; j < len(p.s.msgs); j++ {
		m := p.s.msgs[j]
		if m.fromClient || p.sent[j] || m.msg.ActionID() != id {
			continue
		}
		p.sent[j] = true
		p.write(wire(m.msg, p.recActions[k].clientID, m.at))
		list := strings.ToLower(m.msg.Get("EventList"))
		if list == "complete" || !m.msg.IsEvent() && list != "start" {
			return
		}
	}
}

func (p *player) write(b []byte) {
	if p.broken {
		return
	}
	if _, err := p.nc.Write(b); err != nil {
		p.broken = true
	}
}

func (r *Replay) setWaiting(s string) {
	r.mu.Lock()
	r.waiting = s
	r.mu.Unlock()
}

func (r *Replay) setWhere(s string) {
	r.mu.Lock()
	r.where = s
	r.mu.Unlock()
}

func (r *Replay) addLoose(s string) {
	r.mu.Lock()
	r.loose = append(r.loose, s)
	r.mu.Unlock()
}

func (r *Replay) addUnmatched(s string) {
	r.mu.Lock()
	r.unmatched = append(r.unmatched, s)
	r.mu.Unlock()
}

// oneLine shows an action in one line, its secrets hidden.
func oneLine(m ami.Message) string {
	var parts []string
	for k, v := range m.All() {
		if strings.EqualFold(k, "Secret") || strings.EqualFold(k, "Key") {
			v = "…"
		}
		parts = append(parts, k+": "+v)
	}
	return strings.Join(parts, ", ")
}

// advanceTo moves the recording's time on to t (never back), running the
// timers due by then each at its time, as a real clock would.
func (r *Replay) advanceTo(t time.Time) {
	for {
		next, ok := r.clock.Next()
		if !ok || next.After(t) {
			break
		}
		if next.After(r.clock.Now()) {
			r.clock.Set(next)
		}
		r.clock.FireDue()
	}
	if t.After(r.clock.Now()) {
		r.clock.Set(t)
	}
}

// finish reports the replay done.
func (r *Replay) finish() { r.doneOnce.Do(func() { close(r.done) }) }
