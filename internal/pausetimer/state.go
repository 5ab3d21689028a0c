package pausetimer

import (
	"maps"
	"slices"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// phase is where a wrap-up stands.
type phase string

const (
	// deferred: the agent is on another call; the pause starts when its
	// hint is free.
	deferred phase = "deferred"
	// running: the member is paused (or being paused) until Until.
	running phase = "running"
	// unpausing: the wrap-up is over (Ended says why) but Asterisk has not
	// taken the unpause yet; it is retried.
	unpausing phase = "unpausing"
)

// wrapUp is one agent's after-call pause, as stored.
type wrapUp struct {
	Exten     string    `json:"exten"`
	Interface string    `json:"interface"`
	Queues    []string  `json:"queues,omitempty"`
	Phase     phase     `json:"phase"`
	Since     time.Time `json:"since"`          // created (the first call ended)
	Start     time.Time `json:"start,omitzero"` // member paused: the pause is counted from here
	Until     time.Time `json:"until,omitzero"`
	Ended     string    `json:"ended,omitempty"` // unpausing: why it ended
	Calls     []callRef `json:"calls"`

	// Not stored.
	attempts int // PauseMember failures in a row, for the backoff
}

// callRef is a call the wrap-up follows: At is when its agent finished it.
// A queue call's record (cc_cdr) waits for the wrap-up; a Direct call has
// none, and is named by the wrap-up's pushes only. UserData is stored so
// that the pushes of a wrap-up resumed after a restart still carry it; a
// record written before it existed reads as "" (no userData).
type callRef struct {
	Uniqueid string    `json:"uniqueid"`
	Linkedid string    `json:"linkedid,omitempty"`
	At       time.Time `json:"at"`
	Direct   bool      `json:"direct,omitempty"`
	UserData string    `json:"userData,omitempty"`
}

// heldRecord is a finished queue call whose pause is not known yet.
type heldRecord struct {
	Call  pbx.QueueCall `json:"call"`
	Since time.Time     `json:"since"`
	// Wait is set while the call waits for its AgentCompleted (then it is
	// emitted with pause 0); zero while it waits for its wrap-up.
	Wait time.Time `json:"wait,omitzero"`
}

// endedPause is a pause already over whose queue call has not finished.
type endedPause struct {
	Pause   time.Duration `json:"pause"`
	Expires time.Time     `json:"expires"`
}

// last returns the call attached last.
func (w *wrapUp) last() callRef { return w.Calls[len(w.Calls)-1] }

// pauseOf returns the pause after call c when the wrap-up ends at end: from
// the later of the pause's start and the call's end, in whole seconds; 0 if
// the member was never paused.
func (w *wrapUp) pauseOf(c callRef, end time.Time) time.Duration {
	if w.Start.IsZero() {
		return 0
	}
	from := w.Start
	if c.At.After(from) {
		from = c.At
	}
	return seconds(end.Sub(from))
}

// view describes w for OnWrapUp and Active.
func (t *Timer) view(w *wrapUp, kind string) WrapUp {
	v := WrapUp{
		Kind: kind, Exten: w.Exten, Interface: w.Interface, Queues: slices.Clone(w.Queues),
		Uniqueid: w.last().Uniqueid, Linkedid: w.last().Linkedid, UserData: w.last().UserData,
		Start: w.Start, Until: w.Until,
	}
	for _, c := range w.Calls {
		v.Calls = append(v.Calls, c.Uniqueid)
	}
	return v
}

// publish refreshes what Active returns.
func (t *Timer) publish() {
	var out []WrapUp
	for _, w := range t.sorted() {
		kind := "running"
		if w.Phase == deferred {
			kind = "deferred"
		}
		out = append(out, t.view(w, kind))
	}
	t.mu.Lock()
	t.active = out
	t.mu.Unlock()
}

// sorted returns the wrap-ups by extension.
func (t *Timer) sorted() []*wrapUp {
	out := make([]*wrapUp, 0, len(t.wraps))
	for _, k := range slices.Sorted(maps.Keys(t.wraps)) {
		out = append(out, t.wraps[k])
	}
	return out
}

// wrapOf returns the wrap-up the queue call uid waits for, if any.
func (t *Timer) wrapOf(uid string) *wrapUp {
	if uid == "" {
		return nil
	}
	for _, w := range t.wraps {
		for _, c := range w.Calls {
			if c.Uniqueid == uid && !c.Direct {
				return w
			}
		}
	}
	return nil
}
