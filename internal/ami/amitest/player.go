package amitest

import (
	"fmt"
	"net"
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
	broken     bool           // a write failed: the client is gone
}

// recAction is one action the recording holds.
type recAction struct {
	msg      ami.Message
	idx      int    // its index in the session's messages
	clientID string // the ActionID of the client's matching action
	matched  bool
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
		if m.fromClient || p.sent[p.pos] {
			continue
		}
		p.takeWaiting()
		id := m.msg.ActionID()
		if k, ok := p.byID[id]; ok {
			if !p.await(k) {
				return
			}
			id = p.recActions[k].clientID
		}
		p.r.advanceTo(m.at)
		p.write(wire(m.msg, id, m.at))
	}
	if !last || p.broken {
		return
	}
	end, _ := ami.NewMessage(ami.Header{Key: "Event", Value: "UserEvent"}, ami.Header{Key: "Privilege", Value: "user,all"},
		ami.Header{Key: "UserEvent", Value: End})
	p.write(wire(end, "", p.r.clock.Now()))
	close(p.r.done)
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
	p.r.advanceTo(p.s.msgs[rec.idx].at)
	p.r.setWaiting(fmt.Sprintf("%s (recorded at %s in %s)", oneLine(rec.msg), p.s.msgs[rec.idx].at.Format("15:04:05.000000"), p.s.path))
	defer p.r.setWaiting("")
	for !rec.matched {
		select {
		case a, ok := <-p.actions:
			if !ok {
				return false
			}
			p.answer(a, k)
		case <-time.After(idle):
			// The client may have set a timer after the recording's time
			// passed it (it reads behind the player): its earliest timer
			// runs, at the time it was set for.
			if at, ok := p.r.clock.Next(); ok {
				p.r.advanceTo(at)
			}
		}
	}
	return true
}

// idle is how long the client may be silent, while the player waits for
// it, before the player runs the client's next timer.
const idle = 5 * time.Millisecond

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
	case k < 0:
		p.r.addUnmatched(oneLine(a))
		refused, _ := ami.NewMessage(ami.Header{Key: "Response", Value: "Error"}, ami.Header{Key: "ActionID", Value: a.ActionID()},
			ami.Header{Key: "Message", Value: "amitest: the recording has no such action"})
		p.write(wire(refused, a.ActionID(), p.r.clock.Now()))
	default:
		p.recActions[k].matched, p.recActions[k].clientID = true, a.ActionID()
		if blocked >= 0 && k != blocked {
			p.playReplyNow(k)
		}
	}
}

// match returns the unmatched recorded action a asks for, or -1.
func (p *player) match(a ami.Message) int {
	name := a.Get("Action")
	byName := -1
	for k := range p.recActions {
		rec := &p.recActions[k]
		if rec.matched || !strings.EqualFold(rec.msg.Get("Action"), name) {
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

// advanceTo moves the recording's time on to t (never back) and runs the
// timers due by then.
func (r *Replay) advanceTo(t time.Time) {
	if t.After(r.clock.Now()) {
		r.clock.Set(t)
	}
	r.clock.FireDue()
}
