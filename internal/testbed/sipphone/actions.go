package sipphone

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Answer answers a ringing incoming call with 200 OK and SDP, repeated
// until the PBX acknowledges it.
func (c *Call) Answer() error {
	p := c.p
	p.mu.Lock()
	if c.state != Ringing {
		p.mu.Unlock()
		return p.errorf("answer: the call is %v, not ringing", c.State())
	}
	data, acked := c.finalResponse(c.invite, 200, "OK", "sendrecv")
	c.setState(Confirmed)
	dst := c.src
	p.mu.Unlock()
	if p.untilAck(data, dst, acked, c.ended) {
		return nil
	}
	select {
	case <-c.ended:
		return p.errorf("answer: the call ended before the ACK")
	default:
	}
	_ = c.bye() // RFC 3261 13.3.1.4: no ACK, so the dialog ends
	return p.errorf("answer: no ACK within %v", giveUp)
}

// Hangup ends the call the way its state asks: BYE when answered, CANCEL
// while our call rings at the other end, 486 Busy Here to a call ringing
// here. A call already over is left alone.
func (c *Call) Hangup() error {
	p := c.p
	p.mu.Lock()
	switch c.state {
	case Ended:
		p.mu.Unlock()
		return nil
	case Early:
		p.mu.Unlock()
		return c.cancel()
	case Ringing:
		data, acked := c.finalResponse(c.invite, 486, "Busy Here", "")
		c.setState(Ended)
		dst := c.src
		p.mu.Unlock()
		p.untilAck(data, dst, acked, nil)
		return nil
	}
	p.mu.Unlock()
	return c.bye()
}

// bye ends a confirmed call; it is over for us whatever the PBX answers.
func (c *Call) bye() error {
	_, err := c.inDialog("BYE", nil)
	c.p.mu.Lock()
	c.setState(Ended)
	c.p.mu.Unlock()
	return err
}

// cancel stops our INVITE. RFC 3261 9.1 allows CANCEL only once a
// provisional response came, so it waits for one; the INVITE then ends
// with 487, which run acknowledges. If the PBX answered meanwhile, the
// call is up and gets a BYE instead.
func (c *Call) cancel() error {
	p := c.p
	ctx, cancel := context.WithTimeout(context.Background(), giveUp)
	defer cancel()
	if err := p.await(ctx, func() bool { return c.state != Early || isClosed(c.answered) }); err != nil {
		return p.errorf("CANCEL: no provisional response to cancel: %w", err)
	}
	p.mu.Lock()
	if c.state != Early {
		confirmed := c.state == Confirmed
		p.mu.Unlock()
		if confirmed {
			return c.bye()
		}
		return nil
	}
	seq, _ := c.invite.cseq()
	req := &message{method: "CANCEL", uri: c.invite.uri}
	req.copyHeaders(c.invite, "Via", "Route", "Max-Forwards", "From", "To", "Call-ID")
	req.add("CSeq", fmt.Sprintf("%d CANCEL", seq))
	p.mu.Unlock()
	resp, err := p.transact(ctx, p.pbx, req, nil)
	if err != nil {
		return p.errorf("CANCEL: %w", err)
	}
	if resp.status >= 300 {
		return p.statusError("CANCEL", resp)
	}
	if err := p.await(ctx, func() bool { return c.state != Early }); err != nil {
		return p.errorf("CANCEL: the INVITE did not end: %w", err)
	}
	if c.State() == Confirmed {
		return c.bye()
	}
	return nil
}

// Hold puts the call on hold: a re-INVITE offering a=sendonly.
func (c *Call) Hold() error { return c.reinvite(true) }

// Unhold takes the call off hold: a re-INVITE offering a=sendrecv.
func (c *Call) Unhold() error { return c.reinvite(false) }

// reinvite offers our description again with the direction hold asks for.
// Asterisk re-INVITEs phones too (chan_sip moves media, pjsip updates the
// connected line); if both cross, each side answers 491 and we retry
// after a short random wait (RFC 3261 14.1).
func (c *Call) reinvite(hold bool) error {
	p := c.p
	direction := "sendrecv"
	if hold {
		direction = "sendonly"
	}
	for attempt := 0; ; attempt++ {
		p.mu.Lock()
		if c.state != Confirmed || c.reinviting {
			p.mu.Unlock()
			return p.errorf("re-INVITE: the call is %v", c.State())
		}
		c.reinviting = true
		p.mu.Unlock()
		resp, err := c.inDialog("INVITE", func(m *message) {
			c.sdpVersion++
			m.add("Contact", p.contact())
			m.add("Content-Type", "application/sdp")
			m.body = c.sdp(direction)
		})
		p.mu.Lock()
		c.reinviting = false
		if err == nil {
			c.held = hold
			c.confirm(resp)
		}
		p.mu.Unlock()
		if resp == nil || resp.status != 491 || attempt == 3 {
			return err
		}
		time.Sleep(time.Duration(100+rand.IntN(400)) * time.Millisecond)
	}
}

// Transfer hands the call to number (blind transfer): REFER with
// Refer-To sip:number@pbx. After the 202 the PBX reports the outcome in a
// NOTIFY; Transfer returns its error, or nil once it says 2xx, and the
// phone then hangs up its side with BYE, as a real phone does. A refused
// transfer leaves the call up.
func (c *Call) Transfer(number string) error {
	p := c.p
	result := make(chan string, 1)
	p.mu.Lock()
	if c.state != Confirmed || c.transfer != nil {
		state := c.state
		p.mu.Unlock()
		return p.errorf("transfer: the call is %v or already transferring", state)
	}
	c.transfer = result // before the REFER leaves: the NOTIFY may beat the 202
	p.mu.Unlock()
	_, err := c.inDialog("REFER", func(m *message) {
		m.add("Contact", p.contact())
		m.add("Refer-To", "<sip:"+number+"@"+p.pbxHost+">")
		m.add("Referred-By", "<sip:"+p.cfg.Ext+"@"+p.pbxHost+">")
	})
	if err == nil {
		timer := time.NewTimer(giveUp)
		defer timer.Stop()
		select {
		case status := <-result:
			if status[0] != '2' {
				err = p.errorf("transfer to %s: %s", number, status)
			}
		case <-c.ended: // the PBX hung up on us: transferred, report or not
		case <-timer.C:
			err = p.errorf("transfer to %s: no outcome within %v", number, giveUp)
		case <-p.done:
			err = p.errorf("transfer to %s: %w", number, errClosed)
		}
	}
	p.mu.Lock()
	if c.transfer == result {
		c.transfer = nil
	}
	p.mu.Unlock()
	return err
}

// BlindTransfer is Transfer as a person does it. Right after an answer
// Asterisk may refuse a transfer in its NOTIFY until it has bridged the
// two channels (chan_sip: "503 Service Unavailable (can't handle
// one-legged xfers)", pjsip: "400 Bad Request"), leaving the call up; a
// person is never that quick, so while the call is up a refused transfer
// is tried again, for about a second.
func (c *Call) BlindTransfer(number string) error {
	var err error
	for range 20 {
		if err = c.Transfer(number); err == nil || c.State() != Confirmed {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
