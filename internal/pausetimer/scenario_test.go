package pausetimer_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pausetimer"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/testbed"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// TestAfterCallPauseOnThePBX runs the after-call pause against the PBX of
// the testbed — pbxsim, a real Asterisk with COOCENTER_TEST_AMI, or the
// replays of its recordings, where the timer must send the very
// QueuePause actions the recording holds, at its moments: a call
// into queue 631 is answered by its Local member (SIP/802 is not registered, so the answer does not race); when the caller
// hangs up, that member is paused in the queue with the reason (the
// QueueMemberPause of Asterisk 18+ echoes PausedReason into the model), then
// unpaused after the length, and the queue call's record comes with the
// pause's real length.
func TestAfterCallPauseOnThePBX(t *testing.T) {
	testbed.Each(t, testbed.Options{}, func(t *testing.T, b *testbed.Bed) {
		db := testkit.TempDB(t)
		type record struct {
			call  pbx.QueueCall
			pause time.Duration
		}
		records := make(chan record, 4)
		timer, err := pausetimer.Open(db, b.Model, pausetimer.Options{Enabled: true, Length: time.Second, Clock: b.Clock(),
			Reason: "after-call", Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})), JoinWait: 2 * time.Second,
			OnRecord: func(c pbx.QueueCall, p time.Duration) { records <- record{c, p} }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(timer.Close)
		stop := make(chan struct{})
		forwarded := make(chan struct{})
		go func() { // the daemon's wiring: every model event to the timer
			defer close(forwarded)
			for {
				select {
				case e := <-b.Events:
					timer.Handle(e)
				case <-stop:
					return
				}
			}
		}()
		t.Cleanup(func() { close(stop); <-forwarded })

		caller, err := b.Stage().InboundCall("0501237777", "631")
		if err != nil {
			t.Fatal(err)
		}
		var agent string
		b.Eventually("caller talking to an agent", func() bool {
			for _, c := range b.Model.Channels() {
				if c.Name == caller && c.BridgeID != "" {
					agent = c.ConnectedLineNum
					return true
				}
			}
			return false
		})
		// Talk a little: a real Local member is still in Answer() (waiting
		// for media) for a moment after the bridge forms.
		time.Sleep(time.Second)
		if err := b.Stage().Hangup(caller, 16); err != nil {
			t.Fatal(err)
		}
		var paused pbx.Member
		b.Eventually("the agent of 631 paused after the call", func() bool {
			for _, m := range queue631(b) {
				if m.Paused {
					paused = m
					return true
				}
			}
			return false
		})
		if paused.PausedReason != "after-call" {
			t.Errorf("paused member %s: reason %q, want after-call (agent on the call: %s)", paused.Interface, paused.PausedReason, agent)
		}
		b.Eventually("unpaused after the pause", func() bool { return !memberOf(b, paused.Interface).Paused })
		select {
		case r := <-records:
			if r.call.Queue != "631" || r.call.State != "bridged" || r.call.HangupSide != "caller" ||
				r.call.AgentInterface != paused.Interface || r.pause < time.Second || r.pause > 3*time.Second {
				t.Errorf("record %+v, pause %v", r.call, r.pause)
			}
			// Timed by the recording, the pause lasts its length exactly:
			// it starts as the call ends and ends when its timer fires.
			if b.IsReplay() && r.pause != time.Second {
				t.Errorf("replayed pause %v, want exactly 1s", r.pause)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no queue-call record after the pause")
		}
	})
}

func queue631(b *testbed.Bed) []pbx.Member {
	for _, q := range b.Model.Queues() {
		if q.Name == "631" {
			return q.Members
		}
	}
	return nil
}

func memberOf(b *testbed.Bed, iface string) pbx.Member {
	for _, m := range queue631(b) {
		if m.Interface == iface {
			return m
		}
	}
	return pbx.Member{}
}
