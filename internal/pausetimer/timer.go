package pausetimer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/clock"
	"github.com/coocenter/coocenterd/internal/pbx"
)

// Errors of Extend and End; callers match them with errors.Is.
var (
	// ErrNoWrapUp: the extension has no after-call pause running.
	ErrNoWrapUp = errors.New("extension has no after-call pause running")
	// ErrClosed: the Timer was closed.
	ErrClosed = errors.New("after-call pause timer closed")
)

// Pauser is what the Timer needs of the PBX; *pbx.PBX implements it.
type Pauser interface {
	// PauseMember pauses or unpauses exten in queue, or in every queue it
	// is a member of when queue is "".
	PauseMember(ctx context.Context, queue, exten string, paused bool, reason string) error
	// Queues returns the queues and their members as the model knows them.
	// A PauseMember that succeeded shows at once, before Asterisk's echo
	// (memberPaused relies on it).
	Queues() []pbx.Queue
	// Hints returns the extensions' hint states.
	Hints() []pbx.Hint
}

var _ Pauser = (*pbx.PBX)(nil)

// After says which calls start an after-call pause ([pausetime] after).
type After string

// The calls after which an agent (a queue member) is paused.
const (
	// AfterQueue: the queue calls the agent answered.
	AfterQueue After = "queue"
	// AfterAnswered: every call that rang the agent's phone and that the
	// agent answered: queue calls, direct calls, calls transferred to it.
	// The original box's rule, and the default.
	AfterAnswered After = "answered"
	// AfterAll: also the calls the agent placed (from the phone or
	// click-number), once the other side answered.
	AfterAll After = "all"
)

// Options configure a Timer. Zero values take the defaults.
type Options struct {
	Enabled bool          // [enable] pausetime: start wrap-ups; when off, running ones still finish
	After   After         // [pausetime] after; AfterAnswered
	Length  time.Duration // [pausetime] seconds; 30 s
	Reason  string        // [pausetime] reason, sent with QueuePause; "after-call"
	Clock   clock.Clock   // nil: the wall clock
	Logger  *slog.Logger  // slog.Default()
	// OnRecord receives each finished queue call once its after-call pause
	// is known: pause is its real length in whole seconds, 0 when none. It
	// runs on the Timer's goroutine and should append to a durable outbox.
	OnRecord func(call pbx.QueueCall, pause time.Duration)
	// OnWrapUp receives wrap-up starts, extensions and ends (WrapUp.Kind),
	// on the Timer's goroutine.
	OnWrapUp      func(WrapUp)
	ActionTimeout time.Duration // one PauseMember call; 10 s
	RetryMin      time.Duration // first retry of a failed PauseMember; 1 s, doubling
	RetryMax      time.Duration // retry backoff ceiling; 30 s
	JoinWait      time.Duration // how long a QueueCallEnded waits for its AgentCompleted; 5 s
	DeferMax      time.Duration // how long a wrap-up waits for a busy agent before giving up; 1 h
	KeepEnded     time.Duration // how long an ended pause's length waits for its QueueCallEnded; 1 h
}

// DefaultReason is the QueuePause reason of the after-call pause.
const DefaultReason = "after-call"

func (o *Options) withDefaults() {
	if o.After == "" {
		o.After = AfterAnswered
	}
	if o.Length <= 0 {
		o.Length = 30 * time.Second
	}
	if o.Reason == "" {
		o.Reason = DefaultReason
	}
	if o.Clock == nil {
		o.Clock = clock.Wall
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.OnRecord == nil {
		o.OnRecord = func(pbx.QueueCall, time.Duration) {}
	}
	if o.OnWrapUp == nil {
		o.OnWrapUp = func(WrapUp) {}
	}
	if o.ActionTimeout <= 0 {
		o.ActionTimeout = 10 * time.Second
	}
	if o.RetryMin <= 0 {
		o.RetryMin = time.Second
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(30*time.Second, o.RetryMin)
	}
	if o.JoinWait <= 0 {
		o.JoinWait = 5 * time.Second
	}
	if o.DeferMax <= 0 {
		o.DeferMax = time.Hour
	}
	if o.KeepEnded <= 0 {
		o.KeepEnded = time.Hour
	}
}

// WrapUp describes one agent's after-call pause, as OnWrapUp reports it and
// Active lists it.
type WrapUp struct {
	// Kind: for OnWrapUp "start", "extend" (Until moved: Extend, or another
	// call of the agent ended meanwhile) or "end"; for Active "running" or
	// "deferred" (waiting for the agent's other call to end).
	Kind      string
	Exten     string
	Interface string   // the member's interface, as AgentComplete gave it
	Queues    []string // the queues the member was in when it started
	Uniqueid  string   // the call that started it, or last restarted it: a queue call's uuid, else as the cdr push names it
	Linkedid  string   // that call's Linkedid, when known
	UserData  string   // that call's business data (api.md §3.16), "" if none
	Calls     []string // every call it follows
	Start     time.Time
	Until     time.Time
	End       time.Time     // "end" only
	Ended     string        // "end" only: timer, agent, api, restart or gone (see the package doc)
	Pause     time.Duration // "end" only: End − Start in whole seconds
}

// Timer runs the after-call pauses. Handle, Extend, End, Active and Close
// are safe for concurrent use; all the work happens on one goroutine that
// Open starts and Close stops.
type Timer struct {
	db    *bbolt.DB
	p     Pauser
	opts  Options
	clock clock.Clock
	log   *slog.Logger

	ctx    context.Context // done once Close is called
	cancel context.CancelFunc
	done   chan struct{} // closed when the goroutine has returned
	wake   chan struct{}

	mu     sync.Mutex // guards the fields below
	inbox  []item
	closed bool
	active []WrapUp // published by the goroutine for Active

	// Owned by the goroutine.
	wraps  map[string]*wrapUp      // by extension
	held   map[string]*heldRecord  // by queue call Uniqueid
	ended  map[string]endedPause   // by queue call Uniqueid
	timers map[timerKey]armedTimer // set clock timers
	gen    uint64                  // last timer generation
	at     time.Time               // when the item being processed happened
}

// item is one piece of work for the goroutine: an event, a fired timer or
// a call made through the API.
type item struct {
	ev   pbx.Event
	fire *firing
	do   func()
}

// Open loads the persisted wrap-ups and held records from db (which the
// caller owns and closes after Close) and starts the Timer's goroutine:
// overdue wrap-ups end at once, the others resume with the time they had
// left.
func Open(db *bbolt.DB, p Pauser, opts Options) (*Timer, error) {
	if db == nil || p == nil {
		return nil, errors.New("open after-call pause: no database or no PBX")
	}
	opts.withDefaults()
	if !pbx.ValidReason(opts.Reason) { // never "": withDefaults sets it
		return nil, fmt.Errorf("open after-call pause: reason %q: want 1 to 64 printable ASCII characters", opts.Reason)
	}
	switch opts.After {
	case AfterQueue, AfterAnswered, AfterAll:
	default:
		return nil, fmt.Errorf("open after-call pause: after %q: want queue, answered or all", opts.After)
	}
	t := &Timer{
		db: db, p: p, opts: opts, clock: opts.Clock,
		log:    opts.Logger.With("component", "pausetimer"),
		done:   make(chan struct{}),
		wake:   make(chan struct{}, 1),
		wraps:  map[string]*wrapUp{},
		held:   map[string]*heldRecord{},
		ended:  map[string]endedPause{},
		timers: map[timerKey]armedTimer{},
	}
	if err := t.load(); err != nil {
		return nil, fmt.Errorf("open after-call pause: %w", err)
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	go t.run()
	return t, nil
}

// Handle takes a PBX event: subscribe it to the model (pbx.PBX.Subscribe).
// It never blocks: the events that matter are queued for the Timer's
// goroutine, the rest are ignored.
func (t *Timer) Handle(e pbx.Event) {
	switch ev := e.(type) {
	case pbx.AgentCompleted, pbx.MemberPaused, pbx.QueueCallEnded, pbx.HintChanged, pbx.Synced:
		t.post(item{ev: e})
	case pbx.ExtensionCallEnded:
		if t.opts.Enabled && t.startsPause(ev) {
			t.post(item{ev: e})
		}
	}
}

// Extend moves the end of exten's running wrap-up by (> 0) later and
// returns the new end. ErrNoWrapUp when none is running.
func (t *Timer) Extend(ctx context.Context, exten string, by time.Duration) (until time.Time, err error) {
	if by <= 0 {
		return time.Time{}, fmt.Errorf("extend the after-call pause of %s: duration %s is not positive", exten, by)
	}
	err = t.call(ctx, func() error {
		until, err = t.extend(exten, by)
		return err
	})
	return until, err
}

// End ends exten's wrap-up now and unpauses the member (a deferred one is
// dropped). ErrNoWrapUp when it has none. When Asterisk refuses the
// unpause, End returns the error and the Timer keeps retrying. If ctx ends
// first, End returns its error; the wrap-up ends all the same.
func (t *Timer) End(ctx context.Context, exten string) error {
	return t.call(ctx, func() error { return t.endNow(exten) })
}

// Active returns the wrap-ups running or deferred, by extension.
func (t *Timer) Active() []WrapUp {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]WrapUp(nil), t.active...)
}

// Close stops the Timer: events already handed to Handle are still
// processed (PauseMember calls then fail at once and are retried after the
// next Open), later ones are dropped. It does not close the database.
func (t *Timer) Close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.cancel()
	<-t.done
}

// call runs f on the goroutine and waits for its answer.
func (t *Timer) call(ctx context.Context, f func() error) error {
	reply := make(chan error, 1)
	if !t.post(item{do: func() { reply <- f() }}) {
		return ErrClosed
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-t.done:
		select {
		case err := <-reply:
			return err
		default:
			return ErrClosed
		}
	}
}

// post queues it for the goroutine; false once closed.
func (t *Timer) post(it item) bool {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return false
	}
	t.inbox = append(t.inbox, it)
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
	return true
}

func (t *Timer) run() {
	defer close(t.done)
	t.resume()
	for {
		select {
		case <-t.wake:
		case <-t.ctx.Done():
		}
		t.mu.Lock()
		items, closed := t.inbox, t.closed
		t.inbox = nil
		t.mu.Unlock()
		for _, it := range items {
			t.process(it)
		}
		if closed {
			t.stopTimers()
			return
		}
	}
}

func (t *Timer) process(it item) {
	t.at = t.clock.Now()
	switch {
	case it.do != nil:
		it.do()
	case it.fire != nil:
		t.at = it.fire.at
		t.fired(*it.fire)
	default:
		if at := pbx.EventTime(it.ev); !at.IsZero() {
			t.at = at
		}
		t.event(it.ev)
	}
}

// now is when the item being processed happened: an event's own time, a
// timer's firing, else the clock's time. The work an item does is timed
// by it, not by when the goroutine came to it, so that a replay of
// recorded events times every wrap-up as the recording does.
func (t *Timer) now() time.Time {
	if t.at.IsZero() {
		return t.clock.Now()
	}
	return t.at
}

func (t *Timer) event(e pbx.Event) {
	switch e := e.(type) {
	case pbx.AgentCompleted:
		t.agentCompleted(e)
	case pbx.ExtensionCallEnded:
		t.extensionCallEnded(e)
	case pbx.MemberPaused:
		t.memberPaused(e)
	case pbx.QueueCallEnded:
		t.queueCallEnded(e.Call)
	case pbx.HintChanged:
		t.hintChanged(e.Hint)
	case pbx.Synced:
		t.synced()
	}
}

// action runs one PauseMember with the action timeout.
func (t *Timer) action(queue, exten string, paused bool) error {
	ctx, cancel := context.WithTimeout(t.ctx, t.opts.ActionTimeout)
	defer cancel()
	return t.p.PauseMember(ctx, queue, exten, paused, t.opts.Reason)
}
