package pbx_test

import (
	"errors"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/testbed"
)

// The agent's verbs on a live call: 801 click-to-calls 802, so both legs
// are armed (click-number's own leg by its Originate, 802's by the test
// dialplan's Dial, written as README tells users to).

// talking has 801 call 802 (both answer) with userData and waits until
// they are bridged; it returns 802's leg.
func talking(t *testing.T, b *testbed.Bed, userData string) pbx.Channel {
	t.Helper()
	if _, err := b.Model.ClickToCall(testbed.Ctx(t), "801", "802", userData); err != nil {
		t.Fatal(err)
	}
	var leg pbx.Channel
	b.Eventually("801 talking to 802", func() bool {
		a, z := b.PhoneChannels("801"), b.PhoneChannels("802")
		if len(a) != 1 || len(z) != 1 || a[0].BridgeID == "" || a[0].BridgeID != z[0].BridgeID {
			return false
		}
		leg = z[0]
		return true
	})
	return leg
}

// awaitEvent returns the first of the model's next events of type E that
// match accepts, within 10 s.
func awaitEvent[E pbx.Event](t *testing.T, b *testbed.Bed, what string, match func(E) bool) E {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-b.Events:
			if m, ok := e.(E); ok && match(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("no %s within 10 s", what)
		}
	}
}

// talks reports whether ext has one channel, up and bridged. (Whom with
// is not always a phone: the recorded consult's Local channels stay
// between the parties, as MixMonitor stops their optimization.)
func talks(b *testbed.Bed, ext string) bool {
	legs := b.PhoneChannels(ext)
	return len(legs) == 1 && legs[0].State == 6 && legs[0].BridgeID != ""
}

// onlyLeg is ext's one channel; it fails the test unless there is one.
func onlyLeg(t *testing.T, b *testbed.Bed, ext string) pbx.Channel {
	t.Helper()
	legs := b.PhoneChannels(ext)
	if len(legs) != 1 {
		t.Fatalf("%s has %d channels: %+v", ext, len(legs), legs)
	}
	return legs[0]
}

func TestHoldAndUnhold(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		ctx := testbed.Ctx(t)
		talking(t, b, "")
		if err := b.Model.Hold(ctx, "802"); err != nil {
			t.Fatal(err)
		}
		e := awaitEvent(t, b, "hold of 802", func(e pbx.HoldChanged) bool { return e.Exten == "802" })
		if !e.Held {
			t.Fatalf("first hold event of 802: %+v", e)
		}
		leg, other := onlyLeg(t, b, "802"), onlyLeg(t, b, "801")
		if !leg.Held || !leg.HeldHere || leg.HeldSince.IsZero() || other.Held {
			t.Errorf("held: 802 %+v, 801 %+v", leg, other)
		}
		if leg.BridgeID == "" || leg.BridgeID != other.BridgeID {
			t.Errorf("the hold left the bridge: 802 in %q, 801 in %q", leg.BridgeID, other.BridgeID)
		}
		if err := b.Model.Hold(ctx, "802"); !errors.Is(err, pbx.ErrConflict) {
			t.Errorf("hold of a held call: %v", err)
		}
		if err := b.Model.Unhold(ctx, "801"); !errors.Is(err, pbx.ErrConflict) {
			t.Errorf("unhold of the held party's own leg: %v", err)
		}
		if err := b.Model.Unhold(ctx, "802"); err != nil {
			t.Fatal(err)
		}
		if e := awaitEvent(t, b, "unhold of 802", func(e pbx.HoldChanged) bool { return e.Exten == "802" }); e.Held {
			t.Fatalf("after unhold: %+v", e)
		}
		if leg := onlyLeg(t, b, "802"); leg.Held || leg.HeldHere {
			t.Errorf("unheld 802: %+v", leg)
		}
		if err := b.Model.Unhold(ctx, "802"); !errors.Is(err, pbx.ErrConflict) {
			t.Errorf("unhold of a call not on hold: %v", err)
		}
		// The click-to-call leg is armed too.
		if err := b.Model.Hold(ctx, "801"); err != nil {
			t.Fatal(err)
		}
		if err := b.Model.Unhold(ctx, "801"); err != nil {
			t.Fatal(err)
		}
		if err := b.Model.Hold(ctx, "803"); !errors.Is(err, pbx.ErrNoActiveCall) {
			t.Errorf("hold of an idle extension: %v", err)
		}
	})
}

// TestHoldEndsWhenHeldPartyHangsUp: Asterisk would keep the agent in the
// hold application after the other party left; the model lets it go, and
// the agent's call ends.
func TestHoldEndsWhenHeldPartyHangsUp(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		talking(t, b, "")
		if err := b.Model.Hold(testbed.Ctx(t), "802"); err != nil {
			t.Fatal(err)
		}
		if err := b.Stage().Hangup(onlyLeg(t, b, "801").Name, 0); err != nil {
			t.Fatal(err)
		}
		b.Eventually("802 released", func() bool { return len(b.PhoneChannels("802")) == 0 })
	})
}

func TestMuteAndUnmute(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		ctx := testbed.Ctx(t)
		talking(t, b, "")
		if err := b.Model.Mute(ctx, "802", true); err != nil {
			t.Fatal(err)
		}
		if e := awaitEvent(t, b, "mute of 802", func(e pbx.MuteChanged) bool { return e.Exten == "802" }); !e.Muted {
			t.Fatalf("mute event: %+v", e)
		}
		if !onlyLeg(t, b, "802").Muted || onlyLeg(t, b, "801").Muted {
			t.Errorf("muted: 802 %+v, 801 %+v", onlyLeg(t, b, "802"), onlyLeg(t, b, "801"))
		}
		if err := b.Model.Mute(ctx, "802", true); !errors.Is(err, pbx.ErrConflict) {
			t.Errorf("mute of a muted extension: %v", err)
		}
		if err := b.Model.Mute(ctx, "802", false); err != nil {
			t.Fatal(err)
		}
		if e := awaitEvent(t, b, "unmute of 802", func(e pbx.MuteChanged) bool { return e.Exten == "802" }); e.Muted {
			t.Fatalf("unmute event: %+v", e)
		}
		if err := b.Model.Mute(ctx, "802", false); !errors.Is(err, pbx.ErrConflict) {
			t.Errorf("unmute of an extension not muted: %v", err)
		}
	})
}

// consulting has 802, talking to 801, consult 803 (which answers) with
// userData, and waits until 802 talks to 803.
func consulting(t *testing.T, b *testbed.Bed, userData string) {
	t.Helper()
	leg := talking(t, b, "")
	id, err := b.Model.Consult(testbed.Ctx(t), "802", "803", userData)
	if err != nil {
		t.Fatal(err)
	}
	if id != leg.Linkedid {
		t.Errorf("consult id %q: want 802's call %q", id, leg.Linkedid)
	}
	b.Eventually("802 consulting 803", func() bool {
		a, z := b.PhoneChannels("802"), b.PhoneChannels("803")
		// (a recorded call keeps the consult's Local channels between them:
		// MixMonitor stops their optimization)
		return len(a) == 1 && len(z) == 1 && z[0].State == 6 && a[0].Held && a[0].Consulting == "803"
	})
}

func TestConsultThenTransfer(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802", "803"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		ctx := testbed.Ctx(t)
		consulting(t, b, "ticket 7")
		if _, err := b.Model.Consult(ctx, "802", "803", ""); !errors.Is(err, pbx.ErrConflict) {
			t.Errorf("a second consult: %v", err)
		}
		if err := b.Model.Hold(ctx, "802"); !errors.Is(err, pbx.ErrConflict) {
			t.Errorf("hold while consulting: %v", err)
		}
		if err := b.Model.ConsultTransfer(ctx, "802"); err != nil {
			t.Fatal(err)
		}
		e := awaitEvent(t, b, "the transfer", func(e pbx.Transferred) bool { return true })
		if e.Kind != "attended" || e.From != "802" || e.To != "803" || e.Transferee.UserData != "ticket 7" {
			t.Errorf("transfer: %+v", e)
		}
		b.Eventually("801 talking to 803, 802 released", func() bool {
			return len(b.PhoneChannels("802")) == 0 && talks(b, "801") && talks(b, "803")
		})
		for _, ext := range []string{"801", "803"} {
			if leg := onlyLeg(t, b, ext); leg.UserData != "ticket 7" || leg.Held {
				t.Errorf("%s after the transfer: %+v", ext, leg)
			}
		}
		if err := b.Model.ConsultTransfer(ctx, "802"); !errors.Is(err, pbx.ErrNoActiveCall) {
			t.Errorf("consult-transfer of a released extension: %v", err)
		}
	})
}

func TestConsultCancel(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802", "803"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		ctx := testbed.Ctx(t)
		consulting(t, b, "")
		if err := b.Model.ConsultCancel(ctx, "802"); err != nil {
			t.Fatal(err)
		}
		b.Eventually("802 back with 801", func() bool {
			a, z := b.PhoneChannels("801"), b.PhoneChannels("802")
			return len(b.PhoneChannels("803")) == 0 && len(a) == 1 && len(z) == 1 && !z[0].Held && z[0].Consulting == "" &&
				a[0].BridgeID != "" && a[0].BridgeID == z[0].BridgeID
		})
		if err := b.Model.ConsultCancel(ctx, "802"); !errors.Is(err, pbx.ErrConflict) {
			t.Errorf("cancel without a consult: %v", err)
		}
		if err := b.Model.ThreeWay(ctx, "802"); !errors.Is(err, pbx.ErrConflict) {
			t.Errorf("three-way without a consult: %v", err)
		}
	})
}

func TestThreeWay(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802", "803"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		consulting(t, b, "")
		if err := b.Model.ThreeWay(testbed.Ctx(t), "802"); err != nil {
			t.Fatal(err)
		}
		b.Eventually("801, 802 and 803 in one call", func() bool {
			a, m := b.PhoneChannels("801"), b.PhoneChannels("802")
			return talks(b, "801") && talks(b, "802") && talks(b, "803") && a[0].BridgeID == m[0].BridgeID &&
				!m[0].Held && m[0].Consulting == ""
		})
		// The agent leaves; the other two go on.
		if err := b.Stage().Hangup(onlyLeg(t, b, "802").Name, 0); err != nil {
			t.Fatal(err)
		}
		b.Eventually("801 and 803 still talking", func() bool {
			return len(b.PhoneChannels("802")) == 0 && talks(b, "801") && talks(b, "803")
		})
	})
}

func TestWebcall(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"802"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		id, err := b.Model.PlaceWebcall(testbed.Ctx(t), pbx.Webcall{Customer: "0555123", Dst: "802", DstCallerID: "0555123",
			CustomerTimeout: 30 * time.Second, DstTimeout: 20 * time.Second, UserData: "order 42"})
		if err != nil || id == "" {
			t.Fatalf("webcall: %q, %v", id, err)
		}
		var leg pbx.Channel
		b.Eventually("802 talking to the customer", func() bool {
			legs := b.PhoneChannels("802")
			if len(legs) != 1 || legs[0].State != 6 || legs[0].BridgeID == "" {
				return false
			}
			leg = legs[0]
			return true
		})
		if leg.Linkedid != id || leg.UserData != "order 42" || leg.ConnectedLineNum != "0555123" {
			t.Errorf("802's leg of webcall %s: %+v", id, leg)
		}
		if _, err := b.Model.PlaceWebcall(testbed.Ctx(t), pbx.Webcall{Customer: "0555123", Dst: "sales-nowhere",
			CustomerTimeout: time.Second, DstTimeout: time.Second}); !errors.Is(err, pbx.ErrUnknownQueue) {
			t.Errorf("webcall to no such queue: %v", err)
		}
	})
}

// TestUserDataSurvivesReconnect: userData lives on the channels, so a
// model that lost Asterisk and loads it again finds it there.
func TestUserDataSurvivesReconnect(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		if b.Sim != nil {
			t.Skip("pbxsim forgets its calls when it restarts; a real Asterisk (and its recordings) keeps them")
		}
		talking(t, b, "ticket 9 — café")
		if err := b.Model.Mute(testbed.Ctx(t), "802", true); err != nil {
			t.Fatal(err)
		}
		b.Eventually("802 muted", func() bool { return onlyLeg(t, b, "802").Muted })
		b.AsteriskAway(200 * time.Millisecond)
		b.Eventually("disconnected", func() bool { return !b.Model.Connected() })
		b.Eventually("resynced with the call's userData", func() bool {
			if !b.Model.Connected() {
				return false
			}
			a, z := b.PhoneChannels("801"), b.PhoneChannels("802")
			return len(a) == 1 && len(z) == 1 && a[0].UserData == "ticket 9 — café" && z[0].UserData == "ticket 9 — café" && z[0].Muted
		})
	})
}

// TestWebcallToQueue: the customer, once answered, waits in the queue
// like any caller, and an agent of it takes the call with its userData.
func TestWebcallToQueue(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"804", "904"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		id, err := b.Model.PlaceWebcall(testbed.Ctx(t), pbx.Webcall{Customer: "0555777", Dst: "632",
			CustomerTimeout: 30 * time.Second, DstTimeout: 20 * time.Second, UserData: "lead 12"})
		if err != nil {
			t.Fatal(err)
		}
		var agent pbx.Channel
		b.Eventually("an agent of 632 talking to the customer", func() bool {
			for _, ext := range []string{"804", "904"} {
				if legs := b.PhoneChannels(ext); len(legs) == 1 && legs[0].State == 6 && legs[0].BridgeID != "" {
					agent = legs[0]
					return true
				}
			}
			return false
		})
		if agent.Linkedid != id || agent.UserData != "lead 12" {
			t.Errorf("the agent's leg of webcall %s: %+v", id, agent)
		}
	})
}

// TestConsultUnmutesTheAgent: a mute stays with the agent's channel, so
// a consult ends it first: the consulted party hears the agent.
func TestConsultUnmutesTheAgent(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802", "803"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		ctx := testbed.Ctx(t)
		talking(t, b, "")
		if err := b.Model.Mute(ctx, "802", true); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Model.Consult(ctx, "802", "803", ""); err != nil {
			t.Fatal(err)
		}
		b.Eventually("802 consulting 803, unmuted", func() bool {
			legs := b.PhoneChannels("802")
			return len(legs) == 1 && legs[0].Consulting == "803" && !legs[0].Muted && talks(b, "803")
		})
		if err := b.Model.ConsultCancel(ctx, "802"); err != nil {
			t.Fatal(err)
		}
		b.Eventually("802 back with 801", func() bool { return len(b.PhoneChannels("803")) == 0 && talks(b, "802") })
	})
}
