package board

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/coocenter/coocenterd/internal/clock"
	"github.com/coocenter/coocenterd/internal/pausetimer"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/stream"
)

// The events the Publisher sends into the stream (api.md §8.1).
const (
	EventAgent = "agent" // {"now","agent":Agent}, or {"now","extension","agent":null} when it is gone
	EventQueue = "queue" // {"now","queue":Queue}, or {"now","name","queue":null}
)

// Model is the live model as the board reads it; *pbx.PBX implements it.
type Model interface {
	Snapshot() *pbx.Snapshot
	// Changed is closed at the model's next change.
	Changed() <-chan struct{}
}

// Sources are what the rows are built from.
type Sources struct {
	Model Model
	// WrapUps, if set, returns the after-call pauses running.
	WrapUps func() []pausetimer.WrapUp
	// Tally, if set, has today's counts.
	Tally *Tally
}

// wrapUps returns the running after-call pauses, none without a timer.
func (s Sources) wrapUps() []pausetimer.WrapUp {
	if s.WrapUps == nil {
		return nil
	}
	return s.WrapUps()
}

// Now is how the rows' times are written: the box's wall clock, the
// format of their times, so a page can tell how long ago each was.
func (v View) Now(at time.Time) string { return at.In(v.loc()).Format(time.DateTime) }

// Publisher sends into the stream an agent or queue event for each row
// that changed since it last looked: after each change of the model, each
// Poke (the after-call pauses, which the model does not hold), and at
// midnight (today's counts start again); at most once every lookGap. It
// compares rows as JSON, so an event means a change a page can see.
type Publisher struct {
	view   View
	src    Sources
	stream *stream.Stream
	clock  clock.Clock

	poke   chan struct{}
	prefix string        // this run's id prefix: ids of before a restart are never reused
	seq    atomic.Uint64 // ids within the run
	agents map[string][]byte
	queues map[string][]byte
	// lastLook is when the rows were last built (the wall clock: it
	// spaces the looks, it tells no time).
	lastLook time.Time
}

// NewPublisher returns a publisher of v's rows from src into s; Run runs it.
func NewPublisher(v View, src Sources, s *stream.Stream, clk clock.Clock) *Publisher {
	if clk == nil {
		clk = clock.Wall
	}
	var nonce [5]byte
	_, _ = rand.Read(nonce[:]) // never fails (crypto/rand)
	return &Publisher{view: v, src: src, stream: s, clock: clk, poke: make(chan struct{}, 1),
		prefix: "brd_" + base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(nonce[:]) + "_",
		agents: map[string][]byte{}, queues: map[string][]byte{}}
}

// Poke asks for a look at the rows soon; it never blocks. A nil
// Publisher ignores it (pushes made before the board is built).
func (p *Publisher) Poke() {
	if p == nil {
		return
	}
	select {
	case p.poke <- struct{}{}:
	default:
	}
}

// Run publishes until ctx ends. The rows it starts from are those of the
// model when it starts: pages read them from the stream's snapshots.
func (p *Publisher) Run(ctx context.Context) {
	// Changed is taken before the Snapshot that look reads: a change
	// between the two wakes the next round rather than going unseen.
	changed := p.src.Model.Changed()
	p.look(false)
	midnight, stop := p.armMidnight()
	defer func() { stop() }()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-p.poke:
		case <-midnight:
			midnight, stop = p.armMidnight()
		}
		if !p.pause(ctx) {
			return
		}
		changed = p.src.Model.Changed()
		p.look(true)
	}
}

// armMidnight returns a channel closed a second after the next midnight,
// when today's counts start again (never, without a Tally), and its stop.
func (p *Publisher) armMidnight() (<-chan struct{}, func() bool) {
	if p.src.Tally == nil {
		return nil, func() bool { return false }
	}
	ch := make(chan struct{})
	now := p.clock.Now()
	return ch, p.clock.AfterFunc(p.src.Tally.nextMidnight(now).Sub(now)+time.Second, func() { close(ch) })
}

// lookGap is the least time between two looks: the changes of a busy
// moment are sent together, and a site of 500 agents costs the board at
// most a few percent of a core, for rows at most this late.
const lookGap = 50 * time.Millisecond

// pause waits until lookGap has passed since the last look; false when
// ctx ended meanwhile.
func (p *Publisher) pause(ctx context.Context) bool {
	wait := lookGap - time.Since(p.lastLook)
	if wait <= 0 {
		return true
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// look builds the rows and, when send, publishes those that changed.
func (p *Publisher) look(send bool) {
	p.lastLook = time.Now()
	snap := p.src.Model.Snapshot()
	now := p.view.Now(p.clock.Now())
	seen := map[string]bool{}
	for _, a := range p.view.Agents(snap, p.src.wrapUps()) {
		seen[a.Extension] = true
		body := mustJSON(a)
		if string(p.agents[a.Extension]) == string(body) {
			continue
		}
		p.agents[a.Extension] = body
		if send {
			exts := []string{a.Extension}
			queues := make([]string, 0, len(a.Queues))
			for _, q := range a.Queues {
				queues = append(queues, q.Queue)
			}
			p.publish(EventAgent, `{"now":`+strconv.Quote(now)+`,"agent":`+string(body)+`}`, exts, queues)
		}
	}
	for x := range p.agents {
		if !seen[x] {
			delete(p.agents, x)
			p.publish(EventAgent, `{"now":`+strconv.Quote(now)+`,"extension":`+strconv.Quote(x)+`,"agent":null}`, []string{x}, nil)
		}
	}
	clear(seen)
	today := p.src.Tally.Today()
	for _, q := range snap.Queues {
		seen[q.Name] = true
		body := mustJSON(p.view.queueOf(q, today[q.Name]))
		if string(p.queues[q.Name]) == string(body) {
			continue
		}
		p.queues[q.Name] = body
		if send {
			p.publish(EventQueue, `{"now":`+strconv.Quote(now)+`,"queue":`+string(body)+`}`, members(q), []string{q.Name})
		}
	}
	for name := range p.queues {
		if !seen[name] {
			delete(p.queues, name)
			p.publish(EventQueue, `{"now":`+strconv.Quote(now)+`,"name":`+strconv.Quote(name)+`,"queue":null}`, nil, []string{name})
		}
	}
}

func (p *Publisher) publish(name, body string, exts, queues []string) {
	if exts == nil {
		exts = []string{} // set: the filters read these, not the body
	}
	if queues == nil {
		queues = []string{}
	}
	p.stream.Publish(stream.Event{ID: p.prefix + strconv.FormatUint(p.seq.Add(1), 10), Name: name, Body: []byte(body),
		Extensions: exts, Queues: queues})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil { // only our own types: a bug
		panic("board: encoding a row: " + err.Error())
	}
	return b
}
