package pbx

import (
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// apply folds one AMI event into the model. Events are applied in the order
// Asterisk sent them; channel state is keyed by Uniqueid (names change).
func (p *PBX) apply(m ami.Message) {
	at := eventAt(m, p.opts.Clock.Now())
	var out []Event
	p.mu.Lock()
	name := strings.ToLower(m.Event())
	switch name {
	case "newchannel":
		c := &Channel{Created: at}
		snapshotChannel(c, m, "")
		if c.Uniqueid != "" {
			p.st.channels[c.Uniqueid] = c
		}
	case "hangup":
		if c, ok := p.st.channels[m.Get("Uniqueid")]; ok {
			snapshotChannel(c, m, "")
			_, blacklisted := p.st.userEvents[c.Uniqueid][blacklistedEvent]
			phoneCall, phoneCallEnded := p.st.extensionCallEnded(c, at)
			p.st.forget(c)
			out = append(out, ChannelHangup{At: at, Channel: *c, Cause: atoi(m.Get("Cause")), CauseText: m.Get("Cause-txt"), Blacklisted: blacklisted})
			if e, ok := p.endQueueCall(c, at, m.Get("Cause-txt")); ok {
				out = append(out, e)
			}
			if phoneCallEnded {
				out = append(out, phoneCall)
			}
		}
	case "dialbegin":
		out = append(out, p.dialBegin(m, at))
	case "dialend":
		if e, ok := p.dialEnd(m, at); ok {
			out = append(out, e)
		}
	case "cdr":
		out = append(out, p.cdr(m, at))
	case "userevent":
		e := p.userEvent(m, at)
		p.noteUserEvent(e)
		out = append(out, e)
	case "queuecallerjoin", "queuecallerleave", "queuecallerabandon", "agentcalled", "agentringnoanswer",
		"agentconnect", "agentcomplete", "hold", "unhold", "blindtransfer", "varset":
		p.known(m, "")
		p.known(m, "Dest")
		out = append(out, p.applyQueue(name, m, at)...)
	case "rename":
		if c, ok := p.st.channels[m.Get("Uniqueid")]; ok {
			c.Name = m.Get("Newname")
		}
	case "bridgeenter":
		if c := p.known(m, ""); c != nil {
			c.BridgeID = m.Get("BridgeUniqueid")
		}
	case "bridgeleave":
		if c := p.known(m, ""); c != nil {
			c.BridgeID = ""
			p.leftBridge(c.Uniqueid, at)
		}
	case "newexten":
		if c := p.known(m, ""); c != nil {
			c.Application = m.Get("Application")
			p.noteDialplan(c.Uniqueid, m.Get("Context"), at)
		}
	case "chanspystart":
		if c := p.known(m, "Spyer"); c != nil {
			c.Application = "ChanSpy"
		}
	case "chanspystop":
		if c := p.known(m, "Spyer"); c != nil {
			c.Application = ""
		}
	case "extensionstatus":
		if m.ActionID() == "" { // list items of ExtensionStateList carry one
			h := hintFrom(m)
			old, ok := p.st.hints[h.Exten+"@"+h.Context]
			p.st.hints[h.Exten+"@"+h.Context] = &h
			if !ok || old.Status != h.Status {
				out = append(out, HintChanged{At: at, Hint: h})
			}
		}
	case "peerstatus":
		p.applyPeerStatus(m)
	case "contactstatus":
		p.applyContactStatus(m)
	case "queuememberadded", "queuememberstatus", "queuememberpause", "queuememberpenalty", "queuememberringinuse":
		mem := memberFrom(m)
		q := p.queue(mem.Queue)
		q.setMember(mem)
		out = append(out, p.applyQueue(name, m, at)...)
	case "queuememberremoved":
		p.queue(m.Get("Queue")).removeMember(first(m, "Interface", "Location"))
	default:
		// Every other channel event carries the channel's current snapshot
		// (and the destination's, prefixed Dest): keep them fresh.
		p.known(m, "")
		p.known(m, "Dest")
	}
	p.mu.Unlock()
	for _, e := range out {
		p.emit(e)
	}
}

// known refreshes and returns the channel the event's snapshot names, if the
// model has it; p.mu is held.
func (p *PBX) known(m ami.Message, prefix string) *Channel {
	c, ok := p.st.channels[m.Get(prefix+"Uniqueid")]
	if !ok {
		return nil
	}
	snapshotChannel(c, m, prefix)
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

// applyPeerStatus handles chan_sip and PJSIP endpoint status changes. The
// round-trip time of a new registration is only known after qualify, so a
// debounced re-read of the phones follows.
func (p *PBX) applyPeerStatus(m ami.Message) {
	tech, name, ok := strings.Cut(m.Get("Peer"), "/")
	if !ok {
		return
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
	p.wantPhoneRefresh()
}

func (p *PBX) applyContactStatus(m ami.Message) {
	name := m.Get("EndpointName")
	if name == "" {
		return
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
	p.wantPhoneRefresh()
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
