package sipphone

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
)

// CallState is where a call stands.
type CallState int

// The states of a call.
const (
	Ringing   CallState = iota // incoming, not answered
	Early                      // outgoing, not answered
	Confirmed                  // answered
	Ended                      // over: BYE either way, CANCEL, or a final error response
)

var stateNames = [...]string{"Ringing", "Early", "Confirmed", "Ended"}

func (s CallState) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("CallState(%d)", int(s))
}

// Call is one call of a phone, incoming or outgoing: one SIP dialog.
type Call struct {
	p        *Phone
	incoming bool
	ended    chan struct{} // closed on Ended
	answered chan struct{} // outgoing: closed at the first 1xx or 2xx

	// Guarded by p.mu.
	state      CallState
	callID     string
	local      string // our From (outgoing) or To (incoming), without tag
	remote     string
	localTag   string
	remoteTag  string
	target     string   // remote target, the Request-URI of requests in the dialog
	routes     []string // route set, sent as Route headers
	localSeq   int      // CSeq of our last request
	remoteSeq  int      // CSeq of the PBX's last INVITE
	invite     *message // the INVITE that made the call (incoming) or our last one
	src        *net.UDPAddr
	lastResp   []byte        // our last response to the PBX's last INVITE, for its retransmissions
	ackSeq     int           // CSeq of the INVITE whose final response waits for ACK
	acked      chan struct{} // closed when that ACK arrives
	lastAck    *message      // our ACK to a 2xx, for its retransmissions
	reinviting bool
	transfer   chan string // while our REFER is pending: gets the final sipfrag status
	held       bool
	sdpSession uint32
	sdpVersion int
}

// Incoming reports whether the PBX called us.
func (c *Call) Incoming() bool { return c.incoming }

// Ended is closed when the call is over.
func (c *Call) Ended() <-chan struct{} { return c.ended }

// State returns where the call stands now.
func (c *Call) State() CallState {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.state
}

// setState moves the call on and wakes those who wait for it; p.mu held.
func (c *Call) setState(s CallState) {
	if c.state == s || c.state == Ended {
		return
	}
	c.state = s
	if s == Ended {
		close(c.ended)
	}
	c.p.notify()
}

// finalResponse makes our final response to an INVITE from the PBX, with
// SDP in the given direction unless it is "", keeps it for the INVITE's
// retransmissions and arms the wait for its ACK; p.mu held.
func (c *Call) finalResponse(invite *message, status int, reason, direction string) (data []byte, acked chan struct{}) {
	resp := response(invite, status, reason, c.localTag)
	if direction != "" {
		resp.add("Contact", c.p.contact())
		resp.add("Content-Type", "application/sdp")
		resp.body = c.sdp(direction)
	}
	c.lastResp = resp.bytes()
	c.ackSeq, c.acked = c.remoteSeq, make(chan struct{})
	return c.lastResp, c.acked
}

// Dial calls number through the PBX and returns once the PBX answered the
// INVITE with 1xx or 2xx. The call goes on in the background: a 2xx is
// acknowledged and confirms it, an error response ends it.
func (p *Phone) Dial(ctx context.Context, number string) (*Call, error) {
	c := &Call{p: p, state: Early, ended: make(chan struct{}), answered: make(chan struct{}),
		callID: newID() + "@" + p.pbxHost, localTag: newID(),
		local:  "<sip:" + p.cfg.Ext + "@" + p.pbxHost + ">",
		remote: "<sip:" + number + "@" + p.pbxHost + ">",
		target: "sip:" + number + "@" + p.cfg.PBX, sdpSession: rand.Uint32(), sdpVersion: 1}
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		return nil, p.errorf("dial %s: %w", number, errClosed)
	}
	p.calls = append(p.calls, c)
	p.mu.Unlock()
	result := make(chan error, 1)
	p.wg.Go(func() { result <- c.run(ctx, number) })
	select {
	case <-c.answered:
	case err := <-result:
		select {
		case <-c.answered:
		default:
			if err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// run is the INVITE of an outgoing call, from sending to ACK.
func (c *Call) run(ctx context.Context, number string) error {
	p := c.p
	resp, err := p.request(ctx, p.pbx, func() *message {
		p.mu.Lock()
		defer p.mu.Unlock()
		c.localSeq++
		c.invite = c.request("INVITE", c.localSeq)
		c.invite.add("Contact", p.contact())
		c.invite.add("Content-Type", "application/sdp")
		c.invite.body = c.sdp("sendrecv")
		return c.invite
	}, c.provisional)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err != nil:
		c.setState(Ended)
		return p.errorf("INVITE %s: %w", number, err)
	case resp.status >= 300:
		c.setState(Ended)
		return p.statusError("INVITE "+number, resp)
	}
	c.remoteTag = param(resp.get("To"), "tag")
	c.routes = reverse(resp.values("Record-Route"))
	c.confirm(resp)
	c.provisional(nil)
	c.setState(Confirmed)
	return nil
}

// provisional records a 1xx to our INVITE: its To-tag makes an early
// dialog, and Dial may return. Called with nil under p.mu for the 2xx.
func (c *Call) provisional(resp *message) {
	if resp != nil {
		c.p.mu.Lock()
		defer c.p.mu.Unlock()
		if tag := param(resp.get("To"), "tag"); tag != "" {
			c.remoteTag = tag
		}
	}
	select {
	case <-c.answered:
	default:
		close(c.answered)
		c.p.notify()
	}
}

// confirm takes the remote target from a 2xx to our INVITE and sends its
// ACK, kept for the 2xx's retransmissions; p.mu held.
func (c *Call) confirm(resp *message) {
	if contact := resp.get("Contact"); contact != "" {
		c.target = addrURI(contact)
	}
	seq, _ := resp.cseq()
	c.lastAck = c.request("ACK", seq)
	c.p.send(c.lastAck.bytes(), c.dest())
}

// request starts a request within the dialog; p.mu held.
func (c *Call) request(method string, seq int) *message {
	m := c.p.newRequest(method, c.target, seq, c.callID)
	for _, r := range c.routes {
		m.add("Route", r)
	}
	m.add("From", c.local+";tag="+c.localTag)
	to := c.remote
	if c.remoteTag != "" {
		to += ";tag=" + c.remoteTag
	}
	m.add("To", to)
	return m
}

// dest is where requests in the dialog go: the first route, or the
// remote target; the PBX if neither resolves. p.mu held.
func (c *Call) dest() *net.UDPAddr {
	uri := c.target
	if len(c.routes) > 0 {
		uri = addrURI(c.routes[0])
	}
	if a, err := net.ResolveUDPAddr("udp", uriHostPort(uri)); err == nil {
		return a
	}
	return c.p.pbx
}

// inDialog sends the request build makes within the dialog and returns its
// final response; p.mu not held.
func (c *Call) inDialog(method string, build func(m *message)) (*message, error) {
	p := c.p
	p.mu.Lock()
	dst := c.dest()
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), giveUp)
	defer cancel()
	resp, err := p.request(ctx, dst, func() *message {
		p.mu.Lock()
		defer p.mu.Unlock()
		c.localSeq++
		m := c.request(method, c.localSeq)
		if build != nil {
			build(m)
		}
		return m
	}, nil)
	if err != nil {
		return nil, p.errorf("%s: %w", method, err)
	}
	if resp.status == 481 || resp.status == 408 {
		p.mu.Lock()
		c.setState(Ended) // the PBX has forgotten the dialog
		p.mu.Unlock()
	}
	if resp.status >= 300 {
		return resp, p.statusError(method, resp)
	}
	return resp, nil
}

func reverse(s []string) []string {
	r := make([]string, len(s))
	for i, v := range s {
		r[len(s)-1-i] = v
	}
	return r
}
