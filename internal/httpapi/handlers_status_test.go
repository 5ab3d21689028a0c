package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// The success answers of the read endpoints, byte for byte.
func TestReadEndpoints(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"/extensions/current-calls", `{"status":"success","message":"Channels will follow","data":[` +
			`{"calleridname":"896","calleridnum":"896","channel":"SIP/896-0000000b","channelstate":"6",` +
			`"channelstatedesc":"Up","connectedlinename":"897","connectedlinenum":"897","duration":"00:02:58"}]}`},
		{"/extensions/extension-status", `{"status":"success","message":"Peer status list will follow","data":[` +
			`{"Exten":"800","Type":"SIP","IPAddr":"-none-","Status":"UNKNOWN"},` +
			`{"Exten":"801","Type":"SIP","IPAddr":"192.168.12.4","Status":"OK (45 ms)"},` +
			`{"Exten":"802","Type":"SIP","IPAddr":"192.168.12.3","Status":"OK (42 ms)"},` +
			`{"Exten":"806","Type":"PJSIP","IPAddr":"192.168.12.6","Status":"OK (3 ms)"},` +
			`{"Exten":"808","Type":"SIP","IPAddr":"192.168.12.8","Status":"OK (5 ms)"},` +
			`{"Exten":"809","Type":"SIP","IPAddr":"192.168.12.9","Status":"OK (5 ms)"}]}`},
		{"/extensions/extension-hints-status", `[` +
			`{"agentName":"800","extension":"800","extenType":"SIP","status":"0"},` +
			`{"agentName":"801","extension":"801","extenType":"SIP","status":"0"}]`},
		{"/queues/queue-info", `{"status":"success","message":"Queue status will follow","data":{` +
			`"630":[{"name":"sip/876","paused":"0","penalty":"0"},{"name":"sip/805","paused":"0","penalty":"1"},` +
			`{"name":"sip/893","paused":"1","penalty":"0"}],` +
			`"631":[{"name":"sip/870","paused":"0","penalty":"0"},{"name":"local/800@fake-phone/n","paused":"0","penalty":"0"}],` +
			`"632":[]}}`},
		{"/blacklist/index", `{"status":"success","data":["123456"]}`},
	}
	for _, tt := range tests {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(method+tt.path, func(t *testing.T) {
				env := newEnv(t)
				check(t, env.do(req{method: method, target: BasePath + tt.path}), http.StatusOK, tt.want)
			})
		}
	}
}

// Empty lists read [] and {}, never null.
func TestReadEndpointsEmpty(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/extensions/current-calls", `{"status":"success","message":"Channels will follow","data":[]}`},
		{"/extensions/extension-status", `{"status":"success","message":"Peer status list will follow","data":[]}`},
		{"/extensions/extension-hints-status", `[]`},
		{"/queues/queue-info", `{"status":"success","message":"Queue status will follow","data":{}}`},
		{"/blacklist/index", `{"status":"success","data":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			env := newEnv(t)
			env.pbx.channels, env.pbx.peers, env.pbx.hints, env.pbx.queues, env.bl.numbers = nil, nil, nil, nil, nil
			check(t, env.do(req{method: http.MethodGet, target: BasePath + tt.path}), http.StatusOK, tt.want)
		})
	}
}

// The model of a disconnected Asterisk is stale: reads answer 503.
func TestReadEndpointsNotConnected(t *testing.T) {
	for _, path := range []string{"/extensions/current-calls", "/extensions/extension-status",
		"/extensions/extension-hints-status", "/queues/queue-info"} {
		t.Run(path, func(t *testing.T) {
			env := newEnv(t)
			env.pbx.connected = false
			check(t, env.do(req{method: http.MethodGet, target: BasePath + path}),
				http.StatusServiceUnavailable, errBody("Asterisk is not connected"))
		})
	}
}

func TestHealthz(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.WebKey = "secret" }) // no auth needed
	check(t, env.do(req{method: http.MethodGet, target: "/healthz"}), http.StatusOK,
		`{"status":"success","data":{"ami":"connected","version":"1.2.3"}}`)
	env.pbx.connected = false // alive all the same: systemd must not restart it for Asterisk
	check(t, env.do(req{method: http.MethodGet, target: "/healthz"}), http.StatusOK,
		`{"status":"success","data":{"ami":"disconnected","version":"1.2.3"}}`)
}

func TestMetrics(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("up 1\n")) })
	env := newEnv(t, func(o *Options) { o.WebKey = "secret"; o.Metrics = metrics })
	check(t, env.do(req{method: http.MethodGet, target: "/metrics"}), http.StatusUnauthorized, errBody("authentication failed"))
	w := env.do(req{method: http.MethodGet, target: "/metrics",
		header: map[string]string{"Authorization": token("secret", noon)}})
	if w.Code != http.StatusOK || w.Body.String() != "up 1\n" {
		t.Errorf("got %d %q", w.Code, w.Body.String())
	}
	// Without a Metrics handler there is no such path.
	env = newEnv(t)
	check(t, env.do(req{method: http.MethodGet, target: "/metrics"}), http.StatusNotFound, errBody("no endpoint at /metrics"))
}

func TestSince(t *testing.T) {
	now := noon
	tests := []struct {
		created time.Time
		want    string
	}{
		{time.Time{}, ""},
		{now, "00:00:00"},
		{now.Add(-59 * time.Second), "00:00:59"},
		{now.Add(-(2*time.Minute + 58*time.Second + 900*time.Millisecond)), "00:02:58"},
		{now.Add(-(123*time.Hour + 4*time.Minute + 5*time.Second)), "123:04:05"},
		{now.Add(time.Second), "00:00:00"}, // a clock that went back
	}
	for _, tt := range tests {
		if got := string(appendSince(nil, tt.created, now)); got != tt.want {
			t.Errorf("appendSince(%v) = %q, want %q", tt.created, got, tt.want)
		}
	}
}

func TestHintRows(t *testing.T) {
	env := newEnv(t)
	env.pbx.hints = []pbx.Hint{
		{Exten: "1000", Device: "PJSIP/1000", Status: 9, Name: "Alice"},
		{Exten: "*76", Device: "Custom:DND", Status: 0},
		{Exten: "900", Device: "SIP/900&SIP/901", Status: 4},
		{Exten: "800", Device: "Local/800@fake-phone", Status: 16},
	}
	check(t, env.do(req{method: http.MethodGet, target: BasePath + "/extensions/extension-hints-status"}), http.StatusOK, `[`+
		`{"agentName":"800","extension":"800","extenType":"Local","status":"16"},`+
		`{"agentName":"900","extension":"900","extenType":"SIP","status":"4"},`+
		`{"agentName":"Alice","extension":"1000","extenType":"PJSIP","status":"9"},`+
		`{"agentName":"*76","extension":"*76","extenType":"Custom","status":"0"}]`)
}

func TestQueueMemberName(t *testing.T) {
	for iface, want := range map[string]string{
		"SIP/876": "sip/876", "PJSIP/876": "pjsip/876", "Local/800@Fake-Phone/n": "local/800@Fake-Phone/n",
		"DAHDI/i1/123": "dahdi/i1/123", "weird": "weird",
	} {
		if got := memberName(iface); got != want {
			t.Errorf("memberName(%q) = %q, want %q", iface, got, want)
		}
	}
}

// Names with characters HTML would escape come out as they are.
func TestNoHTMLEscaping(t *testing.T) {
	env := newEnv(t)
	env.pbx.channels[0].CallerIDName = `"Tom & <Jerry>"`
	w := env.do(req{method: http.MethodGet, target: BasePath + "/extensions/current-calls"})
	if want := `"calleridname":"\"Tom & <Jerry>\""`; !strings.Contains(w.Body.String(), want) {
		t.Errorf("body %s lacks %s", w.Body.String(), want)
	}
}

// The reads of the model are rendered once per Version of it: a model
// of the same Version answers the rendering it had (the fake changed its
// content behind the Version's back, which the real model never does), a
// new Version is answered at once; current-calls' durations still count
// at every answer.
func TestReadsRenderedOncePerChange(t *testing.T) {
	env := newEnv(t)
	env.pbx.frozen = true
	calls := func() string {
		return env.do(req{method: http.MethodGet, target: BasePath + "/extensions/current-calls"}).Body.String()
	}
	status := func() string {
		return env.do(req{method: http.MethodGet, target: BasePath + "/extensions/extension-status"}).Body.String()
	}
	first, firstStatus := calls(), status()
	env.pbx.mu.Lock()
	env.pbx.channels[0].CallerIDName = "renamed"
	env.pbx.peers = env.pbx.peers[:1]
	env.pbx.mu.Unlock()
	env.setNow(noon.Add(time.Second))
	second := calls()
	if want := strings.Replace(first, `"duration":"00:02:58"`, `"duration":"00:02:59"`, 1); second != want || second == first {
		t.Errorf("the same model a second later:\n%s\nwant\n%s", second, want)
	}
	if s := status(); s != firstStatus {
		t.Errorf("extension-status of the same model changed:\n%s\nwas\n%s", s, firstStatus)
	}
	env.pbx.mu.Lock()
	env.pbx.frozen = false // the next Snapshot is a new Version
	env.pbx.mu.Unlock()
	if got := calls(); !strings.Contains(got, `"calleridname":"renamed"`) {
		t.Errorf("a changed model answered as before: %s", got)
	}
	if s := status(); strings.Count(s, `"Exten"`) != 1 {
		t.Errorf("extension-status after the change: %s", s)
	}
}

// TestCurrentCallsReuseRows: a rendering takes from the one before the
// rows of the channels the two Snapshots share, encodes the rest, and
// answers as a rendering from nothing does.
func TestCurrentCallsReuseRows(t *testing.T) {
	channel := func(id, name string) *pbx.Channel {
		c := fixtureChannels()[0]
		c.Uniqueid, c.Name = id, name
		return &c
	}
	a, b, c := channel("1732175822.11", "SIP/896-0000000b"), channel("1732175823.12", "SIP/897-0000000c"), channel("1732175900.99", "SIP/809-00000099")
	first := renderCurrentCalls(&pbx.Snapshot{Channels: []*pbx.Channel{a, b}}, nil)
	b2 := *b
	b2.CallerIDName = "renamed"
	snap := &pbx.Snapshot{Channels: []*pbx.Channel{a, &b2, c}}
	next := renderCurrentCalls(snap, first)
	if &next.rows[0].head[0] != &first.rows[0].head[0] {
		t.Error("the row of a channel both Snapshots share was encoded again")
	}
	if &next.rows[1].head[0] == &first.rows[1].head[0] {
		t.Error("the row of a changed channel was taken from before")
	}
	if got, want := string(next.answer(nil, noon)), string(renderCurrentCalls(snap, nil).answer(nil, noon)); got != want {
		t.Errorf("answer from the rows kept:\n%s\nwant\n%s", got, want)
	}
}

// TestRenderSlots: an answer that must be rendered waits for a render
// slot; one already rendered for this Version of the model does not.
// While every slot is held (as by that many clients rendering at once),
// current-calls does not answer; once one is free it does.
func TestRenderSlots(t *testing.T) {
	env := newEnv(t)
	env.pbx.frozen = true
	status := func() string {
		return env.do(req{method: http.MethodGet, target: BasePath + "/extensions/extension-status"}).Body.String()
	}
	rendered := status()
	for range cap(renderSlots) {
		renderSlots <- struct{}{}
	}
	held := cap(renderSlots)
	t.Cleanup(func() {
		for ; held > 0; held-- {
			<-renderSlots
		}
	})
	if got := status(); got != rendered {
		t.Errorf("extension-status, already rendered, while the slots are held: %s", got)
	}
	answered := make(chan string, 1)
	go func() {
		answered <- env.do(req{method: http.MethodGet, target: BasePath + "/extensions/current-calls"}).Body.String()
	}()
	select {
	case got := <-answered:
		t.Fatalf("current-calls rendered while every render slot was held: %s", got)
	case <-time.After(50 * time.Millisecond):
	}
	<-renderSlots
	held--
	select {
	case got := <-answered:
		if !strings.Contains(got, `"Channels will follow"`) {
			t.Errorf("current-calls once a slot was free: %s", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("current-calls did not answer once a render slot was free")
	}
}
