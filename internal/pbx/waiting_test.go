package pbx

import (
	"fmt"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami/transcript"
)

// callerEvent is an event of caller n's channel (Uniqueid 1.n, Linkedid
// 1.n0) at second sec of the test.
func callerEvent(event string, n, sec int, kv ...string) []string {
	id := fmt.Sprint("1.", n)
	return append([]string{"Event", event, "Timestamp", fmt.Sprint(1795000000+sec, ".250000"),
		"Channel", "Local/in-050" + fmt.Sprint(n) + "@from-trunk-0000000" + fmt.Sprint(n) + ";2",
		"CallerIDNum", "050" + fmt.Sprint(n), "CallerIDName", `Caller \"` + fmt.Sprint(n) + `\"`,
		"Uniqueid", id, "Linkedid", id + "0"}, kv...)
}

func waitingOf(snap *Snapshot, queue string) []Waiting {
	for _, q := range snap.Queues {
		if q.Name == queue {
			return q.Waiting
		}
	}
	return nil
}

// order is the Uniqueids of ws, by Position, checking that the positions
// are 1, 2, ...
func order(t *testing.T, ws []Waiting) []string {
	t.Helper()
	var ids []string
	for i, w := range ws {
		if w.Position != i+1 {
			t.Errorf("%s at index %d has Position %d", w.Uniqueid, i, w.Position)
		}
		ids = append(ids, w.Uniqueid)
	}
	return ids
}

// TestWaitingFollowsQueueEvents: QueueCallerJoin puts the caller at its
// Position, moving back those from there on; QueueCallerLeave takes it
// off and moves up those behind; QueueCallerAbandon, which app_queue
// follows with QueueCallerLeave, changes nothing; a Hangup takes off a
// caller whose Leave was lost. A Snapshot a reader holds never changes.
func TestWaitingFollowsQueueEvents(t *testing.T) {
	p := bareModel()
	p.st.queues["632"] = &Queue{Name: "632"}
	republish(p)
	for n := 1; n <= 3; n++ {
		p.apply(msg(callerEvent("Newchannel", n, 0)...))
	}
	p.apply(msg(callerEvent("QueueCallerJoin", 1, 10, "Queue", "632", "Position", "1", "Count", "1")...))
	p.apply(msg(callerEvent("QueueCallerJoin", 2, 11, "Queue", "632", "Position", "2", "Count", "2")...))
	// A caller of a higher priority joins ahead of both.
	p.apply(msg(callerEvent("QueueCallerJoin", 3, 12, "Queue", "632", "Position", "1", "Count", "3")...))
	held := p.Snapshot()
	ws := waitingOf(p.Snapshot(), "632")
	if got := fmt.Sprint(order(t, ws)); got != "[1.3 1.1 1.2]" {
		t.Fatalf("waiting after three joins: %v, want [1.3 1.1 1.2]", got)
	}
	want := Waiting{Uniqueid: "1.1", Linkedid: "1.10", CallerIDNum: "0501", CallerIDName: `Caller "1"`, Position: 2,
		Since: time.Unix(1795000010, 250000000)}
	if ws[1] != want {
		t.Errorf("caller 1 waits as %+v, want %+v", ws[1], want)
	}

	p.apply(msg(callerEvent("QueueCallerLeave", 1, 20, "Queue", "632", "Position", "2", "Count", "2")...))
	if got := fmt.Sprint(order(t, waitingOf(p.Snapshot(), "632"))); got != "[1.3 1.2]" {
		t.Fatalf("waiting after 1.1 left: %v", got)
	}
	if got := fmt.Sprint(order(t, waitingOf(held, "632"))); got != "[1.3 1.1 1.2]" {
		t.Fatalf("the Snapshot a reader held changed: %v", got)
	}

	p.apply(msg(callerEvent("QueueCallerAbandon", 3, 21, "Queue", "632", "Position", "1", "OriginalPosition", "1", "HoldTime", "9")...))
	if got := fmt.Sprint(order(t, waitingOf(p.Snapshot(), "632"))); got != "[1.3 1.2]" {
		t.Fatalf("waiting after 1.3's abandon, before its leave: %v", got)
	}
	p.apply(msg(callerEvent("QueueCallerLeave", 3, 21, "Queue", "632", "Position", "1", "Count", "1")...))
	if got := fmt.Sprint(order(t, waitingOf(p.Snapshot(), "632"))); got != "[1.2]" {
		t.Fatalf("waiting after 1.3 left: %v", got)
	}

	p.apply(msg(callerEvent("Hangup", 2, 30, "Cause", "16", "Cause-txt", "Normal Clearing")...))
	if ws := waitingOf(p.Snapshot(), "632"); len(ws) != 0 {
		t.Fatalf("waiting after 1.2 hung up without leaving: %+v", ws)
	}
	if err := snapshotMatches(p); err != nil {
		t.Fatal(err)
	}
}

// TestWaitingFromTranscript: a real Asterisk's caller who gives up
// (ami-16): QueueCallerJoin, QueueCallerAbandon, then QueueCallerLeave.
func TestWaitingFromTranscript(t *testing.T) {
	entries, err := transcript.ReadFile("../ami/testdata/ami-16-queue-632-abandoned-804-ringing.txt")
	if err != nil {
		t.Fatal(err)
	}
	p := bareModel()
	var seen []string
	for _, e := range entries {
		if e.Dir != transcript.ServerToClient || !e.Msg.IsEvent() || e.Msg.ActionID() != "" {
			continue
		}
		p.apply(e.Msg)
		switch e.Msg.Event() {
		case "QueueCallerJoin", "QueueCallerAbandon", "QueueCallerLeave":
			ws := waitingOf(p.Snapshot(), "632")
			seen = append(seen, fmt.Sprint(e.Msg.Event(), len(ws)))
			if len(ws) == 1 && (ws[0].Uniqueid != "1795288908.17" || ws[0].Linkedid != "1795288908.16" ||
				ws[0].CallerIDNum != "0501234567" || ws[0].Position != 1 || ws[0].Since.IsZero()) {
				t.Errorf("after %s the caller waits as %+v", e.Msg.Event(), ws[0])
			}
		}
	}
	if got := fmt.Sprint(seen); got != "[QueueCallerJoin1 QueueCallerAbandon1 QueueCallerLeave0]" {
		t.Fatalf("callers waiting after each queue event: %v", got)
	}
}

// TestQueueLegsFromTranscripts: on a real Asterisk, AgentCalled names the
// member's leg (DestUniqueid: a phone's channel, ami-06; a Local
// member's ;1, ami-03), which takes the queue, the member that lost the
// race too. The caller's channel names the queue from its QueueCallerJoin.
func TestQueueLegsFromTranscripts(t *testing.T) {
	for _, tc := range []struct {
		file, queue, caller string
		legs                map[string]bool // member legs' Uniqueids
	}{
		{"ami-06-inbound-queue-632-sip-phone-804.txt", "632", "1795280695.21", map[string]bool{"1795280696.22": true}},
		{"ami-03-inbound-trunk-queue-630.txt", "630", "1795280762.36", map[string]bool{"1795280763.37": true, "1795280763.39": true}},
	} {
		entries, err := transcript.ReadFile("../ami/testdata/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		p := bareModel()
		checked := map[string]bool{}
		for _, e := range entries {
			if e.Dir != transcript.ServerToClient || !e.Msg.IsEvent() || e.Msg.ActionID() != "" {
				continue
			}
			// A channel's last state before it hangs up.
			if e.Msg.Event() == "Hangup" {
				id := e.Msg.Get("Uniqueid")
				c, ok := p.st.channels[id]
				switch leg := tc.legs[id]; {
				case !ok:
				case leg && c.Queue != tc.queue:
					t.Errorf("%s: member leg %s ends with Queue %q, want %q", tc.file, c.Name, c.Queue, tc.queue)
				case id == tc.caller && c.Queue != tc.queue:
					t.Errorf("%s: caller %s ends with Queue %q", tc.file, c.Name, c.Queue)
				case !leg && id != tc.caller && c.Queue != "":
					t.Errorf("%s: %s, neither caller nor member leg, ends with Queue %q", tc.file, c.Name, c.Queue)
				}
				checked[id] = ok
			}
			p.apply(e.Msg)
			if e.Msg.Event() == "AgentCalled" {
				id := e.Msg.Get("DestUniqueid")
				if c := p.Snapshot().Channels; !hasLeg(c, id, tc.queue) {
					t.Errorf("%s: after AgentCalled the published leg %s has no Queue %s", tc.file, id, tc.queue)
				}
			}
		}
		for id := range tc.legs {
			if !checked[id] {
				t.Errorf("%s: member leg %s never seen hanging up", tc.file, id)
			}
		}
		if !checked[tc.caller] {
			t.Errorf("%s: caller %s never seen hanging up", tc.file, tc.caller)
		}
	}
}

func hasLeg(cs []*Channel, id, queue string) bool {
	for _, c := range cs {
		if c.Uniqueid == id {
			return c.Queue == queue
		}
	}
	return false
}
