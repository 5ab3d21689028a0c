package sipphone

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"time"
)

// Timers of RFC 3261 17.1 for an unreliable transport, with the give-up
// time shortened: on loopback a peer that says nothing for five seconds
// is not going to.
const (
	t1           = 500 * time.Millisecond
	t2           = 4 * time.Second
	giveUp       = 5 * time.Second // without any response, or without ACK
	ringLimit    = 3 * time.Minute // an outgoing call may ring this long
	unregisterBy = 2 * time.Second
)

var errClosed = errors.New("phone closed")

// newID returns a random token for tags, Call-IDs and branches.
func newID() string { return rand.Text()[:20] }

// newRequest starts a request with the headers every request carries; the
// caller adds From, To and the rest.
func (p *Phone) newRequest(method, uri string, seq int, callID string) *message {
	m := &message{method: method, uri: uri}
	m.add("Via", "SIP/2.0/UDP "+p.local+";branch=z9hG4bK"+newID())
	m.add("Max-Forwards", "70")
	m.add("Call-ID", callID)
	m.add("CSeq", fmt.Sprintf("%d %s", seq, method))
	m.add("User-Agent", "coocenterd sipphone")
	return m
}

// request runs a client transaction for the request build makes and
// returns the final response. A 401 or 407 is answered once with digest
// credentials, on a request built anew: new branch, next CSeq.
func (p *Phone) request(ctx context.Context, dst *net.UDPAddr, build func() *message, provisional func(*message)) (*message, error) {
	req := build()
	resp, err := p.transact(ctx, dst, req, provisional)
	if err != nil || resp.status != 401 && resp.status != 407 {
		return resp, err
	}
	challenge, field := resp.get("WWW-Authenticate"), "Authorization"
	if resp.status == 407 {
		challenge, field = resp.get("Proxy-Authenticate"), "Proxy-Authorization"
	}
	req = build()
	auth, err := digest(challenge, p.cfg.Ext, p.cfg.Password, req.method, req.uri)
	if err != nil {
		return nil, err
	}
	req.add(field, auth)
	return p.transact(ctx, dst, req, provisional)
}

// transact sends req and retransmits it (T1 doubling up to T2) until a
// final response, which it returns; provisional responses go to
// provisional. An INVITE is no longer retransmitted once a provisional
// response came; from then on it waits up to ringLimit, whatever ctx says,
// because the call has begun. A non-2xx final response to an INVITE is
// acknowledged here, as it belongs to the transaction (RFC 3261 17.1.1.3).
func (p *Phone) transact(ctx context.Context, dst *net.UDPAddr, req *message, provisional func(*message)) (*message, error) {
	key := req.branch() + " " + req.method
	responses := make(chan *message, 8)
	p.mu.Lock()
	p.txs[key] = responses
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.txs, key)
		p.mu.Unlock()
	}()

	data := req.bytes()
	p.send(data, dst)
	retransmit, interval, deadline := true, t1, time.Now().Add(giveUp)
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case resp := <-responses:
			if resp.status >= 200 {
				if req.method == "INVITE" && resp.status >= 300 {
					p.send(ackFailure(req, resp).bytes(), dst)
				}
				return resp, nil
			}
			if provisional != nil {
				provisional(resp)
			}
			if req.method == "INVITE" && retransmit {
				retransmit, deadline = false, time.Now().Add(ringLimit)
				ctx = context.WithoutCancel(ctx)
			}
		case <-timer.C:
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("no response within %v", giveUp)
			}
			if retransmit {
				p.send(data, dst)
			}
			interval = min(2*interval, t2)
			timer.Reset(interval)
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-p.done:
			return nil, errClosed
		}
	}
}

// ackFailure is the ACK to a non-2xx final response to an INVITE: same
// branch and Request-URI as the INVITE, the To of the response.
func ackFailure(invite, resp *message) *message {
	seq, _ := invite.cseq()
	ack := &message{method: "ACK", uri: invite.uri}
	ack.copyHeaders(invite, "Via", "Route", "Max-Forwards", "From")
	ack.add("To", resp.get("To"))
	ack.add("Call-ID", invite.get("Call-ID"))
	ack.add("CSeq", fmt.Sprintf("%d ACK", seq))
	return ack
}

// untilAck sends a final response to an INVITE and repeats it until its
// ACK arrives (acked closed), stop is closed, or giveUp passes
// (RFC 3261 13.3.1.4). It reports whether the ACK came.
func (p *Phone) untilAck(data []byte, dst *net.UDPAddr, acked, stop <-chan struct{}) bool {
	p.send(data, dst)
	interval, deadline := t1, time.Now().Add(giveUp)
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case <-acked:
			return true
		case <-stop:
			return false
		case <-p.done:
			return false
		case <-timer.C:
			if time.Now().After(deadline) {
				return false
			}
			p.send(data, dst)
			interval = min(2*interval, t2)
			timer.Reset(interval)
		}
	}
}

// send writes one datagram; a failed write is like a lost packet, which
// retransmission covers.
func (p *Phone) send(data []byte, dst *net.UDPAddr) {
	if p.cfg.Logf != nil {
		p.cfg.Logf("sipphone %s -> %s\n%s", p.cfg.Ext, dst, data)
	}
	if _, err := p.conn.WriteToUDP(data, dst); err != nil && p.cfg.Logf != nil {
		p.cfg.Logf("sipphone %s: send to %s: %v", p.cfg.Ext, dst, err)
	}
}
