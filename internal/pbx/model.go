package pbx

import (
	"context"
	"log/slog"
	"math"
	"strings"
	"sync/atomic"
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

	// st, connected and synced are the model's working state: only the
	// model's goroutine touches them (and commands, through edit). Readers
	// read snap, which publish replaces after each batch of events.
	st        *state
	connected bool
	synced    bool // the model was loaded from Asterisk at least once
	snap      atomic.Pointer[Snapshot]
	pub       publisher
	out       []Event // domain events of the batch, emitted once it is published

	// changed is closed when publish swaps in the next Snapshot (Changed);
	// nil while no reader asked.
	changed atomic.Pointer[chan struct{}]

	// unknown holds the actions this connection's Asterisk does not know
	// (SIPpeers without chan_sip, Asterisk 21+): not sent again until a
	// reconnect, as each costs a RequestBadFormat security event. Only
	// the run goroutine uses it.
	unknown map[string]bool

	applied applied // how far run has applied the client's events

	refresh   chan time.Time  // a debounced partial resync (phones) is wanted, since then
	resyncReq chan struct{}   // a full resync is wanted (retry after a failure)
	edits     chan edit       // commands' changes, applied by the model's goroutine
	chores    chan ami.Action // what the model asks of Asterisk itself (agent.go), sent by doChores
	done      chan struct{}   // closed when run and doChores return; nil until Start
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
	p := &PBX{
		ami: client, opts: opts, log: opts.Logger.With("component", "pbx"),
		unknown: map[string]bool{}, refresh: make(chan time.Time, 1), resyncReq: make(chan struct{}, 1), edits: make(chan edit),
		chores: make(chan ami.Action, 64),
	}
	p.init()
	return p
}

// init gives the model an empty state and its first, empty Snapshot.
func (p *PBX) init() {
	p.st = newState()
	p.pub = publisher{channels: map[string]*Channel{}, touched: map[string]bool{}}
	p.snap.Store(&Snapshot{Channels: []*Channel{}, Peers: []Peer{}, Hints: []Hint{}, Queues: []Queue{}, peerAt: map[string]int{}})
}

// Subscribe adds f to the receivers of the model's domain events. Each
// receiver gets every event, in order, on the model's goroutine, after the
// model has published it; f must not block for long, nor call the
// model's commands (they wait for the model's goroutine, which runs f).
// Subscribe before Start: a receiver added later would miss events, so it
// panics.
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
	choresCtx, stopChores := context.WithCancel(ctx)
	chored := make(chan struct{})
	go func() {
		defer close(chored)
		p.doChores(choresCtx)
	}()
	go func() {
		p.run(ctx, sub)
		stopChores()
		<-chored
		close(p.done)
	}()
}

// chore has doChores send a, after the batch being applied: the model
// never waits for Asterisk on its own goroutine. A chore that finds the
// queue full is dropped and logged (Asterisk is far behind).
func (p *PBX) chore(a ami.Action) {
	select {
	case p.chores <- a:
	default:
		p.log.Warn("model chore dropped: too many pending", "action", a.Name)
	}
}

// doChores sends the model's chores until ctx ends.
func (p *PBX) doChores(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-p.chores:
			actx, cancel := context.WithTimeout(ctx, 5*time.Second)
			switch _, err := p.ami.Do(actx, a); {
			case err == nil:
			case isResponse(err, "no such channel"): // it hung up meanwhile: nothing left to do
				p.log.Debug("model chore's channel gone", "action", a.Name)
			default:
				p.log.Warn("model chore failed", "action", a.Name, "err", err)
			}
			cancel()
		}
	}
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
	defer sub.Unsubscribe()
	defer p.applied.advance(math.MaxUint64) // no command waits for a model that stopped
	defer p.flush()
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
			if !p.handleBatch(ctx, sub, e) {
				return
			}
		case <-tick:
			if p.ami.Connected() {
				p.resync(ctx)
				p.flush()
			}
		case <-p.resyncReq:
			if p.ami.Connected() {
				p.resync(ctx)
				p.flush()
			}
		case ed := <-p.edits:
			ed.change(p.st)
			p.pub.changed |= ed.sections
			p.flush()
			close(ed.done)
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
			p.flush()
		}
	}
}

// maxBatch bounds the events applied before the model publishes: under a
// flood readers still see it move on every maxBatch events.
const maxBatch = 256

// handleBatch handles e and the events already waiting behind it, up to
// maxBatch, then publishes them as one change; false: the subscription
// ended.
func (p *PBX) handleBatch(ctx context.Context, sub *ami.Subscription, e ami.Event) bool {
	p.handle(ctx, e)
	last, open := e.Seq, true
batch:
	for range maxBatch - 1 {
		select {
		case e, open = <-sub.C():
			if !open {
				break batch
			}
			p.handle(ctx, e)
			last = max(last, e.Seq)
		default:
			break batch
		}
	}
	p.flush()
	p.applied.advance(last) // an Overflow's Seq: the events it lost are as good as applied
	return open
}

func (p *PBX) handle(ctx context.Context, e ami.Event) {
	switch e.Kind {
	case ami.Connected, ami.Booted, ami.Overflow:
		if e.Kind != ami.Overflow {
			clear(p.unknown) // another Asterisk, or the same restarted
		}
		p.resync(ctx)
	case ami.Disconnected:
		p.connected = false
		p.pub.changed |= connectionChanged
	case ami.AMIEvent:
		p.fold(e.Msg)
	}
}

// flush publishes what the model applied since the last flush, then
// passes on the domain events it made: a receiver that reads the model
// sees at least what the event says.
func (p *PBX) flush() {
	p.publish()
	out := p.out
	p.out = p.out[:0]
	for _, e := range out {
		for _, f := range p.subs {
			f(e)
		}
	}
	clear(out)
}

// edit is a command's change to the model (a member it paused or logged
// out shows at once, before Asterisk's event confirms it), applied on the
// model's goroutine like an event.
type edit struct {
	change   func(st *state)
	sections uint8 // what it changes, for publish
	done     chan struct{}
}

// change applies a command's edit and waits until it is published; with
// the model not running (Start not called) it applies it at once.
func (p *PBX) change(ctx context.Context, sections uint8, f func(st *state)) {
	if p.done == nil {
		f(p.st)
		p.pub.changed |= sections
		p.flush()
		return
	}
	ed := edit{change: f, sections: sections, done: make(chan struct{})}
	select {
	case p.edits <- ed:
	case <-ctx.Done():
		return
	case <-p.done:
		return
	}
	select {
	case <-ed.done:
	case <-ctx.Done():
	case <-p.done:
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
