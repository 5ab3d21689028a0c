package sipphone

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakePBX is a registrar and UAS on loopback for the unit tests. It
// answers REGISTER itself (with a digest challenge when realm is set) and
// hands every other message to the test through expect.
type fakePBX struct {
	t     *testing.T
	conn  *net.UDPConn
	addr  string
	realm string // "" accepts REGISTER unchallenged
	in    chan packet
	quit  chan struct{} // closed when the test ends: nobody reads in any more
	wg    sync.WaitGroup

	mu        sync.Mutex
	registers []*message // REGISTERs accepted
}

type packet struct {
	m    *message
	from *net.UDPAddr
}

// noLeaks fails the test if goroutines started during it outlive it.
func noLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		for range 100 {
			if runtime.NumGoroutine() <= before {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
	})
}

func newFakePBX(t *testing.T, realm string) *fakePBX {
	noLeaks(t)
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePBX{t: t, conn: conn, addr: conn.LocalAddr().String(), realm: realm, in: make(chan packet, 64), quit: make(chan struct{})}
	f.wg.Go(f.read)
	t.Cleanup(func() {
		close(f.quit)
		conn.Close()
		f.wg.Wait()
	})
	return f
}

func (f *fakePBX) read() {
	buf := make([]byte, maxMessage)
	for {
		n, from, err := f.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		m, err := parse(buf[:n])
		if err != nil {
			f.t.Errorf("fake PBX: phone sent garbage: %v\n%s", err, buf[:n])
			continue
		}
		if m.method == "REGISTER" {
			f.register(m, from)
			continue
		}
		select {
		case f.in <- packet{m, from}:
		case <-f.quit: // a failed test stopped reading; the phone may still retransmit
			return
		}
	}
}

// register challenges a REGISTER without credentials and checks the
// digest response of one with them (password = user, as on the test PBX).
func (f *fakePBX) register(m *message, from *net.UDPAddr) {
	if f.realm != "" {
		auth := m.get("Authorization")
		if auth == "" {
			resp := response(m, 401, "Unauthorized", "reg")
			resp.add("WWW-Authenticate", `Digest algorithm=MD5, realm="`+f.realm+`", nonce="4a7b1c", qop="auth"`)
			f.send(resp, from)
			return
		}
		if checkDigest(auth, "REGISTER", f.realm, "4a7b1c") != nil {
			f.send(response(m, 403, "Forbidden", "reg"), from)
			return
		}
	}
	f.mu.Lock()
	f.registers = append(f.registers, m)
	f.mu.Unlock()
	ok := response(m, 200, "OK", "reg")
	ok.add("Contact", m.get("Contact")+";expires="+m.get("Expires"))
	f.send(ok, from)
}

// checkDigest recomputes an Authorization's response, password = username.
func checkDigest(auth, method, realm, nonce string) error {
	kv := map[string]string{}
	for _, p := range splitList(strings.TrimPrefix(auth, "Digest ")) {
		k, v, _ := strings.Cut(p, "=")
		kv[k] = strings.Trim(v, `"`)
	}
	h := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	ha1 := h(kv["username"] + ":" + realm + ":" + kv["username"])
	ha2 := h(method + ":" + kv["uri"])
	want := h(ha1 + ":" + nonce + ":" + ha2)
	if kv["qop"] == "auth" {
		want = h(ha1 + ":" + nonce + ":" + kv["nc"] + ":" + kv["cnonce"] + ":auth:" + ha2)
	}
	if kv["realm"] != realm || kv["nonce"] != nonce || kv["response"] != want {
		return fmt.Errorf("bad digest %s, want response %s", auth, want)
	}
	return nil
}

func (f *fakePBX) send(m *message, to *net.UDPAddr) {
	if _, err := f.conn.WriteToUDP(m.bytes(), to); err != nil {
		f.t.Errorf("fake PBX: %v", err)
	}
}

// expect returns the next message from the phone, which must be the
// given request method or response status ("INVITE", "200").
func (f *fakePBX) expect(what string) packet {
	f.t.Helper()
	select {
	case pk := <-f.in:
		got := pk.m.method
		if got == "" {
			_, method := pk.m.cseq()
			got = fmt.Sprintf("%d", pk.m.status)
			if what == got+" "+method {
				return pk
			}
		}
		if got != what {
			f.t.Fatalf("fake PBX: got %s, want %s:\n%s", got, what, pk.m.bytes())
		}
		return pk
	case <-time.After(2 * time.Second):
		f.t.Fatalf("fake PBX: no %s from the phone", what)
	}
	return packet{}
}

// dialog is the fake PBX's side of one call with the phone.
type dialog struct {
	f             *fakePBX
	phone         *net.UDPAddr
	callID, local string // local: the PBX's From/To value with tag
	remote        string // the phone's, with tag once known
	target        string
	seq           int
	inviteBranch  string
}

// request sends a request in the dialog (or a new INVITE); branch "" = new;
// a body is SDP or, if it starts with "SIP/2.0", a sipfrag; extra headers
// are "Name: value".
func (d *dialog) request(method string, seq int, branch string, body string, extra ...string) *message {
	if branch == "" {
		branch = "z9hG4bK" + newID()
	}
	m := &message{method: method, uri: d.target}
	m.add("Via", "SIP/2.0/UDP "+d.f.addr+";branch="+branch)
	m.add("From", d.local)
	m.add("To", d.remote)
	m.add("Call-ID", d.callID)
	m.add("CSeq", fmt.Sprintf("%d %s", seq, method))
	m.add("Contact", "<sip:pbx@"+d.f.addr+">")
	for _, h := range extra {
		name, value, _ := strings.Cut(h, ": ")
		m.add(name, value)
	}
	switch {
	case strings.HasPrefix(body, "SIP/2.0"):
		m.add("Content-Type", "message/sipfrag;version=2.0")
	case body != "":
		m.add("Content-Type", "application/sdp")
	}
	m.body = []byte(body)
	d.f.send(m, d.phone)
	return m
}

const pbxSDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=sendrecv\r\n"

// call sends an INVITE to the phone and checks 100 and 180 with a To-tag.
func (f *fakePBX) call(p *Phone) *dialog {
	f.t.Helper()
	d := &dialog{f: f, phone: p.conn.LocalAddr().(*net.UDPAddr), callID: newID(),
		local: `"Ext 801" <sip:801@127.0.0.1>;tag=pbx` + newID()[:6], remote: "<sip:804@127.0.0.1>",
		target: "sip:804@" + p.local, seq: 102, inviteBranch: "z9hG4bK" + newID()}
	d.request("INVITE", d.seq, d.inviteBranch, pbxSDP)
	f.expect("100")
	ringing := f.expect("180").m
	if param(ringing.get("To"), "tag") == "" || ringing.get("Contact") == "" {
		f.t.Fatalf("180 without To-tag or Contact:\n%s", ringing.bytes())
	}
	d.remote = ringing.get("To")
	return d
}

// startPhone registers ext (password = ext) with the fake PBX and closes
// it when the test ends.
func startPhone(t *testing.T, f *fakePBX, ext string) *Phone {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p, err := Register(ctx, Config{Ext: ext, Password: ext, PBX: f.addr, Local: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return p
}

// async runs fn in a goroutine and returns its error channel.
func async(fn func() error) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- fn() }()
	return errc
}

func wait(t *testing.T, errc <-chan error) {
	t.Helper()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("timed out")
	}
}

func waitEnded(t *testing.T, c *Call) {
	t.Helper()
	select {
	case <-c.Ended():
	case <-time.After(2 * time.Second):
		t.Fatalf("call not ended; state %v", c.State())
	}
}
