package pusher_test

import (
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/testbed"
)

// TestGoldenUserDataThroughCall: a business system's userData, given to
// click-number, is in every push of the call: its dials, the agent's
// hold and mute, the consult and its transfer, the hangups and the CDRs.
func TestGoldenUserDataThroughCall(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802", "803"}, AutoAnswer: 10 * time.Millisecond}, func(t *testing.T, b *testbed.Bed) {
		ctx := testbed.Ctx(t)
		const userData = `ticket 7, "vip" — café`
		if _, err := b.Model.ClickToCall(ctx, "801", "802", userData); err != nil {
			t.Fatal(err)
		}
		talking := func(ext string) bool {
			legs := b.PhoneChannels(ext)
			return len(legs) == 1 && legs[0].State == 6 && legs[0].BridgeID != ""
		}
		b.Eventually("801 talking to 802", func() bool { return talking("801") && talking("802") })
		for _, step := range []struct {
			what string
			do   func() error
		}{
			{"hold", func() error { return b.Model.Hold(ctx, "802") }},
			{"unhold", func() error { return b.Model.Unhold(ctx, "802") }},
			{"mute", func() error { return b.Model.Mute(ctx, "802", true) }},
			{"unmute", func() error { return b.Model.Mute(ctx, "802", false) }},
			{"consult", func() error { _, err := b.Model.Consult(ctx, "802", "803", ""); return err }},
		} {
			if err := step.do(); err != nil {
				t.Fatalf("%s: %v", step.what, err)
			}
		}
		b.Eventually("803 answered the consult", func() bool { return talking("803") })
		if err := b.Model.ConsultTransfer(ctx, "802"); err != nil {
			t.Fatal(err)
		}
		b.Eventually("801 talking to 803", func() bool { return len(b.PhoneChannels("802")) == 0 && talking("801") && talking("803") })
		if err := b.Stage().Hangup(b.PhoneChannels("803")[0].Name, 16); err != nil {
			t.Fatal(err)
		}
		// A step once the call is over: a replay then plays its every push.
		b.Eventually("the call over", func() bool { return len(b.Model.Channels()) == 0 })
		// pbxsim models the consult's channels only roughly (their hangups
		// differ): its pushes are held to the userData, not to the real
		// Asterisk's shape.
		pushes := livePushes
		if b.Sim == nil {
			pushes = golden
		}
		seen := map[string]int{}
		for _, m := range pushes(t, b) {
			event, _ := m["event"].(string)
			if event == "extensionstatus" { // an extension's, not a call's
				continue
			}
			seen[event]++
			if m["userData"] != userData {
				t.Errorf("%s push without the call's userData: %v", event, m)
			}
		}
		for _, event := range []string{"dialbegein", "dialend", "hold", "unhold", "mute", "unmute", "transfer", "hangup", "cdr"} {
			if seen[event] == 0 {
				t.Errorf("no %s push (pushes: %v)", event, seen)
			}
		}
	})
}

// TestGoldenQueueCallUserData: an agent of 632 holds the caller through
// the API (the hold counts into holdTime) and transfers it on with the
// business system's userData, which the queue call's cc_cdr then carries.
func TestGoldenQueueCallUserData(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"804", "802"}}, func(t *testing.T, b *testbed.Bed) {
		ctx := testbed.Ctx(t)
		caller, _ := answered632(b)
		if err := b.Model.Hold(ctx, "804"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond) // holdTime counts whole seconds
		if err := b.Model.Unhold(ctx, "804"); err != nil {
			t.Fatal(err)
		}
		if err := b.Model.Transfer(ctx, "804", "802", "ticket 9"); err != nil {
			t.Fatal(err)
		}
		b.Eventually("802 ringing", func() bool { return len(b.PhoneChannels("802")) == 1 })
		if err := b.Stage().Hangup(caller, 16); err != nil {
			t.Fatal(err)
		}
		// A step once the call is over: a replay then plays its end.
		b.Eventually("the call over", func() bool { return len(b.Model.Channels()) == 0 })
		cc := goldenQueueCall(t, b)
		if cc["userData"] != "ticket 9" || cc["forwardNumber"] != "802" {
			t.Errorf("cc_cdr: %v", cc)
		}
		if hold, _ := cc["holdTime"].(float64); hold < 1 {
			t.Errorf("cc_cdr holdTime %v: want the API's hold counted", cc["holdTime"])
		}
	})
}
