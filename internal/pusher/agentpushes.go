package pusher

import (
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// The builders of the pushes of the agent's verbs (issue 21): hold, mute
// and transfer, api.md §4.7.8 to §4.7.10, all ours. The table in pushes.go
// lists them with the others. Each is ordered with the pushes of its call,
// so that a hold is never delivered before the dial that began the call,
// nor a transfer after the hangup that follows it.

// hold writes hold and unhold: api.md §4.7.8. A HoldChanged of the other
// state makes no push (Translate never passes one).
func (t *Translator) hold(name string, e pbx.HoldChanged) (Event, bool) {
	if e.Held != (name == "hold") {
		return Event{}, false
	}
	return t.channelState(name, e.At, e.Exten, e.Channel), true
}

// mute writes mute and unmute: api.md §4.7.9. A MuteChanged of the other
// state makes no push (Translate never passes one).
func (t *Translator) mute(name string, e pbx.MuteChanged) (Event, bool) {
	if e.Muted != (name == "mute") {
		return Event{}, false
	}
	return t.channelState(name, e.At, e.Exten, e.Channel), true
}

// channelState writes a push of what an agent's channel c does (hold,
// mute): the extension, the channel, its call.
func (t *Translator) channelState(name string, at time.Time, exten string, c pbx.Channel) Event {
	o := newObject().
		add("event", name).
		add("exten", exten).
		add("uniqueid", c.Uniqueid).
		add("linkedid", c.Linkedid).
		add("timestamp", timestamp(at)).
		addSet("userData", c.UserData).
		add("mac", t.MAC)
	return Event{Name: name, Keys: callKeys(c), At: at, Body: o.bytes()}
}

// transfer writes transfer: api.md §4.7.10. It names the party that was
// transferred (the Transferee: the caller, whose call goes on), not the
// agent's leg, which ends; the call's userData is the Transferee's, else
// the Transferer's.
func (t *Translator) transfer(name string, e pbx.Transferred) (Event, bool) {
	party := e.Transferee
	o := newObject().
		add("event", name).
		add("from", e.From).
		add("to", e.To).
		add("uniqueid", party.Uniqueid).
		add("linkedid", party.Linkedid).
		add("timestamp", timestamp(e.At)).
		add("kind", e.Kind).
		addSet("userData", or(party.UserData, e.Transferer.UserData)).
		add("mac", t.MAC)
	return Event{Name: name, Keys: callKeys(party, e.Transferer), At: e.At, Body: o.bytes()}, true
}
