package pbx

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// resync reloads the whole model from Asterisk and then emits, as
// reconstructed events, what changed while the model was not looking: a
// channel that ended while we were disconnected gets its hangup, so nothing
// downstream waits forever for an event that was lost.
func (p *PBX) resync(parent context.Context) {
	ctx, cancel := context.WithTimeout(parent, 30*time.Second)
	defer cancel()
	started := time.Now()
	next, err := p.load(ctx)
	if err != nil {
		if parent.Err() == nil { // not shutting down: try again soon
			p.log.Warn("resync failed; will retry", "err", err)
			time.AfterFunc(2*time.Second, p.wantResync)
		}
		return
	}
	now := p.opts.Clock.Now()
	var out []Event
	old := p.st
	next.ended = old.ended
	for id, c := range old.channels {
		if nc, ok := next.channels[id]; ok {
			nc.Created = c.Created // ours is more precise than HH:MM:SS
			if u, ok := old.userEvents[id]; ok {
				next.userEvents[id] = u
			}
			if l, ok := old.phoneLegs[id]; ok {
				next.phoneLegs[id] = l
			}
			if f, ok := old.recordings[id]; ok {
				next.recordings[id] = f
			}
			// Asterisk has no Queue of a channel to read back (but a
			// waiting caller's QueueEntry, in load): ours stands.
			nc.Queue = cmp.Or(nc.Queue, c.Queue)
			if c.Held && !nc.Held { // a phone's own hold leaves no variable to read back
				nc.Held, nc.HeldSince = true, c.HeldSince
			} else if nc.Held && !c.HeldSince.IsZero() {
				nc.HeldSince = c.HeldSince
			}
			continue
		}
		next.ended.add(c.Uniqueid, c.Linkedid, old.recordings[id], old.userDataOf(id, c.Linkedid))
		out = append(out, ChannelHangup{At: now, Channel: *c, Reconstructed: true})
	}
	// Queue calls go on while their channels live; one whose caller is gone
	// ended while Asterisk was away.
	next.completeDue = old.completeDue
	for id, t := range old.queueCalls {
		if _, ok := next.channels[id]; ok {
			next.queueCalls[id] = t
			if _, ok := next.channels[t.agentChan]; ok {
				next.agentOf[t.agentChan] = id
			}
			continue
		}
		out = append(out, QueueCallEnded{At: now, Call: t.finish(now)})
	}
	next.keepSince(old)
	for key, h := range next.hints {
		if oh, ok := old.hints[key]; ok && oh.Status != h.Status {
			out = append(out, HintChanged{At: now, Hint: *h, Reconstructed: true})
		}
	}
	p.st, p.connected, p.synced = next, true, true
	p.pub.all, p.pub.changed = true, peersChanged|hintsChanged|queuesChanged|connectionChanged
	p.log.Info("model synced", "channels", len(next.channels), "phones", len(next.peers),
		"hints", len(next.hints), "queues", len(next.queues), "took", time.Since(started).Round(time.Millisecond))
	p.out = append(p.out, out...)
	p.out = append(p.out, Synced{At: now})
}

func (p *PBX) wantResync() {
	select {
	case p.resyncReq <- struct{}{}:
	default:
	}
}

// load reads a complete state from Asterisk.
func (p *PBX) load(ctx context.Context) (*state, error) {
	st := newState()
	now := p.opts.Clock.Now()
	res, err := p.ami.Do(ctx, ami.Action{Name: "CoreShowChannels"})
	if err != nil {
		return nil, fmt.Errorf("load channels: %w", err)
	}
	for _, m := range res.Events {
		c := &Channel{}
		snapshotChannel(c, m, "")
		c.BridgeID = m.Get("BridgeId")
		c.Application = m.Get("Application")
		c.Created = now.Add(-parseDuration(m.Get("Duration")))
		st.channels[c.Uniqueid] = c
	}
	if err := p.loadAgentVariables(ctx, st); err != nil {
		return nil, err
	}
	if err := p.loadPhones(ctx, st); err != nil {
		return nil, err
	}
	res, err = p.ami.Do(ctx, ami.Action{Name: "ExtensionStateList"})
	if err != nil && !isEmptyList(err) {
		return nil, fmt.Errorf("load hints: %w", err)
	}
	for _, m := range res.Events {
		h := hintFrom(m)
		st.hints[h.Exten+"@"+h.Context] = &h
	}
	res, err = p.ami.Do(ctx, ami.Action{Name: "QueueStatus"})
	if err != nil {
		return nil, fmt.Errorf("load queues: %w", err)
	}
	for _, m := range res.Events {
		switch m.Event() {
		case "QueueParams":
			st.queues[m.Get("Queue")] = &Queue{Name: m.Get("Queue")}
		case "QueueMember":
			mem := memberFrom(m)
			q, ok := st.queues[mem.Queue]
			if !ok {
				q = &Queue{Name: mem.Queue}
				st.queues[mem.Queue] = q
			}
			q.setMember(mem)
		case "QueueEntry":
			st.loadWaiting(m, now)
		}
	}
	st.sortWaiting()
	return st, nil
}

// loadPhones reads SIP peers and PJSIP endpoints with their contacts. A
// missing channel driver answers "Invalid/unknown command": no phones of
// that kind. PJSIPShowContacts exists from Asterisk 16; before it the
// endpoints are listed without address.
func (p *PBX) loadPhones(ctx context.Context, st *state) error {
	res, err := p.list(ctx, "SIPpeers")
	if err != nil && !isEmptyList(err) {
		return fmt.Errorf("load SIP peers: %w", err)
	}
	for _, m := range res.Events {
		name := m.Get("ObjectName")
		addr := m.Get("IPaddress")
		if addr == "" {
			addr = "-none-"
		}
		status := m.Get("Status")
		if addr == "-none-" {
			// chan_sip keeps the last qualify time of a phone that
			// unregistered ("OK (1 ms)" beside -none-); the contract says
			// an unregistered phone is UNKNOWN, as the PeerStatus
			// Unregistered event makes it between resyncs.
			status = "UNKNOWN"
		}
		st.peers["SIP/"+name] = &Peer{Name: name, Tech: SIP, Addr: addr, Status: status}
	}
	res, err = p.ami.Do(ctx, ami.Action{Name: "PJSIPShowEndpoints"})
	if err != nil && !isEmptyList(err) {
		return fmt.Errorf("load PJSIP endpoints: %w", err)
	}
	if len(res.Events) == 0 {
		return nil
	}
	for _, m := range res.Events {
		name := m.Get("ObjectName")
		st.peers["PJSIP/"+name] = &Peer{Name: name, Tech: PJSIP, Addr: "-none-", Status: "UNKNOWN"}
	}
	res, err = p.ami.Do(ctx, ami.Action{Name: "PJSIPShowContacts"})
	if err != nil && !isEmptyList(err) {
		return fmt.Errorf("load PJSIP contacts: %w", err)
	}
	for _, m := range res.Events {
		pe, ok := st.peers["PJSIP/"+m.Get("Endpoint")]
		if !ok || pe.Addr != "-none-" {
			continue // first contact wins, as PJSIP/<endpoint> dials the first
		}
		if via := m.Get("ViaAddr"); via != "" {
			pe.Addr = via
		} else {
			pe.Addr = uriHost(m.Get("Uri"))
		}
		pe.Status = peerStatus(m.Get("Status"), usec(m.Get("RoundtripUsec")))
	}
	return nil
}

// syncPhones re-reads only the phones (after registrations change).
func (p *PBX) syncPhones(ctx context.Context) {
	if !p.ami.Connected() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st := newState()
	if err := p.loadPhones(ctx, st); err != nil {
		p.log.Debug("phone refresh failed", "err", err)
		return
	}
	p.st.peers = st.peers
	p.pub.changed |= peersChanged
}

// list sends an action that lists things, unless Asterisk said on this
// connection that it does not know it: then, and when it says so now, the
// list is empty.
func (p *PBX) list(ctx context.Context, name string) (ami.Result, error) {
	if p.unknown[name] {
		return ami.Result{}, nil
	}
	res, err := p.ami.Do(ctx, ami.Action{Name: name})
	if isResponse(err, "invalid/unknown command") {
		p.unknown[name] = true
		return ami.Result{}, nil
	}
	return res, err
}

// isEmptyList tells an error that means "nothing of that kind" — Asterisk
// answers an empty list, or an action of a module not loaded, with an Error.
func isEmptyList(err error) bool {
	return isResponse(err, "no endpoints found") || isResponse(err, "no contacts found") ||
		isResponse(err, "no dialplan hints") || isResponse(err, "invalid/unknown command")
}

// loadAgentVariables reads the variables of the agent's verbs of every
// channel (Status, Variables: …): userData, hold, mute, consult. Without
// channels there is nothing to ask.
func (p *PBX) loadAgentVariables(ctx context.Context, st *state) error {
	if len(st.channels) == 0 {
		return nil
	}
	res, err := p.ami.Do(ctx, ami.Action{Name: "Status", Headers: []ami.Header{h("Variables", statusVariables)}})
	if err != nil && !isEmptyList(err) {
		return fmt.Errorf("load channel variables: %w", err)
	}
	for _, m := range res.Events {
		if c, ok := st.channels[m.Get("Uniqueid")]; ok && m.Event() == "Status" {
			p.statusVariablesOf(c, m)
			if c.Held && c.HeldSince.IsZero() {
				c.HeldSince = c.Created // not known: since the channel is, at most
			}
		}
	}
	for _, c := range st.channels {
		if c.UserData != "" && c.Linkedid != "" {
			st.callData[c.Linkedid] = c.UserData
		}
	}
	for _, c := range st.channels { // legs that did not inherit it (bridged in later) are the call's too
		if c.UserData == "" {
			c.UserData = st.callData[c.Linkedid]
		}
	}
	return nil
}
