package pusher

import (
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/pausetimer"
	"github.com/coocenter/coocenterd/internal/pbx"
)

// QueueCall is the cc_cdr push of a finished queue call (api.md §4), keys in
// the contract's order; pause is the agent's after-call pause, known once it
// ended. Every value is a string, as in the original, but holdTime and
// pauseTime, which the original sends as numbers; durations are whole
// seconds. filePath is the call's first MixMonitor file as Asterisk names
// it, or its download link when Translator.RecordingURL makes one.
func (t *Translator) QueueCall(c pbx.QueueCall, pause time.Duration) Event {
	callType := "internal"
	if c.Direction == pbx.Inbound {
		callType = "incoming" // the original's word
	}
	fwType := ""
	if c.ForwardNumber != "" {
		fwType = "transfer"
	}
	ivrTime := ""
	if c.IVRID != "" || c.IVRTime > 0 {
		ivrTime = secs(c.IVRTime)
	}
	o := newObject().
		add("event", "cc_cdr").
		add("uuid", c.Uniqueid).
		add("caller", c.Caller).
		add("called", c.Called).
		add("queueCode", c.Queue).
		add("agentCode", c.Agent).
		add("callType", callType).
		add("cdrState", c.State).
		add("hangupSide", c.HangupSide).
		add("hangupCause", c.HangupCause).
		add("startTime", t.clock(c.Start)).
		add("endTime", t.clock(c.End)).
		add("duration", secs(c.End.Sub(c.Start))).
		add("queueTime", secs(c.QueueTime)).
		add("feedbackTime", secs(c.FeedbackTime)).
		add("ivrTime", ivrTime).
		add("ringTime", secs(c.RingTime)).
		addNumber("holdTime", wholeSecs(c.HoldTime)).
		addNumber("pauseTime", wholeSecs(pause)).
		add("talkingTime", secs(c.TalkTime)).
		add("voicemailState", "0").
		add("ivrId", c.IVRID).
		add("ivrName", c.IVRName).
		add("ivrDtmf", c.IVRDtmf).
		add("fwType", fwType).
		add("score", or(c.Score, "0")).
		add("trunkNumber", c.TrunkNumber).
		add("forwardNumber", c.ForwardNumber).
		add("filePath", t.recording(c.RecordFile)).
		add("missCause", c.MissCause).
		add("mac", t.MAC).
		add("agentName", c.AgentName).
		add("linkedid", c.Linkedid).
		add("timestamp", timestamp(c.End))
	return Event{Name: "cc_cdr", Keys: callKey(c.Linkedid, c.Uniqueid), At: c.End, Body: o.bytes()}
}

// secs writes a duration as whole seconds, rounded down, never negative.
func secs(d time.Duration) string { return strconv.FormatInt(wholeSecs(d), 10) }

// wholeSecs is a duration in whole seconds, rounded down, never negative.
func wholeSecs(d time.Duration) int64 { return int64(max(d, 0) / time.Second) }

// WrapUp is the push of an after-call pause starting, moving its end, or
// ending (ours: wrapupstart, wrapupextend, wrapupend), ordered with the
// agent's extensionstatus events. uuid is the call that started (or last
// restarted) it: a queue call's cc_cdr uuid, or a direct call as its cdr
// push names it; uniqueid repeats it under the cdr's name, linkedid is that
// call's. A direct call has no cc_cdr: wrapupend's pauseTime (a number, as
// in cc_cdr) is its record.
func (t *Translator) WrapUp(w pausetimer.WrapUp) (Event, bool) {
	var name string
	switch w.Kind {
	case "start", "extend", "end":
		name = "wrapup" + w.Kind
	default:
		return Event{}, false
	}
	at := w.Start
	o := newObject().
		add("event", name).
		add("agentCode", w.Exten).
		add("interface", w.Interface).
		add("queues", strings.Join(w.Queues, ",")).
		add("uuid", w.Uniqueid).
		add("uniqueid", w.Uniqueid).
		add("linkedid", w.Linkedid).
		add("startTime", t.clock(w.Start)).
		add("until", t.clock(w.Until))
	if w.Kind == "end" {
		at = w.End
		o.add("endTime", t.clock(w.End)).
			addNumber("pauseTime", wholeSecs(w.Pause)). // a number, as cc_cdr's

			add("endedBy", w.Ended)
	} else if w.Kind == "extend" {
		at = t.now()
	}
	o.add("timestamp", timestamp(at)).add("mac", t.MAC)
	return Event{Name: name, Keys: []string{"exten:" + w.Exten}, At: at, Body: o.bytes()}, true
}
