package pbx

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// blacklistedEvent is the UserEvent the shipped blacklist check sends
// before it hangs up a listed caller; names are kept in lower case.
const blacklistedEvent = "blacklisted"

// goneMemory is how many hung-up channels the model remembers the call
// (Linkedid) and recording of: a Cdr arrives after its channel's Hangup.
const goneMemory = 4096

// ended remembers the call and the recording of channels that hung up,
// oldest evicted first.
type ended struct {
	linkedid  map[string]string // Uniqueid → Linkedid
	recording map[string]string // Uniqueid → its MixMonitor file, when it had one
	userData  map[string]string // Uniqueid → its call's userData, when it had one
	order     []string          // ring of Uniqueids
	next      int
}

func (e *ended) add(uniqueid, linkedid, recording, userData string) {
	if e.linkedid == nil {
		e.linkedid = make(map[string]string, goneMemory)
		e.recording = make(map[string]string)
		e.userData = make(map[string]string)
		e.order = make([]string, goneMemory)
	}
	if old := e.order[e.next]; old != "" {
		delete(e.linkedid, old)
		delete(e.recording, old)
		delete(e.userData, old)
	}
	e.order[e.next] = uniqueid
	e.next = (e.next + 1) % goneMemory
	e.linkedid[uniqueid] = linkedid
	if recording != "" {
		e.recording[uniqueid] = recording
	}
	if userData != "" {
		e.userData[uniqueid] = userData
	}
}

// eventAt is when an event happened: its Timestamp header
// ("1534993059.785012", manager.conf timestampevents) or else now.
func eventAt(m ami.Message, now time.Time) time.Time {
	ts, ok := m.Lookup("Timestamp")
	if !ok {
		return now
	}
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 {
		return now
	}
	var usec int64
	if frac != "" {
		frac = (frac + "000000")[:6]
		if usec, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return now
		}
	}
	return time.Unix(s, usec*1000)
}

// party returns the channel of the event's snapshot with that prefix: the
// model's copy refreshed by the snapshot, or the snapshot alone when the
// model does not hold it; the zero Channel when the event has none.
func (p *PBX) party(m ami.Message, prefix string) Channel {
	if c := p.known(m, prefix); c != nil {
		return *c
	}
	var c Channel
	if _, ok := m.Lookup(prefix + "Uniqueid"); ok {
		snapshotChannel(&c, m, prefix)
	}
	return c
}

func (p *PBX) dialBegin(m ami.Message, at time.Time) Event {
	e := DialBegin{At: at, Caller: p.party(m, ""), Dest: p.party(m, "Dest"), DialString: unknown(m.Get("DialString"))}
	if _, _, ok := deviceOf(e.Dest.Name); ok && e.Dest.Uniqueid != "" {
		p.st.phoneLegs[e.Dest.Uniqueid] = &phoneLeg{caller: e.Caller.Uniqueid, queue: p.st.queueDialling(e.Caller)}
	}
	return e
}

// dialEnd reports the end of a dial once: app_queue publishes a second
// DialEnd (CANCEL) for a member that lost the race to another member
// (transcript ami-03); it is dropped.
func (p *PBX) dialEnd(m ami.Message, at time.Time) (Event, bool) {
	e := DialEnd{At: at, Caller: p.party(m, ""), Dest: p.party(m, "Dest"), DialStatus: m.Get("DialStatus"), Forward: m.Get("Forward")}
	if id := e.Dest.Uniqueid; id != "" {
		if p.st.dialEnded[id] {
			return nil, false
		}
		p.st.dialEnded[id] = true
	}
	if e.DialStatus == "ANSWER" {
		p.st.answered(e.Caller, e.Dest)
	}
	return e, true
}

// cdrFields are the headers of cdr_manager's fixed part; any other header
// comes from its [mappings].
var cdrFields = map[string]bool{
	"event": true, "privilege": true, "timestamp": true, "systemname": true,
	"accountcode": true, "source": true, "destination": true, "destinationcontext": true,
	"callerid": true, "channel": true, "destinationchannel": true, "lastapplication": true,
	"lastdata": true, "starttime": true, "answertime": true, "endtime": true, "duration": true,
	"billableseconds": true, "disposition": true, "amaflags": true, "uniqueid": true, "userfield": true,
}

func (p *PBX) cdr(m ami.Message, at time.Time) Event {
	r := CDR{
		At: at, AccountCode: m.Get("AccountCode"), Source: m.Get("Source"), Destination: m.Get("Destination"),
		DestinationContext: m.Get("DestinationContext"), CallerID: m.Get("CallerID"),
		Channel: m.Get("Channel"), DestinationChannel: m.Get("DestinationChannel"),
		LastApplication: m.Get("LastApplication"), LastData: m.Get("LastData"),
		StartTime: m.Get("StartTime"), AnswerTime: m.Get("AnswerTime"), EndTime: m.Get("EndTime"),
		Duration: atoi(m.Get("Duration")), BillableSeconds: atoi(m.Get("BillableSeconds")),
		Disposition: m.Get("Disposition"), AMAFlags: m.Get("AMAFlags"),
		UniqueID: m.Get("UniqueID"), UserField: m.Get("UserField"),
	}
	for k, v := range m.All() {
		if !cdrFields[strings.ToLower(k)] {
			if r.Extra == nil {
				r.Extra = map[string]string{}
			}
			r.Extra[k] = v
		}
	}
	if c, ok := p.st.channels[r.UniqueID]; ok {
		r.Linkedid = c.Linkedid
		r.RecordFile = p.st.recordings[r.UniqueID]
	} else {
		r.Linkedid = p.st.ended.linkedid[r.UniqueID]
		r.RecordFile = p.st.ended.recording[r.UniqueID]
	}
	r.RecordFile = cmp.Or(FieldOf(r.Extra, "RecordFile"), r.RecordFile)
	if v := r.Extra["Linkedid"]; v != "" {
		r.Linkedid = v
	}
	r.UserData = p.st.userDataOf(r.UniqueID, r.Linkedid)
	switch {
	case !p.st.isPhone(r.Channel):
		r.Direction = Inbound
	case r.DestinationChannel != "" && !p.st.isPhone(r.DestinationChannel):
		r.Direction = Outbound
	}
	return r
}

// A UserEvent starts with the event's own headers and, when the dialplan
// sent it, the calling channel's snapshot; its body follows (ami-mapping §5.5).
var (
	eventHeaders = map[string]bool{
		"event": true, "privilege": true, "timestamp": true, "systemname": true, "userevent": true, "actionid": true,
	}
	snapshotHeaders = map[string]bool{
		"channel": true, "channelstate": true, "channelstatedesc": true, "calleridnum": true,
		"calleridname": true, "connectedlinenum": true, "connectedlinename": true, "language": true,
		"accountcode": true, "context": true, "exten": true, "priority": true, "uniqueid": true, "linkedid": true,
	}
)

func (p *PBX) userEvent(m ami.Message, at time.Time) UserEvent {
	e := UserEvent{At: at, Name: m.Get("UserEvent"), Channel: p.party(m, ""), Fields: map[string]string{}}
	snapshot := e.Channel.Uniqueid != ""
	// The body may repeat a header's name (the lab's IVRStep sends its own
	// CallerIDNum): only the first occurrence belongs to the event.
	seen := map[string]bool{}
	for k, v := range m.All() {
		lk := strings.ToLower(k)
		if !seen[lk] && (eventHeaders[lk] || snapshot && snapshotHeaders[lk]) {
			seen[lk] = true
			continue
		}
		e.Fields[k] = v
	}
	if id := e.Channel.Uniqueid; id != "" {
		if !p.st.isPhone(e.Channel.Name) {
			e.Direction = Inbound
		}
		last := p.st.userEvents[id]
		if last == nil {
			last = map[string]time.Time{}
			p.st.userEvents[id] = last
		}
		name := strings.ToLower(e.Name)
		e.Since = last[name]
		if e.Since.IsZero() {
			e.Since = e.Channel.Created
		}
		last[name] = at
	}
	return e
}

// isPhone reports whether a channel belongs to an extension: its device
// (SIP/801 of SIP/801-0000000a) is in an extension's hint, or, for a Local
// channel, its exten@context has a hint. Without any hint, every SIP peer
// and PJSIP endpoint counts as an extension.
func (s *state) isPhone(channel string) bool {
	if channel == "" {
		return false
	}
	if rest, ok := cutPrefixFold(channel, "Local/"); ok {
		if i := strings.LastIndexByte(rest, '-'); i > 0 {
			rest = rest[:i]
		}
		_, ok := s.hints[rest]
		return ok
	}
	device := channelDevice(channel)
	if len(s.hints) == 0 {
		tech, name, ok := strings.Cut(device, "/")
		_, known := s.peers[strings.ToUpper(tech)+"/"+name]
		return ok && known
	}
	for _, h := range s.hints {
		if hintHas(h.Device, device) {
			return true
		}
	}
	return false
}

// channelDevice is the device of a channel: SIP/801 of SIP/801-0000000a.
func channelDevice(channel string) string {
	if i := strings.LastIndexByte(channel, '-'); i > 0 {
		return channel[:i]
	}
	return channel
}

// hintHas reports whether a hint ("SIP/801&PJSIP/801") names device.
func hintHas(hint, device string) bool {
	for d := range strings.SplitSeq(hint, "&") {
		if strings.EqualFold(d, device) {
			return true
		}
	}
	return false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
