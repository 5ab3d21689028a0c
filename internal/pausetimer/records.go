package pausetimer

import (
	"errors"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// finish removes w: each attached call's pause becomes known (and its held
// record, if any, goes out). announce: report the end through OnWrapUp,
// when the member was paused at all.
func (t *Timer) finish(w *wrapUp, how string, announce bool) {
	end := t.now()
	for _, k := range []timerKind{untilTimer, retryTimer, deferTimer} {
		t.stopTimer(timerKey{k, w.Exten})
	}
	delete(t.wraps, w.Exten)
	known := map[string]endedPause{}
	for _, c := range w.Calls {
		if c.Uniqueid != "" && !c.Direct { // a direct call has no record to wait for it
			known[c.Uniqueid] = endedPause{Pause: w.pauseOf(c, end), Expires: end.Add(t.opts.KeepEnded)}
		}
	}
	t.keepEnded(known, func(b buckets) error { return b.wraps.Delete([]byte(w.Exten)) })
	t.publish()
	if announce && !w.Start.IsZero() {
		v := t.view(w, "end")
		v.End, v.Ended, v.Pause = end, how, seconds(end.Sub(w.Start))
		t.log.Info("after-call pause ended", "exten", w.Exten, "ended", how, "pause", v.Pause, "calls", len(w.Calls))
		t.opts.OnWrapUp(v)
	}
	for _, c := range w.Calls {
		if !c.Direct {
			t.resolve(c.Uniqueid)
		}
	}
}

// noPause records that the queue call uid has no after-call pause.
func (t *Timer) noPause(uid string) {
	if uid != "" {
		t.keepEnded(map[string]endedPause{uid: {Expires: t.now().Add(t.opts.KeepEnded)}}, nil)
	}
}

// keepEnded stores known pause lengths (and whatever also does in the same
// transaction), dropping the expired ones.
func (t *Timer) keepEnded(known map[string]endedPause, also func(b buckets) error) {
	now := t.now()
	for uid, e := range known {
		t.ended[uid] = e
	}
	t.update("pause lengths", func(b buckets) error {
		var err error
		if also != nil {
			err = also(b)
		}
		for uid, e := range known {
			err = errors.Join(err, put(b.ended, uid, e))
		}
		return errors.Join(err, t.purgeEnded(b, now))
	})
}

// knownPause returns the length of the ended pause after the queue call
// uid, if known and not expired.
func (t *Timer) knownPause(uid string) (time.Duration, bool) {
	e, ok := t.ended[uid]
	if !ok || uid == "" || !t.now().Before(e.Expires) {
		return 0, false
	}
	return e.Pause, true
}

// purgeEnded forgets the pause lengths no QueueCallEnded came for.
func (t *Timer) purgeEnded(b buckets, now time.Time) error {
	var err error
	for uid, e := range t.ended {
		if !now.Before(e.Expires) {
			delete(t.ended, uid)
			err = errors.Join(err, b.ended.Delete([]byte(uid)))
		}
	}
	return err
}

// queueCallEnded emits the call's record when its pause is known, else
// holds it until it is: until its wrap-up ends, or for JoinWait while its
// AgentCompleted may still come.
func (t *Timer) queueCallEnded(c pbx.QueueCall) {
	uid := c.Uniqueid
	if pause, ok := t.knownPause(uid); ok {
		t.deliver(c, pause)
		return
	}
	now := t.now()
	h := &heldRecord{Call: c, Since: now}
	switch {
	case t.wrapOf(uid) != nil:
	case uid != "" && t.opts.Enabled && c.Agent != "":
		h.Wait = now.Add(t.opts.JoinWait)
	default: // no agent answered, or no pause to wait for
		t.deliver(c, 0)
		return
	}
	t.held[uid] = h
	t.update("held record "+uid, func(b buckets) error { return put(b.held, uid, h) })
	if !h.Wait.IsZero() {
		t.setTimer(timerKey{waitTimer, uid}, h.Wait)
	}
}

// resolve emits the held record of uid if its pause is now known; if it
// waits for a wrap-up, it stops waiting for its AgentCompleted.
func (t *Timer) resolve(uid string) {
	h := t.held[uid]
	if h == nil {
		return
	}
	if t.wrapOf(uid) == nil {
		pause, _ := t.knownPause(uid)
		t.deliver(h.Call, pause)
		return
	}
	if !h.Wait.IsZero() {
		h.Wait = time.Time{}
		t.stopTimer(timerKey{waitTimer, uid})
		t.update("held record "+uid, func(b buckets) error { return put(b.held, uid, h) })
	}
}

// waitOver: no AgentCompleted came for a held record in time: no pause.
func (t *Timer) waitOver(uid string) {
	if h := t.held[uid]; h != nil && !h.Wait.IsZero() {
		t.log.Debug("queue call ended without its agent's AgentComplete: pause 0", "call", uid)
		t.deliver(h.Call, 0)
	}
}

// deliver hands the record on, then forgets it: a crash in between sends
// it twice rather than never.
func (t *Timer) deliver(c pbx.QueueCall, pause time.Duration) {
	t.opts.OnRecord(c, pause)
	uid := c.Uniqueid
	if uid == "" {
		return
	}
	t.stopTimer(timerKey{waitTimer, uid})
	_, held := t.held[uid]
	_, ended := t.ended[uid]
	if !held && !ended {
		return
	}
	delete(t.held, uid)
	delete(t.ended, uid)
	t.update("record "+uid, func(b buckets) error {
		return errors.Join(b.held.Delete([]byte(uid)), b.ended.Delete([]byte(uid)))
	})
}
