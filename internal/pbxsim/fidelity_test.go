package pbxsim

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/ami/transcript"
)

// The fidelity test replays every transcript recorded from a real
// Asterisk 20.20.1 (internal/ami/testdata/ami-*.txt) against pbxsim: the same actions are
// sent, the stimuli the recording got from outside (sipp registering, a phone
// answering) are driven through the control API, and what pbxsim writes is
// compared with what Asterisk wrote.
//
// What is compared: the greeting; per stream (below), the sequence of
// messages, each reduced to its Event (or Response) name, the values of
// Privilege, Response, EventList and Message (constant texts in Asterisk)
// and of Location and Interface (queue members, whose order is app_queue's),
// the Variable of VarSet (which variables a channel gets, in which order),
// the State of DeviceStateChange and StatusText of ExtensionStatus (what a
// phone or queue shows, and when), the Status of QueueMemberAdded, and the
// sorted multiset of its header
// keys. Ids, times, counters and the like naturally differ and are not
// compared.
//
// Streams: Asterisk publishes from many threads, so the global interleaving
// of events of different channels (and of responses with events) is not
// deterministic — the recordings themselves show it, e.g. OriginateResponse
// before or after the originated channel's Newstate (03 vs 06), AgentComplete
// before or after BridgeLeave. Order is therefore compared within a stream
// whose order Asterisk does guarantee:
//   - a response with its list items and Complete event (by ActionID);
//   - the events of one channel (Channel, else DestChannel, else
//     LocalOneChannel; the 8-hex suffix stripped);
//   - Cdr records of one channel; queue events (QueueCaller*, Agent*) of one
//     queue; QueueMember* of one member; DeviceStateChange of one device;
//     ExtensionStatus of one hint; PeerStatus of one peer; ContactStatus of
//     one AOR; security events of one account; OriginateResponse of one
//     ActionID; bridge lifecycle; system events.
// Every message of the recording must appear in its stream and nothing more,
// so counts are compared exactly.

// The restart in the middle of a call (ami-21: the first session cut by
// "core restart now", the second logging in while Asterisk boots) spans
// two connections: fidelity_restart_test.go replays it. The outside world
// of each recording is in fidelity_scenarios_test.go, the streams and what
// is compared of a message in fidelity_streams_test.go.

// transcripts is where the recordings of a real Asterisk are kept, once,
// for the AMI codec, the model and pbxsim.
const transcripts = "../ami/testdata"

// notReplayed are the transcripts pbxsim does not replay, and why.
var notReplayed = map[string]string{
	"ami-09-agentcomplete-without-channels.txt": "an AgentComplete sent after both channels were gone, " +
		"a race in app_queue that pbxsim does not reproduce; internal/pbx replays it",
}

func TestFidelity(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(transcripts, "ami-*.txt"))
	files = slices.DeleteFunc(files, func(f string) bool {
		base := filepath.Base(f)
		return strings.HasSuffix(base, ".s2c.raw.txt") || slices.Contains(restartTranscripts, base) || notReplayed[base] != ""
	})
	if len(files) != len(scenarios) {
		t.Errorf("%d transcripts in %s, %d scenarios: every transcript needs a scenario (or a reason in notReplayed)", len(files), transcripts, len(scenarios))
	}
	for _, sc := range scenarios {
		t.Run(strings.TrimSuffix(sc.file, ".txt"), func(t *testing.T) {
			t.Parallel()
			replay(t, sc)
		})
	}
}

func replay(t *testing.T, sc scenario) {
	entries := readTranscript(t, sc.file)
	sim := startSim(t, Options{Timing: replayTiming()})
	if sc.setup != nil {
		sc.setup(t, sim)
	}
	c := dialSim(t, sim)
	want := replaySession(t, sim, c, sc, entries)
	waitClosed(t, c, "Logoff")
	compareStreams(t, streams(want), dropLost(t, streams(c.all()), sc.lost))
}

func readTranscript(t *testing.T, file string) []transcript.Entry {
	t.Helper()
	entries, err := transcript.ReadFile(filepath.Join(transcripts, file))
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// replayTiming is FastTiming with the delays the recordings need.
func replayTiming() Timing {
	// Wait(n) of the recorded originates lasts n×100 ms: long enough for the
	// replay to send its mid-call queries while the call is up, even under
	// -race on a busy machine.
	timing := FastTiming()
	timing.WaitScale = 0.1
	// A phone rings until the replay answers it (ami-14), which may take
	// longer than FastTiming's ring under -race.
	timing.DialTimeout = 10 * time.Second
	// The lab's queue timers (member timeout 15 s, retry 2 s, an inbound
	// caller's wait 20 s) at a tenth: how often a member is rung before
	// the caller hangs up or gives up shows in the streams (ami-15, 16).
	timing.QueueTimeout, timing.QueueRetry, timing.QueueMaxWait = 1500*time.Millisecond, 200*time.Millisecond, 2*time.Second
	// Answer's wait for media (500 ms on Asterisk) at 200 ms: long enough
	// for the stimuli that came during it (ami-18's Hangup, ami-21's
	// Command and Hangup), short enough for a fake phone to reach its Wait
	// within ami-03's scaled call.
	timing.AnswerWait = 200 * time.Millisecond
	return timing
}

// replaySession sends the recorded actions of entries on c, driving the
// scenario's stimuli as the recording reaches them, and returns what
// Asterisk wrote.
func replaySession(t *testing.T, sim *Server, c *testClient, sc scenario, entries []transcript.Entry) []ami.Message {
	t.Helper()
	var want []ami.Message
	seen := map[string]int{}
	registered := map[string]bool{}
	for _, e := range entries {
		switch {
		case e.Greeting != "":
			if c.greeting != e.Greeting {
				t.Errorf("greeting %q, want %q", c.greeting, e.Greeting)
			}
		case e.Dir == transcript.ClientToServer:
			c.waitCount(len(want)-answeredEarly(want, e.Msg), 30*time.Millisecond)
			c.send(simChannels(sim, e.Msg.Headers())...)
		default:
			name := e.Msg.Event()
			seen[name]++
			// A ChallengeSent for sip:<peer>@<host> challenges an INVITE,
			// not a REGISTER: the scenario's hooks dial.
			if acct := e.Msg.Get("AccountID"); sc.phones && name == "ChallengeSent" && !strings.HasPrefix(acct, "sip:") {
				c.waitCount(len(want), 30*time.Millisecond)
				if registered[acct] {
					must(t, sim.Unregister(acct))
				} else {
					must(t, sim.SetAutoAnswer(acct, sc.answerAfter))
					must(t, sim.SetQualify(acct, true))
					must(t, sim.Register(acct))
				}
				registered[acct] = !registered[acct]
			}
			for _, h := range sc.hooks {
				if h.event == name && h.nth == seen[name] {
					c.waitCount(len(want), 30*time.Millisecond)
					h.run(t, sim)
				}
			}
			want = append(want, e.Msg)
		}
	}
	return want
}

// waitClosed waits for pbxsim to close c after what ended the session.
func waitClosed(t *testing.T, c *testClient, after string) {
	t.Helper()
	select {
	case <-c.closed:
	case <-time.After(5 * time.Second):
		t.Errorf("connection not closed after %s", after)
	}
}

// dropLost removes from the end of each stream of got the messages the
// recording lost (scenario.lost).
func dropLost(t *testing.T, got map[string][]string, lost map[string]int) map[string][]string {
	t.Helper()
	for k, n := range lost {
		if len(got[k]) < n {
			t.Errorf("stream %q: %d messages, fewer than the %d lost", k, len(got[k]), n)
			continue
		}
		got[k] = got[k][:len(got[k])-n]
	}
	return got
}

// answeredEarly counts the messages of want that answer req: the recorder
// sometimes wrote Asterisk's answer before the action (ami-10: Goodbye
// before Logoff), and waiting for them before sending req only times out.
func answeredEarly(want []ami.Message, req ami.Message) int {
	n := 0
	for _, m := range want {
		if _, ok := m.Lookup("Privilege"); !ok && req.ActionID() != "" && m.ActionID() == req.ActionID() {
			n++
		}
	}
	return n
}

// simChannels renames the channel an action names (Hangup of a recorded
// channel, the target in ChanSpy's Data) to pbxsim's live channel of the
// same name but for the counter, which differs between the recording and
// the replay.
func simChannels(sim *Server, hs []ami.Header) []ami.Header {
	out := slices.Clone(hs)
	for i, h := range out {
		name, rest, _ := strings.Cut(h.Value, ",")
		if (h.Key != "Channel" && h.Key != "Data") || !hexSuffix.MatchString(name) {
			continue
		}
		for _, c := range sim.Channels() {
			if normChannel(c.Name) == normChannel(name) {
				out[i].Value = c.Name
				if rest != "" {
					out[i].Value += "," + rest
				}
			}
		}
	}
	return out
}
