package pausetimer

import (
	"cmp"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// agentCompleted starts (or defers, or restarts) the wrap-up of the agent
// who finished a queue call.
func (t *Timer) agentCompleted(e pbx.AgentCompleted) {
	if !t.opts.Enabled {
		return
	}
	uid := e.Uniqueid
	if _, known := t.knownPause(uid); known || t.wrapOf(uid) != nil {
		return // told twice
	}
	exten := cmp.Or(e.Exten, pbx.InterfaceExten(e.Interface))
	t.callEnded(exten, e.Interface, callRef{Uniqueid: uid, Linkedid: e.Linkedid, At: t.now(), UserData: e.UserData})
	t.resolve(uid)
}

// startsPause reports whether a call of an agent's phone that is not a
// queue's (AgentCompleted reports those) starts a wrap-up under
// Options.After.
func (t *Timer) startsPause(e pbx.ExtensionCallEnded) bool {
	switch {
	case e.Queue != "" || t.opts.After == AfterQueue:
		return false
	case e.Answered:
		return true
	}
	return e.Placed && t.opts.After == AfterAll
}

// extensionCallEnded starts (or defers, or restarts) the wrap-up of an
// agent whose direct call ended. No record waits for it: the cdr push is
// not held, and the wrapupend names the call.
func (t *Timer) extensionCallEnded(e pbx.ExtensionCallEnded) {
	if !t.opts.Enabled || !t.startsPause(e) {
		return
	}
	call := callRef{Uniqueid: e.CallUniqueid, Linkedid: e.Channel.Linkedid, At: t.now(), Direct: true, UserData: e.UserData}
	t.callEnded(e.Exten, e.Interface, call)
}

// callEnded starts, defers or restarts exten's wrap-up for call.
func (t *Timer) callEnded(exten, iface string, call callRef) {
	uid := call.Uniqueid
	switch w := t.wraps[exten]; {
	case exten == "":
		t.log.Warn("call finished by an agent of unknown extension: no after-call pause",
			"interface", iface, "call", uid)
		t.noPause(uid)
	case w != nil:
		t.another(w, call)
	default:
		t.create(exten, iface, call)
	}
}

// create starts a wrap-up for exten, or defers it while the agent is on
// another call, unless the agent was already paused by someone else.
func (t *Timer) create(exten, iface string, call callRef) {
	log := t.log.With("exten", exten, "call", call.Uniqueid)
	ms := memberships(t.p.Queues(), exten, iface)
	if len(ms) == 0 {
		log.Info("agent is in no queue: no after-call pause")
		t.noPause(call.Uniqueid)
		return
	}
	if m, ok := t.pausedByOther(ms); ok {
		log.Info("agent already paused: left alone", "queue", m.Queue, "reason", m.PausedReason)
		t.noPause(call.Uniqueid)
		return
	}
	if iface == "" {
		iface = ms[0].Interface
	}
	w := &wrapUp{Exten: exten, Interface: iface, Queues: queueNames(ms), Since: call.At, Calls: []callRef{call}}
	t.wraps[exten] = w
	if h, ok := t.busy(exten); ok {
		w.Phase = deferred
		t.saveWrap(w)
		t.setTimer(timerKey{deferTimer, exten}, w.Since.Add(t.opts.DeferMax))
		t.publish()
		log.Info("after-call pause deferred: agent on another call", "hint", h.Status)
		return
	}
	t.start(w)
}

// start pauses w's member and sets its timer.
func (t *Timer) start(w *wrapUp) {
	now := t.now()
	w.Phase, w.Start, w.Until, w.attempts = running, now, now.Add(t.opts.Length), 0
	t.stopTimer(timerKey{deferTimer, w.Exten})
	t.saveWrap(w)
	if !t.pause(w) {
		w.Start = time.Time{} // never paused
		t.finish(w, "gone", false)
		return
	}
	t.setTimer(timerKey{untilTimer, w.Exten}, w.Until)
	t.publish()
	t.log.Info("after-call pause started", "exten", w.Exten, "until", w.Until, "call", w.last().Uniqueid, "queues", w.Queues)
	t.opts.OnWrapUp(t.view(w, "start"))
}

// another attaches a further call of the same agent: a deferred wrap-up
// stays deferred (or starts); a running one starts over from now.
func (t *Timer) another(w *wrapUp, call callRef) {
	w.Calls = append(w.Calls, call)
	if w.Phase == deferred {
		t.saveWrap(w)
		t.publish()
		t.recheck(w)
		return
	}
	w.Phase, w.Ended, w.Until, w.attempts = running, "", call.At.Add(t.opts.Length), 0
	t.saveWrap(w)
	if !t.pause(w) { // the agent took a call: make sure it is paused again
		t.finish(w, "gone", true)
		return
	}
	t.setTimer(timerKey{untilTimer, w.Exten}, w.Until)
	t.publish()
	t.log.Info("after-call pause restarted: another call ended", "exten", w.Exten, "until", w.Until, "call", call.Uniqueid)
	t.opts.OnWrapUp(t.view(w, "extend"))
}

// recheck starts a deferred wrap-up once the agent's hint is free.
func (t *Timer) recheck(w *wrapUp) {
	if _, ok := t.busy(w.Exten); ok {
		return
	}
	ms := memberships(t.p.Queues(), w.Exten, w.Interface)
	if m, ok := t.pausedByOther(ms); ok || len(ms) == 0 {
		t.log.Info("deferred after-call pause dropped: agent paused meanwhile, or in no queue",
			"exten", w.Exten, "queue", m.Queue, "reason", m.PausedReason)
		t.finish(w, "", false)
		return
	}
	w.Queues = queueNames(ms)
	t.start(w)
}

// pause (re)pauses w's member in all its queues. false: it cannot be
// paused at all (it left every queue); other failures set a retry.
func (t *Timer) pause(w *wrapUp) bool {
	err := t.action("", w.Exten, true)
	switch {
	case err == nil:
		if w.attempts > 0 {
			t.log.Info("after-call pause applied after failures", "exten", w.Exten, "failures", w.attempts)
		}
		w.attempts = 0
		t.stopTimer(timerKey{retryTimer, w.Exten})
	case permanent(err):
		t.log.Warn("after-call pause impossible", "exten", w.Exten, "err", fmt.Errorf("queue pause %s: %w", w.Exten, err))
		return false
	default:
		t.failed(w, "pause", err)
	}
	return true
}

// over ends a running wrap-up: it unpauses the member, or keeps trying.
func (t *Timer) over(w *wrapUp, how string) error {
	w.Phase, w.Ended, w.attempts = unpausing, how, 0
	t.stopTimer(timerKey{untilTimer, w.Exten})
	t.saveWrap(w)
	return t.unpause(w)
}

// unpause unpauses w's member and finishes w, or sets a retry.
func (t *Timer) unpause(w *wrapUp) error {
	err := t.action("", w.Exten, false)
	if err != nil && !permanent(err) {
		t.failed(w, "unpause", err)
		return err
	}
	if err != nil {
		t.log.Warn("after-call unpause impossible: the member left its queues", "exten", w.Exten, "err", err)
	}
	t.finish(w, w.Ended, true)
	return nil
}

// failed sets the retry of w's pause or unpause. The first failure in a
// row is a warning, the next ones (Asterisk down for a while) debug lines.
func (t *Timer) failed(w *wrapUp, what string, err error) {
	w.attempts++
	d := t.backoff(w)
	t.setTimer(timerKey{retryTimer, w.Exten}, t.now().Add(d))
	if t.ctx.Err() != nil {
		return // closing: redone after the next Open
	}
	level := slog.LevelWarn
	if w.attempts > 1 {
		level = slog.LevelDebug
	}
	t.log.Log(t.ctx, level, "after-call "+what+" failed; retrying", "exten", w.Exten, "retry_in", d,
		"attempt", w.attempts, "err", fmt.Errorf("queue %s %s: %w", what, w.Exten, err))
}

func (t *Timer) due(exten string) {
	if w := t.wraps[exten]; w != nil && w.Phase == running {
		_ = t.over(w, "timer") // a failure is logged and retried
	}
}

func (t *Timer) retry(exten string) {
	switch w := t.wraps[exten]; {
	case w == nil:
	case w.Phase == running:
		if !t.pause(w) {
			t.finish(w, "gone", true)
		}
	case w.Phase == unpausing:
		_ = t.unpause(w)
	}
}

func (t *Timer) deferOver(exten string) {
	if w := t.wraps[exten]; w != nil && w.Phase == deferred {
		t.log.Warn("deferred after-call pause dropped: agent busy too long", "exten", w.Exten, "since", w.Since)
		t.finish(w, "", false)
	}
}

// memberPaused ends a running wrap-up that someone else unpaused, or
// paused with a reason of their own. Our own pauses and unpauses come back
// as echoes and end nothing; nor does a change that a pause of ours has
// overtaken since.
func (t *Timer) memberPaused(e pbx.MemberPaused) {
	exten := cmp.Or(e.Exten, pbx.InterfaceExten(e.Interface))
	w := t.wraps[exten]
	if w == nil || w.Phase != running {
		return
	}
	switch {
	case e.Paused && (e.Reason == "" || e.Reason == t.opts.Reason): // never someone else's
	case !e.Paused && e.Reason == t.opts.Reason: // our own unpause, echoed by Asterisk 18+
	case t.overtaken(w, e):
		t.log.Debug("stale pause change ignored: a pause of ours came after it", "exten", exten, "queue", e.Queue, "paused", e.Paused)
	case !e.Paused:
		t.log.Info("after-call pause ended early: member unpaused", "exten", exten, "queue", e.Queue)
		t.finish(w, "agent", true)
		t.tidy(w)
	default:
		t.log.Info("after-call pause taken over: member paused for another reason",
			"exten", exten, "queue", e.Queue, "reason", e.Reason)
		t.finish(w, "agent", true)
	}
}

// overtaken reports whether the model has w's member paused with our
// reason, now, in e's queue, though e says otherwise: a pause of ours came
// after e. The model shows a PauseMember of ours as soon as it returns, so
// e was queued before that pause was sent (it waited behind the call that
// started the wrap-up), or it is the late echo of an earlier unpause of
// ours. Either way the pause of ours stands.
func (t *Timer) overtaken(w *wrapUp, e pbx.MemberPaused) bool {
	for _, m := range memberships(t.p.Queues(), w.Exten, w.Interface) {
		if m.Queue == e.Queue && m.Paused && m.PausedReason == t.opts.Reason {
			return true
		}
	}
	return false
}

// tidy unpauses the queues where w's member is still paused by us after
// it was unpaused in another: the wrap-up is over everywhere.
func (t *Timer) tidy(w *wrapUp) {
	for _, m := range memberships(t.p.Queues(), w.Exten, w.Interface) {
		if m.Paused && m.PausedReason == t.opts.Reason {
			if err := t.action(m.Queue, w.Exten, false); err != nil {
				t.log.Warn("after-call unpause of the remaining queues failed", "exten", w.Exten,
					"err", fmt.Errorf("queue unpause %s in %s: %w", w.Exten, m.Queue, err))
			}
		}
	}
}

func (t *Timer) hintChanged(h pbx.Hint) {
	for _, w := range t.sorted() {
		if w.Phase == deferred && hintOf(h, w.Exten) && t.wraps[w.Exten] == w {
			t.recheck(w)
		}
	}
}

// synced re-applies everything after a (re)connect: Asterisk may have
// restarted and forgotten its pauses, or answered nothing for a while.
func (t *Timer) synced() {
	now := t.now()
	for _, w := range t.sorted() {
		if t.wraps[w.Exten] != w {
			continue
		}
		switch w.Phase {
		case running:
			if !now.Before(w.Until) {
				_ = t.over(w, "timer")
				continue
			}
			if m, ok := t.takenOver(w); ok {
				t.log.Info("after-call pause taken over while disconnected", "exten", w.Exten, "reason", m.PausedReason)
				t.finish(w, "agent", true)
				continue
			}
			if !t.pause(w) {
				t.finish(w, "gone", true)
			}
		case unpausing:
			w.attempts = 0
			_ = t.unpause(w)
		case deferred:
			t.recheck(w)
		}
	}
}

// resume picks up what Open loaded: overdue wrap-ups end now, others get
// their timers back; held records wait again.
func (t *Timer) resume() {
	now := t.now()
	t.update("expired pause lengths", func(b buckets) error { return t.purgeEnded(b, now) })
	for _, w := range t.sorted() {
		switch w.Phase {
		case running:
			if now.Before(w.Until) {
				t.setTimer(timerKey{untilTimer, w.Exten}, w.Until)
				t.log.Info("after-call pause resumed", "exten", w.Exten, "until", w.Until)
			} else {
				t.log.Info("after-call pause overdue after a restart", "exten", w.Exten, "until", w.Until)
				_ = t.over(w, "restart")
			}
		case unpausing:
			_ = t.unpause(w)
		case deferred:
			t.setTimer(timerKey{deferTimer, w.Exten}, w.Since.Add(t.opts.DeferMax))
		}
	}
	for _, uid := range slices.Sorted(maps.Keys(t.held)) {
		if h := t.held[uid]; !h.Wait.IsZero() {
			t.setTimer(timerKey{waitTimer, uid}, h.Wait)
		} else {
			t.resolve(uid)
		}
	}
	t.publish()
}

// extend moves a running wrap-up's end by d.
func (t *Timer) extend(exten string, d time.Duration) (time.Time, error) {
	w := t.wraps[exten]
	if w == nil || w.Phase != running {
		return time.Time{}, fmt.Errorf("extend the after-call pause of %s: %w", exten, ErrNoWrapUp)
	}
	w.Until = w.Until.Add(d)
	t.saveWrap(w)
	t.setTimer(timerKey{untilTimer, exten}, w.Until)
	t.publish()
	t.log.Info("after-call pause extended", "exten", exten, "until", w.Until)
	t.opts.OnWrapUp(t.view(w, "extend"))
	return w.Until, nil
}

// endNow ends exten's wrap-up for the API.
func (t *Timer) endNow(exten string) error {
	w := t.wraps[exten]
	var err error
	switch {
	case w == nil:
		return fmt.Errorf("end the after-call pause of %s: %w", exten, ErrNoWrapUp)
	case w.Phase == deferred:
		t.log.Info("deferred after-call pause dropped through the API", "exten", exten)
		t.finish(w, "api", false)
	case w.Phase == unpausing:
		w.attempts = 0
		err = t.unpause(w)
	default:
		err = t.over(w, "api")
	}
	if err != nil {
		return fmt.Errorf("end the after-call pause of %s (retrying): %w", exten, err)
	}
	return nil
}
