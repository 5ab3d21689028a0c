package pbxsim

import (
	"slices"
	"strings"
	"testing"

	"github.com/coocenter/coocenterd/internal/ami"
)

// The agent verbs' AMI sequences (docs/design/agent-verbs.md), each held
// to what Asterisk 22.9.0 published for it in the lab with the shipped
// configuration: a Local caller armed by its Originate (DYNAMIC_FEATURES)
// in a basic bridge with a Local fake phone, as the lab's script made.

// agentCall originates Local/<name>@fake-phone into internal <exten> and
// returns the client and the agent's (;1) and the other party's channel
// once both are bridged.
func agentCall(t *testing.T, name, exten string) (c *testClient, agent, peer string) {
	t.Helper()
	sim := startSim(t, Options{})
	c = dialSim(t, sim)
	c.login()
	c.action("Action", "Originate", "ActionID", "o", "Channel", "Local/"+name+"@fake-phone", "Context", "internal",
		"Exten", exten, "Priority", "1", "Async", "true", "CallerID", "801",
		"Variable", "DYNAMIC_FEATURES=coocenter-hold", "Variable", "__COOCENTER_USERDATA=dXNlcg")
	enter := c.waitFor("agent bridged", func(m ami.Message) bool {
		return m.Event() == "BridgeEnter" && strings.HasPrefix(m.Get("Channel"), "Local/"+name+"@") && m.Get("BridgeNumChannels") == "2"
	})
	agent = enter.Get("Channel")
	for _, ch := range sim.Channels() {
		if strings.HasPrefix(ch.Name, "Local/"+exten+"@fake-phone-") && strings.HasSuffix(ch.Name, ";1") {
			peer = ch.Name
		}
	}
	return c, agent, peer
}

// trace is what happened to channel ch from message n on: event names,
// with the variable of a VarSet and the place and application of a
// Newexten.
func trace(ms []ami.Message, n int, ch string) []string {
	var out []string
	for _, m := range ms[n:] {
		if m.Get("Channel") != ch || m.Event() == "" {
			continue
		}
		switch m.Event() {
		case "VarSet":
			out = append(out, "VarSet "+m.Get("Variable")+"="+m.Get("Value"))
		case "Newexten":
			out = append(out, "Newexten "+m.Get("Context")+","+m.Get("Priority")+" "+m.Get("Application"))
		default:
			out = append(out, m.Event())
		}
	}
	return out
}

func playKeys(c *testClient, ch, keys string) {
	for i := range len(keys) {
		c.action("Action", "PlayDTMF", "Channel", ch, "Digit", keys[i:i+1], "Receive", "true")
	}
}

func wantTrace(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestDynamicHoldAndUnhold(t *testing.T) {
	t.Parallel()
	c, agent, peer := agentCall(t, "cust1", "0555")
	c.action("Action", "Getvar", "ActionID", "g", "Channel", agent, "Variable", "DYNAMIC_FEATURES")
	if m := c.response("g"); m.Get("Value") != "coocenter-hold" || m.Get("Variable") != "DYNAMIC_FEATURES" || m.Get("Message") != "" {
		t.Fatalf("Getvar: %v", m)
	}
	n := len(c.all())
	playKeys(c, agent, "*70")
	c.waitFor("MusicOnHoldStart", isEvent("MusicOnHoldStart", peer))
	ms := c.all()
	wantTrace(t, "agent at hold", trace(ms, n, agent), []string{"DTMFEnd", "DTMFEnd", "DTMFEnd",
		"VarSet DYNAMIC_FEATURENAME=coocenter-hold", "VarSet DYNAMIC_WHO_ACTIVATED=" + agent, "Hold",
		"VarSet LOCAL(ARGC)=0", "Newexten coocenter-hold,1 Set", "VarSet COOCENTER_HOLD=1",
		"Newexten coocenter-hold,2 WaitForCondition"})
	for _, m := range ms[n:] {
		if m.Event() == "Hold" && m.Get("MusicClass") != "default" {
			t.Errorf("Hold: %v", m)
		}
		if m.Event() == "MusicOnHoldStart" && m.Get("Class") != "default" {
			t.Errorf("MusicOnHoldStart: %v", m)
		}
		if m.Event() == "BridgeLeave" {
			t.Errorf("hold left the bridge: %v", m)
		}
	}

	c.action("Action", "Status", "ActionID", "st", "Variables", "COOCENTER_USERDATA,COOCENTER_HOLD,COOCENTER_MUTED")
	c.waitFor("StatusComplete", func(m ami.Message) bool { return m.Event() == "StatusComplete" && m.ActionID() == "st" })
	for _, m := range c.all() {
		if m.Event() != "Status" || m.Get("Channel") != agent {
			continue
		}
		want := []string{"COOCENTER_USERDATA=dXNlcg", "COOCENTER_HOLD=1", "COOCENTER_MUTED=(null)"}
		if got := m.Values("Variable"); !slices.Equal(got, want) || m.Get("Application") != "WaitForCondition" {
			t.Errorf("Status of the held agent: %v", m)
		}
		if k := keys(m); k[len(k)-1] != "ActionID" {
			t.Errorf("Status keys %q: ActionID is last", k)
		}
	}

	c.action("Action", "MuteAudio", "ActionID", "mu", "Channel", agent, "Direction", "in", "State", "on")
	if m := c.response("mu"); m.Get("Response") != "Success" || m.Get("Message") != "" {
		t.Errorf("MuteAudio: %v", m)
	}
	c.action("Action", "MuteAudio", "ActionID", "mx", "Channel", agent, "Direction", "sideways", "State", "on")
	if m := c.response("mx"); m.Get("Message") != "Failed to mute/unmute stream" {
		t.Errorf("MuteAudio sideways: %v", m)
	}

	n = len(c.all())
	c.action("Action", "Setvar", "ActionID", "u", "Channel", agent, "Variable", "COOCENTER_HOLD", "Value", "0")
	if m := c.response("u"); m.Get("Message") != "Variable Set" {
		t.Fatal(m)
	}
	c.waitFor("MusicOnHoldStop", isEvent("MusicOnHoldStop", peer))
	c.waitForAfter(n, "back in Dial", func(m ami.Message) bool {
		return m.Event() == "Newexten" && m.Get("Channel") == agent && m.Get("Application") == "Dial"
	})
	wantTrace(t, "agent at unhold", trace(c.all(), n, agent), []string{"VarSet COOCENTER_HOLD=0",
		"VarSet WAITFORCONDITIONSTATUS=TRUE", "Newexten coocenter-hold,3 Set", "VarSet COOCENTER_HOLD=0",
		"Newexten coocenter-hold,4 Return", "VarSet ARGC=", "VarSet GOSUB_RETVAL=", "Unhold",
		"VarSet BRIDGEPEER=" + peer, "Newexten internal,3 Dial"})
}

func TestDynamicHoldOutlivesHeldParty(t *testing.T) {
	t.Parallel()
	c, agent, peer := agentCall(t, "cust2", "0556")
	playKeys(c, agent, "*70")
	c.waitFor("MusicOnHoldStart", isEvent("MusicOnHoldStart", peer))
	n := len(c.all())
	c.action("Action", "Hangup", "ActionID", "h", "Channel", peer)
	c.waitFor("peer gone", isEvent("Hangup", peer))
	wantTrace(t, "the held party", trace(c.all(), n, peer)[:3], []string{"MusicOnHoldStop", "VarSet BRIDGEPEER=", "BridgeLeave"})
	c.action("Action", "Getvar", "ActionID", "g", "Channel", agent, "Variable", "COOCENTER_HOLD")
	if m := c.response("g"); m.Get("Value") != "1" {
		t.Fatalf("agent let go of the hold: %v", m)
	}
	if got := trace(c.all(), n, agent); !slices.Equal(got, []string{"VarSet BRIDGEPEER="}) {
		t.Errorf("agent while the hold waits: %q", got)
	}
	n = len(c.all())
	c.action("Action", "Setvar", "ActionID", "u", "Channel", agent, "Variable", "COOCENTER_HOLD", "Value", "0")
	c.waitFor("agent gone", isEvent("Hangup", agent))
	got := trace(c.all(), n, agent)
	i := slices.Index(got, "Unhold")
	if i < 0 || !slices.Equal(got[i:i+3], []string{"Unhold", "BridgeLeave", "Newexten internal,3 Dial"}) {
		t.Errorf("agent after the release: %q", got)
	}
}

func TestVariableActionErrors(t *testing.T) {
	t.Parallel()
	c, agent, _ := agentCall(t, "cust3", "0557")
	for i, tc := range [][]string{
		{"Setvar", "Channel", "nope", "Variable", "X", "Value", "0", "No such channel"},
		{"Setvar", "Channel", agent, "Value", "0", "No variable specified"},
		{"Getvar", "Channel", "nope", "Variable", "X", "No such channel"},
		{"Getvar", "Channel", agent, "No variable specified"},
		{"MuteAudio", "Direction", "in", "State", "on", "Channel not specified"},
		{"MuteAudio", "Channel", "nope", "Direction", "in", "State", "on", "No such channel"},
		{"MuteAudio", "Channel", agent, "State", "on", "Direction not specified"},
		{"MuteAudio", "Channel", agent, "Direction", "in", "State not specified"},
		{"Atxfer", "Exten", "0", "No channel specified"},
		{"Atxfer", "Channel", agent, "No extension specified"},
		{"CancelAtxfer", "Channel", "nope", "Channel specified does not exist"},
	} {
		id := "e" + itoa(i)
		c.action(append([]string{"Action", tc[0], "ActionID", id}, tc[1:len(tc)-1]...)...)
		if m := c.response(id); m.Get("Response") != "Error" || m.Get("Message") != tc[len(tc)-1] {
			t.Errorf("%q: %v", tc, m)
		}
	}
}
