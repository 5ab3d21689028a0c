package pbx

import (
	"log/slog"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami/transcript"
)

// replay applies every asynchronous event of a transcript recorded from a
// real Asterisk to an empty model and returns the domain events it emitted.
func replay(t *testing.T, name string, p *PBX) []Event {
	t.Helper()
	entries, err := transcript.ReadFile("../ami/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var got []Event
	p.opts.OnEvent = func(e Event) { got = append(got, e) }
	for _, e := range entries {
		if e.Dir == transcript.ServerToClient && e.Msg.IsEvent() && e.Msg.ActionID() == "" {
			p.apply(e.Msg)
		}
	}
	return got
}

func bareModel() *PBX {
	return &PBX{st: newState(), log: slog.New(slog.DiscardHandler), opts: Options{Now: time.Now}}
}

func TestApplyInboundQueueCall(t *testing.T) {
	p := bareModel()
	// Queue 630 as the resync would have loaded it.
	p.st.queues["630"] = &Queue{Name: "630", Members: []Member{
		{Queue: "630", Interface: "Local/800@fake-phone/n", Name: "Agent 800"},
		{Queue: "630", Interface: "Local/801@fake-phone/n", Name: "Agent 801"},
	}}
	events := replay(t, "ami-03-inbound-trunk-queue-630.txt", p)
	if n := len(p.Channels()); n != 0 {
		t.Fatalf("%d channels left after every leg hung up: %+v", n, p.Channels())
	}
	var hangups int
	for _, e := range events {
		if h, ok := e.(ChannelHangup); ok {
			hangups++
			if h.Channel.Linkedid == "" || h.Channel.Name == "" || h.Reconstructed {
				t.Fatalf("hangup without identity: %+v", h)
			}
		}
	}
	if hangups != 6 {
		t.Fatalf("%d hangups, the transcript has 6", hangups)
	}
	q := p.Queues()
	if len(q) != 1 || len(q[0].Members) != 2 || q[0].Members[0].Name != "Agent 800" {
		t.Fatalf("queue 630 after the call: %+v", q)
	}
}

func TestApplyRegistrations(t *testing.T) {
	p := bareModel()
	p.refresh = make(chan struct{}, 1)
	replay(t, "ami-05-sipp-register-801.txt", p)
	peers := p.Peers()
	if len(peers) != 1 || peers[0].Name != "801" || peers[0].Tech != SIP {
		t.Fatalf("peers %+v", peers)
	}
	// The transcript ends with 801 unregistered (expired).
	if peers[0].Addr != "-none-" {
		t.Fatalf("801 after expiry: %+v", peers[0])
	}
	hints := p.Hints()
	if len(hints) != 1 || hints[0].Exten != "801" || hints[0].Status != 4 {
		t.Fatalf("hints %+v", hints)
	}
}

func TestApplyPJSIPContact(t *testing.T) {
	p := bareModel()
	p.refresh = make(chan struct{}, 1)
	replay(t, "ami-07-pjsip-register-900.txt", p)
	var found bool
	for _, pe := range p.Peers() {
		if pe.Name == "900" && pe.Tech == PJSIP {
			found = true
		}
	}
	if !found {
		t.Fatalf("PJSIP 900 not in %+v", p.Peers())
	}
}

func TestNames(t *testing.T) {
	tests := []struct{ iface, exten string }{
		{"SIP/801", "801"}, {"PJSIP/904", "904"}, {"Local/800@fake-phone/n", "800"},
		{"hint:805@internal", "805"}, {"DAHDI/1", "1"}, {"garbage", ""},
	}
	for _, tt := range tests {
		if got := ifaceExten(tt.iface); got != tt.exten {
			t.Errorf("ifaceExten(%q) = %q, want %q", tt.iface, got, tt.exten)
		}
	}
	if tech, name, ok := deviceOf("SIP/trunk-a-0000000f"); !ok || tech != SIP || name != "trunk-a" {
		t.Errorf("deviceOf trunk: %v %q %v", tech, name, ok)
	}
	if _, _, ok := deviceOf("Local/800@fake-phone-00000001;1"); ok {
		t.Error("a Local channel taken for a phone")
	}
	for _, c := range [][2]string{{"800", "1000"}, {"801", "0801"}, {"999", "abc"}, {"a", "b"}} {
		if CompareNames(c[0], c[1]) >= 0 || CompareNames(c[1], c[0]) <= 0 {
			t.Errorf("CompareNames(%q, %q) does not put the first first", c[0], c[1])
		}
	}
	if d := parseDuration("123:04:05"); d != 123*time.Hour+4*time.Minute+5*time.Second {
		t.Errorf("parseDuration: %v", d)
	}
	if s := FormatDuration(3*time.Hour + 2*time.Second); s != "03:00:02" {
		t.Errorf("FormatDuration: %s", s)
	}
	if s := unescape(`Bob \"B\" \\ x`); s != `Bob "B" \ x` {
		t.Errorf("unescape: %q", s)
	}
	if uriHost("sip:900@127.0.0.1:5090;ob") != "127.0.0.1" || uriHost("sip:[::1]:5060") != "::1" {
		t.Error("uriHost")
	}
}
