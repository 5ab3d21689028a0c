package sipphone

import (
	"context"
	"net"
	"strings"
	"testing"
)

// dial has p call 802 and returns the first INVITE the fake PBX received.
func dial(t *testing.T, f *fakePBX, p *Phone) (inv *message, dialed <-chan error, call func() *Call) {
	t.Helper()
	var c *Call
	dialed = async(func() (err error) {
		c, err = p.Dial(context.Background(), "802")
		return err
	})
	// c may only be read once dialed has delivered.
	return f.expect("INVITE").m, dialed, func() *Call { return c }
}

func TestDialWithProxyAuthThenHangup(t *testing.T) {
	f := newFakePBX(t, "")
	p := startPhone(t, f, "804")
	phone := p.conn.LocalAddr().(*net.UDPAddr)
	inv, dialed, call := dial(t, f, p)
	if inv.uri != "sip:802@"+f.addr || !strings.Contains(string(inv.body), "m=audio ") {
		t.Errorf("INVITE:\n%s", inv.bytes())
	}
	challenge := response(inv, 407, "Proxy Authentication Required", "as1")
	challenge.add("Proxy-Authenticate", `Digest realm="asterisk", nonce="77aa"`)
	f.send(challenge, phone)
	if ack := f.expect("ACK").m; ack.branch() != inv.branch() || ack.get("CSeq") != "1 ACK" || param(ack.get("To"), "tag") != "as1" {
		t.Errorf("ACK to the 407:\n%s", ack.bytes())
	}
	inv = f.expect("INVITE").m
	if err := checkDigest(inv.get("Proxy-Authorization"), "INVITE", "asterisk", "77aa"); err != nil || inv.get("CSeq") != "2 INVITE" {
		t.Errorf("%v:\n%s", err, inv.bytes())
	}
	f.send(response(inv, 100, "Trying", ""), phone)
	wait(t, dialed)
	c := call()
	if c.Incoming() || c.State() != Early {
		t.Fatalf("after 100: incoming %v, %v", c.Incoming(), c.State())
	}

	f.send(response(inv, 180, "Ringing", "as2"), phone)
	ok := response(inv, 200, "OK", "as2")
	ok.add("Contact", "<sip:802@"+f.addr+">")
	ok.add("Content-Type", "application/sdp")
	ok.body = []byte(pbxSDP)
	f.send(ok, phone)
	ack := f.expect("ACK").m
	if ack.get("CSeq") != "2 ACK" || param(ack.get("To"), "tag") != "as2" || ack.branch() == inv.branch() {
		t.Errorf("ACK to the 200:\n%s", ack.bytes())
	}
	f.send(ok, phone) // a retransmitted 200 gets the ACK again
	f.expect("ACK")
	if err := p.await(context.Background(), func() bool { return c.state == Confirmed }); err != nil {
		t.Fatal(err)
	}

	hungUp := async(c.Hangup)
	bye := f.expect("BYE").m
	if bye.get("CSeq") != "3 BYE" || bye.uri != "sip:802@"+f.addr {
		t.Errorf("BYE:\n%s", bye.bytes())
	}
	f.send(response(bye, 200, "OK", ""), phone)
	wait(t, hungUp)
	waitEnded(t, c)
}

func TestDialCancelledWhileRinging(t *testing.T) {
	f := newFakePBX(t, "")
	p := startPhone(t, f, "804")
	phone := p.conn.LocalAddr().(*net.UDPAddr)
	inv, dialed, call := dial(t, f, p)
	f.send(response(inv, 180, "Ringing", "as3"), phone)
	wait(t, dialed)
	hungUp := async(call().Hangup)
	cancel := f.expect("CANCEL").m
	if cancel.branch() != inv.branch() || cancel.get("CSeq") != "1 CANCEL" || param(cancel.get("To"), "tag") != "" {
		t.Errorf("CANCEL:\n%s", cancel.bytes())
	}
	f.send(response(cancel, 200, "OK", "as3"), phone)
	f.send(response(inv, 487, "Request Terminated", "as3"), phone)
	if ack := f.expect("ACK").m; ack.branch() != inv.branch() {
		t.Errorf("ACK to the 487:\n%s", ack.bytes())
	}
	wait(t, hungUp)
	waitEnded(t, call())
}

func TestDialBusy(t *testing.T) {
	f := newFakePBX(t, "")
	p := startPhone(t, f, "804")
	inv, dialed, _ := dial(t, f, p)
	f.send(response(inv, 486, "Busy Here", "as4"), p.conn.LocalAddr().(*net.UDPAddr))
	f.expect("ACK")
	err := <-dialed
	if err == nil || err.Error() != "sipphone 804: INVITE 802: 486 Busy Here" {
		t.Fatalf("err = %v", err)
	}
	if p.Active() != nil {
		t.Error("a refused call is active")
	}
}
