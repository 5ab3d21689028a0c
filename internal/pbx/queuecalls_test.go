package pbx

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/ami/transcript"
	"github.com/coocenter/coocenterd/internal/clock"
)

func TestQueueCallFromTranscripts(t *testing.T) {
	for _, tc := range []struct {
		file              string
		agent, iface      string
		caller, queue, id string
	}{
		{"ami-03-inbound-trunk-queue-630.txt", "801", "Local/801@fake-phone/n", "0501234567", "630", "1795280762.36"},
		{"ami-06-inbound-queue-632-sip-phone-804.txt", "804", "SIP/804", "", "632", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p := bareModel()
			var ended []QueueCall
			var completed []AgentCompleted
			for _, e := range replay(t, tc.file, p) {
				switch e := e.(type) {
				case QueueCallEnded:
					ended = append(ended, e.Call)
				case AgentCompleted:
					completed = append(completed, e)
				}
			}
			if len(ended) != 1 || len(completed) != 1 {
				t.Fatalf("%d queue calls ended, %d agents completed; want 1 and 1", len(ended), len(completed))
			}
			c := ended[0]
			t.Logf("%+v", c)
			if c.State != "bridged" || c.Agent != tc.agent || c.AgentInterface != tc.iface || c.Queue != tc.queue ||
				c.MissCause != "" || c.HangupSide == "" || c.Called != tc.agent || c.Direction != Inbound {
				t.Errorf("queue call: %+v", c)
			}
			if tc.caller != "" && (c.Caller != tc.caller || c.Uniqueid != tc.id) {
				t.Errorf("caller %q uniqueid %q", c.Caller, c.Uniqueid)
			}
			if completed[0].Uniqueid != c.Uniqueid || completed[0].Exten != tc.agent {
				t.Errorf("agent completed: %+v", completed[0])
			}
			if len(p.st.queueCalls) != 0 || len(p.st.agentOf) != 0 {
				t.Errorf("tracks left: %v %v", p.st.queueCalls, p.st.agentOf)
			}
		})
	}
}

func TestQueueCallRules(t *testing.T) {
	t0 := time.Unix(1795280000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for _, tc := range []struct {
		name    string
		track   queueTrack
		end     int
		state   string
		miss    string
		side    string
		queue   time.Duration
		feedbck time.Duration
	}{
		{"ivr only", queueTrack{ivrFirst: at(0), ivrLast: at(5)}, 8, "ivr", "", "caller", 0, 0},
		{"nobody logged in", queueTrack{joined: at(2), nobody: true, abandoned: true, abandonFor: 3 * time.Second}, 5, "queue", "NO_AGENT_LOGIN", "caller", 3 * time.Second, 0},
		{"gave up within 10 s", queueTrack{joined: at(2), rang: true, abandoned: true, abandonFor: 9 * time.Second}, 11, "queue", "MEMBER_CANCEL", "caller", 9 * time.Second, 0},
		{"gave up after 10 s, agents rang", queueTrack{joined: at(2), rang: true, ringMs: 15000, abandoned: true, abandonFor: 10 * time.Second}, 12, "queue", "NO_AGENT_ANSWER", "caller", 10 * time.Second, 0},
		{"gave up after 10 s, nobody free", queueTrack{joined: at(2), abandoned: true, abandonFor: 30 * time.Second}, 32, "queue", "NO_ASSIGN", "caller", 30 * time.Second, 0},
		{"queue timed out", queueTrack{joined: at(2), left: at(62), rang: true}, 63, "queue", "NO_AGENT_ANSWER", "caller", 60 * time.Second, 0},
		// app_queue reports a wait that ran out as QueueCallerAbandon, then
		// sets QUEUESTATUS TIMEOUT: not a caller giving up (ami-15).
		{"queue timed out within 10 s", queueTrack{joined: at(2), left: at(7), rang: true, abandoned: true, abandonFor: 5 * time.Second, queueEnded: true}, 8, "queue", "NO_AGENT_ANSWER", "caller", 5 * time.Second, 0},
		// The join event came 3 ms late: the wait is still the queue's 60 s.
		{"queue timed out, join seen late", queueTrack{joined: at(2).Add(3 * time.Millisecond), left: at(62), rang: true}, 63, "queue", "NO_AGENT_ANSWER", "caller", 60 * time.Second, 0},
		{"answered, agent hung up", queueTrack{joined: at(2), connected: true, completed: at(40), reason: "agent"}, 40, "bridged", "", "agent", 0, 0},
		{"answered, caller hung up", queueTrack{joined: at(2), connected: true, completed: at(40), reason: "caller"}, 40, "bridged", "", "caller", 0, 0},
		// A real Asterisk may send AgentComplete after the caller's Hangup.
		{"answered, caller hung up, AgentComplete late", queueTrack{joined: at(2), connected: true}, 40, "bridged", "", "caller", 0, 0},
		{"answered, caller left the bridge first, AgentComplete late", queueTrack{joined: at(2), connected: true, firstLeft: "caller"}, 40, "bridged", "", "caller", 0, 0},
		{"answered, agent hung up (left the bridge first), AgentComplete late", queueTrack{joined: at(2), connected: true, firstLeft: "agent"}, 40, "bridged", "", "agent", 0, 0},
		{"answered, transferred", queueTrack{joined: at(2), connected: true, completed: at(40), reason: "transfer"}, 40, "bridged", "", "agent", 0, 0},
		{"survey", queueTrack{joined: at(2), connected: true, completed: at(40), reason: "agent", survey: at(52)}, 55, "feedback", "", "agent", 0, 15 * time.Second},
		// With Queue's c option a real Asterisk sends AgentComplete at the
		// caller's hangup after the survey, Reason "caller".
		// The shipped dialplan's Queue with c sends an unanswered caller
		// on to the survey too: nobody to rate, the call ended waiting.
		{"survey after the queue timed out", queueTrack{joined: at(2), left: at(62), rang: true, survey: at(63)}, 70, "queue", "NO_AGENT_ANSWER", "caller", 60 * time.Second, 0},
		{"survey, AgentComplete at the caller's hangup", queueTrack{joined: at(2), connected: true, firstLeft: "agent", talkEnd: at(40),
			completed: at(55), reason: "caller", survey: at(52)}, 55, "feedback", "", "agent", 0, 15 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := tc.track
			tr.created, tr.holds = t0, map[string]time.Time{}
			c := tr.finish(at(tc.end))
			if c.State != tc.state || c.MissCause != tc.miss || c.HangupSide != tc.side || c.QueueTime != tc.queue || c.FeedbackTime != tc.feedbck {
				t.Errorf("state %q miss %q side %q queue %v feedback %v", c.State, c.MissCause, c.HangupSide, c.QueueTime, c.FeedbackTime)
			}
			if tr.connected && tr.completed.IsZero() && c.TalkTime != 0 {
				t.Errorf("talk time %v without AgentConnect's time", c.TalkTime)
			}
			if c.End.Sub(c.Start) != time.Duration(tc.end)*time.Second {
				t.Errorf("duration %v", c.End.Sub(c.Start))
			}
		})
	}
}

// TestQueueCallTalkTime: AgentComplete's TalkTime is Asterisk's, except
// for what it counted after the talk's bridge was left (a survey).
func TestQueueCallTalkTime(t *testing.T) {
	t0 := time.Unix(1795280000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	for _, tc := range []struct {
		name     string
		talkEnd  time.Time
		complete time.Time
		reported time.Duration
		want     time.Duration
	}{
		{"AgentComplete as the bridge is left", at(40000), at(40000), 30 * time.Second, 30 * time.Second},
		{"AgentComplete just after", at(40000), at(40300), 30 * time.Second, 30 * time.Second},
		{"AgentComplete before the bridge is left", at(40300), at(40000), 30 * time.Second, 30 * time.Second},
		{"AgentComplete after a 15 s survey", at(40000), at(55000), 45 * time.Second, 30 * time.Second},
		{"no AgentComplete yet", at(40000), time.Time{}, 0, 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := queueTrack{created: t0, joined: t0, connected: true, answered: at(10000), firstLeft: "agent", talkEnd: tc.talkEnd,
				completed: tc.complete, holds: map[string]time.Time{}}
			tr.call.TalkTime = tc.reported
			if c := tr.finish(at(56000)); c.TalkTime != tc.want {
				t.Errorf("talk time %v, want %v", c.TalkTime, tc.want)
			}
		})
	}
}

// TestQueueCallAgentCompleteLate replays the real ami-08 (caller hung up by
// AMI after a one-second talk) with its AgentComplete moved after the
// caller's Hangup, as a real Asterisk sometimes sends it: the side comes
// from the bridge (the caller left first) and the talk from AgentConnect.
func TestQueueCallAgentCompleteLate(t *testing.T) {
	entries, err := transcript.ReadFile("../ami/testdata/ami-08-after-call-pause-631.txt")
	if err != nil {
		t.Fatal(err)
	}
	var events, late []ami.Message
	for _, e := range entries {
		if e.Dir != transcript.ServerToClient || !e.Msg.IsEvent() || e.Msg.ActionID() != "" {
			continue
		}
		if e.Msg.Event() == "AgentComplete" {
			late = append(late, e.Msg)
			continue
		}
		events = append(events, e.Msg)
	}
	if len(late) != 1 {
		t.Fatalf("%d AgentComplete in ami-08, want 1", len(late))
	}
	p := bareModel()
	var ended []QueueCall
	p.subs = []func(Event){func(e Event) {
		if e, ok := e.(QueueCallEnded); ok {
			ended = append(ended, e.Call)
		}
	}}
	now := clock.NewManual(time.Unix(1795285175, 0)) // the transcript has no Timestamp headers
	p.opts.Clock = now
	for _, m := range append(events, late...) {
		p.apply(m)
		if m.Event() == "AgentConnect" {
			now.Advance(2 * time.Second) // the talk
		}
	}
	if len(ended) != 1 {
		t.Fatalf("%d queue calls ended, want 1", len(ended))
	}
	if c := ended[0]; c.State != "bridged" || c.Queue != "631" || c.HangupSide != "caller" || c.TalkTime != 2*time.Second {
		t.Errorf("queue call with a late AgentComplete: %+v", c)
	}
}

// TestAgentCompleteWithoutChannels replays the real ami-09: the caller
// was hung up by AMI and Asterisk sent AgentComplete after both channels
// were gone, with neither snapshot. The model still names the call, so
// the after-call pause can attach its record.
func TestAgentCompleteWithoutChannels(t *testing.T) {
	p := bareModel()
	var ended []QueueCall
	var completed []AgentCompleted
	for _, e := range replay(t, "ami-09-agentcomplete-without-channels.txt", p) {
		switch e := e.(type) {
		case QueueCallEnded:
			ended = append(ended, e.Call)
		case AgentCompleted:
			completed = append(completed, e)
		}
	}
	if len(ended) != 1 || len(completed) != 1 {
		t.Fatalf("%d queue calls ended, %d agents completed; want 1 and 1", len(ended), len(completed))
	}
	if c, done := ended[0], completed[0]; done.Uniqueid == "" || done.Uniqueid != c.Uniqueid ||
		done.Exten != "803" || c.HangupSide != "caller" || c.Queue != "631" {
		t.Errorf("call %+v\ncompleted %+v", c, done)
	}
	if len(p.st.completeDue) != 0 {
		t.Errorf("left waiting for an AgentComplete: %v", p.st.completeDue)
	}
}

// TestAgentCompleteWithoutChannelsEarly replays ami-09 with its stripped
// AgentComplete moved before the caller's Hangup, the order an Asterisk 22
// delivered once: the model still names the call, the member's in that
// queue.
func TestAgentCompleteWithoutChannelsEarly(t *testing.T) {
	entries, err := transcript.ReadFile("../ami/testdata/ami-09-agentcomplete-without-channels.txt")
	if err != nil {
		t.Fatal(err)
	}
	var events []ami.Message
	var complete ami.Message
	for _, e := range entries {
		if e.Dir != transcript.ServerToClient || !e.Msg.IsEvent() || e.Msg.ActionID() != "" {
			continue
		}
		if e.Msg.Event() == "AgentComplete" {
			complete = e.Msg
			continue
		}
		events = append(events, e.Msg)
	}
	if complete.Get("Uniqueid") != "" {
		t.Fatal("ami-09's AgentComplete has a snapshot")
	}
	// Before the first Hangup of the caller's ;2 (its queue call's end).
	at := slices.IndexFunc(events, func(m ami.Message) bool {
		return m.Event() == "Hangup" && strings.HasPrefix(m.Get("Channel"), "Local/inq-631-") && strings.HasSuffix(m.Get("Channel"), ";2")
	})
	if at < 0 {
		t.Fatal("no Hangup of the caller in ami-09")
	}
	events = slices.Insert(events, at, complete)
	p := bareModel()
	var ended []QueueCall
	var completed []AgentCompleted
	p.subs = []func(Event){func(e Event) {
		switch e := e.(type) {
		case QueueCallEnded:
			ended = append(ended, e.Call)
		case AgentCompleted:
			completed = append(completed, e)
		}
	}}
	for _, m := range events {
		p.apply(m)
	}
	if len(ended) != 1 || len(completed) != 1 {
		t.Fatalf("%d queue calls ended, %d agents completed; want 1 and 1", len(ended), len(completed))
	}
	if c, done := ended[0], completed[0]; done.Uniqueid == "" || done.Uniqueid != c.Uniqueid || c.HangupSide != "caller" {
		t.Errorf("call %+v\ncompleted %+v", c, done)
	}
	if len(p.st.completeDue) != 0 {
		t.Errorf("left waiting for an AgentComplete: %v", p.st.completeDue)
	}
}

// TestTalkingWith: a stripped AgentComplete names a call only when the
// member has exactly one answered, unfinished call in that queue.
func TestTalkingWith(t *testing.T) {
	s := newState()
	key := memberKey{"631", "PJSIP/804"}
	call := func(queue, iface string, connected, completed bool) *queueTrack {
		tr := &queueTrack{connected: connected}
		tr.call.Queue, tr.call.AgentInterface = queue, iface
		if completed {
			tr.completed = time.Unix(1, 0)
		}
		return tr
	}
	if got := s.talkingWith(key); got != "" {
		t.Errorf("no calls: %q", got)
	}
	s.queueCalls["a"] = call("631", "PJSIP/804", true, false)
	s.queueCalls["b"] = call("632", "PJSIP/804", true, false)              // another queue
	s.queueCalls["c"] = call("631", "PJSIP/804", false, false)             // still ringing
	s.queueCalls["d"] = call("631", "PJSIP/804", true, true)               // completed
	s.queueCalls["e"] = call("631", "Local/803@fake-phone/n", true, false) // another member
	if got := s.talkingWith(key); got != "a" {
		t.Errorf("one call: %q, want a", got)
	}
	s.queueCalls["f"] = call("631", "PJSIP/804", true, false)
	if got := s.talkingWith(key); got != "" {
		t.Errorf("two calls: %q, want none", got)
	}
}

// TestSurveyOnAsterisk replays the three recorded endings of the shipped
// survey: a queue call whose caller reached [coocenter-survey] ended
// there (feedback), with the key's score, or none without a key 1 to 5.
func TestSurveyOnAsterisk(t *testing.T) {
	for _, tc := range []struct{ file, score string }{
		{"ami-22-shipped-survey-632-804.txt", "5"},
		{"ami-23-shipped-survey-no-key.txt", ""},
		{"ami-24-shipped-survey-hung-up.txt", ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var ended []QueueCall
			for _, e := range replay(t, tc.file, bareModel()) {
				if e, ok := e.(QueueCallEnded); ok {
					ended = append(ended, e.Call)
				}
			}
			if len(ended) != 1 {
				t.Fatalf("%d queue calls ended", len(ended))
			}
			if c := ended[0]; c.State != "feedback" || c.Score != tc.score || c.HangupSide != "agent" {
				t.Errorf("state %q score %q side %q", c.State, c.Score, c.HangupSide)
			}
		})
	}
}
