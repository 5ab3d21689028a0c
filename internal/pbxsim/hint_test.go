package pbxsim

import (
	"testing"

	"github.com/coocenter/coocenterd/internal/ami"
)

// A member whose StateInterface is hint:<exten>@<context> takes its status
// from the hint's device, as app_queue does (ami-10: Status 1 for the
// registered SIP/805 of hint:805@internal), follows it (QueueMemberStatus)
// and counts as available; an unknown hint is INVALID.
func TestHintStateInterface(t *testing.T) {
	t.Parallel()
	sim := startSim(t, Options{Registered: []string{"805"}})
	c := dialSim(t, sim)
	c.login()
	c.action("Action", "QueueAdd", "ActionID", "add", "Queue", "631", "Interface", "SIP/805",
		"MemberName", "Agent 805", "StateInterface", "hint:805@internal")
	if r := c.response("add"); r.Response() != "Success" {
		t.Fatal(r)
	}
	added := c.event("QueueMemberAdded", 1)
	if added.Get("StateInterface") != "hint:805@internal" || added.Get("Status") != "1" {
		t.Errorf("QueueMemberAdded: StateInterface %q Status %q, want hint:805@internal 1",
			added.Get("StateInterface"), added.Get("Status"))
	}
	c.action("Action", "QueueSummary", "ActionID", "sum", "Queue", "631")
	sum := c.waitFor("QueueSummary", func(m ami.Message) bool { return m.Event() == "QueueSummary" })
	// SIP/802 is unregistered; Local/803 and SIP/805 are available.
	if sum.Get("LoggedIn") != "2" || sum.Get("Available") != "2" {
		t.Errorf("QueueSummary: LoggedIn %q Available %q, want 2 2", sum.Get("LoggedIn"), sum.Get("Available"))
	}

	must(t, sim.Unregister("805"))
	st := c.waitFor("QueueMemberStatus SIP/805", func(m ami.Message) bool {
		return m.Event() == "QueueMemberStatus" && m.Get("Interface") == "SIP/805"
	})
	if st.Get("Status") != "5" {
		t.Errorf("after unregister: Status %q, want 5 (UNAVAILABLE)", st.Get("Status"))
	}
	for _, m := range sim.QueueMembers("631") {
		if m.Interface == "SIP/805" && m.Status != int(devUnavailable) {
			t.Errorf("QueueMembers: SIP/805 status %d", m.Status)
		}
	}

	c.action("Action", "QueueAdd", "ActionID", "bad", "Queue", "631", "Interface", "SIP/806",
		"StateInterface", "hint:999@internal")
	c.response("bad")
	if m := c.event("QueueMemberAdded", 2); m.Get("Status") != "4" {
		t.Errorf("unknown hint: Status %q, want 4 (INVALID)", m.Get("Status"))
	}
}
