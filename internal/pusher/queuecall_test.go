package pusher_test

import (
	"maps"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pausetimer"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/pbxsim"
	"github.com/coocenter/coocenterd/internal/pusher"
	"github.com/coocenter/coocenterd/internal/testbed"
)

// Each scenario's cc_cdr is compared with the one its recording's replay
// pushes (pauseTime 0: the after-call pause is the pause timer's).

func TestGoldenQueueCallAnswered(t *testing.T) {
	testbed.Each(t, testbed.Options{}, func(t *testing.T, b *testbed.Bed) {
		sim := b.Stage()
		caller, err := sim.InboundCall("0501234567", "630") // Local fake phones answer at once
		if err != nil {
			t.Fatal(err)
		}
		waitBridged(b, caller)
		if err := sim.Hangup(caller, 16); err != nil {
			t.Fatal(err)
		}
		goldenQueueCall(t, b)
	})
}

func TestGoldenQueueCallAbandonedQuickly(t *testing.T) {
	// 804 rings and never answers
	testbed.Each(t, testbed.Options{Registered: []string{"804"}}, func(t *testing.T, b *testbed.Bed) {
		sim := b.Stage()
		caller, err := sim.InboundCall("0501234567", "632")
		if err != nil {
			t.Fatal(err)
		}
		b.Eventually("804 ringing", func() bool { return len(b.PhoneChannels("804")) == 1 })
		if err := sim.Hangup(caller, 16); err != nil {
			t.Fatal(err)
		}
		goldenQueueCall(t, b)
	})
}

func TestGoldenQueueCallNobodyLoggedIn(t *testing.T) {
	// 632's members SIP/804 and PJSIP/904 are not registered
	testbed.Each(t, testbed.Options{}, func(t *testing.T, b *testbed.Bed) {
		sim := b.Stage()
		caller, err := sim.InboundCall("0501234567", "632")
		if err != nil {
			t.Fatal(err)
		}
		waitCaller(b, caller, "caller in the queue", func(c pbx.Channel) bool { return c.Application == "Queue" })
		if err := sim.Hangup(caller, 16); err != nil {
			t.Fatal(err)
		}
		goldenQueueCall(t, b)
	})
}

func TestGoldenQueueCallNoAnswer(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"804"}}, func(t *testing.T, b *testbed.Bed) {
		if _, err := b.Stage().InboundCall("0501234567", "632"); err != nil {
			t.Fatal(err)
		}
		// 804 rings, times out, is rung again ... until the queue gives the
		// caller up (QueueMaxWait; 20 s on the test PBX) and the dialplan
		// hangs up.
		goldenQueueCall(t, b)
	})
}

func TestGoldenQueueCallTransferred(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"804", "802"}}, func(t *testing.T, b *testbed.Bed) {
		sim := b.Stage()
		caller, agent := answered632(b)
		if err := sim.BlindTransfer(agent, "802"); err != nil {
			t.Fatal(err)
		}
		b.Eventually("802 ringing", func() bool { return len(b.PhoneChannels("802")) == 1 })
		if err := sim.Hangup(caller, 16); err != nil {
			t.Fatal(err)
		}
		goldenQueueCall(t, b)
	})
}

func TestGoldenQueueCallHold(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"804"}}, func(t *testing.T, b *testbed.Bed) {
		sim := b.Stage()
		_, agent := answered632(b)
		if err := sim.Hold(agent, ""); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond) // holdTime counts whole seconds
		if err := sim.Unhold(agent); err != nil {
			t.Fatal(err)
		}
		if err := sim.Hangup(agent, 16); err != nil { // the agent hangs up
			t.Fatal(err)
		}
		goldenQueueCall(t, b)
	})
}

// TestGoldenQueueCallSurvey: the survey through the shipped dialplan: 804
// answers a call into 632 and hangs up, Queue's c option sends the caller
// on to [coocenter-survey], and the caller presses 5.
func TestGoldenQueueCallSurvey(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"804"}}, func(t *testing.T, b *testbed.Bed) {
		caller := inSurvey(b)
		time.Sleep(1100 * time.Millisecond) // feedbackTime counts whole seconds
		if err := b.PressKeys(caller, "5"); err != nil {
			t.Fatal(err)
		}
		got := goldenQueueCall(t, b)
		if f := got["feedbackTime"]; f != "1" && f != "2" {
			t.Errorf("feedbackTime %s after a survey of about a second", f)
		}
	})
}

// TestGoldenQueueCallSurveyNoKey: the caller presses nothing; the survey's
// Read gives up after 5 s and the dialplan hangs up: no score.
func TestGoldenQueueCallSurveyNoKey(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"804"}}, func(t *testing.T, b *testbed.Bed) {
		inSurvey(b)
		got := goldenQueueCall(t, b)
		if got["score"] != "0" || got["cdrState"] != "feedback" {
			t.Errorf("score %q, cdrState %q after a survey without a key", got["score"], got["cdrState"])
		}
	})
}

// TestGoldenQueueCallSurveyHungUp: the caller hangs up in the survey
// without a key: no score.
func TestGoldenQueueCallSurveyHungUp(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"804"}}, func(t *testing.T, b *testbed.Bed) {
		caller := inSurvey(b)
		if err := b.Stage().Hangup(caller, 16); err != nil {
			t.Fatal(err)
		}
		got := goldenQueueCall(t, b)
		if got["score"] != "0" || got["cdrState"] != "feedback" {
			t.Errorf("score %q, cdrState %q after the caller hung up in the survey", got["score"], got["cdrState"])
		}
	})
}

// inSurvey places a call into 632 through the shipped dialplan; 804
// answers and hangs up, and Queue's c option sends the caller on to
// [coocenter-survey]. It returns once the caller waits for a key there.
func inSurvey(b *testbed.Bed) string {
	t := b.T
	caller, err := b.ShippedInboundCall("0501234567", "632")
	if err != nil {
		t.Fatal(err)
	}
	b.Eventually("804 ringing", func() bool { return len(b.PhoneChannels("804")) == 1 })
	if err := b.Stage().Answer(b.PhoneChannels("804")[0].Name); err != nil {
		t.Fatal(err)
	}
	waitBridged(b, caller)
	agents := b.PhoneChannels("804")
	if len(agents) != 1 {
		t.Fatalf("804's channels: %+v", agents)
	}
	if err := b.Stage().Hangup(agents[0].Name, 16); err != nil {
		t.Fatal(err)
	}
	waitCaller(b, caller, "caller in the survey", func(c pbx.Channel) bool { return c.Application == "Read" })
	return caller
}

// answered632 places an inbound call into queue 632 and has SIP/804 answer
// it; it returns the caller's and the agent's channels once bridged.
func answered632(b *testbed.Bed) (caller, agent string) {
	b.T.Helper()
	caller, err := b.Stage().InboundCall("0501234567", "632")
	if err != nil {
		b.T.Fatal(err)
	}
	b.Eventually("804 ringing", func() bool { return len(b.PhoneChannels("804")) == 1 })
	agent = b.PhoneChannels("804")[0].Name
	if err := b.Stage().Answer(agent); err != nil {
		b.T.Fatal(err)
	}
	waitBridged(b, caller)
	return caller, agent
}

func waitBridged(b *testbed.Bed, caller string) {
	b.T.Helper()
	waitCaller(b, caller, "caller bridged to an agent", func(c pbx.Channel) bool { return c.BridgeID != "" })
}

// waitCaller waits until the model's channel named caller meets cond.
func waitCaller(b *testbed.Bed, caller, what string, cond func(pbx.Channel) bool) {
	b.T.Helper()
	b.Eventually(what, func() bool {
		for _, c := range b.Model.Channels() {
			if c.Name == caller && cond(c) {
				return true
			}
		}
		return false
	})
}

// goldenQueueCall waits for the scenario's QueueCallEnded and compares its
// cc_cdr with the one of the test's recording, but for what a live run
// makes differ (realQueueCall); it returns the cc_cdr as pushed.
func goldenQueueCall(t *testing.T, b *testbed.Bed) push {
	t.Helper()
	if b.IsReplay() {
		for _, m := range exactGolden(t, b) {
			if m["event"] == "cc_cdr" {
				return m
			}
		}
		t.Fatal("no queue call ended")
	}
	tr := pusher.Translator{MAC: testMAC, Location: time.UTC}
	var got []push
	wait := 2 * pbxsim.FastTiming().QueueMaxWait
	if testbed.Real() {
		wait = 40 * time.Second // the test PBX's queue gives a caller up after 20 s
	}
	deadline := time.After(wait)
	for len(got) == 0 {
		select {
		case e := <-b.Events:
			if q, ok := e.(pbx.QueueCallEnded); ok {
				got = append(got, decode(t, tr.QueueCall(q.Call, 0)))
			}
		case <-deadline:
			t.Fatal("no queue call ended")
		}
	}
	pushed := maps.Clone(got[0])
	path, recorded := recordedGolden(t, b)
	var want []push
	for _, m := range recorded {
		if m["event"] == "cc_cdr" {
			want = append(want, m)
		}
	}
	if len(want) != 1 {
		t.Fatalf("%s holds %d cc_cdr, want 1", path, len(want))
	}
	normalise(got)
	normalise(want)
	realQueueCall(got[0])
	realQueueCall(want[0])
	if !maps.Equal(got[0], want[0]) {
		t.Errorf("the cc_cdr differs from %s beyond timing:\ngot  %v\nwant %v", path, got[0], want[0])
	}
	return pushed
}

// realQueueCall blanks what differs from run to run: whole seconds of the
// IVR's Wait(1), of a phone's ringing and of a survey (pbxsim's are short),
// the install's monitor folder, and which of queue 630's Local members,
// who answer at once, won.
func realQueueCall(m push) {
	for _, k := range []string{"ivrTime", "queueTime", "ringTime", "talkingTime", "feedbackTime"} {
		m[k] = "<secs>"
	}
	m["filePath"] = regexp.MustCompile(`^.*/monitor/`).ReplaceAllString(str(m, "filePath"), "<monitor>/")
	if m["queueCode"] == "630" {
		m["agentCode"], m["agentName"], m["called"] = "<agent>", "<agent>", "<agent>"
	}
}

// TestWrapUpPush: wrapupend names the call that started the pause (uuid,
// and as the cdr push names it: uniqueid, linkedid) and its pauseTime; for
// a direct call it is the call's only record of the pause.
func TestWrapUpPush(t *testing.T) {
	tr := pusher.Translator{MAC: testMAC, Location: time.UTC}
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	ev, ok := tr.WrapUp(pausetimer.WrapUp{Kind: "end", Exten: "801", Interface: "SIP/801", Queues: []string{"630", "631"},
		Uniqueid: "1796223761.5", Linkedid: "1796223761.4", Start: start, Until: start.Add(30 * time.Second),
		End: start.Add(30 * time.Second), Ended: "timer", Pause: 30 * time.Second})
	want := `{"event":"wrapupend","agentCode":"801","interface":"SIP/801","queues":"630,631","uuid":"1796223761.5",` +
		`"uniqueid":"1796223761.5","linkedid":"1796223761.4","startTime":"2026-12-02 10:00:00","until":"2026-12-02 10:00:30",` +
		`"endTime":"2026-12-02 10:00:30","pauseTime":30,"endedBy":"timer","timestamp":"1796205630.000000","mac":"68:69:2e:05:0f:9a"}`
	if !ok || ev.Name != "wrapupend" || string(ev.Body) != want || !slices.Equal(ev.Keys, []string{"exten:801"}) {
		t.Errorf("got %s %v\nwant %s", ev.Body, ev.Keys, want)
	}
}
