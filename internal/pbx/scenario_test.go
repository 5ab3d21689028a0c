package pbx_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/testbed"
)

func TestResyncLoadsThePBX(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "900"}}, func(t *testing.T, b *testbed.Bed) {
		peers := map[string]pbx.Peer{}
		for _, p := range b.Model.Peers() {
			peers[string(p.Tech)+"/"+p.Name] = p
		}
		if p := peers[b.Device("801")]; p.Addr == "-none-" || p.Addr == "" {
			t.Fatalf("registered %s: %+v", b.Device("801"), p)
		}
		// chan_sip keeps a phone's last qualify time after it unregisters (a
		// real Asterisk says "OK (1 ms)" of a phone an earlier test
		// registered); the model says UNKNOWN, as api.md §3.2 wants.
		if p := peers[b.Device("802")]; p.Addr != "-none-" || p.Status != "UNKNOWN" {
			t.Fatalf("unregistered %s: %+v", b.Device("802"), p)
		}
		if _, ok := peers["PJSIP/900"]; !ok {
			t.Fatalf("PJSIP/900 missing from %v", peers)
		}
		queues := map[string]pbx.Queue{}
		for _, q := range b.Model.Queues() {
			queues[q.Name] = q
		}
		if q := queues["630"]; len(q.Members) != 2 || q.Members[0].Interface != "Local/801@fake-phone/n" || q.Members[0].Name != "Agent 801" {
			t.Fatalf("queue 630: %+v", q)
		}
		var hint801 *pbx.Hint
		for _, h := range b.Model.Hints() {
			if h.Exten == "801" {
				hint801 = &h
			}
		}
		if hint801 == nil || hint801.Device != b.Device("801") || hint801.Status != 0 {
			t.Fatalf("hint 801: %+v", hint801)
		}
	})
}

func TestModelFollowsInboundQueueCall(t *testing.T) {
	testbed.Each(t, testbed.Options{}, func(t *testing.T, b *testbed.Bed) {
		sim := b.Stage()
		ch, err := sim.InboundCall("0501234567", "632") // nobody logged in at 632: the caller waits
		if err != nil {
			t.Fatal(err)
		}
		b.Eventually("caller in the model", func() bool {
			for _, c := range b.Model.Channels() {
				if c.Name == ch && c.CallerIDNum == "0501234567" {
					return true
				}
			}
			return false
		})
		if err := sim.Hangup(ch, 16); err != nil {
			t.Fatal(err)
		}
		b.Eventually("caller gone", func() bool { return len(b.ChannelsOf("Local/in-")) == 0 })
	})
}

// TestModelSurvivesAsteriskRestart: calls that ended while Asterisk was
// away get a reconstructed hangup, and the model matches the PBX again.
func TestModelSurvivesAsteriskRestart(t *testing.T) {
	testbed.Each(t, testbed.Options{}, func(t *testing.T, b *testbed.Bed) {
		sim := b.Stage()
		ch, err := sim.InboundCall("0507654321", "632")
		if err != nil {
			t.Fatal(err)
		}
		b.Eventually("call seen", func() bool { return len(b.Model.Channels()) > 0 })
		sim.Restart(100 * time.Millisecond)
		b.Eventually("disconnected", func() bool { return !b.Model.Connected() })
		b.Eventually("resynced", func() bool { return b.Model.Connected() && len(b.Model.Channels()) == 0 })
		var reconstructed bool
		for !reconstructed {
			select {
			case e := <-b.Events:
				if h, ok := e.(pbx.ChannelHangup); ok && h.Reconstructed && h.Channel.Name == ch {
					reconstructed = true
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no reconstructed hangup for the call lost in the restart")
			}
		}
		if b.Sim != nil && len(b.Sim.Channels()) != 0 {
			t.Fatal("simulator kept channels over a restart")
		}
		// New traffic after the restart is followed again.
		ch2, err := sim.InboundCall("0501111111", "632")
		if err != nil {
			t.Fatal(err)
		}
		b.Eventually("new call seen", func() bool { return len(b.ChannelsOf(strings.TrimSuffix(ch2, ";2"))) == 2 })
	})
}

func TestClickToCallHangup(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		id, err := b.Model.ClickToCall(testbed.Ctx(t), "801", "802", "")
		if err != nil || id == "" {
			t.Fatalf("click-to-call: %q, %v", id, err)
		}
		b.Eventually("both legs up", func() bool {
			return upCount(b.PhoneChannels("801")) == 1 && upCount(b.PhoneChannels("802")) == 1
		})
		// The id is the first leg's Uniqueid and the whole call's Linkedid, so
		// pushes of the call carry it.
		if src, dst := b.PhoneChannels("801")[0], b.PhoneChannels("802")[0]; src.Uniqueid != id || src.Linkedid != id || dst.Linkedid != id {
			t.Fatalf("call id %s: src %s/%s, dst linkedid %s", id, src.Uniqueid, src.Linkedid, dst.Linkedid)
		}
		if err := b.Model.Hangup(testbed.Ctx(t), "801"); err != nil {
			t.Fatal(err)
		}
		b.Eventually("both legs gone", func() bool { return len(b.PhoneChannels("801"))+len(b.PhoneChannels("802")) == 0 })
		if err := b.Model.Hangup(testbed.Ctx(t), "801"); !errors.Is(err, pbx.ErrNoActiveCall) {
			t.Fatalf("hangup without a call: %v", err)
		}
	})
}

func TestTransferLeavesPeerRingingDst(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802", "803"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		if err := b.Stage().SetAutoAnswer("803", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Model.ClickToCall(testbed.Ctx(t), "801", "802", ""); err != nil {
			t.Fatal(err)
		}
		b.Eventually("801 talking to 802", func() bool {
			legs := b.PhoneChannels("802")
			return len(legs) == 1 && legs[0].BridgeID != ""
		})
		// 802 transfers its caller (801) to 803.
		if err := b.Model.Transfer(testbed.Ctx(t), "802", "803", ""); err != nil {
			t.Fatal(err)
		}
		b.Eventually("803 ringing, 802 released", func() bool {
			ringing := b.PhoneChannels("803")
			return len(ringing) == 1 && ringing[0].State == 5 && len(b.PhoneChannels("802")) == 0 && len(b.PhoneChannels("801")) == 1
		})
		e := awaitEvent(t, b, "the blind transfer", func(e pbx.Transferred) bool { return true })
		if e.Kind != "blind" || e.From != "802" || e.To != "803" || e.Transferee.Name != b.PhoneChannels("801")[0].Name {
			t.Errorf("transfer: %+v", e)
		}
	})
}

// TestSpyCreatesChanSpyLeg: click-to-call and spy legs carry the ids the
// commands return (callid's numeric form), as the first leg's Uniqueid.
func TestSpyCreatesChanSpyLeg(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802", "805"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		callID, err := b.Model.ClickToCall(testbed.Ctx(t), "801", "802", "")
		if err != nil {
			t.Fatal(err)
		}
		b.Eventually("call up", func() bool { return upCount(b.PhoneChannels("802")) == 1 })
		spyID, err := b.Model.Spy(testbed.Ctx(t), "805", "802", pbx.Listen)
		if err != nil {
			t.Fatal(err)
		}
		b.Eventually("805 spying", func() bool {
			legs := b.PhoneChannels("805")
			return len(legs) == 1 && strings.EqualFold(legs[0].Application, "ChanSpy")
		})
		numeric := regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
		if !numeric.MatchString(callID) || !numeric.MatchString(spyID) || callID == spyID {
			t.Errorf("ids %q and %q: want two of Asterisk's numeric form", callID, spyID)
		}
		if legs := b.PhoneChannels("801"); len(legs) != 1 || legs[0].Uniqueid != callID {
			t.Errorf("801's leg %+v: want Uniqueid %s", legs, callID)
		}
		if legs := b.PhoneChannels("805"); len(legs) != 1 || legs[0].Uniqueid != spyID {
			t.Errorf("805's leg %+v: want Uniqueid %s", legs, spyID)
		}
		if _, err := b.Model.Spy(testbed.Ctx(t), "805", "803", pbx.Listen); !errors.Is(err, pbx.ErrNoActiveCall) {
			t.Fatalf("spy on an idle extension: %v", err)
		}
	})
}

func TestQueueMembership(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"805"}}, func(t *testing.T, b *testbed.Bed) {
		ctx := testbed.Ctx(t)
		member := func(q string) *pbx.Member {
			for _, qu := range b.Model.Queues() {
				for _, m := range qu.Members {
					if qu.Name == q && m.Interface == b.Device("805") {
						return &m
					}
				}
			}
			return nil
		}
		for range 2 { // login is idempotent
			if err := b.Model.AddMember(ctx, "631", "805"); err != nil {
				t.Fatal(err)
			}
		}
		if m := member("631"); m == nil || !m.Dynamic {
			t.Fatalf("805 after login: %+v", m)
		}
		if err := b.Model.PauseMember(ctx, "", "805", true, "lunch"); err != nil {
			t.Fatal(err)
		}
		b.Eventually("paused", func() bool { m := member("631"); return m != nil && m.Paused })
		if err := b.Model.PauseMember(ctx, "630", "805", true, ""); !errors.Is(err, pbx.ErrNotMember) {
			t.Fatalf("pause in a queue 805 is not in: %v", err)
		}
		for range 2 { // logout is idempotent
			if err := b.Model.RemoveMember(ctx, "631", "805"); err != nil {
				t.Fatal(err)
			}
		}
		if m := member("631"); m != nil {
			t.Fatalf("805 still in 631: %+v", m)
		}
		if err := b.Model.AddMember(ctx, "639", "805"); !errors.Is(err, pbx.ErrUnknownQueue) {
			t.Fatalf("unknown queue: %v", err)
		}
		if err := b.Model.AddMember(ctx, "631", "899"); !errors.Is(err, pbx.ErrUnknownExtension) {
			t.Fatalf("unknown extension: %v", err)
		}
		if err := b.Model.RemoveMember(ctx, "630", "800"); !errors.Is(err, pbx.ErrStaticMember) {
			t.Fatalf("static member logout: %v", err)
		}
		if b.Sim != nil {
			for _, m := range b.Sim.QueueMembers("631") {
				if m.Interface == b.Device("805") {
					t.Fatal("simulator still has 805 in 631")
				}
			}
		}
	})
}

// TestCommandsWhileDisconnected: with Asterisk away, every command that
// would reach it fails at once with ErrNotConnected (the API's 503).
func TestCommandsWhileDisconnected(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801"}}, func(t *testing.T, b *testbed.Bed) {
		b.AsteriskAway(time.Hour)
		b.Eventually("disconnected", func() bool { return !b.Model.Connected() })
		ctx, db := testbed.Ctx(t), pbx.AstDB{P: b.Model}
		for _, tc := range []struct {
			name string
			run  func() error
		}{
			{"click-to-call", func() error { _, err := b.Model.ClickToCall(ctx, "801", "802", ""); return err }},
			{"hold", func() error { return b.Model.Hold(ctx, "801") }},
			{"unhold", func() error { return b.Model.Unhold(ctx, "801") }},
			{"mute", func() error { return b.Model.Mute(ctx, "801", true) }},
			{"consult", func() error { _, err := b.Model.Consult(ctx, "801", "802", ""); return err }},
			{"consult-transfer", func() error { return b.Model.ConsultTransfer(ctx, "801") }},
			{"consult-cancel", func() error { return b.Model.ConsultCancel(ctx, "801") }},
			{"three-way", func() error { return b.Model.ThreeWay(ctx, "801") }},
			{"webcall", func() error {
				_, err := b.Model.PlaceWebcall(ctx, pbx.Webcall{Customer: "0555", Dst: "801", CustomerTimeout: time.Second, DstTimeout: time.Second})
				return err
			}},
			{"pause", func() error { return b.Model.PauseMember(ctx, "630", "801", true, "") }},
			{"login", func() error { return b.Model.AddMember(ctx, "632", "801") }},
			{"logout", func() error { return b.Model.RemoveMember(ctx, "630", "801") }},
			{"astdb put", func() error { return db.Put(ctx, "blacklist", "0501234567", "1") }},
			{"astdb del", func() error { return db.Del(ctx, "blacklist", "0501234567") }},
			{"astdb tree", func() error { _, err := db.Tree(ctx, "blacklist"); return err }},
		} {
			start := time.Now()
			if err := tc.run(); !errors.Is(err, pbx.ErrNotConnected) {
				t.Errorf("%s while down: %v", tc.name, err)
			}
			if time.Since(start) > time.Second {
				t.Errorf("%s did not fail fast while disconnected", tc.name)
			}
		}
	})
}

func upCount(cs []pbx.Channel) int {
	n := 0
	for _, c := range cs {
		if c.State == 6 {
			n++
		}
	}
	return n
}
