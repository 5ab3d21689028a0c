package pbxsim

import (
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

func channelOf(sim *Server, prefix string) string {
	for _, ch := range sim.Channels() {
		if strings.HasPrefix(ch.Name, prefix) {
			return ch.Name
		}
	}
	return ""
}

// names lists event names (with a channel prefix filter) in order.
func names(ms []ami.Message, chanPrefix string) []string {
	var out []string
	for _, m := range ms {
		if m.IsEvent() && strings.HasPrefix(m.Get("Channel"), chanPrefix) {
			out = append(out, m.Event())
		}
	}
	return out
}

func TestInternalCall(t *testing.T) {
	sim := startSim(t, Options{Registered: []string{"800", "801"}})
	c := dialSim(t, sim)
	c.login()
	a, err := sim.Dial("800", "801")
	if err != nil {
		t.Fatal(err)
	}
	c.event("DialBegin", 1)
	b := channelOf(sim, "SIP/801-")
	if b == "" {
		t.Fatal("801 not rung")
	}
	st := c.waitFor("801 ringing", func(m ami.Message) bool {
		return m.Event() == "ExtensionStatus" && m.Get("Exten") == "801" && m.Get("StatusText") == "Ringing"
	})
	_ = st
	must(t, sim.Answer(b))
	enter := c.event("BridgeEnter", 2)
	var bridged int
	for _, ch := range sim.Channels() {
		if ch.BridgeID == enter.Get("BridgeUniqueid") {
			bridged++
		}
	}
	if bridged != 2 {
		t.Errorf("%d channels in the bridge", bridged)
	}
	c.action("Action", "Status", "ActionID", "st", "Channel", b)
	item := c.waitFor("Status item", func(m ami.Message) bool { return m.Event() == "Status" && m.ActionID() == "st" })
	if item.Get("Channel") != b || item.Get("Type") != "SIP" || item.Get("BridgeID") != enter.Get("BridgeUniqueid") {
		t.Errorf("Status of %s: %v", b, item)
	}
	if done := c.waitFor("StatusComplete", func(m ami.Message) bool { return m.Event() == "StatusComplete" }); done.Get("ListItems") != "1" {
		t.Errorf("Status of one channel: %v", done)
	}
	must(t, sim.Hangup(b, 16))
	c.event("BridgeDestroy", 1)
	c.waitFor("caller hangup", func(m ami.Message) bool { return m.Event() == "Hangup" && m.Get("Channel") == a })
	cdr := c.event("Cdr", 1)
	if cdr.Get("Disposition") != "ANSWERED" || cdr.Get("DestinationChannel") != b {
		t.Errorf("cdr: %v", cdr)
	}
	if len(sim.Channels()) != 0 {
		t.Errorf("channels left: %v", sim.Channels())
	}
	got := strings.Join(names(c.all(), a), " ")
	for _, want := range []string{"Newchannel", "Newexten", "DialBegin", "DialState", "DialEnd", "BridgeEnter", "BridgeLeave", "Hangup"} {
		if !strings.Contains(got, want) {
			t.Errorf("caller events %q lack %s", got, want)
		}
	}
}

func TestInternalCallUnansweredAndUnregistered(t *testing.T) {
	sim := startSim(t, Options{Registered: []string{"800", "802"}})
	c := dialSim(t, sim)
	c.login()
	if _, err := sim.Dial("800", "801"); err != nil { // 801 not registered
		t.Fatal(err)
	}
	c.waitFor("CHANUNAVAIL", func(m ami.Message) bool { return m.Event() == "VarSet" && m.Get("Value") == "CHANUNAVAIL" })
	c.event("Hangup", 1)
	if _, err := sim.Dial("800", "802"); err != nil {
		t.Fatal(err)
	}
	end := c.waitFor("NOANSWER", func(m ami.Message) bool { return m.Event() == "DialEnd" })
	if end.Get("DialStatus") != "NOANSWER" {
		t.Errorf("DialEnd %v", end)
	}
}

func TestClickToCall(t *testing.T) {
	sim := startSim(t, Options{Registered: []string{"808", "809"}, AutoAnswer: 5 * time.Millisecond})
	c := dialSim(t, sim)
	c.login()
	c.action("Action", "Originate", "ActionID", "click", "Channel", "SIP/808", "Context", "internal", "Exten", "809",
		"Priority", "1", "CallerID", `"809" <809>`, "Async", "true")
	if m := c.response("click"); m.Get("Message") != "Originate successfully queued" {
		t.Fatal(m)
	}
	or := c.event("OriginateResponse", 1)
	if or.Get("Response") != "Success" || or.Get("Reason") != "4" || or.ActionID() != "click" || or.Get("Exten") != "809" {
		t.Errorf("OriginateResponse %v", or)
	}
	first := c.event("DialBegin", 1)
	if _, ok := first.Lookup("Channel"); ok {
		t.Error("originate DialBegin has a calling channel")
	}
	c.event("BridgeEnter", 2)
	c.action("Action", "Hangup", "ActionID", "h", "Channel", channelOf(sim, "SIP/809-"))
	c.response("h")
	c.event("BridgeDestroy", 1)
	c.waitFor("all hung up", func(m ami.Message) bool {
		return m.Event() == "Hangup" && strings.HasPrefix(m.Get("Channel"), "SIP/808-")
	})

	c.action("Action", "Originate", "ActionID", "off", "Channel", "SIP/805", "Context", "internal", "Exten", "809", "Priority", "1", "Async", "true")
	c.response("off")
	fail := c.waitFor("failure", func(m ami.Message) bool { return m.Event() == "OriginateResponse" && m.ActionID() == "off" })
	if fail.Get("Response") != "Failure" || fail.Get("Uniqueid") != "<unknown>" {
		t.Errorf("unregistered originate: %v", fail)
	}
}

func TestBlindTransfer(t *testing.T) {
	sim := startSim(t, Options{Registered: []string{"800", "801", "802"}})
	c := dialSim(t, sim)
	c.login()
	a, _ := sim.Dial("800", "801")
	b := channelOf(sim, "SIP/801-")
	must(t, sim.Answer(b))
	c.event("BridgeEnter", 2)
	c.action("Action", "BlindTransfer", "ActionID", "bt", "Channel", b, "Exten", "802", "Context", "internal")
	if m := c.response("bt"); m.Get("Message") != "Transfer succeeded" {
		t.Fatal(m)
	}
	c.event("BlindTransfer", 1)
	c.waitFor("802 rings", func(m ami.Message) bool {
		return m.Event() == "DialBegin" && m.Get("Channel") == a && strings.HasPrefix(m.Get("DestChannel"), "SIP/802-")
	})
	must(t, sim.Answer(channelOf(sim, "SIP/802-")))
	c.event("BridgeEnter", 4)
	if channelOf(sim, "SIP/801-") != "" {
		t.Error("transferer still up")
	}
}

func TestChanSpy(t *testing.T) {
	sim := startSim(t, Options{Registered: []string{"800", "801", "806"}})
	c := dialSim(t, sim)
	c.login()
	sim.Dial("800", "806")
	target := channelOf(sim, "SIP/806-")
	must(t, sim.Answer(target))
	c.event("BridgeEnter", 2)
	c.action("Action", "Originate", "ActionID", "spy", "Channel", "SIP/801", "Application", "ChanSpy",
		"Data", "SIP/806-,qE", "Async", "true")
	c.response("spy")
	c.event("DialBegin", 2)
	must(t, sim.Answer(channelOf(sim, "SIP/801-")))
	or := c.event("OriginateResponse", 1)
	if or.Get("Application") != "ChanSpy" {
		t.Errorf("OriginateResponse %v", or)
	}
	start := c.event("ChanSpyStart", 1)
	if start.Get("SpyeeChannel") != target {
		t.Errorf("spying on %s", start.Get("SpyeeChannel"))
	}
	must(t, sim.Hangup(target, 16))
	c.event("ChanSpyStop", 1)
	c.waitFor("spy gone (E)", func(m ami.Message) bool {
		return m.Event() == "Hangup" && strings.HasPrefix(m.Get("Channel"), "SIP/801-")
	})
}

func TestQueueNoAgentThenAbandon(t *testing.T) {
	sim := startSim(t, Options{})
	c := dialSim(t, sim)
	c.login()
	caller, err := sim.InboundCall("0501112222", "632")
	if err != nil {
		t.Fatal(err)
	}
	c.event("QueueCallerJoin", 1)
	time.Sleep(50 * time.Millisecond) // several retry rounds, nobody to ring
	for _, m := range c.all() {
		if m.Event() == "AgentCalled" {
			t.Fatal("rang an unregistered member")
		}
	}
	must(t, sim.Hangup(caller, 16))
	ab := c.event("QueueCallerAbandon", 1)
	if ab.Get("Queue") != "632" || ab.Get("OriginalPosition") != "1" {
		t.Errorf("abandon %v", ab)
	}
	c.event("QueueCallerLeave", 1)
	c.waitFor("caller ;1 gone", func(m ami.Message) bool {
		return m.Event() == "Hangup" && strings.HasSuffix(m.Get("Channel"), ";1")
	})
}

func TestQueueAgentLogsInWhileCallerWaits(t *testing.T) {
	timing := FastTiming()
	timing.QueueTimeout = 300 * time.Millisecond
	sim := startSim(t, Options{Timing: timing})
	c := dialSim(t, sim)
	c.login()
	if _, err := sim.InboundCall("0501112222", "632"); err != nil {
		t.Fatal(err)
	}
	c.event("QueueCallerJoin", 1)
	must(t, sim.Register("904"))
	called := c.event("AgentCalled", 1)
	if called.Get("Interface") != "PJSIP/904" {
		t.Errorf("called %v", called)
	}
	// Ring no answer, then a retry; answer the second attempt.
	c.event("AgentRingNoAnswer", 1)
	again := c.event("AgentCalled", 2)
	must(t, sim.Answer(again.Get("DestChannel")))
	con := c.event("AgentConnect", 1)
	if con.Get("MemberName") != "Agent 904" {
		t.Errorf("connect %v", con)
	}
	must(t, sim.Hangup(channelOf(sim, "PJSIP/904-"), 16))
	done := c.event("AgentComplete", 1)
	if done.Get("Reason") != "agent" {
		t.Errorf("complete %v", done)
	}
	c.waitFor("caller gone", func(m ami.Message) bool {
		return m.Event() == "Hangup" && strings.HasPrefix(m.Get("Channel"), "Local/inq-632-0501112222@from-trunk-") && strings.HasSuffix(m.Get("Channel"), ";1")
	})
	if n := len(sim.Channels()); n != 0 {
		t.Errorf("%d channels left", n)
	}
	if m := memberOf(t, sim, "632", "PJSIP/904"); m.CallsTaken != 1 || m.InCall {
		t.Errorf("member after call: %+v", m)
	}
}

func TestBlacklistedInbound(t *testing.T) {
	sim := startSim(t, Options{})
	sim.DBPut("blacklist", "0509999999", "spam")
	c := dialSim(t, sim)
	c.login()
	sim.InboundCall("0509999999", "")
	ue := c.event("UserEvent", 1)
	if ue.Get("UserEvent") != "Blacklisted" {
		t.Errorf("UserEvent %v", ue)
	}
	h := c.waitFor("hangup 21", func(m ami.Message) bool { return m.Event() == "Hangup" })
	if h.Get("Cause") != "21" {
		t.Errorf("hangup %v", h)
	}
}

func TestQueuePauseEvents(t *testing.T) {
	sim := startSim(t, Options{})
	c := dialSim(t, sim)
	c.login()
	c.action("Action", "QueuePause", "ActionID", "p", "Interface", "Local/800@fake-phone/n", "Paused", "true", "Reason", "after-call")
	c.response("p")
	ev := c.event("QueueMemberPause", 1)
	if ev.Get("Paused") != "1" || ev.Get("PausedReason") != "after-call" || ev.Get("Queue") != "630" {
		t.Errorf("pause event %v", ev)
	}
	if m := memberOf(t, sim, "630", "Local/800@fake-phone/n"); !m.Paused {
		t.Error("not paused")
	}
}

// memberOf finds a queue member by interface (QueueStatus order is app_queue's
// hash order, not the order of queues.conf).
func memberOf(t *testing.T, sim *Server, queue, iface string) MemberInfo {
	t.Helper()
	for _, m := range sim.QueueMembers(queue) {
		if m.Interface == iface {
			return m
		}
	}
	t.Fatalf("no member %s in queue %s", iface, queue)
	return MemberInfo{}
}
