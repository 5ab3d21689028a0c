package pbxsim

import (
	"slices"
	"strings"
	"testing"

	"github.com/coocenter/coocenterd/internal/ami"
)

// consult starts the consult verb on agent to 077<n> and returns the
// target's Local ;1 once the agent is bridged with it.
func consult(t *testing.T, c *testClient, agent, n string) string {
	t.Helper()
	c.action("Action", "Setvar", "Channel", agent, "Variable", "_COOCENTER_XFER_DST", "Value", "077"+n)
	c.action("Action", "Setvar", "Channel", agent, "Variable", "_COOCENTER_XFER_CONTEXT", "Value", "internal")
	c.action("Action", "Atxfer", "ActionID", "x", "Channel", agent, "Exten", "0", "Context", "coocenter-xfer")
	if m := c.response("x"); m.Get("Message") != "Atxfer successfully queued" {
		t.Fatal(m)
	}
	nc := c.waitFor("the target's ;1", func(m ami.Message) bool {
		return m.Event() == "Newchannel" && strings.HasPrefix(m.Get("Channel"), "Local/0@coocenter-xfer-") && strings.HasSuffix(m.Get("Channel"), ";1")
	})
	c.waitFor("agent in the consult bridge", func(m ami.Message) bool {
		return m.Event() == "VarSet" && m.Get("Channel") == agent && m.Get("Value") == nc.Get("Channel")
	})
	return nc.Get("Channel")
}

func TestAtxferConsultAndCancel(t *testing.T) {
	t.Parallel()
	c, agent, cust := agentCall(t, "ag1", "0551")
	target := consult(t, c, agent, "1")
	if !strings.HasPrefix(target, "Local/0@coocenter-xfer-") || !strings.HasSuffix(target, ";1") {
		t.Fatalf("target %q", target)
	}
	ms := c.all()
	at := trace(ms, 0, agent)
	wantTrace(t, "agent at Atxfer", at[len(at)-11:], []string{
		"VarSet _COOCENTER_XFER_DST=0771", "VarSet _COOCENTER_XFER_CONTEXT=internal",
		"VarSet TRANSFER_CONTEXT=coocenter-xfer", "DTMFEnd", "DTMFEnd", "DTMFEnd", "Hold", "DTMFEnd",
		"BridgeLeave", "BridgeEnter", "VarSet BRIDGEPEER=" + target})
	got := trace(ms, 0, target)
	wantTrace(t, "target ;1", got[:7], []string{"Newchannel", "VarSet TRANSFERERNAME=" + agent, "VarSet ATTENDEDTRANSFER=" + agent,
		"VarSet COOCENTER_XFER_CONTEXT=internal", "VarSet COOCENTER_XFER_DST=0771", "VarSet __COOCENTER_USERDATA=dXNlcg", "BridgeEnter"})
	for _, m := range ms {
		if m.Event() == "Hold" && m.Get("Channel") == agent && m.Get("MusicClass") != "" {
			t.Errorf("Atxfer's Hold names a class: %v", m)
		}
	}
	c.waitFor("MusicOnHoldStart", isEvent("MusicOnHoldStart", cust))

	n := len(ms)
	c.action("Action", "CancelAtxfer", "ActionID", "cx", "Channel", agent)
	if m := c.response("cx"); m.Get("Message") != "CancelAtxfer successfully queued" {
		t.Fatal(m)
	}
	c.waitFor("target gone", isEvent("Hangup", target))
	wantTrace(t, "agent at CancelAtxfer", trace(c.all(), n, agent), []string{"DTMFEnd", "DTMFEnd", "BridgeLeave", "BridgeEnter",
		"VarSet BRIDGEPEER=" + cust, "Unhold"})
	if got := trace(c.all(), n, cust); !slices.Contains(got, "MusicOnHoldStop") {
		t.Errorf("customer: %q", got)
	}
	for _, m := range c.all()[n:] {
		if m.Event() == "AttendedTransfer" {
			t.Errorf("cancel published %v", m)
		}
	}
}

func TestAtxferComplete(t *testing.T) {
	t.Parallel()
	c, agent, cust := agentCall(t, "ag2", "0552")
	target := consult(t, c, agent, "2")
	n := len(c.all())
	playKeys(c, agent, "*2")
	at := c.waitFor("AttendedTransfer", func(m ami.Message) bool { return m.Event() == "AttendedTransfer" })
	for k, v := range map[string]string{"Result": "Success", "DestType": "Bridge", "OrigTransfererChannel": agent,
		"SecondTransfererChannel": agent, "TransfereeChannel": cust, "TransferTargetChannel": target,
		"OrigBridgeNumChannels": "2", "SecondBridgeNumChannels": "0", "IsExternal": "No"} {
		if at.Get(k) != v {
			t.Errorf("AttendedTransfer %s = %q, want %q", k, at.Get(k), v)
		}
	}
	c.waitFor("agent gone", isEvent("Hangup", agent))
	got := trace(c.all(), n, cust)
	if !slices.Contains(got, "MusicOnHoldStop") || slices.Contains(got, "Unhold") || slices.Contains(trace(c.all(), n, agent), "Unhold") {
		t.Errorf("customer %q", got)
	}
	got = trace(c.all(), n, target)
	got = got[max(0, slices.Index(got, "BridgeLeave")):]
	wantTrace(t, "target", got, []string{"BridgeLeave", "BridgeEnter", "VarSet BRIDGEPEER=" + cust})
}

func TestAtxferThreeway(t *testing.T) {
	t.Parallel()
	c, agent, cust := agentCall(t, "ag3", "0553")
	target := consult(t, c, agent, "3")
	playKeys(c, agent, "*3")
	at := c.waitFor("AttendedTransfer", func(m ami.Message) bool { return m.Event() == "AttendedTransfer" })
	if at.Get("DestType") != "Threeway" || at.Get("DestTransfererChannel") != agent || at.Get("OrigBridgeNumChannels") != "3" ||
		at.Get("OrigBridgeTechnology") != "softmix" {
		t.Errorf("AttendedTransfer %v", at)
	}
	n := len(c.all())
	c.action("Action", "Hangup", "Channel", agent)
	c.waitFor("agent gone", isEvent("Hangup", agent))
	for _, m := range c.all()[n:] {
		if (m.Event() == "BridgeLeave" || m.Event() == "Hangup") && (m.Get("Channel") == cust || m.Get("Channel") == target) {
			t.Errorf("the agent's leaving ended the others: %v", m)
		}
	}
	wantTrace(t, "target after the agent left", trace(c.all(), n, target), []string{"VarSet BRIDGEPEER=" + cust})
}

func TestWebcall(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{})
	c := dialSim(t, sim)
	c.login()
	c.action("Action", "Originate", "ActionID", "w", "Channel", "Local/0566@internal", "Context", "coocenter-webcall",
		"Exten", "s", "Priority", "1", "Timeout", "20000", "ChannelId", "web-1", "CallerID", "0566", "Async", "true",
		"Variable", "COOCENTER_WEBCALL_DIAL=Local/agw@fake-phone", "Variable", "COOCENTER_WEBCALL_TIMEOUT=30",
		"Variable", "COOCENTER_WEBCALL_CID=0566", "Variable", "__COOCENTER_USERDATA=dXNlcg")
	or := c.event("OriginateResponse", 1)
	if or.Get("Response") != "Success" || or.Get("Uniqueid") != "web-1" || or.Get("Reason") != "4" {
		t.Fatalf("OriginateResponse %v", or)
	}
	enter := c.waitFor("agent bridged", func(m ami.Message) bool {
		return m.Event() == "BridgeEnter" && strings.HasPrefix(m.Get("Channel"), "Local/0566@internal-") && strings.HasSuffix(m.Get("Channel"), ";1")
	})
	if enter.Get("Uniqueid") != "web-1" || enter.Get("Linkedid") != "web-1" {
		t.Errorf("customer leg %v", enter)
	}
	var agent string
	for _, m := range c.all() {
		if m.Event() == "BridgeEnter" && m.Get("BridgeUniqueid") == enter.Get("BridgeUniqueid") && m.Get("Channel") != enter.Get("Channel") {
			agent = m.Get("Channel")
		}
	}
	if !strings.HasPrefix(agent, "Local/agw@fake-phone-") {
		t.Fatalf("agent %q", agent)
	}
	wantTrace(t, "agent leg", trace(c.all(), 0, agent)[:11], []string{"Newchannel", "VarSet __COOCENTER_USERDATA=dXNlcg",
		"Newexten fake-phone,1 AppDial", "NewCallerid", "VarSet LOCAL(ARGC)=0", "Newexten coocenter-agent,1 GotoIf",
		"Newexten coocenter-agent,2 Set", "VarSet DYNAMIC_FEATURES=coocenter-hold", "Newexten coocenter-agent,3 Return",
		"VarSet ARGC=", "VarSet GOSUB_RETVAL="})
}
