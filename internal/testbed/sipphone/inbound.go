package sipphone

import (
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"time"
)

// read is the phone's only reader of its socket: responses go to their
// client transaction, requests are answered at once. It never blocks on
// anything but the socket, so a slow test cannot stall the PBX's view of
// the phone.
func (p *Phone) read() {
	buf := make([]byte, maxMessage)
	for {
		n, src, err := p.conn.ReadFromUDP(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		if p.cfg.Logf != nil {
			p.cfg.Logf("sipphone %s <- %s\n%s", p.cfg.Ext, src, buf[:n])
		}
		m, err := parse(buf[:n])
		if err != nil {
			continue // keep-alives, garbage: a phone ignores them
		}
		if m.method == "" {
			p.deliver(m)
			continue
		}
		p.serve(m, src)
	}
}

// deliver hands a response to its client transaction, matched by branch
// and CSeq method. A 2xx to an INVITE whose transaction is over is a
// retransmission because our ACK was lost: it gets the ACK again.
func (p *Phone) deliver(resp *message) {
	seq, method := resp.cseq()
	p.mu.Lock()
	defer p.mu.Unlock()
	if tx, ok := p.txs[resp.branch()+" "+method]; ok {
		select {
		case tx <- resp:
		default: // a burst of duplicates; the first ones are enough
		}
		return
	}
	if c := p.call(resp.get("Call-ID")); c != nil && method == "INVITE" && resp.status < 300 && c.lastAck != nil {
		if ackSeq, _ := c.lastAck.cseq(); ackSeq == seq {
			p.send(c.lastAck.bytes(), c.dest())
		}
	}
}

// serve answers a request from the PBX.
func (p *Phone) serve(req *message, src *net.UDPAddr) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch req.method {
	case "INVITE":
		p.onInvite(req, src)
	case "ACK":
		if c := p.call(req.get("Call-ID")); c != nil && c.acked != nil {
			if seq, _ := req.cseq(); seq == c.ackSeq {
				close(c.acked)
				c.acked = nil
				p.notify()
			}
		}
	case "CANCEL":
		p.onCancel(req, src)
	case "BYE":
		c := p.call(req.get("Call-ID"))
		if c == nil {
			p.reply(req, src, 481, "Call/Transaction Does Not Exist", "")
			return
		}
		p.reply(req, src, 200, "OK", "")
		c.setState(Ended)
	case "NOTIFY":
		p.reply(req, src, 200, "OK", newID())
		p.onNotify(req)
	case "OPTIONS", "INFO":
		// In or out of a dialog: qualify, REFER progress, message waiting.
		p.reply(req, src, 200, "OK", newID())
	default:
		p.reply(req, src, 501, "Not Implemented", newID())
	}
}

// onInvite rings a new call, answers a re-INVITE, or repeats our last
// response to a retransmitted INVITE.
func (p *Phone) onInvite(req *message, src *net.UDPAddr) {
	seq, _ := req.cseq()
	c := p.call(req.get("Call-ID"))
	switch {
	case c != nil && seq == c.remoteSeq:
		if c.lastResp != nil {
			p.send(c.lastResp, src)
		}
		return
	case c != nil:
		p.onReinvite(c, req, src, seq)
		return
	case p.closing:
		p.reply(req, src, 480, "Temporarily Unavailable", newID())
		return
	}
	c = &Call{p: p, incoming: true, state: Ringing, ended: make(chan struct{}), src: src,
		callID: req.get("Call-ID"), invite: req, remoteSeq: seq,
		local: withoutTag(req.get("To")), localTag: newID(),
		remote: withoutTag(req.get("From")), remoteTag: param(req.get("From"), "tag"),
		target: addrURI(req.get("Contact")), routes: req.values("Record-Route"),
		sdpSession: rand.Uint32(), sdpVersion: 1}
	p.calls = append(p.calls, c)
	p.notify()
	p.reply(req, src, 100, "Trying", "")
	ringing := response(req, 180, "Ringing", c.localTag)
	ringing.add("Contact", p.contact())
	c.lastResp = ringing.bytes()
	p.send(c.lastResp, src)
	if d := p.autoAnswer; d > 0 {
		p.wg.Go(func() { c.answerAfter(d) })
	}
}

// onReinvite answers a re-INVITE (Asterisk moving media or updating the
// connected line) with our description, direction mirrored, and waits for
// the ACK in the background.
func (p *Phone) onReinvite(c *Call, req *message, src *net.UDPAddr, seq int) {
	switch {
	case c.state == Ended:
		p.reply(req, src, 481, "Call/Transaction Does Not Exist", c.localTag)
		return
	case c.state != Confirmed || c.reinviting:
		p.reply(req, src, 491, "Request Pending", c.localTag)
		return
	}
	c.remoteSeq = seq
	if contact := req.get("Contact"); contact != "" {
		c.target = addrURI(contact)
	}
	c.sdpVersion++
	data, acked := c.finalResponse(req, 200, "OK", answerDirection(sdpDirection(req.body), c.held))
	ended := c.ended
	p.wg.Go(func() { p.untilAck(data, src, acked, ended) })
}

// onCancel stops a call that still rings: 200 to the CANCEL, 487 to the
// INVITE, repeated until the ACK. A CANCEL that crossed our 200 changes
// nothing (RFC 3261 9.2); the caller then hangs up with BYE.
func (p *Phone) onCancel(req *message, src *net.UDPAddr) {
	c := p.call(req.get("Call-ID"))
	if c == nil || !c.incoming {
		p.reply(req, src, 481, "Call/Transaction Does Not Exist", newID())
		return
	}
	p.reply(req, src, 200, "OK", c.localTag)
	if c.state != Ringing {
		return
	}
	data, acked := c.finalResponse(c.invite, 487, "Request Terminated", "")
	c.setState(Ended)
	p.wg.Go(func() { p.untilAck(data, src, acked, nil) })
}

// onNotify passes the outcome of our REFER to Transfer, and hangs up
// once the PBX reports success, as the transferor should (RFC 5589 6.1):
// chan_sip waits for that BYE and never sends its own.
func (p *Phone) onNotify(req *message) {
	c := p.call(req.get("Call-ID"))
	if c == nil || c.transfer == nil || !strings.HasPrefix(strings.ToLower(req.get("Event")), "refer") {
		return
	}
	// The body is a sipfrag: "SIP/2.0 200 OK", or 1xx while in progress.
	frag, _, _ := strings.Cut(strings.TrimSpace(string(req.body)), "\n")
	status := strings.TrimSpace(strings.TrimPrefix(frag, "SIP/2.0 "))
	if len(status) < 3 || status[0] == '1' {
		return
	}
	c.transfer <- status
	c.transfer = nil
	if status[0] == '2' {
		p.wg.Go(func() { _ = c.bye() })
	}
}

// answerAfter answers c after it has rung for d, unless it stopped ringing.
func (c *Call) answerAfter(d time.Duration) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		if c.State() == Ringing {
			_ = c.Answer()
		}
	case <-c.ended:
	case <-c.p.done:
	}
}

// response starts a response to req: Via, From, To (with tag added if it
// has none and tag is set), Call-ID, CSeq and Record-Route copied.
func response(req *message, status int, reason, tag string) *message {
	m := &message{status: status, reason: reason}
	m.copyHeaders(req, "Via", "From")
	to := req.get("To")
	if tag != "" && status > 100 && param(to, "tag") == "" {
		to += ";tag=" + tag
	}
	m.add("To", to)
	m.copyHeaders(req, "Call-ID", "CSeq")
	if req.method == "INVITE" && status > 100 && status < 300 {
		m.copyHeaders(req, "Record-Route")
	}
	if status == 200 && (req.method == "INVITE" || req.method == "OPTIONS") {
		m.add("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, INFO, REFER")
		m.add("Accept", "application/sdp")
	}
	m.add("Server", "coocenterd sipphone")
	return m
}

// reply sends a response without a body.
func (p *Phone) reply(req *message, src *net.UDPAddr, status int, reason, tag string) {
	p.send(response(req, status, reason, tag).bytes(), src)
}

// call returns the newest call with the given Call-ID, nil if none; p.mu held.
func (p *Phone) call(callID string) *Call {
	for i := len(p.calls) - 1; i >= 0; i-- {
		if p.calls[i].callID == callID {
			return p.calls[i]
		}
	}
	return nil
}

func (p *Phone) contact() string { return "<sip:" + p.cfg.Ext + "@" + p.local + ">" }
