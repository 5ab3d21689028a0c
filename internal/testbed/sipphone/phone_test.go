package sipphone

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func TestParseCompactFoldedAndBody(t *testing.T) {
	raw := "SIP/2.0 200 OK\r\n" +
		"v: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc\r\n" +
		"f: <sip:801@127.0.0.1>;tag=a\r\n" +
		"t: <sip:802@127.0.0.1>\r\n" +
		" ;tag=b\r\n" +
		"i: call-1\r\n" +
		"CSeq: 7 INVITE\r\n" +
		"m: <sip:802@127.0.0.1:5072>\r\n" +
		"Record-Route: <sip:p1;lr>, \"x, y\" <sip:p2;lr>\r\n" +
		"c: application/sdp\r\n" +
		"l: 4\r\n\r\nv=0\r\ntrailing"
	m, err := parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if seq, method := m.cseq(); m.status != 200 || seq != 7 || method != "INVITE" {
		t.Errorf("status %d CSeq %d %s", m.status, seq, method)
	}
	if got := param(m.get("To"), "tag"); got != "b" {
		t.Errorf("folded To tag %q", got)
	}
	if m.branch() != "z9hG4bKabc" || addrURI(m.get("Contact")) != "sip:802@127.0.0.1:5072" {
		t.Errorf("branch %q contact %q", m.branch(), m.get("Contact"))
	}
	if rr := m.values("Record-Route"); len(rr) != 2 || rr[1] != `"x, y" <sip:p2;lr>` {
		t.Errorf("Record-Route %q", rr)
	}
	if string(m.body) != "v=0\r" {
		t.Errorf("body %q", m.body)
	}
	if withoutTag(m.get("From")) != "<sip:801@127.0.0.1>" || uriHostPort("sip:802@10.0.0.1;transport=udp") != "10.0.0.1:5060" {
		t.Error("withoutTag or uriHostPort")
	}
	for _, bad := range []string{"", "HELLO\r\n\r\n", "SIP/2.0 abc OK\r\n\r\n", "INVITE sip:x SIP/2.0\r\nCall-ID: 1\r\nCSeq: 1 INVITE\r\nVia: v\r\nl: 9\r\n\r\nv=0"} {
		if _, err := parse([]byte(bad)); err == nil {
			t.Errorf("parse(%q) did not fail", bad)
		}
	}
}

func TestDigestWithAndWithoutQop(t *testing.T) {
	for _, ch := range []string{
		`Digest realm="asterisk", nonce="5f1a"`,
		`Digest algorithm=MD5, realm="asterisk", nonce="5f1a", qop="auth,auth-int", opaque="o1"`,
	} {
		auth, err := digest(ch, "801", "801", "INVITE", "sip:802@127.0.0.1:5060")
		if err != nil {
			t.Fatal(err)
		}
		if err := checkDigest(auth, "INVITE", "asterisk", "5f1a"); err != nil {
			t.Error(err)
		}
	}
	if _, err := digest(`Digest realm="r", nonce="n", algorithm=SHA-256`, "u", "p", "INVITE", "sip:x"); err == nil {
		t.Error("SHA-256 accepted")
	}
}

func TestRegisterWithDigestAndUnregisterOnClose(t *testing.T) {
	f := newFakePBX(t, "asterisk")
	p := startPhone(t, f, "804")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.registers) != 2 {
		t.Fatalf("%d REGISTERs accepted, want register and unregister", len(f.registers))
	}
	reg, unreg := f.registers[0], f.registers[1]
	if reg.get("Expires") != "120" || reg.get("Contact") != "<sip:804@"+p.local+">" || reg.uri != "sip:"+f.addr {
		t.Errorf("REGISTER:\n%s", reg.bytes())
	}
	if unreg.get("Expires") != "0" || reg.get("Call-ID") != unreg.get("Call-ID") {
		t.Errorf("unREGISTER:\n%s", unreg.bytes())
	}
	if s1, _ := reg.cseq(); s1 != 2 {
		t.Errorf("authorized REGISTER has CSeq %d, want 2", s1)
	}
}

func TestReregistersBeforeExpiry(t *testing.T) {
	f := newFakePBX(t, "asterisk")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p, err := Register(ctx, Config{Ext: "805", Password: "805", PBX: f.addr, Expires: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 150 { // the refresh is due after half the second granted
		f.mu.Lock()
		n := len(f.registers)
		f.mu.Unlock()
		if n >= 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.registers) < 2 {
		t.Fatal("no refresh within 1.5 s of a 1 s registration")
	}
	first, again := f.registers[0], f.registers[1]
	s1, _ := first.cseq()
	s2, _ := again.cseq()
	if again.get("Call-ID") != first.get("Call-ID") || s2 <= s1 || again.get("Expires") != "1" {
		t.Errorf("refresh:\n%s", again.bytes())
	}
}

func TestRegisterRefused(t *testing.T) {
	f := newFakePBX(t, "asterisk")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := Register(ctx, Config{Ext: "804", Password: "wrong", PBX: f.addr})
	if err == nil || err.Error() != "sipphone 804: REGISTER: 403 Forbidden" {
		t.Fatalf("err = %v", err)
	}
}

func TestIncomingCallAnsweredThenBye(t *testing.T) {
	f := newFakePBX(t, "")
	p := startPhone(t, f, "804")

	d := &dialog{f: f, phone: p.conn.LocalAddr().(*net.UDPAddr), callID: "q1", local: "<sip:pbx@127.0.0.1>;tag=q", remote: "<sip:804@127.0.0.1>", target: "sip:804@" + p.local}
	d.request("OPTIONS", 1, "", "")
	if ok := f.expect("200 OPTIONS").m; param(ok.get("To"), "tag") == "" {
		t.Errorf("200 to OPTIONS without To-tag:\n%s", ok.bytes())
	}

	d = f.call(p)
	d.remote = withoutTag(d.remote) // a retransmission carries the original To
	d.request("INVITE", d.seq, d.inviteBranch, pbxSDP)
	f.expect("180")
	c, err := p.Ringing(context.Background())
	if err != nil || !c.Incoming() || c.State() != Ringing {
		t.Fatalf("Ringing: %v %v", c, err)
	}
	answered := async(c.Answer)
	ok := f.expect("200 INVITE").m
	for _, want := range []string{"c=IN IP4 127.0.0.1", "RTP/AVP 0 101", "a=rtpmap:101 telephone-event/8000", "a=sendrecv"} {
		if !strings.Contains(string(ok.body), want) {
			t.Errorf("answer SDP lacks %q:\n%s", want, ok.body)
		}
	}
	d.remote = ok.get("To")
	d.request("ACK", d.seq, "", "")
	wait(t, answered)
	if c.State() != Confirmed || p.Active() != c {
		t.Fatalf("after ACK: %v, active %v", c.State(), p.Active())
	}

	d.request("BYE", d.seq+1, "", "")
	f.expect("200 BYE")
	waitEnded(t, c)
	if p.Active() != nil {
		t.Error("ended call still active")
	}
}

func TestCallerCancelsRingingCall(t *testing.T) {
	f := newFakePBX(t, "")
	p := startPhone(t, f, "804")
	d := f.call(p)
	c, _ := p.Ringing(context.Background())
	d.remote = withoutTag(d.remote)
	d.request("CANCEL", d.seq, d.inviteBranch, "")
	f.expect("200 CANCEL")
	terminated := f.expect("487 INVITE").m
	d.remote = terminated.get("To")
	d.request("ACK", d.seq, d.inviteBranch, "")
	waitEnded(t, c)
}

// answered is an incoming call the phone has answered and the fake acked.
func answered(t *testing.T, f *fakePBX, p *Phone) (*dialog, *Call) {
	t.Helper()
	p.SetAutoAnswer(time.Millisecond)
	d := f.call(p)
	ok := f.expect("200 INVITE").m
	d.remote = ok.get("To")
	d.request("ACK", d.seq, "", "")
	c := p.Active()
	if err := p.await(context.Background(), func() bool { return c.acked == nil }); err != nil {
		t.Fatal(err)
	}
	return d, c
}

func TestAutoAnswerAndCloseHangsUp(t *testing.T) {
	f := newFakePBX(t, "")
	p := startPhone(t, f, "804")
	d, c := answered(t, f, p)
	closed := async(p.Close)
	bye := f.expect("BYE").m
	if bye.get("Call-ID") != d.callID || addrURI(bye.uri) != "sip:pbx@"+f.addr {
		t.Errorf("BYE not in the dialog:\n%s", bye.bytes())
	}
	f.send(response(bye, 200, "OK", ""), d.phone)
	wait(t, closed)
	waitEnded(t, c)
}

func TestHoldUnholdAndReinviteFromPBX(t *testing.T) {
	f := newFakePBX(t, "")
	p := startPhone(t, f, "804")
	d, c := answered(t, f, p)

	for i, step := range []struct {
		do  func() error
		dir string
	}{{c.Hold, "sendonly"}, {c.Unhold, "sendrecv"}} {
		done := async(step.do)
		inv := f.expect("INVITE").m
		if seq, _ := inv.cseq(); seq != i+1 || !strings.Contains(string(inv.body), "a="+step.dir) {
			t.Errorf("re-INVITE %d:\n%s", i, inv.bytes())
		}
		if param(inv.get("To"), "tag") != param(d.local, "tag") || param(inv.get("From"), "tag") != param(d.remote, "tag") {
			t.Errorf("re-INVITE outside the dialog:\n%s", inv.bytes())
		}
		ok := response(inv, 200, "OK", "")
		ok.add("Content-Type", "application/sdp")
		ok.body = []byte(pbxSDP)
		f.send(ok, d.phone)
		if ack := f.expect("ACK").m; ack.get("CSeq") != fmt.Sprintf("%d ACK", i+1) {
			t.Errorf("ACK:\n%s", ack.bytes())
		}
		wait(t, done)
	}

	d.request("INVITE", d.seq+1, "", strings.Replace(pbxSDP, "sendrecv", "sendonly", 1))
	ok := f.expect("200 INVITE").m
	if !strings.Contains(string(ok.body), "a=recvonly") || !strings.Contains(string(ok.body), "o=- ") {
		t.Errorf("answer to a held re-INVITE:\n%s", ok.body)
	}
	d.request("ACK", d.seq+1, "", "")
	if c.State() != Confirmed {
		t.Error(c.State())
	}
	d.request("BYE", d.seq+2, "", "")
	f.expect("200 BYE")
	waitEnded(t, c)
}

func TestTransfer(t *testing.T) {
	f := newFakePBX(t, "")
	p := startPhone(t, f, "804")
	d, c := answered(t, f, p)
	done := async(func() error { return c.Transfer("803") })
	refer := f.expect("REFER").m
	if refer.get("Refer-To") != "<sip:803@127.0.0.1>" || !strings.Contains(refer.get("Referred-By"), "sip:804@") {
		t.Errorf("REFER:\n%s", refer.bytes())
	}
	f.send(response(refer, 202, "Accepted", ""), d.phone)
	// Progress, then success, which the transferor answers with BYE as
	// chan_sip expects.
	d.request("NOTIFY", d.seq+1, "", "SIP/2.0 100 Trying\r\n", "Event: refer", "Subscription-State: active;expires=60")
	f.expect("200 NOTIFY")
	d.request("NOTIFY", d.seq+2, "", "SIP/2.0 200 OK\r\n", "Event: refer", "Subscription-State: terminated;reason=noresource")
	f.expect("200 NOTIFY")
	wait(t, done)
	bye := f.expect("BYE").m
	f.send(response(bye, 200, "OK", ""), d.phone)
	waitEnded(t, c)
}

func TestTransferRefused(t *testing.T) {
	f := newFakePBX(t, "")
	p := startPhone(t, f, "804")
	d, c := answered(t, f, p)
	done := async(func() error { return c.Transfer("803") })
	f.send(response(f.expect("REFER").m, 202, "Accepted", ""), d.phone)
	d.request("NOTIFY", d.seq+1, "", "SIP/2.0 503 Service Unavailable (can't handle one-legged xfers)\r\n", "o: refer;id=1")
	f.expect("200 NOTIFY")
	select {
	case err := <-done:
		if err == nil || !strings.HasSuffix(err.Error(), "transfer to 803: 503 Service Unavailable (can't handle one-legged xfers)") {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Transfer did not return")
	}
	if c.State() != Confirmed {
		t.Fatalf("after a refused transfer the call is %v", c.State())
	}
	d.request("BYE", d.seq+2, "", "")
	f.expect("200 BYE")
}

// TestBlindTransferTriesAgain: a transfer refused because Asterisk has not
// bridged the call yet is tried again, and the second REFER succeeds.
func TestBlindTransferTriesAgain(t *testing.T) {
	f := newFakePBX(t, "")
	p := startPhone(t, f, "804")
	d, c := answered(t, f, p)
	done := async(func() error { return c.BlindTransfer("803") })
	f.send(response(f.expect("REFER").m, 202, "Accepted", ""), d.phone)
	d.request("NOTIFY", d.seq+1, "", "SIP/2.0 503 Service Unavailable (can't handle one-legged xfers)\r\n", "Event: refer")
	f.expect("200 NOTIFY")
	f.send(response(f.expect("REFER").m, 202, "Accepted", ""), d.phone)
	d.request("NOTIFY", d.seq+2, "", "SIP/2.0 200 OK\r\n", "Event: refer")
	f.expect("200 NOTIFY")
	wait(t, done)
	f.send(response(f.expect("BYE").m, 200, "OK", ""), d.phone)
	waitEnded(t, c)
}
