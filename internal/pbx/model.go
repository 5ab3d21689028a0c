package pbx

import (
	"context"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/callid"
	"github.com/coocenter/coocenterd/internal/clock"
)

// Options tune the model and its commands.
type Options struct {
	OriginateContext string        // where click-to-call and spy calls dial (default "internal")
	ChannelTech      string        // "auto" (default), "SIP" or "PJSIP": technology of extensions
	ResyncInterval   time.Duration // full re-check against Asterisk (default 5 min; < 0 disables)
	OriginateTimeout time.Duration // how long src rings on click-to-call or spy (default 30 s)
	Logger           *slog.Logger
	Clock            clock.Clock // nil: the wall clock
	// CallIDs makes the ids of the calls the commands originate (default:
	// a callid.Generator in memory, unique within the process).
	CallIDs interface{ Next() (string, error) }
}

// PBX is the live model plus the commands. Queries are safe from any
// goroutine and never touch Asterisk.
type PBX struct {
	ami  *ami.Client
	opts Options
	log  *slog.Logger

	// subs receive the domain events; fixed once Start is called, so
	// emit reads them without a lock.
	subs    []func(Event)
	started bool

	mu        sync.RWMutex
	st        *state
	connected bool
	synced    bool // the model was loaded from Asterisk at least once

	// unknown holds the actions this connection's Asterisk does not know
	// (SIPpeers without chan_sip, Asterisk 21+): not sent again until a
	// reconnect, as each costs a RequestBadFormat security event. Only
	// the run goroutine uses it.
	unknown map[string]bool

	applied applied // how far run has applied the client's events

	refresh   chan time.Time // a debounced partial resync (phones) is wanted, since then
	resyncReq chan struct{}  // a full resync is wanted (retry after a failure)
	done      chan struct{}  // closed when run returns; nil until Start
	cancel    context.CancelFunc
}

// New builds the model of the PBX behind client. It is empty, and starts
// no goroutine: its consumers Subscribe first, then Start makes it follow
// Asterisk. Commands and queries work from here on; until the first sync
// the model knows nothing and Asterisk counts as not connected.
func New(client *ami.Client, opts Options) *PBX {
	if opts.OriginateContext == "" {
		opts.OriginateContext = "internal"
	}
	if opts.ResyncInterval == 0 {
		opts.ResyncInterval = 5 * time.Minute
	}
	if opts.OriginateTimeout == 0 {
		opts.OriginateTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = clock.Wall
	}
	if opts.CallIDs == nil {
		opts.CallIDs = callid.New(opts.Clock.Now)
	}
	return &PBX{
		ami: client, opts: opts, log: opts.Logger.With("component", "pbx"),
		st: newState(), unknown: map[string]bool{}, refresh: make(chan time.Time, 1), resyncReq: make(chan struct{}, 1),
	}
}

// Subscribe adds f to the receivers of the model's domain events. Each
// receiver gets every event, in order, on the model's goroutine, after the
// model has applied it; f must not block for long. Subscribe before Start:
// a receiver added later would miss events, so it panics.
func (p *PBX) Subscribe(f func(Event)) {
	if p.started {
		panic("pbx: Subscribe after Start")
	}
	p.subs = append(p.subs, f)
}

// Start makes the model follow the client's events on a goroutine of its
// own, which ends when ctx ends or Close is called. Call it once.
func (p *PBX) Start(ctx context.Context) {
	if p.started {
		panic("pbx: Start called twice")
	}
	p.started = true
	ctx, p.cancel = context.WithCancel(ctx)
	p.done = make(chan struct{})
	sub := p.ami.Subscribe(0) // the first event is Connected if the client already is
	go p.run(ctx, sub)
}

// Close stops the model and waits for its goroutine. Without Start it
// has nothing to stop.
func (p *PBX) Close() {
	if p.done == nil {
		return
	}
	p.cancel()
	<-p.done
}

// Connected reports whether Asterisk is connected and the model synced.
func (p *PBX) Connected() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.connected
}

// Channels returns the live channels, oldest first.
func (p *PBX) Channels() []Channel {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.st.channelsSorted()
}

// Peers returns the SIP peers and PJSIP endpoints, by technology then name.
func (p *PBX) Peers() []Peer {
	p.mu.RLock()
	out := make([]Peer, 0, len(p.st.peers))
	for _, pe := range p.st.peers {
		out = append(out, *pe)
	}
	p.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Tech != out[j].Tech {
			return out[i].Tech > out[j].Tech // SIP before PJSIP, as the original listed chan_sip
		}
		return CompareNames(out[i].Name, out[j].Name) < 0
	})
	return out
}

// Hints returns the hints, by extension; Name is the agent's queue member
// name when the extension is a queue member.
func (p *PBX) Hints() []Hint {
	p.mu.RLock()
	names := map[string]string{}
	for _, q := range p.st.queues {
		for _, m := range q.Members {
			if e := InterfaceExten(m.Interface); e != "" && m.Name != "" && m.Name != m.Interface {
				names[e] = m.Name
			}
		}
	}
	out := make([]Hint, 0, len(p.st.hints))
	for _, h := range p.st.hints {
		c := *h
		c.Name = names[h.Exten]
		out = append(out, c)
	}
	p.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if c := CompareNames(out[i].Exten, out[j].Exten); c != 0 {
			return c < 0
		}
		return out[i].Context < out[j].Context
	})
	return out
}

// Queues returns the queues by name with their members in Asterisk's order.
func (p *PBX) Queues() []Queue {
	p.mu.RLock()
	out := make([]Queue, 0, len(p.st.queues))
	for _, q := range p.st.queues {
		out = append(out, Queue{Name: q.Name, Members: append([]Member(nil), q.Members...)})
	}
	p.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return CompareNames(out[i].Name, out[j].Name) < 0 })
	return out
}

// CompareNames orders extensions and queues as a person reads them:
// numbers by value (800 before 1000), then other names as strings.
func CompareNames(a, b string) int {
	an, bn := isDigits(a), isDigits(b)
	switch {
	case an && bn && len(a) != len(b):
		return len(a) - len(b)
	case an != bn:
		if an {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// run applies events in order; on every (re)connect and overflow it resyncs.
func (p *PBX) run(ctx context.Context, sub *ami.Subscription) {
	defer close(p.done)
	defer sub.Unsubscribe()
	defer p.applied.advance(math.MaxUint64) // no command waits for a model that stopped
	var tick <-chan time.Time
	if p.opts.ResyncInterval > 0 {
		t := time.NewTicker(p.opts.ResyncInterval)
		defer t.Stop()
		tick = t.C
	}
	// Registration changes come in bursts (a phone that re-registers
	// sends several): the phones are asked again a second after the first
	// change, by the events' time on the model's clock, so that a replay
	// asks when the recording did.
	phonesDue := make(chan struct{}, 1)
	var stopPhoneSync func() bool
	defer func() {
		if stopPhoneSync != nil {
			stopPhoneSync()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.C():
			if !ok {
				return
			}
			p.handle(ctx, e)
		case <-tick:
			if p.ami.Connected() {
				p.resync(ctx)
			}
		case <-p.resyncReq:
			if p.ami.Connected() {
				p.resync(ctx)
			}
		case at := <-p.refresh:
			if stopPhoneSync == nil {
				wait := max(at.Add(time.Second).Sub(p.opts.Clock.Now()), 0)
				stopPhoneSync = p.opts.Clock.AfterFunc(wait, func() {
					select {
					case phonesDue <- struct{}{}:
					default:
					}
				})
			}
		case <-phonesDue:
			stopPhoneSync = nil
			p.syncPhones(ctx)
		}
	}
}

func (p *PBX) handle(ctx context.Context, e ami.Event) {
	switch e.Kind {
	case ami.Connected, ami.Booted, ami.Overflow:
		if e.Kind != ami.Overflow {
			clear(p.unknown) // another Asterisk, or the same restarted
		}
		p.resync(ctx)
		p.applied.advance(e.Seq) // an Overflow's: the events it lost are as good as applied
	case ami.Disconnected:
		p.mu.Lock()
		p.connected = false
		p.mu.Unlock()
	case ami.AMIEvent:
		p.apply(e.Msg)
		p.applied.advance(e.Seq)
	}
}

func (p *PBX) emit(e Event) {
	for _, f := range p.subs {
		f(e)
	}
}

// wantPhoneRefresh asks for the phones again, a second after at, the
// time of the registration change (an earlier change still waiting
// stands).
func (p *PBX) wantPhoneRefresh(at time.Time) {
	select {
	case p.refresh <- at:
	default:
	}
}
