package pbxsim

import (
	"strings"
	"testing"

	"github.com/coocenter/coocenterd/internal/ami"
)

func TestRedirectRefused(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{Registered: []string{"800", "801"}})
	c := dialSim(t, sim)
	c.login()
	_, err := sim.Dial("800", "801")
	must(t, err)
	caller := channelOf(sim, "SIP/800-")
	tests := []struct {
		kv      []string
		message string
	}{
		{[]string{"Context", "internal", "Exten", "802", "Priority", "1"}, "Channel not specified"},
		{[]string{"Channel", caller, "Exten", "802", "Priority", "1"}, "Context not specified"},
		{[]string{"Channel", caller, "Context", "internal", "Priority", "1"}, "Exten not specified"},
		{[]string{"Channel", caller, "Context", "internal", "Exten", "802"}, "Priority not specified"},
		{[]string{"Channel", "SIP/800-ffffffff", "Context", "internal", "Exten", "802", "Priority", "1"}, "Channel does not exist: SIP/800-ffffffff"},
		{[]string{"Channel", caller, "ExtraChannel", "SIP/801-ffffffff", "Context", "internal", "Exten", "802", "Priority", "1"},
			"ExtraChannel does not exist: SIP/801-ffffffff"},
	}
	for i, tc := range tests {
		id := "r" + itoa(i)
		c.action(append([]string{"Action", "Redirect", "ActionID", id}, tc.kv...)...)
		if m := c.response(id); m.Response() != "Error" || m.Get("Message") != tc.message {
			t.Errorf("%v: got %s / %q, want Error / %q", tc.kv, m.Response(), m.Get("Message"), tc.message)
		}
	}
	for _, m := range c.all() {
		if m.Event() == "Newexten" && m.Get("Channel") == caller && m.Get("Exten") == "802" {
			t.Errorf("a refused Redirect moved the channel: %v", m)
		}
	}
}

// A Redirect of one bridged party dissolves the bridge: the other party's
// Dial returns and its dialplan ends; the redirected one runs exten@context.
func TestRedirectBridged(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{Registered: []string{"800", "801", "802"}})
	c := dialSim(t, sim)
	c.login()
	a, err := sim.Dial("800", "801")
	must(t, err)
	b := channelOf(sim, "SIP/801-")
	must(t, sim.Answer(b))
	c.event("BridgeEnter", 2)
	c.action("Action", "Redirect", "ActionID", "r", "Channel", b, "Context", "internal", "Exten", "802", "Priority", "1")
	if m := c.response("r"); m.Response() != "Success" || m.Get("Message") != "Redirect successful" {
		t.Fatal(m)
	}
	c.waitFor("801 dials 802", func(m ami.Message) bool {
		return m.Event() == "DialBegin" && m.Get("Channel") == b && strings.HasPrefix(m.Get("DestChannel"), "SIP/802-")
	})
	c.waitFor("800 hangs up", isEvent("Hangup", a))
}

// A dual Redirect moves both channels, whether they are bridged together
// or not, and hangs neither up.
func TestRedirectDual(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{Registered: []string{"800", "801", "802", "803"}})
	c := dialSim(t, sim)
	c.login()

	// Bridged together: both join queue 632 (nobody logged in: they wait).
	_, err := sim.Dial("800", "801")
	must(t, err)
	must(t, sim.Answer(channelOf(sim, "SIP/801-")))
	c.event("BridgeEnter", 2)
	a, b := channelOf(sim, "SIP/800-"), channelOf(sim, "SIP/801-")
	c.action("Action", "Redirect", "ActionID", "both", "Channel", a, "ExtraChannel", b,
		"Context", "internal", "Exten", "632", "Priority", "1")
	if m := c.response("both"); m.Response() != "Success" || m.Get("Message") != "Dual Redirect successful" {
		t.Fatal(m)
	}
	for _, ch := range []string{a, b} {
		c.waitFor(ch+" joins 632", func(m ami.Message) bool {
			return m.Event() == "QueueCallerJoin" && m.Get("Channel") == ch && m.Get("Queue") == "632"
		})
	}

	// Not bridged, in the same context as the target: both still move.
	_, err = sim.Dial("802", "632")
	must(t, err)
	_, err = sim.Dial("803", "632")
	must(t, err)
	x, y := channelOf(sim, "SIP/802-"), channelOf(sim, "SIP/803-")
	for _, ch := range []string{x, y} {
		c.waitFor(ch+" joins 632", isEvent("QueueCallerJoin", ch))
	}
	c.action("Action", "Redirect", "ActionID", "apart", "Channel", x, "ExtraChannel", y,
		"Context", "internal", "Exten", "631", "Priority", "1", "ExtraPriority", "1")
	if m := c.response("apart"); m.Response() != "Success" {
		t.Fatal(m)
	}
	for _, ch := range []string{x, y} {
		c.waitFor(ch+" leaves 632 for 631", func(m ami.Message) bool {
			return m.Event() == "Newexten" && m.Get("Channel") == ch && m.Get("Exten") == "631"
		})
	}
	for _, ch := range []string{a, b, x, y} {
		if channelOf(sim, ch) == "" {
			t.Errorf("%s hung up by the dual Redirect", ch)
		}
	}
}

// Hangup with Channel /regex/ hangs up every live channel whose name
// matches, as a list; a regex that does not compile is refused.
func TestHangupRegex(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{Registered: []string{"800", "801", "802"}})
	c := dialSim(t, sim)
	c.login()
	_, err := sim.Dial("800", "801")
	must(t, err)
	_, err = sim.Dial("802", "632")
	must(t, err)
	c.waitFor("802 in queue", isEvent("QueueCallerJoin", "SIP/802-"))
	c.action("Action", "Hangup", "ActionID", "bad", "Channel", "/SIP/80[/")
	if m := c.response("bad"); m.Response() != "Error" || m.Get("Message") != "Regex compile failed on: /SIP/80[/" {
		t.Errorf("bad regex: %v", m)
	}
	c.action("Action", "Hangup", "ActionID", "re", "Channel", "/^SIP/80[01]-/")
	if m := c.response("re"); m.Get("EventList") != "start" {
		t.Fatalf("regex hangup: %v", m)
	}
	done := c.waitFor("ChannelsHungupListComplete", func(m ami.Message) bool {
		return m.Event() == "ChannelsHungupListComplete" && m.ActionID() == "re"
	})
	if done.Get("ListItems") != "2" {
		t.Errorf("ListItems %s, want 2", done.Get("ListItems"))
	}
	var hit []string
	for _, m := range c.all() {
		if m.Event() == "ChannelHungup" && m.ActionID() == "re" {
			hit = append(hit, m.Get("Channel"))
		}
	}
	if len(hit) != 2 || !strings.HasPrefix(hit[0], "SIP/800-") || !strings.HasPrefix(hit[1], "SIP/801-") {
		t.Errorf("ChannelHungup items %v", hit)
	}
	c.waitFor("800 gone", isEvent("Hangup", "SIP/800-"))
	c.waitFor("801 gone", isEvent("Hangup", "SIP/801-"))
	if channelOf(sim, "SIP/802-") == "" {
		t.Error("the regex hung up SIP/802 too")
	}
}

// The control API's BlindTransfer names what is wrong.
func TestBlindTransferRefused(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{Registered: []string{"800", "801"}})
	if err := sim.BlindTransfer("SIP/800-ffffffff", "801"); err == nil || !strings.Contains(err.Error(), "SIP/800-ffffffff") {
		t.Errorf("unknown channel: %v", err)
	}
	_, err := sim.Dial("800", "801")
	must(t, err)
	if err := sim.BlindTransfer(channelOf(sim, "SIP/800-"), "802"); err == nil {
		t.Error("transfer of a call not bridged accepted")
	}
	if channelOf(sim, "SIP/800-") == "" {
		t.Error("the refused transfer hung the caller up")
	}
}
