package pusher

import (
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/pausetimer"
	"github.com/coocenter/coocenterd/internal/pbx"
)

// The push table. Every push the box sends is written here, by the one
// builder its name has, in the order api.md lists the events (§4.7, then
// the wrap-ups of §5.3), so this file reads side by side with the
// contract; the builders of the agent's verbs (hold, mute, transfer) are
// in agentpushes.go. Each builder adds the keys in the order of its api.md
// section; what we add to the original's keys comes after them. A call's
// userData (api.md §3.16) is the last key of ours, before the mac that
// closes the push (after it where the original puts mac before our keys:
// ivr, cc_cdr), and only when the call has one: the pushes of calls
// without it stay byte for byte the original's. Translate, QueueCall and
// WrapUp only pick the name. TestPushTableMatchesContract holds every
// entry against api.md.

// pushes is the table: each push event's name, the api.md section that
// documents it, and its builder.
var pushes = []pushEntry{
	{"dialbegein", "4.7.1", from((*Translator).dialBegin)},
	{"dialend", "4.7.2", from((*Translator).dialEnd)},
	{"hangup", "4.7.3", from((*Translator).hangup)},
	{"extensionstatus", "4.7.4", from((*Translator).extensionStatus)},
	{"ivr", "4.7.5", from((*Translator).ivr)},
	{"cdr", "4.7.6", from((*Translator).cdr)},
	{"cc_cdr", "4.7.7", from((*Translator).ccCDR)},
	{"hold", "4.7.8", from((*Translator).hold)},
	{"unhold", "4.7.8", from((*Translator).hold)},
	{"mute", "4.7.9", from((*Translator).mute)},
	{"unmute", "4.7.9", from((*Translator).mute)},
	{"transfer", "4.7.10", from((*Translator).transfer)},
	{"wrapupstart", "5.3", from((*Translator).wrapUp)},
	{"wrapupextend", "5.3", from((*Translator).wrapUp)},
	{"wrapupend", "5.3", from((*Translator).wrapUp)},
}

// A pushEntry is one push event of the table.
type pushEntry struct {
	name    string // as api.md §4.7 lists it; the body's event
	section string // the api.md section that lists its keys
	build   builder
}

// A builder writes the push called name from its source: a pbx event, a
// queueCall or a pausetimer.WrapUp. It says false when the source makes
// no push.
type builder func(t *Translator, name string, src any) (Event, bool)

// from makes a builder of one source type fit the table. A source of
// another type makes no push, though the dispatchers never pass one.
func from[S any](f func(*Translator, string, S) (Event, bool)) builder {
	return func(t *Translator, name string, src any) (Event, bool) {
		s, ok := src.(S)
		if !ok {
			return Event{}, false
		}
		return f(t, name, s)
	}
}

// builders finds an entry of pushes by name.
var builders = func() map[string]builder {
	m := make(map[string]builder, len(pushes))
	for _, p := range pushes {
		m[p.name] = p.build
	}
	return m
}()

// build writes the push called name from src with that name's builder.
func (t *Translator) build(name string, src any) (Event, bool) {
	b, ok := builders[name]
	if !ok {
		return Event{}, false
	}
	return b(t, name, src)
}

// Translate returns the push for e, or false when e is not pushed. This
// switch is which pbx event makes which push.
func (t *Translator) Translate(e pbx.Event) (Event, bool) {
	switch e := e.(type) {
	case pbx.DialBegin:
		return t.build("dialbegein", e)
	case pbx.DialEnd:
		return t.build("dialend", e)
	case pbx.ChannelHangup:
		return t.build("hangup", e)
	case pbx.HintChanged:
		return t.build("extensionstatus", e)
	case pbx.UserEvent: // an IVR step; the other UserEvents are not pushed
		return t.build("ivr", e)
	case pbx.CDR:
		return t.build("cdr", e)
	case pbx.HoldChanged:
		if e.Held {
			return t.build("hold", e)
		}
		return t.build("unhold", e)
	case pbx.MuteChanged:
		if e.Muted {
			return t.build("mute", e)
		}
		return t.build("unmute", e)
	case pbx.Transferred:
		return t.build("transfer", e)
	}
	return Event{}, false
}

// QueueCall is the cc_cdr push of a finished queue call; pause is the
// agent's after-call pause, known once it ended.
func (t *Translator) QueueCall(c pbx.QueueCall, pause time.Duration) Event {
	ev, _ := t.build("cc_cdr", queueCall{call: c, pause: pause})
	return ev
}

// queueCall is what cc_cdr is written from: the call, and the pause of the
// agent who answered it (pauseTime).
type queueCall struct {
	call  pbx.QueueCall
	pause time.Duration
}

// WrapUp is the push of an after-call pause starting, moving its end, or
// ending; false for a WrapUp of another kind (Active's "running").
func (t *Translator) WrapUp(w pausetimer.WrapUp) (Event, bool) {
	switch w.Kind {
	case "start", "extend", "end":
		return t.build("wrapup"+w.Kind, w)
	}
	return Event{}, false
}

// dialBegin writes dialbegein: api.md §4.7.1 `dialbegein`. The name is the
// original's misspelling, which its clients match on; [push]
// legacy_dialbegin = no sends the corrected dialbegin.
func (t *Translator) dialBegin(name string, e pbx.DialBegin) (Event, bool) {
	if !t.LegacyDialBegin {
		name = "dialbegin"
	}
	caller := dialCaller(e.Caller, e.Dest)
	o := newObject().
		add("event", name).
		add("timestamp", timestamp(e.At)).
		add("channel", caller.Name).
		add("calleridnum", caller.CallerIDNum).
		add("destchannel", e.Dest.Name).
		add("destcalleridnum", e.Dest.CallerIDNum).
		add("destuniqueid", e.Dest.Uniqueid).
		add("dialstring", dialString(e.DialString, e.Dest.Name)).
		add("uniqueid", callerUniqueid(e.Caller, e.Dest)).
		addSet("userData", dialUserData(e.Caller, e.Dest)).
		add("mac", t.MAC)
	return Event{Name: name, Keys: callKeys(e.Caller, e.Dest), At: e.At, Body: o.bytes()}, true
}

// dialEnd writes dialend: api.md §4.7.2 `dialend`. The original's keys end
// with dialstatus; ours follow.
func (t *Translator) dialEnd(name string, e pbx.DialEnd) (Event, bool) {
	caller := dialCaller(e.Caller, e.Dest)
	o := newObject().
		add("event", name).
		add("timestamp", timestamp(e.At)).
		add("channel", caller.Name).
		add("calleridnum", caller.CallerIDNum).
		add("destchannel", e.Dest.Name).
		add("destcalleridnum", e.Dest.CallerIDNum).
		add("uniqueid", callerUniqueid(e.Caller, e.Dest)).
		add("dialstatus", e.DialStatus).
		add("destuniqueid", e.Dest.Uniqueid).
		addSet("userData", dialUserData(e.Caller, e.Dest)).
		add("mac", t.MAC)
	return Event{Name: name, Keys: callKeys(e.Caller, e.Dest), At: e.At, Body: o.bytes()}, true
}

// hangup writes hangup: api.md §4.7.3 `hangup`. The original's keys end
// with uniqueid; ours follow.
func (t *Translator) hangup(name string, e pbx.ChannelHangup) (Event, bool) {
	c := e.Channel
	causeText := e.CauseText
	if e.Blacklisted { // refused by the shipped blacklist check (cause 21)
		causeText = "blacklisted"
	}
	o := newObject().
		add("event", name).
		add("calleridnum", c.CallerIDNum).
		add("calleridname", c.CallerIDName).
		add("connectedlinenum", c.ConnectedLineNum).
		add("connectedlinename", c.ConnectedLineName).
		add("uniqueid", c.Uniqueid).
		add("channel", c.Name).
		add("cause", strconv.Itoa(e.Cause)).
		add("causetxt", causeText).
		add("linkedid", c.Linkedid).
		add("timestamp", timestamp(e.At)).
		addSet("userData", c.UserData).
		add("mac", t.MAC)
	if e.Reconstructed { // missed while Asterisk was away; learnt at resync
		o.add("reconstructed", "yes")
	}
	return Event{Name: name, Keys: callKeys(c), At: e.At, Body: o.bytes()}, true
}

// extensionStatus writes extensionstatus: api.md §4.7.4
// `extensionstatus`. It is ordered with the extension's other pushes, not
// with a call.
func (t *Translator) extensionStatus(name string, e pbx.HintChanged) (Event, bool) {
	h := e.Hint
	o := newObject().
		add("event", name).
		add("exten", h.Exten).
		add("status", strconv.Itoa(h.Status)).
		add("statustext", h.StatusText).
		add("context", h.Context).
		add("timestamp", timestamp(e.At)).
		add("mac", t.MAC)
	return Event{Name: name, Keys: []string{"exten:" + h.Exten}, At: e.At, Body: o.bytes()}, true
}

// ivr writes ivr: api.md §4.7.5 `ivr`, from a dialplan IVR step
// (pbx.IVRStep says where each field comes from). Another UserEvent makes
// no push.
func (t *Translator) ivr(name string, e pbx.UserEvent) (Event, bool) {
	s, ok := e.IVR()
	if !ok {
		return Event{}, false
	}
	o := newObject().
		add("event", name).
		add("uuid", s.Uniqueid).
		add("caller", s.Caller).
		add("called", s.Called).
		add("callType", s.CallType).
		add("queueCode", s.Queue).
		add("startTime", t.clock(s.Start)).
		add("endTime", t.clock(s.End)).
		add("duration", secs(s.End.Sub(s.Start))).
		add("ivrId", s.ID).
		add("ivrName", s.Name).
		add("ivrDtmf", s.Dtmf).
		add("trunkNumber", s.TrunkNumber).
		add("mac", t.MAC).
		add("timestamp", timestamp(e.At)).
		addSet("userData", e.Channel.UserData)
	return Event{Name: name, Keys: callKey(e.Channel.Linkedid, s.Uniqueid), At: e.At, Body: o.bytes()}, true
}

// cdr writes cdr: api.md §4.7.6 `cdr`. The recordfile is the call's
// recording (pbx.CDR.RecordFile: the RecordFile mapping of
// cdr_manager.conf, else its MixMonitor file), or its download link when
// RecordingURL makes one: same key, same place, only the value changes.
func (t *Translator) cdr(name string, e pbx.CDR) (Event, bool) {
	o := newObject().
		add("event", name).
		add("callerid", e.CallerID).
		add("source", e.Source).
		add("destination", e.Destination).
		add("starttime", e.StartTime).
		add("answertime", e.AnswerTime).
		add("endtime", e.EndTime).
		add("disposition", e.Disposition).
		add("duration", strconv.Itoa(e.Duration)).
		add("billableseconds", strconv.Itoa(e.BillableSeconds)).
		add("calltype", callType(e)).
		add("recordfile", t.recording(e.RecordFile)).
		add("uniqueid", e.UniqueID).
		add("linkedid", e.Linkedid).
		add("timestamp", timestamp(e.At)).
		addSet("userData", e.UserData).
		add("mac", t.MAC)
	return Event{Name: name, Keys: callKey(e.Linkedid, e.UniqueID), At: e.At, Body: o.bytes()}, true
}

// ccCDR writes cc_cdr: api.md §4.7.7 `cc_cdr`. Every value is a string, as
// in the original, but holdTime and pauseTime, which the original sends as
// numbers; durations are whole seconds. filePath is the call's first
// MixMonitor file as Asterisk names it, or its download link when
// RecordingURL makes one.
func (t *Translator) ccCDR(name string, q queueCall) (Event, bool) {
	c := q.call
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
		add("event", name).
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
		addNumber("pauseTime", wholeSecs(q.pause)).
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
		add("timestamp", timestamp(c.End)).
		addSet("userData", c.UserData)
	return Event{Name: name, Keys: callKey(c.Linkedid, c.Uniqueid), At: c.End, Body: o.bytes()}, true
}

// wrapUp writes wrapupstart, wrapupextend and wrapupend: api.md §5.3
// Pushes (ours). They are ordered with the agent's extensionstatus pushes.
// uuid is the call that started (or last restarted) the pause: a queue
// call's cc_cdr uuid, or a direct call as its cdr push names it; uniqueid
// repeats it under the cdr's name, linkedid is that call's. A direct call
// has no cc_cdr, so wrapupend's pauseTime is its record.
func (t *Translator) wrapUp(name string, w pausetimer.WrapUp) (Event, bool) {
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
	switch name {
	case "wrapupextend":
		at = t.now() // the end moved now
	case "wrapupend":
		at = w.End
		o.add("endTime", t.clock(w.End)).
			addNumber("pauseTime", wholeSecs(w.Pause)). // a number, as cc_cdr's
			add("endedBy", w.Ended)
	}
	o.add("timestamp", timestamp(at)).addSet("userData", w.UserData).add("mac", t.MAC)
	return Event{Name: name, Keys: []string{"exten:" + w.Exten}, At: at, Body: o.bytes()}, true
}
