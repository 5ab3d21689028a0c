package pbx

import (
	"log/slog"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/ami/transcript"
	"github.com/coocenter/coocenterd/internal/clock"
)

// replay applies every asynchronous event of a transcript recorded from a
// real Asterisk to an empty model and returns the domain events it emitted.
func replay(t *testing.T, name string, p *PBX) []Event {
	t.Helper()
	var got []Event
	p.subs = []func(Event){func(e Event) { got = append(got, e) }}
	replayInto(t, name, p)
	return got
}

// replayInto is replay with the model's own receivers.
func replayInto(t *testing.T, name string, p *PBX) {
	t.Helper()
	entries, err := transcript.ReadFile("../ami/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Dir == transcript.ServerToClient && e.Msg.IsEvent() && e.Msg.ActionID() == "" {
			p.apply(e.Msg)
		}
	}
}

func bareModel() *PBX {
	p := &PBX{log: slog.New(slog.DiscardHandler), opts: Options{Clock: clock.Wall}}
	p.init()
	return p
}

// republish publishes the state a test set by hand, as a resync would.
func republish(p *PBX) {
	p.pub.all, p.pub.changed = true, peersChanged|hintsChanged|queuesChanged|connectionChanged
	p.flush()
}

func TestApplyInboundQueueCall(t *testing.T) {
	p := bareModel()
	// Queue 630 as the resync would have loaded it.
	p.st.queues["630"] = &Queue{Name: "630", Members: []Member{
		{Queue: "630", Interface: "Local/800@fake-phone/n", Name: "Agent 800"},
		{Queue: "630", Interface: "Local/801@fake-phone/n", Name: "Agent 801"},
	}}
	republish(p)
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
	p.refresh = make(chan time.Time, 1)
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
	p.refresh = make(chan time.Time, 1)
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
		if got := InterfaceExten(tt.iface); got != tt.exten {
			t.Errorf("InterfaceExten(%q) = %q, want %q", tt.iface, got, tt.exten)
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

func TestApplyCallEvents(t *testing.T) {
	p := bareModel()
	// The lab's hints, as a resync would have loaded them.
	p.st.hints["800@internal"] = &Hint{Exten: "800", Context: "internal", Device: "SIP/800"}
	republish(p)
	events := replay(t, "ami-03-inbound-trunk-queue-630.txt", p)
	var begins, ends, cdrs int
	var ivr []UserEvent
	for _, e := range events {
		switch e := e.(type) {
		case DialBegin:
			begins++
			if e.Dest.Uniqueid == "" || e.Dest.Linkedid == "" || e.DialString == "" {
				t.Errorf("dial begin without its destination: %+v", e)
			}
		case DialEnd:
			ends++
			if e.DialStatus == "" {
				t.Errorf("dial end without status: %+v", e)
			}
		case CDR:
			cdrs++
			if e.Linkedid != "1795280762.35" || e.Direction != Inbound || e.UniqueID == "" || e.Extra != nil {
				t.Errorf("cdr: %+v", e)
			}
		case UserEvent:
			ivr = append(ivr, e)
		}
	}
	if begins != 3 || ends != 3 || cdrs != 5 { // the duplicate DialEnd CANCEL of 800 is dropped
		t.Errorf("%d DialBegin, %d DialEnd, %d Cdr; want 3, 3 (the transcript has 4), 5", begins, ends, cdrs)
	}
	if len(ivr) != 2 {
		t.Fatalf("%d user events, want 2", len(ivr))
	}
	first, second := ivr[0], ivr[1]
	want := map[string]string{"Step": "welcome", "CallerIDNum": "0501234567", "Queue": "630", "Uniq": "1795280762.36"}
	if first.Name != "IVRStep" || first.Channel.Uniqueid != "1795280762.36" || first.Direction != Inbound || len(first.Fields) != len(want) {
		t.Fatalf("first user event: %+v", first)
	}
	for k, v := range want {
		if first.Fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, first.Fields[k], v)
		}
	}
	if first.Since != first.Channel.Created || second.Since != first.At {
		t.Errorf("since: first %v (channel created %v), second %v (first at %v)", first.Since, first.Channel.Created, second.Since, first.At)
	}
}

func TestEventAt(t *testing.T) {
	now := time.Unix(100, 0)
	for _, tc := range []struct {
		ts   string
		want time.Time
	}{
		{"1534993059.785012", time.Unix(1534993059, 785012000)},
		{"1534993059.7", time.Unix(1534993059, 700000000)},
		{"1534993059", time.Unix(1534993059, 0)},
		{"", now},
		{"x.1", now},
		{"-5.0", now},
	} {
		m := msg("Event", "Newstate")
		if tc.ts != "" {
			m = msg("Event", "Newstate", "Timestamp", tc.ts)
		}
		if got := eventAt(m, now); !got.Equal(tc.want) {
			t.Errorf("Timestamp %q: %v, want %v", tc.ts, got, tc.want)
		}
	}
}

func TestIsPhone(t *testing.T) {
	st := newState()
	st.hints["801@internal"] = &Hint{Exten: "801", Context: "internal", Device: "SIP/801&Custom:DND801"}
	st.hints["900@internal"] = &Hint{Exten: "900", Context: "internal", Device: "PJSIP/900"}
	for ch, want := range map[string]bool{
		"SIP/801-0000000a":                          true,
		"sip/801-0000000a":                          true,
		"PJSIP/900-00000001":                        true,
		"SIP/trunk-00000003":                        false,
		"DAHDI/i1/18782985586-51":                   false,
		"Local/801@internal-00000012;2":             true,
		"Local/800@fake-phone-00000012;2":           false,
		"Local/in-0501234567@from-trunk-00000011;1": false,
		"": false,
	} {
		if got := st.isPhone(ch); got != want {
			t.Errorf("isPhone(%q) = %v", ch, got)
		}
	}
}

// msg builds an AMI message from key, value pairs.
func msg(kv ...string) ami.Message {
	var hs []ami.Header
	for i := 0; i+1 < len(kv); i += 2 {
		hs = append(hs, ami.Header{Key: kv[i], Value: kv[i+1]})
	}
	m, err := ami.NewMessage(hs...)
	if err != nil {
		panic(err)
	}
	return m
}

func TestApplyBlacklistedHangup(t *testing.T) {
	p := bareModel()
	var blocked []string
	for _, e := range replay(t, "ami-04-inbound-blacklisted.txt", p) {
		if h, ok := e.(ChannelHangup); ok && h.Blacklisted {
			blocked = append(blocked, h.Channel.Name)
		}
	}
	if len(blocked) != 1 || blocked[0] != "Local/in-0509999999@from-trunk-00000009;2" {
		t.Fatalf("hangups marked blacklisted: %v", blocked)
	}
}
