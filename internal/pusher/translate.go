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
	Name string    // dialbegin, dialend, hangup, extensionstatus, cdr, ivr, cc_cdr
	Keys []string  // ordering keys: events sharing one are delivered in order
	At   time.Time // when it happened
	Body []byte    // the JSON object
}

// Translator turns pbx domain events into pushes (api.md §4).
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

func (t *Translator) now() time.Time {
	if t.Now == nil {
		return time.Now()
	}
	return t.Now()
}

// Translate returns the push for e, or false when e is not pushed.
//
// The keys of each event follow api.md §4 in its order; what we add comes
// after them: timestamp and mac on every event; channel, cause, causetxt,
// linkedid on hangup; linkedid on cdr. The cdr's recordfile is the
// call's recording (pbx.CDR.RecordFile: the RecordFile mapping of
// cdr_manager.conf, else its MixMonitor file), or its download link when
// RecordingURL makes one (same key, same place: only the value changes).
func (t *Translator) Translate(e pbx.Event) (Event, bool) {
	switch e := e.(type) {
	case pbx.DialBegin:
		name := "dialbegin"
		if t.LegacyDialBegin {
			name = "dialbegein"
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
			add("mac", t.MAC)
		return Event{Name: name, Keys: callKeys(e.Caller, e.Dest), At: e.At, Body: o.bytes()}, true
	case pbx.DialEnd:
		caller := dialCaller(e.Caller, e.Dest)
		o := newObject().
			add("event", "dialend").
			add("timestamp", timestamp(e.At)).
			add("channel", caller.Name).
			add("calleridnum", caller.CallerIDNum).
			add("destchannel", e.Dest.Name).
			add("destcalleridnum", e.Dest.CallerIDNum).
			add("uniqueid", callerUniqueid(e.Caller, e.Dest)).
			add("dialstatus", e.DialStatus).
			add("destuniqueid", e.Dest.Uniqueid).
			add("mac", t.MAC)
		return Event{Name: "dialend", Keys: callKeys(e.Caller, e.Dest), At: e.At, Body: o.bytes()}, true
	case pbx.ChannelHangup:
		c := e.Channel
		causeText := e.CauseText
		if e.Blacklisted { // refused by the shipped blacklist check (cause 21)
			causeText = "blacklisted"
		}
		o := newObject().
			add("event", "hangup").
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
			add("mac", t.MAC)
		if e.Reconstructed { // missed while Asterisk was away; learnt at resync
			o.add("reconstructed", "yes")
		}
		return Event{Name: "hangup", Keys: callKeys(c), At: e.At, Body: o.bytes()}, true
	case pbx.HintChanged:
		h := e.Hint
		o := newObject().
			add("event", "extensionstatus").
			add("exten", h.Exten).
			add("status", strconv.Itoa(h.Status)).
			add("statustext", h.StatusText).
			add("context", h.Context).
			add("timestamp", timestamp(e.At)).
			add("mac", t.MAC)
		return Event{Name: "extensionstatus", Keys: []string{"exten:" + h.Exten}, At: e.At, Body: o.bytes()}, true
	case pbx.CDR:
		o := newObject().
			add("event", "cdr").
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
			add("mac", t.MAC)
		return Event{Name: "cdr", Keys: callKey(e.Linkedid, e.UniqueID), At: e.At, Body: o.bytes()}, true
	case pbx.UserEvent:
		return t.ivr(e)
	}
	return Event{}, false
}

// ivr builds the ivr push from a dialplan IVR step (pbx.IVRStep says
// where each field comes from).
func (t *Translator) ivr(e pbx.UserEvent) (Event, bool) {
	s, ok := e.IVR()
	if !ok {
		return Event{}, false
	}
	o := newObject().
		add("event", "ivr").
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
		add("timestamp", timestamp(e.At))
	return Event{Name: "ivr", Keys: callKey(e.Channel.Linkedid, s.Uniqueid), At: e.At, Body: o.bytes()}, true
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

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
