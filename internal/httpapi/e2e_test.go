package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/blacklist"
	"github.com/coocenter/coocenterd/internal/httpapi"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/testbed"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// e2e is the API in front of a live model of a PBX (pbxsim by default).
type e2e struct {
	*testbed.Bed
	h http.Handler
}

func startE2E(t *testing.T) *e2e {
	b := testbed.Start(t, testbed.Options{Registered: []string{"801", "802", "805"}, AutoAnswer: 10 * time.Millisecond})
	db := testkit.TempDB(t)
	bl, err := blacklist.Open(db, "blacklist", pbx.AstDB{P: b.Model}, blacklist.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bl.Close() })
	if err := bl.Reconcile(testbed.Ctx(t)); err != nil {
		t.Fatal(err)
	}
	h := httpapi.New(httpapi.Options{PBX: b.Model, Blacklist: bl, Logger: slog.New(slog.DiscardHandler)})
	return &e2e{Bed: b, h: h}
}

func (e *e2e) call(method, path, body string) (int, string) {
	req := httptest.NewRequest(method, httpapi.BasePath+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func (e *e2e) want(t *testing.T, method, path, body string, code int, wantBody string) {
	t.Helper()
	gotCode, got := e.call(method, path, body)
	if gotCode != code || (wantBody != "" && got != wantBody) {
		t.Fatalf("%s %s %q: got %d %s\nwant %d %s", method, path, body, gotCode, got, code, wantBody)
	}
}

func TestEndToEndQueries(t *testing.T) {
	e := startE2E(t)
	e.want(t, "POST", "/extensions/current-calls", "", 200, `{"status":"success","message":"Channels will follow","data":[]}`)
	// Phones 800–809 are SIP, or PJSIP on an Asterisk without chan_sip.
	dev802, dev804 := strings.ToLower(e.Device("802")), strings.ToLower(e.Device("804"))
	tech8, _, _ := strings.Cut(e.Device("800"), "/")
	e.want(t, "GET", "/queues/queue-info", "", 200, `{"status":"success","message":"Queue status will follow","data":{`+
		// app_queue's order (hash buckets), as a real Asterisk 20 lists them.
		`"630":[{"name":"local/801@fake-phone/n","paused":"0","penalty":"0"},{"name":"local/800@fake-phone/n","paused":"0","penalty":"0"}],`+
		`"631":[{"name":"local/803@fake-phone/n","paused":"0","penalty":"0"},{"name":"`+dev802+`","paused":"0","penalty":"0"}],`+
		`"632":[{"name":"pjsip/904","paused":"0","penalty":"0"},{"name":"`+dev804+`","paused":"0","penalty":"0"}]}}`)
	_, peers := e.call("GET", "/extensions/extension-status", "")
	for _, want := range []string{
		`{"status":"success","message":"Peer status list will follow","data":[{"Exten":"800","Type":"` + tech8 + `","IPAddr":"-none-","Status":"UNKNOWN"},`,
		`{"Exten":"801","Type":"` + tech8 + `","IPAddr":"127.0.0.1","Status":"OK (`,
		`{"Exten":"900","Type":"PJSIP","IPAddr":"-none-","Status":"UNKNOWN"}`,
	} {
		if !strings.Contains(peers, want) {
			t.Fatalf("extension-status lacks %s in %s", want, peers)
		}
	}
	_, hints := e.call("GET", "/extensions/extension-hints-status", "")
	if !strings.HasPrefix(hints, `[{"agentName":"Agent 800","extension":"800","extenType":"`+tech8+`","status":"4"},{"agentName":"Agent 801","extension":"801","extenType":"`+tech8+`","status":"0"}`) {
		t.Fatalf("extension-hints-status: %s", hints)
	}
}

func TestEndToEndAgentCommands(t *testing.T) {
	e := startE2E(t)
	e.want(t, "POST", "/queues/agent-login", "extension=805&queue=631", 200, `{"status":"success","message":"login extension success"}`)
	e.want(t, "POST", "/queues/agent-pause", " queue=631&member=805&state=on ", 200, `{"status":"success","message":"pause extension success"}`)
	e.Eventually("805 paused in pbx", func() bool {
		for _, m := range e.NeedSimOr(t) {
			if m.Interface == e.Device("805") && m.Paused {
				return true
			}
		}
		return false
	})
	_, info := e.call("GET", "/queues/queue-info", "")
	if !strings.Contains(info, `{"name":"`+strings.ToLower(e.Device("805"))+`","paused":"1","penalty":"0"}`) {
		t.Fatalf("queue-info after pause: %s", info)
	}
	e.want(t, "POST", "/queues/agent-pause", "member=805&state=off", 200, `{"status":"success","message":"unpause extension success"}`)
	e.want(t, "POST", "/queues/agent-logout", "extension=805&queue=631", 200, `{"status":"success","message":"logout extension success"}`)
	e.want(t, "POST", "/queues/agent-logout", "extension=805&queue=631", 200, "")
	e.want(t, "POST", "/queues/agent-login", "extension=805&queue=639", 404, "")
	e.want(t, "POST", "/queues/agent-login", "extension=899&queue=631", 404, "")
	e.want(t, "POST", "/queues/agent-pause", "queue=630&member=805&state=on", 404, "")
}

// NeedSimOr returns queue 631's members from pbxsim, or from the model on a
// real Asterisk.
func (e *e2e) NeedSimOr(t *testing.T) []pbxMember {
	var out []pbxMember
	if e.Sim != nil {
		for _, m := range e.Sim.QueueMembers("631") {
			out = append(out, pbxMember{m.Interface, m.Paused})
		}
		return out
	}
	for _, q := range e.Model.Queues() {
		if q.Name == "631" {
			for _, m := range q.Members {
				out = append(out, pbxMember{m.Interface, m.Paused})
			}
		}
	}
	return out
}

type pbxMember struct {
	Interface string
	Paused    bool
}

func TestEndToEndCallCommands(t *testing.T) {
	e := startE2E(t)
	code, body := e.call("POST", "/extensions/click-number", " src=801&dst=802")
	if code != 200 || !strings.HasPrefix(body, `{"status":"success","message":"click number success","data":{"id":"`) {
		t.Fatalf("click-number: %d %s", code, body)
	}
	e.Eventually("two legs in current-calls", func() bool {
		_, calls := e.call("POST", "/extensions/current-calls", "")
		return strings.Count(calls, `"channelstatedesc":"Up"`) == 2
	})
	e.want(t, "POST", "/extensions/extenSpy", "src=805&dst=802", 200, `{"status":"success","message":"spy extension success"}`)
	e.want(t, "POST", "/extensions/hangup", "extension=801", 200, `{"status":"success","message":"hangup extension success"}`)
	e.Eventually("801 and 802 released", func() bool {
		return len(e.PhoneChannels("801"))+len(e.PhoneChannels("802")) == 0
	})
	e.want(t, "POST", "/extensions/hangup", "extension=801", 404, "")
	e.want(t, "POST", "/extensions/transfer", "src=801&dst=803", 404, "")
	e.want(t, "POST", "/extensions/click-number", "src=801&dst=80%0d%0aAction: Command", 400, "")
	e.want(t, "POST", "/extensions/click-number", "src=899&dst=802", 404, "")
}

func TestEndToEndBlacklistMirrorsAstDB(t *testing.T) {
	e := startE2E(t)
	sim := e.Stage()
	e.want(t, "POST", "/blacklist/create", "number=0501234567", 200, `{"status":"success","message":"Updated database successfully"}`)
	e.want(t, "POST", "/blacklist/create", "number=0501234567", 200, "")
	if _, ok := sim.DBGet("blacklist", "0501234567"); !ok {
		t.Fatal("created number not in AstDB")
	}
	e.want(t, "GET", "/blacklist/index", "", 200, `{"status":"success","data":["0501234567"]}`)
	e.want(t, "DELETE", "/blacklist/delete", "number=0501234567", 200, `{"status":"success","message":"Key deleted successfully"}`)
	if _, ok := sim.DBGet("blacklist", "0501234567"); ok {
		t.Fatal("deleted number still in AstDB")
	}
	e.want(t, "POST", "/blacklist/delete", "number=0501234567", 404, "")
	e.want(t, "POST", "/blacklist/create", "number=12ab", 400, "")
}

func TestEndToEndAsteriskDown(t *testing.T) {
	e := startE2E(t)
	e.AsteriskAway(300 * time.Millisecond)
	e.Eventually("503 while down", func() bool { c, _ := e.call("POST", "/extensions/click-number", "src=801&dst=802"); return c == 503 })
	e.want(t, "POST", "/blacklist/create", "number=0509999999", 200, "") // answered from the store
	// pbxsim restarted: the phones register again.
	if sim := e.Sim; sim != nil {
		for _, p := range []string{"801", "802", "805"} {
			e.Eventually("up again", func() bool { return sim.IsUp() })
			if err := sim.Register(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.Eventually("200 after reconnect", func() bool { c, _ := e.call("POST", "/extensions/current-calls", ""); return c == 200 })
}

// TestEndToEndBlacklistBlocksCalls: numbers created through the API stop
// calls in the shipped [coocenter-blacklist] subroutine — exact numbers
// and prefix patterns — and the hangup is marked blacklisted; an unlisted
// caller goes on to the queue.
func TestEndToEndBlacklistBlocksCalls(t *testing.T) {
	e := startE2E(t)
	e.want(t, "POST", "/blacklist/create", "number=0509111111", 200, "")
	e.want(t, "POST", "/blacklist/create", "number=05093*", 200, "")
	for _, number := range []string{"0509111111", "0509333333"} {
		ch, err := e.ShippedInboundCall(number, "")
		if err != nil {
			// The channel may be gone before the model could be asked.
			t.Logf("%s: %v", number, err)
		}
		e.waitBlacklistedHangup(t, number, ch)
	}
	ch, err := e.ShippedInboundCall("0509222222", "")
	if err != nil {
		t.Fatal(err)
	}
	e.Eventually("unlisted caller bridged to an agent of 630", func() bool {
		for _, c := range e.Model.Channels() {
			if c.Name == ch && c.BridgeID != "" {
				return true
			}
		}
		return false
	})
}

// waitBlacklistedHangup waits for the blacklisted hangup of number's call.
func (e *e2e) waitBlacklistedHangup(t *testing.T, number, ch string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-e.Events:
			h, ok := ev.(pbx.ChannelHangup)
			if !ok || h.Channel.CallerIDNum != number || !strings.HasSuffix(h.Channel.Name, ";2") {
				continue
			}
			if !h.Blacklisted || h.Cause != 21 || (ch != "" && h.Channel.Name != ch) {
				t.Fatalf("hangup of listed caller %s: %+v", number, h)
			}
			return
		case <-deadline:
			t.Fatalf("listed caller %s was not hung up as blacklisted", number)
		}
	}
}

// TestEndToEndAgentVerbs: a call bar's minute through the API: a call
// with userData, hold, mute, the agent's state, on the live PBX.
func TestEndToEndAgentVerbs(t *testing.T) {
	e := startE2E(t)
	code, body := e.call("POST", "/extensions/click-number", "src=801&dst=802&userData=ticket+7")
	if code != 200 {
		t.Fatalf("click-number: %d %s", code, body)
	}
	e.Eventually("801 talking to 802", func() bool {
		legs := e.PhoneChannels("802")
		return len(legs) == 1 && legs[0].State == 6 && legs[0].BridgeID != ""
	})
	e.want(t, "POST", "/extensions/hold", "extension=802", 200, `{"status":"success","message":"hold extension success"}`)
	e.want(t, "POST", "/extensions/hold", "extension=802", 409, `{"status":"error","message":"the call of extension 802 is already on hold"}`)
	_, status := e.call("GET", "/extensions/agent-status?extension=802", "")
	for _, want := range []string{`"device":"onhold"`, `"held":"1"`, `"muted":"0"`, `"userData":"ticket 7"`, `"direction":"internal"`, `"peer":"801"`} {
		if !strings.Contains(status, want) {
			t.Errorf("agent-status of the held 802 lacks %s: %s", want, status)
		}
	}
	e.want(t, "POST", "/extensions/unhold", "extension=802", 200, `{"status":"success","message":"unhold extension success"}`)
	e.want(t, "POST", "/extensions/mute", "extension=802", 200, `{"status":"success","message":"mute extension success"}`)
	if _, status := e.call("GET", "/extensions/agent-status?extension=802", ""); !strings.Contains(status, `"held":"0","muted":"1"`) {
		t.Errorf("agent-status of the muted 802: %s", status)
	}
	e.want(t, "POST", "/extensions/unmute", "extension=802", 200, `{"status":"success","message":"unmute extension success"}`)
	if _, calls := e.call("GET", "/extensions/current-calls", ""); strings.Count(calls, `"userData":"ticket 7"`) != 2 {
		t.Errorf("current-calls: want both legs with the userData: %s", calls)
	}
	e.want(t, "POST", "/extensions/consult-transfer", "src=802", 409, `{"status":"error","message":"extension 802 is not consulting anyone"}`)
	e.want(t, "POST", "/extensions/hangup", "extension=802", 200, "")
}
