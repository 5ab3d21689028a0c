package pbx

import (
	"cmp"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// An applier folds one AMI event into the model's working state and
// returns the domain events it makes; it runs on the model's goroutine.
type applier func(p *PBX, m ami.Message, at time.Time) []Event

// appliers holds the one applier of each AMI event the model follows, by
// lower-case name. Any other event that carries a channel's snapshot
// refreshes it; the rest are ignored.
var appliers = map[string]applier{
	"newchannel":      (*PBX).newChannel,
	"hangup":          (*PBX).hangup,
	"rename":          (*PBX).rename,
	"dialbegin":       (*PBX).dialBegan,
	"dialend":         (*PBX).dialEnded,
	"cdr":             (*PBX).cdrSeen,
	"userevent":       (*PBX).userEventSeen,
	"bridgeenter":     (*PBX).bridgeEnter,
	"bridgeleave":     (*PBX).bridgeLeave,
	"newexten":        (*PBX).newExten,
	"chanspystart":    (*PBX).chanSpyStart,
	"chanspystop":     (*PBX).chanSpyStop,
	"extensionstatus": (*PBX).extensionStatus,
	"peerstatus":      (*PBX).peerChanged,
	"contactstatus":   (*PBX).contactChanged,

	// A queue call, followed from its caller's channel (queuecalls.go).
	"queuecallerjoin":    snapshots((*PBX).queueCallerJoin),
	"queuecallerleave":   snapshots((*PBX).queueCallerLeave),
	"queuecallerabandon": snapshots((*PBX).queueCallerAbandon),
	"agentcalled":        snapshots((*PBX).agentCalled),
	"agentringnoanswer":  snapshots((*PBX).agentRingNoAnswer),
	"agentconnect":       snapshots((*PBX).agentConnect),
	"agentcomplete":      snapshots((*PBX).agentComplete),
	"hold":               snapshots((*PBX).hold),
	"unhold":             snapshots((*PBX).unhold),
	"blindtransfer":      snapshots((*PBX).blindTransfer),
	"varset":             snapshots((*PBX).varSet),
	"attendedtransfer":   (*PBX).attendedTransfer,

	// Queue members.
	"queuememberadded":     (*PBX).memberChanged,
	"queuememberstatus":    (*PBX).memberChanged,
	"queuememberpenalty":   (*PBX).memberChanged,
	"queuememberringinuse": (*PBX).memberChanged,
	"queuememberpause":     (*PBX).memberPaused,
	"queuememberremoved":   (*PBX).memberRemoved,
}

// fold folds one AMI event into the model's working state; the next
// flush publishes it. Events are applied in the order Asterisk sent them;
// channel state is keyed by Uniqueid (names change). An event the model
// does not follow costs a map lookup.
func (p *PBX) fold(m ami.Message) {
	f, ok := appliers[strings.ToLower(m.Event())]
	if !ok {
		if !hasSnapshot(m) {
			return // nothing of the model's
		}
		f = (*PBX).refreshSnapshots
	}
	p.out = append(p.out, f(p, m, eventAt(m, p.opts.Clock.Now()))...)
}

// apply folds one event and publishes it at once.
func (p *PBX) apply(m ami.Message) {
	p.fold(m)
	p.flush()
}

// hasSnapshot reports whether m carries a channel's snapshot, its own or
// its destination's (headers prefixed Dest).
func hasSnapshot(m ami.Message) bool {
	_, own := m.Lookup("Uniqueid")
	_, dest := m.Lookup("DestUniqueid")
	return own || dest
}

// refreshSnapshots keeps the channels of an event's snapshots fresh:
// every channel event carries the channel's current state.
func (p *PBX) refreshSnapshots(m ami.Message, _ time.Time) []Event {
	p.known(m, "")
	p.known(m, "Dest")
	return nil
}

// snapshots makes an applier refresh the event's snapshots first.
func snapshots(f applier) applier {
	return func(p *PBX, m ami.Message, at time.Time) []Event {
		p.refreshSnapshots(m, at)
		return f(p, m, at)
	}
}

func (p *PBX) newChannel(m ami.Message, at time.Time) []Event {
	c := &Channel{Created: at}
	snapshotChannel(c, m, "")
	c.UserData = p.st.callData[c.Linkedid]
	if c.Uniqueid != "" {
		p.st.channels[c.Uniqueid] = c
		p.pub.touch(c.Uniqueid)
	}
	return nil
}

func (p *PBX) hangup(m ami.Message, at time.Time) []Event {
	p.unwait(m.Get("Uniqueid")) // a QueueCallerLeave comes first; in case it was lost
	c, ok := p.st.channels[m.Get("Uniqueid")]
	if !ok {
		return nil
	}
	snapshotChannel(c, m, "")
	p.pub.touch(c.Uniqueid)
	_, blacklisted := p.st.userEvents[c.Uniqueid][blacklistedEvent]
	phoneCall, phoneCallEnded := p.st.extensionCallEnded(c, at)
	p.st.forget(c)
	out := []Event{ChannelHangup{At: at, Channel: *c, Cause: atoi(m.Get("Cause")), CauseText: m.Get("Cause-txt"), Blacklisted: blacklisted}}
	if e, ok := p.endQueueCall(c, at, m.Get("Cause-txt")); ok {
		out = append(out, e)
	}
	if phoneCallEnded {
		out = append(out, phoneCall)
	}
	return out
}

func (p *PBX) rename(m ami.Message, _ time.Time) []Event {
	if c, ok := p.st.channels[m.Get("Uniqueid")]; ok {
		c.Name = m.Get("Newname")
		p.pub.touch(c.Uniqueid)
	}
	return nil
}

func (p *PBX) dialBegan(m ami.Message, at time.Time) []Event {
	return []Event{p.dialBegin(m, at)}
}

func (p *PBX) dialEnded(m ami.Message, at time.Time) []Event {
	if e, ok := p.dialEnd(m, at); ok {
		return []Event{e}
	}
	return nil
}

func (p *PBX) cdrSeen(m ami.Message, at time.Time) []Event {
	return []Event{p.cdr(m, at)}
}

func (p *PBX) userEventSeen(m ami.Message, at time.Time) []Event {
	e := p.userEvent(m, at)
	p.noteUserEvent(e)
	return []Event{e}
}

func (p *PBX) bridgeEnter(m ami.Message, _ time.Time) []Event {
	if c := p.known(m, ""); c != nil {
		c.BridgeID = m.Get("BridgeUniqueid")
	}
	return nil
}

func (p *PBX) bridgeLeave(m ami.Message, at time.Time) []Event {
	if c := p.known(m, ""); c != nil {
		p.releaseHolds(c)
		c.BridgeID = ""
		p.leftBridge(c.Uniqueid, at)
	}
	return nil
}

func (p *PBX) newExten(m ami.Message, at time.Time) []Event {
	if c := p.known(m, ""); c != nil {
		c.Application = m.Get("Application")
		p.noteDialplan(c.Uniqueid, m.Get("Context"), at)
	}
	return nil
}

func (p *PBX) chanSpyStart(m ami.Message, _ time.Time) []Event {
	if c := p.known(m, "Spyer"); c != nil {
		c.Application = "ChanSpy"
	}
	return nil
}

func (p *PBX) chanSpyStop(m ami.Message, _ time.Time) []Event {
	if c := p.known(m, "Spyer"); c != nil {
		c.Application = ""
	}
	return nil
}

func (p *PBX) extensionStatus(m ami.Message, at time.Time) []Event {
	if m.ActionID() != "" { // list items of ExtensionStateList carry one
		return nil
	}
	h := hintFrom(m)
	old, ok := p.st.hints[h.Exten+"@"+h.Context]
	p.st.hints[h.Exten+"@"+h.Context] = &h
	p.pub.changed |= hintsChanged
	if ok && old.Status == h.Status {
		return nil
	}
	return []Event{HintChanged{At: at, Hint: h}}
}

func (p *PBX) memberChanged(m ami.Message, _ time.Time) []Event {
	mem := memberFrom(m)
	p.queue(mem.Queue).setMember(mem)
	p.pub.changed |= queuesChanged
	return nil
}

func (p *PBX) memberPaused(m ami.Message, at time.Time) []Event {
	p.memberChanged(m, at)
	iface := first(m, "Interface", "Location")
	return []Event{MemberPaused{At: at, Queue: m.Get("Queue"), Interface: iface, Exten: InterfaceExten(iface),
		Paused: truthy(m.Get("Paused")), Reason: cmp.Or(m.Get("PausedReason"), m.Get("Reason"))}}
}

func (p *PBX) memberRemoved(m ami.Message, _ time.Time) []Event {
	p.queue(m.Get("Queue")).removeMember(first(m, "Interface", "Location"))
	p.pub.changed |= queuesChanged
	return nil
}

// known refreshes and returns the channel the event's snapshot names, if the
// model has it; an applier changes a channel only through known (or where
// it adds, renames or forgets one, touching it for publish).
func (p *PBX) known(m ami.Message, prefix string) *Channel {
	c, ok := p.st.channels[m.Get(prefix+"Uniqueid")]
	if !ok {
		return nil
	}
	snapshotChannel(c, m, prefix)
	if c.UserData == "" { // a channel of a call with userData it did not inherit (a bridge joined it to the call)
		c.UserData = p.st.callData[c.Linkedid]
	}
	p.pub.touch(c.Uniqueid)
	return c
}

func (p *PBX) queue(name string) *Queue {
	q, ok := p.st.queues[name]
	if !ok {
		q = &Queue{Name: name}
		p.st.queues[name] = q
	}
	return q
}

func hintFrom(m ami.Message) Hint {
	return Hint{
		Exten: m.Get("Exten"), Context: m.Get("Context"), Device: m.Get("Hint"),
		Status: atoi(m.Get("Status")), StatusText: m.Get("StatusText"),
	}
}

// peerChanged handles chan_sip and PJSIP endpoint status changes. The
// round-trip time of a new registration is only known after qualify, so a
// debounced re-read of the phones follows.
func (p *PBX) peerChanged(m ami.Message, at time.Time) []Event {
	tech, name, ok := strings.Cut(m.Get("Peer"), "/")
	if !ok {
		return nil
	}
	key := strings.ToUpper(tech) + "/" + name
	pe, ok := p.st.peers[key]
	if !ok {
		pe = &Peer{Name: name, Tech: Tech(strings.ToUpper(tech)), Addr: "-none-", Status: "UNKNOWN"}
		p.st.peers[key] = pe
	}
	switch strings.ToLower(m.Get("PeerStatus")) {
	case "registered":
		if addr := m.Get("Address"); addr != "" {
			pe.Addr = hostOnly(addr)
		}
	case "unregistered", "rejected":
		pe.Addr, pe.Status = "-none-", "UNKNOWN"
	case "reachable", "lagged":
		if t := atoi(m.Get("Time")); t > 0 {
			pe.Status = peerStatus(m.Get("PeerStatus"), time.Duration(t)*time.Millisecond)
		}
	case "unreachable":
		pe.Status = "UNREACHABLE"
	}
	p.pub.changed |= peersChanged
	p.wantPhoneRefresh(at)
	return nil
}

func (p *PBX) contactChanged(m ami.Message, at time.Time) []Event {
	name := m.Get("EndpointName")
	if name == "" {
		return nil
	}
	pe, ok := p.st.peers["PJSIP/"+name]
	if !ok {
		pe = &Peer{Name: name, Tech: PJSIP, Addr: "-none-", Status: "UNKNOWN"}
		p.st.peers["PJSIP/"+name] = pe
	}
	switch strings.ToLower(m.Get("ContactStatus")) {
	case "removed":
		pe.Addr, pe.Status = "-none-", "UNKNOWN"
	default:
		pe.Addr = uriHost(m.Get("URI"))
		pe.Status = peerStatus(m.Get("ContactStatus"), usec(m.Get("RoundtripUsec")))
	}
	p.pub.changed |= peersChanged
	p.wantPhoneRefresh(at)
	return nil
}

func usec(s string) time.Duration { return time.Duration(atoi(s)) * time.Microsecond }

// hostOnly drops the port of "ip:port" (IPv6 may come bracketed).
func hostOnly(addr string) string {
	if strings.HasPrefix(addr, "[") {
		if i := strings.Index(addr, "]"); i > 0 {
			return addr[1:i]
		}
	}
	if strings.Count(addr, ":") == 1 {
		addr, _, _ = strings.Cut(addr, ":")
	}
	return addr
}

// uriHost returns the host of a SIP URI such as sip:900@127.0.0.1:5090;ob.
func uriHost(uri string) string {
	rest := uri
	if i := strings.Index(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	} else if _, r, ok := strings.Cut(rest, ":"); ok {
		rest = r
	}
	rest, _, _ = strings.Cut(rest, ";")
	rest, _, _ = strings.Cut(rest, ">")
	if rest == "" {
		return "-none-"
	}
	return hostOnly(rest)
}
