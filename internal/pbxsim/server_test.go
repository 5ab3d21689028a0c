package pbxsim

import (
	"crypto/md5"
	"encoding/hex"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

func TestLoginPlain(t *testing.T) {
	sim := startSim(t, Options{})
	c := dialSim(t, sim)
	if c.greeting != "Asterisk Call Manager/9.0.0" {
		t.Errorf("greeting %q", c.greeting)
	}
	c.login()
	c.event("FullyBooted", 1)
	c.action("Action", "Login", "ActionID", "again", "Username", "coocenter", "Secret", "coocenter-secret")
	if m := c.response("again"); m.Get("Message") != "Already authenticated" {
		t.Errorf("second login: %v", m)
	}
}

func TestLoginMD5(t *testing.T) {
	sim := startSim(t, Options{})
	c := dialSim(t, sim)
	c.action("Action", "Challenge", "ActionID", "ch", "AuthType", "MD5")
	chal := c.response("ch").Get("Challenge")
	if chal == "" {
		t.Fatal("no challenge")
	}
	sum := md5.Sum([]byte(chal + "coocenter-secret"))
	c.action("Action", "Login", "ActionID", "l", "AuthType", "MD5", "Username", "coocenter", "Key", hex.EncodeToString(sum[:]))
	if m := c.response("l"); m.Response() != "Success" {
		t.Fatalf("md5 login: %v", m)
	}
}

func TestLoginFailure(t *testing.T) {
	sim := startSim(t, Options{Timing: Timing{AuthFailDelay: 50 * time.Millisecond}.withFast()})
	c := dialSim(t, sim)
	start := time.Now()
	c.action("Action", "Login", "ActionID", "bad", "Username", "coocenter", "Secret", "wrong")
	m := c.response("bad")
	if m.Response() != "Error" || m.Get("Message") != "Authentication failed" {
		t.Errorf("bad login: %v", m)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("refused after %v, want the configured delay", d)
	}
	select {
	case <-c.closed:
	case <-time.After(2 * time.Second):
		t.Error("connection left open after a failed login")
	}
}

// withFast fills the zero fields of t from FastTiming.
func (t Timing) withFast() Timing {
	f := FastTiming()
	if t.AuthFailDelay != 0 {
		f.AuthFailDelay = t.AuthFailDelay
	}
	return f
}

func TestProtocolErrors(t *testing.T) {
	sim := startSim(t, Options{})
	c := dialSim(t, sim)
	c.action("Action", "CoreShowChannels", "ActionID", "early")
	if m := c.response("early"); m.Get("Message") != "Permission denied" {
		t.Errorf("before login: %v", m)
	}
	c.login()
	c.action("ActionID", "noaction")
	if m := c.response("noaction"); m.Get("Message") != "Missing action in request" {
		t.Errorf("missing action: %v", m)
	}
	c.action("Action", "Frobnicate", "ActionID", "unk")
	if m := c.response("unk"); m.Get("Message") != "Invalid/unknown command: Frobnicate. Use Action: ListCommands to show available commands." {
		t.Errorf("unknown: %v", m)
	}
}

func TestActionResponses(t *testing.T) {
	sim := startSim(t, Options{Registered: []string{"801", "900"}})
	c := dialSim(t, sim)
	c.login()
	tests := []struct {
		kv       []string
		response string
		message  string
		complete string
		items    int
	}{
		{[]string{"Action", "Ping"}, "Success", "", "", 0},
		{[]string{"Action", "DBGet", "Family", "blacklist", "Key", "nope"}, "Error", "Database entry not found", "", 0},
		{[]string{"Action", "DBDel", "Family", "blacklist", "Key", "nope"}, "Error", "Database entry could not be deleted", "", 0},
		{[]string{"Action", "DBPut", "Family", "blacklist", "Key", "0501", "Val", "1"}, "Success", "Updated database successfully", "", 0},
		{[]string{"Action", "DBGetTree", "Family", "blacklist"}, "Success", "Result will follow", "DBGetTreeComplete", 1},
		{[]string{"Action", "SIPpeers"}, "Success", "Peer status list will follow", "PeerlistComplete", 10},
		{[]string{"Action", "PJSIPShowEndpoints"}, "Success", "A listing of Endpoints follows, presented as EndpointList events", "EndpointListComplete", 10},
		{[]string{"Action", "PJSIPShowContacts"}, "Success", "A listing of Contacts follows, presented as ContactList events", "ContactListComplete", 1},
		{[]string{"Action", "ExtensionStateList"}, "Success", "Extension Statuses will follow", "ExtensionStateListComplete", 20},
		{[]string{"Action", "QueueStatus", "Queue", "631"}, "Success", "Queue status will follow", "QueueStatusComplete", 3},
		{[]string{"Action", "QueuePause", "Interface", "SIP/802", "Paused", "true", "Reason", "lunch"}, "Success", "Interface paused successfully", "", 0},
		{[]string{"Action", "QueuePause", "Interface", "SIP/999", "Paused", "true"}, "Error", "Interface not found", "", 0},
		{[]string{"Action", "QueueAdd", "Queue", "630", "Interface", "SIP/805", "MemberName", "Agent 805"}, "Success", "Added interface to queue", "", 0},
		{[]string{"Action", "QueueAdd", "Queue", "630", "Interface", "SIP/805"}, "Error", "Unable to add interface: Already there", "", 0},
		{[]string{"Action", "QueueRemove", "Queue", "630", "Interface", "SIP/805"}, "Success", "Removed interface from queue", "", 0},
		{[]string{"Action", "QueueRemove", "Queue", "630", "Interface", "Local/800@fake-phone/n"}, "Error", "Member not dynamic", "", 0},
		{[]string{"Action", "Command", "Command", "core show version"}, "Success", "Command output follows", "", 0},
		{[]string{"Action", "Command", "Command", "core show nothing"}, "Error", "Command output follows", "", 0},
		{[]string{"Action", "Status"}, "Success", "Channel status will follow", "StatusComplete", 0},
		{[]string{"Action", "Status", "Channel", "SIP/800-00000001"}, "Error", "No such channel", "", 0},
		{[]string{"Action", "BlindTransfer", "Channel", "SIP/800-00000001", "Exten", "801"}, "Error", "Channel specified does not exist", "", 0},
		{[]string{"Action", "BlindTransfer", "Channel", "SIP/800-00000001"}, "Error", "No extension specified", "", 0},
		{[]string{"Action", "Challenge", "AuthType", "plain"}, "Error", "Must specify AuthType", "", 0},
		{[]string{"Action", "Hangup", "Channel", "SIP/800-00000001"}, "Error", "No such channel", "", 0},
		{[]string{"Action", "Originate", "Channel", "SIP/801", "Context", "internal", "Exten", "123", "Priority", "1"}, "Error", "Extension does not exist.", "", 0},
		{[]string{"Action", "UserEvent", "UserEvent", "Survey", "Score", "5"}, "Success", "Event Sent", "", 0},
		{[]string{"Action", "Events", "EventMask", "bogus"}, "Error", "Invalid event mask", "", 0},
	}
	for i, tc := range tests {
		id := "t" + itoa(i)
		c.action(append(tc.kv, "ActionID", id)...)
		m := c.response(id)
		if m.Response() != tc.response || m.Get("Message") != tc.message {
			t.Errorf("%v: got %s / %q", tc.kv, m.Response(), m.Get("Message"))
		}
		if tc.complete != "" {
			done := c.waitFor(tc.complete, func(m ami.Message) bool { return m.Event() == tc.complete && m.ActionID() == id })
			if done.Get("ListItems") != itoa(tc.items) {
				t.Errorf("%v: ListItems %s, want %d", tc.kv, done.Get("ListItems"), tc.items)
			}
		}
	}
	ue := c.event("UserEvent", 1)
	if ue.Get("Score") != "5" || ue.ActionID() == "" {
		t.Errorf("UserEvent copy: %v", ue)
	}
}

func TestEventMask(t *testing.T) {
	sim := startSim(t, Options{})
	c := dialSim(t, sim)
	c.action("Action", "Login", "ActionID", "l", "Username", "coocenter", "Secret", "coocenter-secret", "Events", "system")
	c.response("l")
	must(t, sim.Register("801"))
	c.event("PeerStatus", 1)
	c.action("Action", "Events", "ActionID", "off", "EventMask", "off")
	if m := c.response("off"); m.Get("Events") != "Off" {
		t.Errorf("events off: %v", m)
	}
	must(t, sim.Unregister("801"))
	c.action("Action", "Ping", "ActionID", "p")
	c.response("p")
	for _, m := range c.all() {
		switch m.Event() {
		case "DeviceStateChange", "ExtensionStatus", "SuccessfulAuth":
			t.Errorf("event %s passed a system-only mask", m.Event())
		}
		if m.Event() == "PeerStatus" && m.Get("PeerStatus") == "Unregistered" {
			t.Error("event passed Events: off")
		}
	}
}

func TestRestart(t *testing.T) {
	sim := startSim(t, Options{Registered: []string{"801"}})
	sim.DBPut("blacklist", "0501", "1")
	c := dialSim(t, sim)
	c.login()
	sim.Restart(50 * time.Millisecond)
	select {
	case <-c.closed:
	case <-time.After(2 * time.Second):
		t.Fatal("connection survived the restart")
	}
	if sim.IsUp() {
		t.Error("up right after Restart")
	}
	if conn, err := net.DialTimeout("tcp", sim.Addr(), time.Second); err == nil {
		r := ami.NewReader(conn)
		if _, err := r.ReadGreeting(); err == nil {
			t.Error("greeted while down")
		}
		conn.Close()
	}
	deadline := time.Now().Add(2 * time.Second)
	for !sim.IsUp() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	c2 := dialSim(t, sim)
	c2.login()
	c2.action("Action", "SIPpeers", "ActionID", "p")
	c2.waitFor("PeerlistComplete", func(m ami.Message) bool { return m.Event() == "PeerlistComplete" })
	for _, m := range c2.all() {
		if m.Event() == "PeerEntry" && m.Get("ObjectName") == "801" && m.Get("IPaddress") != "-none-" {
			t.Error("registration survived the restart")
		}
	}
	if v, ok := sim.DBGet("blacklist", "0501"); !ok || v != "1" {
		t.Error("AstDB lost in restart")
	}
}

func TestStallAndDelay(t *testing.T) {
	sim := startSim(t, Options{})
	c := dialSim(t, sim)
	c.login()
	sim.Stall(true)
	c.action("Action", "Ping", "ActionID", "stalled")
	time.Sleep(50 * time.Millisecond)
	for _, m := range c.all() {
		if m.ActionID() == "stalled" {
			t.Fatal("answered while stalled")
		}
	}
	sim.Stall(false)
	c.response("stalled")
	sim.SetResponseDelay(40 * time.Millisecond)
	start := time.Now()
	c.action("Action", "Ping", "ActionID", "slow")
	c.response("slow")
	if time.Since(start) < 40*time.Millisecond {
		t.Error("response delay not applied")
	}
}

func TestSlowClientDropped(t *testing.T) {
	sim := startSim(t, Options{SessionQueue: 16})
	conn, err := net.Dial("tcp", sim.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b, _ := ami.AppendMessage(nil, hdrs("Action", "Login", "Username", "coocenter", "Secret", "coocenter-secret"))
	conn.Write(b)
	// Never read: flood events until the session queue overflows.
	deadline := time.Now().Add(3 * time.Second)
	for sim.Sessions() > 0 && time.Now().Before(deadline) {
		for range 200 {
			sim.Emit("user", "UserEvent", hdrs("UserEvent", "Flood", "Data", strings.Repeat("x", 1000))...)
		}
		time.Sleep(time.Millisecond)
	}
	if n := sim.Sessions(); n != 0 {
		t.Fatalf("slow client still connected (%d sessions)", n)
	}
	c := dialSim(t, sim) // the simulator itself is fine
	c.login()
}

func TestInjectRawAndDrop(t *testing.T) {
	sim := startSim(t, Options{})
	c := dialSim(t, sim)
	c.login()
	sim.InjectRaw([]byte("Event: Broken\r\nno colon here\r\n\r\n"))
	c.event("Broken", 1)
	sim.DropConnections()
	select {
	case <-c.closed:
	case <-time.After(2 * time.Second):
		t.Fatal("DropConnections left the connection open")
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 3 {
		sim, err := Start(Options{Timing: FastTiming(), AutoAnswer: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		c := dialSim(t, sim)
		c.login()
		must(t, sim.Register("804"))
		if _, err := sim.InboundCall("0501112222", "632"); err != nil {
			t.Fatal(err)
		}
		sim.Restart(time.Hour)
		sim.Close()
		sim.Close()
		c.conn.Close()
		<-c.closed
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
