package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/board"
	"github.com/coocenter/coocenterd/internal/pbx"
)

// Each agent verb's success answer, and exactly what reached the PBX.
func TestAgentVerbs(t *testing.T) {
	id := `{"status":"success","message":"%s","data":{"id":"%s"}}`
	tests := []struct {
		path, form string
		want       string
		call       pbxCall
	}{
		{"/extensions/hold", "extension=802", okBody("hold extension success"), pbxCall{"Hold", []string{"802"}}},
		{"/extensions/unhold", "extension=802", okBody("unhold extension success"), pbxCall{"Unhold", []string{"802"}}},
		{"/extensions/mute", "extension=802", okBody("mute extension success"), pbxCall{"Mute", []string{"802", "true"}}},
		{"/extensions/unmute", "extension=802", okBody("unmute extension success"), pbxCall{"Mute", []string{"802", "false"}}},
		{"/extensions/consult", "src=802&dst=803", strings.Replace(strings.Replace(id, "%s", "consult extension success", 1), "%s", "call-of-802", 1),
			pbxCall{"Consult", []string{"802", "803"}}},
		{"/extensions/consult", "src=802&dst=0555&userData=ticket+7%2C+%C3%A9", strings.Replace(strings.Replace(id, "%s", "consult extension success", 1), "%s", "call-of-802", 1),
			pbxCall{"Consult", []string{"802", "0555", "userData=ticket 7, é"}}},
		{"/extensions/consult-transfer", "src=802", okBody("consult transfer success"), pbxCall{"ConsultTransfer", []string{"802"}}},
		{"/extensions/consult-cancel", "src=802", okBody("consult cancel success"), pbxCall{"ConsultCancel", []string{"802"}}},
		{"/extensions/three-way", "src=802", okBody("three way success"), pbxCall{"ThreeWay", []string{"802"}}},
		{"/extensions/webcall", "customer=0555123&dst=802", strings.Replace(strings.Replace(id, "%s", "webcall success", 1), "%s", "webcall-1", 1),
			pbxCall{"PlaceWebcall", []string{"0555123", "802", "", "", "1m0s", "1m0s"}}},
		{"/extensions/webcall", "customer=0555123&dst=sales-1&customerCallerId=01000&dstCallerId=0555123&customerTimeout=20&dstTimeout=600&userData=x",
			strings.Replace(strings.Replace(id, "%s", "webcall success", 1), "%s", "webcall-1", 1),
			pbxCall{"PlaceWebcall", []string{"0555123", "sales-1", "01000", "0555123", "20s", "10m0s", "userData=x"}}},
		{"/extensions/click-number", "src=808&dst=809&userData=order-1",
			`{"status":"success","message":"click number success","data":{"id":"1732176000.42"}}`,
			pbxCall{"ClickToCall", []string{"808", "809", "userData=order-1"}}},
		{"/extensions/transfer", "src=802&dst=801&userData=order-1", okBody("tansfer extension success"),
			pbxCall{"Transfer", []string{"802", "801", "userData=order-1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.path+"?"+tt.form, func(t *testing.T) {
			env := newEnv(t)
			check(t, env.post(tt.path, tt.form), http.StatusOK, tt.want)
			if got := env.pbx.Calls(); !reflect.DeepEqual(got, []pbxCall{tt.call}) {
				t.Errorf("PBX calls = %v, want %v", got, tt.call)
			}
		})
	}
}

// Every way an agent verb fails, and the sentence it gets; a bad value
// never reaches the PBX.
func TestAgentVerbErrors(t *testing.T) {
	conflictErr := func(msg string) error { return &testConflict{msg} }
	tests := []struct {
		name, path, form string
		err              error
		status           int
		msg              string
	}{
		{"hold missing", "/extensions/hold", "", nil, 400, `missing parameter \"extension\"`},
		{"hold injection", "/extensions/hold", "extension=802%0D%0AAction%3AHangup", nil, 400,
			`parameter \"extension\" must be an extension: digits, *, # or +, at most 32 characters`},
		{"hold no call", "/extensions/hold", "extension=802", pbx.ErrNoActiveCall, 404, "extension 802 has no active call"},
		{"hold held", "/extensions/hold", "extension=802", conflictErr("the call of extension 802 is already on hold"), 409,
			"the call of extension 802 is already on hold"},
		{"hold away", "/extensions/hold", "extension=802", pbx.ErrNotConnected, 503, "Asterisk is not connected"},
		{"hold not acted on", "/extensions/hold", "extension=802", fmt.Errorf("hold 802: %w", pbx.ErrNotActed), 503,
			"could not hold extension 802: Asterisk did not act on it in time"},
		{"consult bad dst", "/extensions/consult", "src=802&dst=80%3A3", nil, 400,
			`parameter \"dst\" must be a phone number: digits, *, # or +, at most 32 characters`},
		{"consult userData control", "/extensions/consult", "src=802&dst=803&userData=a%0Ab", nil, 400,
			`parameter \"userData\" must be text of at most 255 bytes of UTF-8 without control characters`},
		{"consult userData long", "/extensions/consult", "src=802&dst=803&userData=" + strings.Repeat("x", 256), nil, 400,
			`parameter \"userData\" must be text of at most 255 bytes of UTF-8 without control characters`},
		{"click userData bad utf8", "/extensions/click-number", "src=802&dst=803&userData=%FF", nil, 400,
			`parameter \"userData\" must be text of at most 255 bytes of UTF-8 without control characters`},
		{"consult-transfer none", "/extensions/consult-transfer", "src=802", conflictErr("extension 802 is not consulting anyone"), 409,
			"extension 802 is not consulting anyone"},
		{"webcall missing dst", "/extensions/webcall", "customer=0555", nil, 400, `missing parameter \"dst\"`},
		{"webcall bad timeout", "/extensions/webcall", "customer=0555&dst=802&dstTimeout=0", nil, 400,
			`parameter \"dstTimeout\" must be a number of seconds from 1 to 600`},
		{"webcall no queue", "/extensions/webcall", "customer=0555&dst=sales", pbx.ErrUnknownQueue, 404, "queue sales does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			for _, m := range []string{"Hold", "Consult", "ConsultTransfer", "PlaceWebcall", "ClickToCall"} {
				env.pbx.errs[m] = tt.err
			}
			check(t, env.post(tt.path, tt.form), tt.status, errBody(tt.msg))
			if tt.status == http.StatusBadRequest && len(env.pbx.Calls()) > 0 {
				t.Errorf("a bad request reached the PBX: %v", env.pbx.Calls())
			}
		})
	}
}

// testConflict stands for the pbx package's ErrConflict sentences.
type testConflict struct{ msg string }

func (e *testConflict) Error() string        { return e.msg }
func (e *testConflict) Is(target error) bool { return target == pbx.ErrConflict }

func TestAgentStatus(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.Location = time.UTC })
	since := time.Date(2026, 12, 8, 9, 30, 0, 0, time.UTC)
	env.pbx.mu.Lock()
	env.pbx.peers = []pbx.Peer{{Name: "801", Tech: pbx.SIP, Addr: "127.0.0.1", Status: "OK (1 ms)"}, {Name: "802", Tech: pbx.SIP, Addr: "127.0.0.1"}}
	env.pbx.hints = []pbx.Hint{{Exten: "801", Device: "SIP/801", Status: 1, Name: "Agent 801"}, {Exten: "802", Device: "SIP/802", Status: 0}}
	env.pbx.queues = []pbx.Queue{{Name: "630", Members: []pbx.Member{{Interface: "SIP/801", Paused: true, PausedReason: "lunch", LastPause: since}}}}
	env.pbx.channels = []pbx.Channel{
		{Name: "SIP/801-00000001", Uniqueid: "1.1", Linkedid: "1.0", State: 6, BridgeID: "b1", Created: since, Held: true, Muted: true, UserData: "ticket 7"},
		{Name: "PJSIP/trunk-00000002", Uniqueid: "1.0", Linkedid: "1.0", State: 6, BridgeID: "b1", CallerIDNum: "0555123"},
	}
	env.pbx.mu.Unlock()
	w := env.get("/extensions/agent-status?extension=801")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got struct {
		Message string        `json:"message"`
		Data    []board.Agent `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := board.Agent{Extension: "801", Name: "Agent 801", Device: "onhold", Status: "1",
		Queues: []board.AgentQueue{{Queue: "630", Paused: "1", Reason: "lunch", PausedSince: "2026-12-08 09:30:00"}},
		Call: &board.AgentCall{Uniqueid: "1.1", Linkedid: "1.0", Direction: "in", Peer: "0555123", Since: "2026-12-08 09:30:00",
			Held: "1", Muted: "1", UserData: "ticket 7"}}
	if got.Message != "Agent status will follow" || len(got.Data) != 1 || !reflect.DeepEqual(got.Data[0], want) {
		t.Errorf("agent-status 801:\n got %s\nwant %+v %+v", w.Body, want, *want.Call)
	}
	if w := env.get("/extensions/agent-status"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"extension":"802","name":"802","device":"idle","status":"0","queues":[],"wrapup":null,"call":null`) {
		t.Errorf("all agents: %d %s", w.Code, w.Body)
	}
	check(t, env.get("/extensions/agent-status?extension=899"), http.StatusNotFound, errBody("extension 899 does not exist"))
	// current-calls rows: userData after the original's keys, only when the call has it
	calls := env.get("/extensions/current-calls").Body.String()
	if !strings.Contains(calls, `"channel":"SIP/801-00000001",`) || !strings.Contains(calls, `,"userData":"ticket 7"}`) ||
		strings.Count(calls, "userData") != 1 {
		t.Errorf("current-calls: %s", calls)
	}
}

// get is a GET of an API path.
func (e *testEnv) get(path string) *httptest.ResponseRecorder {
	return e.do(req{method: http.MethodGet, target: BasePath + path})
}
