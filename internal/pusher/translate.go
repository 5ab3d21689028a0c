package pusher

import (
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// Event is one push: a JSON object for every receiver.
type Event struct {
	ID   string    // webhook-id: stable across retries and restarts; set by the outbox
	Name string    // a name of the push table (pushes.go); dialbegin for dialbegein when not legacy
	Keys []string  // ordering keys: events sharing one are delivered in order
	At   time.Time // when it happened
	Body []byte    // the JSON object
}

// Translator turns pbx domain events into pushes (api.md §4): Translate,
// QueueCall and WrapUp, each a dispatcher into the push table (pushes.go).
type Translator struct {
	MAC             string         // the box's MAC, on every event
	Location        *time.Location // for the "YYYY-MM-DD HH:MM:SS" times we write; nil = local
	LegacyDialBegin bool           // name dialbegin "dialbegein", as the original did
	Now             func() time.Time
	// RecordingURL, if set, turns a recording as Asterisk names it (an
	// absolute path or a name under the monitor folder) into a download
	// link for the cdr's recordfile and the cc_cdr's filePath. It returns
	// "" when it makes no link (a file outside the monitor folder, a name
	// the folder would refuse); the push then carries the name as it is.
	RecordingURL func(recordfile string) string
}

// The rest of this file is what the builders of pushes.go share.

func (t *Translator) now() time.Time {
	if t.Now == nil {
		return time.Now()
	}
	return t.Now()
}

// recording is what a push carries for a recording: the link RecordingURL
// makes of file, else file itself ("" stays "": the call was not recorded).
func (t *Translator) recording(file string) string {
	if file == "" || t.RecordingURL == nil {
		return file
	}
	if link := t.RecordingURL(file); link != "" {
		return link
	}
	return file
}

func (t *Translator) loc() *time.Location {
	if t.Location == nil {
		return time.Local
	}
	return t.Location
}

func (t *Translator) clock(at time.Time) string { return at.In(t.loc()).Format(time.DateTime) }

// timestamp writes unix seconds with microseconds: "1534993059.785012".
func timestamp(at time.Time) string {
	us := at.UnixMicro()
	b := strconv.AppendInt(make([]byte, 0, 24), us/1e6, 10)
	frac := strconv.FormatInt(1e6+us%1e6, 10) // 1xxxxxx: six digits with zeros
	b = append(b, '.')
	return string(append(b, frac[1:]...))
}

// dialString writes what was dialled as TECH/resource, as the original box
// did ("SIP/886"); Asterisk's DialString omits the technology of Dial().
func dialString(ds, destChannel string) string {
	if ds == "" || strings.Contains(ds, "/") {
		return ds
	}
	if tech, _, ok := strings.Cut(destChannel, "/"); ok {
		return tech + "/" + ds
	}
	return ds
}

// dialCaller is who a dial push names as the caller: the dialling channel
// or, for a dial that no channel places (the first leg of an AMI Originate:
// click-number, extenSpy), the originated channel itself with the caller ID
// it was given. For click-number that is the agent (src) calling; for
// extenSpy, the spied extension (what the spying phone shows).
func dialCaller(caller, dest pbx.Channel) pbx.Channel {
	if caller.Name != "" {
		return caller
	}
	return pbx.Channel{Name: dest.Name, CallerIDNum: dest.CallerIDNum}
}

// callerUniqueid is the dialling channel's Uniqueid; an Originate's dial
// has no calling channel, so the call's id stands in.
func callerUniqueid(caller, dest pbx.Channel) string {
	if caller.Uniqueid != "" {
		return caller.Uniqueid
	}
	return dest.Linkedid
}

// dialUserData is the business data a dial push carries: the dialling
// channel's, else (an Originate's first leg, a call not yet marked) the
// rung channel's.
func dialUserData(caller, dest pbx.Channel) string { return or(caller.UserData, dest.UserData) }

// callKey orders an event with the other events of its call: the call's
// Linkedid, else the channel's own Uniqueid.
func callKey(linkedid, uniqueid string) []string {
	return []string{"call:" + or(linkedid, uniqueid)}
}

// callKeys is the callKey of the first of chans that has an id.
func callKeys(chans ...pbx.Channel) []string {
	for _, c := range chans {
		if c.Linkedid != "" || c.Uniqueid != "" {
			return callKey(c.Linkedid, c.Uniqueid)
		}
	}
	return nil
}

// callType is the cdr's calltype: the dialplan's CDR(calltype), when
// cdr_manager.conf maps it (calltype => CallType) to a known value, else
// the direction the model sees: "inbound" when the source channel is not an
// extension, "outbound" when an extension called a channel that is not one,
// "" between extensions.
func callType(e pbx.CDR) string {
	switch v := strings.ToLower(pbx.FieldOf(e.Extra, "CallType")); v {
	case "inbound", "outbound":
		return v
	case "internal":
		return ""
	}
	switch e.Direction {
	case pbx.Inbound:
		return "inbound"
	case pbx.Outbound:
		return "outbound"
	}
	return ""
}

// secs writes a duration as whole seconds, rounded down, never negative.
func secs(d time.Duration) string { return strconv.FormatInt(wholeSecs(d), 10) }

// wholeSecs is a duration in whole seconds, rounded down, never negative.
func wholeSecs(d time.Duration) int64 { return int64(max(d, 0) / time.Second) }

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
