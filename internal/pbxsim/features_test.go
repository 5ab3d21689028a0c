package pbxsim

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// isEvent matches an event by name and a prefix of its Channel header.
func isEvent(name, chanPrefix string) func(ami.Message) bool {
	return func(m ami.Message) bool {
		return m.Event() == name && strings.HasPrefix(m.Get("Channel"), chanPrefix)
	}
}

func channelInfo(sim *Server, prefix string) ChannelInfo {
	for _, ch := range sim.Channels() {
		if strings.HasPrefix(ch.Name, prefix) {
			return ch
		}
	}
	return ChannelInfo{}
}

// waitForAfter is waitFor over the messages from index n on.
func (c *testClient) waitForAfter(n int, what string, ok func(ami.Message) bool) ami.Message {
	c.t.Helper()
	// waitFor scans every message again each time one arrives, so the
	// position is counted per scan: a message reached again starts one.
	var first ami.Message
	i := 0
	return c.waitFor(what, func(m ami.Message) bool {
		if i > 0 && sameMessage(m, first) {
			i = 0
		}
		if i == 0 {
			first = m
		}
		i++
		return i > n && ok(m)
	})
}

func sameMessage(a, b ami.Message) bool {
	return slices.Equal(keys(a), keys(b)) && dump([]ami.Message{a}) == dump([]ami.Message{b})
}

func keys(m ami.Message) []string {
	var out []string
	for i := range m.Len() {
		k, _ := m.At(i)
		out = append(out, k)
	}
	return out
}

func TestOriginateChannelIdPhone(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{Registered: []string{"808", "809"}, AutoAnswer: 5 * time.Millisecond})
	c := dialSim(t, sim)
	c.login()
	c.send(hdrs("Action", "Originate", "ActionID", "click", "Channel", "SIP/808", "Context", "internal", "Exten", "809",
		"Priority", "1", "Async", "true", "ChannelId", "click-0001", "OtherChannelId", "unused-0001",
		"Variable", "__CORR=abc", "Variable", "A=1,B=\"x,y\"", "Variable", "noequals")...)
	if m := c.response("click"); m.Get("Message") != "Originate successfully queued" {
		t.Fatal(m)
	}
	nc := c.waitFor("Newchannel SIP/808", isEvent("Newchannel", "SIP/808-"))
	if nc.Get("Uniqueid") != "click-0001" || nc.Get("Linkedid") != "click-0001" {
		t.Errorf("originated channel: Uniqueid %q Linkedid %q", nc.Get("Uniqueid"), nc.Get("Linkedid"))
	}
	or := c.event("OriginateResponse", 1)
	if or.Get("Response") != "Success" || or.Get("Uniqueid") != "click-0001" {
		t.Errorf("OriginateResponse %v", or)
	}
	db := c.waitFor("DialBegin to 809", func(m ami.Message) bool {
		return m.Event() == "DialBegin" && strings.HasPrefix(m.Get("DestChannel"), "SIP/809-")
	})
	if db.Get("Uniqueid") != "click-0001" || db.Get("DestLinkedid") != "click-0001" || db.Get("DestUniqueid") == "click-0001" {
		t.Errorf("dialled leg: %v", db)
	}
	enter := c.waitFor("809 bridged", isEvent("BridgeEnter", "SIP/809-"))
	if enter.Get("Linkedid") != "click-0001" {
		t.Errorf("809 Linkedid after bridging %q", enter.Get("Linkedid"))
	}

	// Variables: set in reverse header order (astman_get_variables), after
	// chan_sip's SIPCALLID, the "__" one inherited by the dialled phone.
	var sets []string
	for _, m := range c.all() {
		if m.Event() == "VarSet" && strings.HasPrefix(m.Get("Channel"), "SIP/808-") && m.Get("Uniqueid") == "click-0001" &&
			m.Get("Variable") != "SIPCALLID" {
			sets = append(sets, m.Get("Variable")+"="+m.Get("Value"))
		}
	}
	if want := []string{"B=x,y", "A=1", "__CORR=abc"}; len(sets) < 3 || !slices.Equal(sets[:3], want) {
		t.Errorf("VarSet on the originated channel %q, want %q first", sets, want)
	}
	src, dst := channelInfo(sim, "SIP/808-"), channelInfo(sim, "SIP/809-")
	if src.Variables["__CORR"] != "abc" || src.Variables["A"] != "1" || src.Variables["B"] != "x,y" {
		t.Errorf("originated channel variables %v", src.Variables)
	}
	if dst.Variables["__CORR"] != "abc" || dst.Variables["A"] != "" {
		t.Errorf("dialled channel variables %v", dst.Variables)
	}

	// A ChannelId in use: queued, then a failure with the id asked for.
	// The lookup is a case-insensitive prefix match (20.20.1).
	c.action("Action", "Originate", "ActionID", "dup", "Channel", "SIP/809", "Context", "internal", "Exten", "808",
		"Priority", "1", "Async", "true", "ChannelId", "CLICK-0")
	if m := c.response("dup"); m.Response() != "Success" {
		t.Errorf("async duplicate: %v", m)
	}
	fail := c.waitFor("dup failure", func(m ami.Message) bool { return m.Event() == "OriginateResponse" && m.ActionID() == "dup" })
	if fail.Get("Response") != "Failure" || fail.Get("Reason") != "0" || fail.Get("Uniqueid") != "CLICK-0" || fail.Get("Channel") != "SIP/809" {
		t.Errorf("duplicate ChannelId: %v", fail)
	}
	c.action("Action", "Originate", "ActionID", "dup2", "Channel", "SIP/809", "Context", "internal", "Exten", "808",
		"Priority", "1", "ChannelId", "x", "OtherChannelId", "click-0001")
	if m := c.response("dup2"); m.Response() != "Error" || m.Get("Message") != "Originate failed" {
		t.Errorf("sync, OtherChannelId in use: %v", m)
	}
	c.action("Action", "Originate", "ActionID", "long", "Channel", "SIP/809", "Context", "internal", "Exten", "808",
		"Priority", "1", "ChannelId", strings.Repeat("x", 150))
	if m := c.response("long"); m.Response() != "Error" || m.Get("Message") != "Uniqueid length exceeds maximum of 149" {
		t.Errorf("long ChannelId: %v", m)
	}
	for _, m := range c.all() {
		if m.Event() == "Newchannel" && strings.HasPrefix(m.Get("Channel"), "SIP/809-") && m.Get("Uniqueid") != db.Get("DestUniqueid") {
			t.Errorf("refused originate created a channel: %v", m)
		}
	}
	// Failure without a channel: the ChannelId is reported.
	c.action("Action", "Originate", "ActionID", "off", "Channel", "SIP/805", "Context", "internal", "Exten", "809",
		"Priority", "1", "Async", "true", "ChannelId", "off-1")
	c.response("off")
	off := c.waitFor("off failure", func(m ami.Message) bool { return m.Event() == "OriginateResponse" && m.ActionID() == "off" })
	if off.Get("Uniqueid") != "off-1" {
		t.Errorf("unregistered originate: %v", off)
	}
}

func TestOriginateChannelIdLocal(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{})
	c := dialSim(t, sim)
	c.login()
	originate := func(id string, kv ...string) {
		c.t.Helper()
		c.action(append([]string{"Action", "Originate", "ActionID", id, "Channel", "Local/" + id + "@fake-phone",
			"Application", "Wait", "Data", "300", "Async", "true"}, kv...)...)
		if m := c.response(id); m.Response() != "Success" {
			t.Fatal(m)
		}
	}
	uniq := func(name string) (string, string) {
		m := c.waitFor("Newchannel "+name, func(m ami.Message) bool {
			return m.Event() == "Newchannel" && normChannel(m.Get("Channel")) == name
		})
		return m.Get("Uniqueid"), m.Get("Linkedid")
	}

	originate("a", "ChannelId", "loc-a", "Variable", "V=1")
	if u, l := uniq("Local/a@fake-phone;1"); u != "loc-a" || l != "loc-a" {
		t.Errorf(";1 Uniqueid %q Linkedid %q", u, l)
	}
	if u, l := uniq("Local/a@fake-phone;2"); u != "loc-a;2" || l != "loc-a" {
		t.Errorf(";2 Uniqueid %q Linkedid %q", u, l)
	}
	or := c.waitFor("OriginateResponse a", func(m ami.Message) bool { return m.Event() == "OriginateResponse" && m.ActionID() == "a" })
	if or.Get("Uniqueid") != "loc-a" || or.Get("Response") != "Success" {
		t.Errorf("OriginateResponse %v", or)
	}
	for _, half := range []string{";1", ";2"} {
		var vars map[string]string
		for _, ci := range sim.Channels() {
			if normChannel(ci.Name) == "Local/a@fake-phone"+half {
				vars = ci.Variables
			}
		}
		if vars["V"] != "1" {
			t.Errorf("%s variables %v", half, vars)
		}
		c.waitFor("VarSet V on "+half, func(m ami.Message) bool {
			return m.Event() == "VarSet" && m.Get("Variable") == "V" && strings.HasSuffix(m.Get("Channel"), half)
		})
	}

	originate("b", "ChannelId", "loc-b", "OtherChannelId", "loc-b-two")
	if u, _ := uniq("Local/b@fake-phone;2"); u != "loc-b-two" {
		t.Errorf(";2 with OtherChannelId: %q", u)
	}
	originate("c", "OtherChannelId", "loc-c-two") // ignored without ChannelId
	if u, _ := uniq("Local/c@fake-phone;2"); u == "loc-c-two" || !strings.Contains(u, ".") {
		t.Errorf(";2 with only OtherChannelId: %q", u)
	}
	originate("d", "ChannelId", "loc-a") // ;1 of a is up
	fail := c.waitFor("OriginateResponse d", func(m ami.Message) bool { return m.Event() == "OriginateResponse" && m.ActionID() == "d" })
	if fail.Get("Response") != "Failure" || fail.Get("Uniqueid") != "loc-a" || fail.Get("Channel") != "Local/d@fake-phone" {
		t.Errorf("duplicate: %v", fail)
	}
}

func TestHoldUnholdSIP(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{Registered: []string{"800", "801"}})
	c := dialSim(t, sim)
	c.login()
	a, err := sim.Dial("800", "801")
	must(t, err)
	b := channelOf(sim, "SIP/801-")
	if err := sim.Hold(b, ""); err == nil {
		t.Error("Hold of a ringing channel accepted")
	}
	must(t, sim.Answer(b))
	c.event("BridgeEnter", 2)
	must(t, sim.Hold(b, ""))
	if err := sim.Hold(b, ""); err == nil {
		t.Error("second Hold accepted")
	}
	hold := c.event("Hold", 1)
	newstate := c.waitFor("801 Newstate", isEvent("Newstate", b))
	if hold.Get("Channel") != b || hold.Get("Privilege") != "call,all" {
		t.Errorf("Hold %v", hold)
	}
	if _, ok := hold.Lookup("MusicClass"); ok {
		t.Errorf("SIP hold with MusicClass: %v", hold)
	}
	if got, want := keys(hold), keys(newstate); !slices.Equal(got, want) {
		t.Errorf("Hold headers %v, want the Newstate layout %v", got, want)
	}
	c.waitFor("801 ONHOLD", func(m ami.Message) bool {
		return m.Event() == "DeviceStateChange" && m.Get("Device") == "SIP/801" && m.Get("State") == "ONHOLD"
	})
	es := c.waitFor("801 hint Hold", func(m ami.Message) bool {
		return m.Event() == "ExtensionStatus" && m.Get("Exten") == "801" && m.Get("Status") == "16"
	})
	if es.Get("StatusText") != "Hold" {
		t.Errorf("ExtensionStatus %v", es)
	}
	c.action("Action", "ExtensionState", "ActionID", "es", "Exten", "801", "Context", "internal")
	if m := c.response("es"); m.Get("Status") != "16" || m.Get("StatusText") != "Hold" {
		t.Errorf("ExtensionState while held: %v", m)
	}
	if !channelInfo(sim, "SIP/801-").OnHold || channelInfo(sim, "SIP/800-").OnHold {
		t.Error("ChannelInfo.OnHold")
	}

	n := len(c.all())
	must(t, sim.Unhold(b))
	if err := sim.Unhold(b); err == nil {
		t.Error("second Unhold accepted")
	}
	unhold := c.event("Unhold", 1)
	if got, want := keys(unhold), keys(newstate); !slices.Equal(got, want) {
		t.Errorf("Unhold headers %v, want %v", got, want)
	}
	c.waitForAfter(n, "801 hint InUse again", func(m ami.Message) bool {
		return m.Event() == "ExtensionStatus" && m.Get("Exten") == "801" && m.Get("Status") == "1" && m.Get("StatusText") == "InUse"
	})

	must(t, sim.Hold(a, "jazz"))
	h2 := c.event("Hold", 2)
	if h2.Get("Channel") != a || h2.Get("MusicClass") != "jazz" || keys(h2)[len(keys(h2))-1] != "MusicClass" {
		t.Errorf("Hold with a class %v", h2)
	}
	c.waitFor("800 hint Hold", func(m ami.Message) bool {
		return m.Event() == "ExtensionStatus" && m.Get("Exten") == "800" && m.Get("Status") == "16"
	})
	// Hanging up while on hold: the device is no longer held.
	n = len(c.all())
	must(t, sim.Hangup(a, 16))
	c.waitForAfter(n, "800 hint Idle", func(m ami.Message) bool {
		return m.Event() == "ExtensionStatus" && m.Get("Exten") == "800" && m.Get("Status") == "0"
	})
}

func TestHoldPJSIPHeldParty(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{Registered: []string{"900", "901"}})
	c := dialSim(t, sim)
	c.login()
	a, err := sim.Dial("900", "901")
	must(t, err)
	b := channelOf(sim, "PJSIP/901-")
	must(t, sim.Answer(b))
	c.event("BridgeEnter", 2)
	must(t, sim.Hold(a, ""))
	if h := c.event("Hold", 1); h.Get("MusicClass") != "default" {
		t.Errorf("PJSIP Hold %v", h)
	}
	// chan_pjsip marks the party that receives the hold, not the holder.
	c.waitFor("901 hint Hold", func(m ami.Message) bool {
		return m.Event() == "ExtensionStatus" && m.Get("Exten") == "901" && m.Get("Status") == "16"
	})
	for _, m := range c.all() {
		if m.Event() == "ExtensionStatus" && m.Get("Exten") == "900" && m.Get("Status") == "16" {
			t.Errorf("holder's hint went to Hold: %v", m)
		}
	}
	n := len(c.all())
	must(t, sim.Unhold(a))
	c.waitForAfter(n, "901 hint InUse again", func(m ami.Message) bool {
		return m.Event() == "ExtensionStatus" && m.Get("Exten") == "901" && m.Get("Status") == "1"
	})
}

func TestBusyHoldTiming(t *testing.T) {
	t.Parallel()
	if d := DefaultTiming().BusyHold; d != 10*time.Second {
		t.Errorf("default BusyHold %v", d)
	}
	if d := (Timing{}).withDefaults().BusyHold; d != 10*time.Second {
		t.Errorf("zero BusyHold defaults to %v", d)
	}
	timing := FastTiming()
	timing.BusyHold = 200 * time.Millisecond
	sim := startSim(t, Options{Registered: []string{"800"}, AutoAnswer: time.Millisecond, Timing: timing})
	c := dialSim(t, sim)
	c.login()
	start := time.Now()
	// The answered phone runs busy-1@fake-phone itself: Busy(10), then h.
	c.action("Action", "Originate", "ActionID", "busy", "Channel", "SIP/800", "Context", "fake-phone", "Exten", "busy-1",
		"Priority", "1", "Async", "true")
	c.waitFor("Busy app", func(m ami.Message) bool { return m.Event() == "Newexten" && m.Get("Application") == "Busy" })
	h := c.waitFor("hangup", isEvent("Hangup", "SIP/800-"))
	if d := time.Since(start); d < timing.BusyHold {
		t.Errorf("busy phone hung up after %v, before BusyHold %v", d, timing.BusyHold)
	}
	if h.Get("Cause") != "17" {
		t.Errorf("hangup %v", h)
	}
}

func TestInboundCallDefaultQueue(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{})
	c := dialSim(t, sim)
	c.login()
	if _, err := sim.InboundCall("0501112222", "633"); err == nil {
		t.Error("queue 633 accepted")
	}
	caller, err := sim.InboundCall("0501112222", "")
	must(t, err)
	if !strings.HasPrefix(caller, "Local/in-0501112222@from-trunk-") || !strings.HasSuffix(caller, ";2") {
		t.Errorf("caller %q", caller)
	}
	if j := c.event("QueueCallerJoin", 1); j.Get("Queue") != "630" || j.Get("Channel") != caller {
		t.Errorf("join %v", j)
	}
	must(t, sim.Hangup(caller, 16))
}
