package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/board"
	"github.com/coocenter/coocenterd/internal/stream"
)

const barWebKey = "bar-test-key"

// withBar serves the bar and the wall, behind the WEBKEY.
func withBar(o *Options) {
	o.WebKey = barWebKey
	o.Bar = &Bar{View: board.View{PopURL: "https://crm.example/pop?c={caller}", SLA: 30 * time.Second},
		PauseReasons: []string{"lunch", "training"}}
}

// newBarEnv is the API with the bar, and a stream, which the bar needs.
func newBarEnv(t *testing.T) *testEnv {
	return newStreamEnv(t, stream.Options{}, withBar).testEnv
}

// barLink asks bar/link with the day's token and returns the link's token.
func barLink(t *testing.T, e *testEnv, form string) string {
	t.Helper()
	w := e.do(req{method: http.MethodPost, target: BasePath + "/bar/link", body: form,
		header: map[string]string{"Authorization": token(barWebKey, noon)}})
	if w.Code != http.StatusOK {
		t.Fatalf("bar/link %s: %d %s", form, w.Code, w.Body)
	}
	var got struct {
		Data struct {
			URL, Token string
			Expires    int64
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(got.Data.URL)
	if err != nil || u.Query().Get("token") != got.Data.Token {
		t.Fatalf("url %q does not carry token %q", got.Data.URL, got.Data.Token)
	}
	return got.Data.Token
}

// asLink sends a request with a link's token.
func asLink(e *testEnv, tok, method, path, form string) *httpResult {
	w := e.do(req{method: method, target: BasePath + path, body: form, header: map[string]string{"Authorization": "Bearer " + tok}})
	return &httpResult{code: w.Code, body: w.Body.String()}
}

type httpResult struct {
	code int
	body string
}

// messageOf is an answer's message.
func messageOf(body string) string {
	var env struct{ Message string }
	_ = json.Unmarshal([]byte(body), &env)
	return env.Message
}

func TestBarLink(t *testing.T) {
	e := newBarEnv(t)
	day := map[string]string{"Authorization": token(barWebKey, noon)}
	tok := barLink(t, e, "extension=801")
	if parts := strings.Split(tok, "."); len(parts) != 4 || parts[0] != "bar" || parts[2] != "801" {
		t.Fatalf("token %q: want bar.<expires>.801.<sig>", tok)
	}
	if exp := strings.Split(tok, ".")[1]; exp != "1795276800" { // noon + 12 h
		t.Errorf("a bar link lasts 12 h by default: expires %s", exp)
	}
	if wall := barLink(t, e, "page=wall&ttl=600"); !strings.HasPrefix(wall, "wall.1795234200..") {
		t.Errorf("wall token %q: want expiry in 600 s and no extension", wall)
	}
	for _, tc := range []struct {
		form   string
		status int
		msg    string
	}{
		{"", 400, `missing parameter "extension"`},
		{"extension=801&page=board", 400, `parameter "page" must be "bar" or "wall"`},
		{"extension=801&ttl=59", 400, `parameter "ttl" must be a number of seconds from 60 to 86400 (a day)`},
		{"extension=801&ttl=86401", 400, `parameter "ttl" must be a number of seconds from 60 to 86400 (a day)`},
		{"extension=8%0d01", 400, `parameter "extension"`},
		{"extension=899", 404, "extension 899 does not exist"},
	} {
		w := e.do(req{method: http.MethodPost, target: BasePath + "/bar/link", body: tc.form, header: day})
		if w.Code != tc.status || !strings.Contains(messageOf(w.Body.String()), tc.msg) {
			t.Errorf("bar/link %q: %d %s, want %d %q", tc.form, w.Code, w.Body, tc.status, tc.msg)
		}
	}
	if w := e.post("/bar/link", "extension=801"); w.Code != http.StatusUnauthorized {
		t.Errorf("bar/link without the day's token: %d", w.Code)
	}
	// A link's token cannot mint links.
	if r := asLink(e, tok, http.MethodPost, "/bar/link", "extension=801"); r.code != http.StatusForbidden || !strings.Contains(r.body, "a bar link cannot use bar/link") {
		t.Errorf("bar/link by a bar link: %d %s", r.code, r.body)
	}
}

func TestBarLinkActsForItsExtensionOnly(t *testing.T) {
	e := newBarEnv(t)
	tok := barLink(t, e, "extension=801")
	for _, tc := range []struct {
		path, form string
		status     int
		msg        string
		method     string // the PBX call that must follow, "" for none
	}{
		{"/extensions/hold", "extension=801", 200, "hold extension success", "Hold"},
		{"/extensions/mute", "extension=801", 200, "mute extension success", "Mute"},
		{"/queues/agent-pause", "member=801&state=on&reason=lunch", 200, "", "PauseMember"},
		{"/extensions/click-number", "src=801&dst=0555123", 200, "", "ClickToCall"},
		{"/extensions/consult", "src=801&dst=802", 200, "", "Consult"},
		{"/extensions/hold", "extension=802", 403, `the bar link is for extension 801 only: parameter "extension" must be 801`, ""},
		{"/extensions/hold", "", 403, `the bar link is for extension 801 only`, ""},
		{"/queues/agent-pause", "member=802&state=on", 403, `parameter "member" must be 801`, ""},
		{"/extensions/click-number", "src=802&dst=0555123", 403, `parameter "src" must be 801`, ""},
		{"/extensions/extenSpy", "src=801&dst=802", 403, "a bar link cannot use extensions/extenSpy", ""},
		{"/blacklist/create", "number=123", 403, "a bar link cannot use blacklist/create", ""},
		{"/extensions/current-calls", "", 403, "a bar link cannot use extensions/current-calls", ""},
		{"/events/token", "", 403, "a bar link cannot use events/token", ""},
	} {
		before := len(e.pbx.Calls())
		r := asLink(e, tok, http.MethodPost, tc.path, tc.form)
		if r.code != tc.status || !strings.Contains(messageOf(r.body), tc.msg) {
			t.Errorf("%s %q: %d %s, want %d %q", tc.path, tc.form, r.code, r.body, tc.status, tc.msg)
		}
		calls := e.pbx.Calls()[before:]
		if tc.method == "" && len(calls) > 0 || tc.method != "" && (len(calls) != 1 || calls[0].Method != tc.method) {
			t.Errorf("%s %q: PBX calls %v, want %q", tc.path, tc.form, calls, tc.method)
		}
	}
}

func TestWallLink(t *testing.T) {
	e := newBarEnv(t)
	wall := barLink(t, e, "page=wall&extension=805")
	bare := barLink(t, e, "page=wall")
	for _, tc := range []struct {
		tok, path, form string
		status          int
		msg             string
	}{
		{wall, "/extensions/extenSpy", "src=805&dst=801&mode=whisper", 200, ""},
		{wall, "/extensions/hangup", "extension=876", 200, ""},
		{wall, "/queues/agent-pause", "member=893&state=off", 200, ""},
		{wall, "/extensions/extenSpy", "src=806&dst=801", 403, `the wall link is for extension 805 only: parameter "src" must be 805`},
		{bare, "/extensions/extenSpy", "src=805&dst=801", 403, "this wall link has no phone to listen from"},
		{wall, "/extensions/hold", "extension=801", 403, "a wall link cannot use extensions/hold"},
		{wall, "/blacklist/delete", "number=123456", 403, "a wall link cannot use blacklist/delete"},
	} {
		r := asLink(e, tc.tok, http.MethodPost, tc.path, tc.form)
		if r.code != tc.status || !strings.Contains(messageOf(r.body), tc.msg) {
			t.Errorf("%s %q: %d %s, want %d %q", tc.path, tc.form, r.code, r.body, tc.status, tc.msg)
		}
	}
}

func TestLinkTokensRefused(t *testing.T) {
	e := newBarEnv(t)
	tok := barLink(t, e, "extension=801&ttl=60")
	stream := e.srv.tokens.mint(kindStream, "801", noon.Add(time.Hour))
	forged := strings.Replace(tok, ".801.", ".802.", 1)
	asWall := "wall." + strings.TrimPrefix(tok, "bar.")
	for _, tc := range []struct {
		name, tok string
		status    int
		msg       string
	}{
		{"a stream token", stream, 403, "a stream token opens the event stream only"},
		{"another extension's signature", forged, 401, "authentication failed"},
		{"a bar's signature as a wall's", asWall, 401, "authentication failed"},
		{"garbage", "x", 401, "authentication failed"},
	} {
		if r := asLink(e, tc.tok, http.MethodPost, "/extensions/hold", "extension=801"); r.code != tc.status || !strings.Contains(messageOf(r.body), tc.msg) {
			t.Errorf("%s: %d %s", tc.name, r.code, r.body)
		}
	}
	e.setNow(noon.Add(61 * time.Second))
	if r := asLink(e, tok, http.MethodPost, "/extensions/hold", "extension=801"); r.code != 401 || !strings.Contains(r.body, "the link has expired: ask for a new one") {
		t.Errorf("expired: %d %s", r.code, r.body)
	}
	if calls := e.pbx.Calls(); len(calls) != 0 {
		t.Errorf("refused tokens reached the PBX: %v", calls)
	}
	// The stream says the same of an expired link.
	w := e.do(req{method: http.MethodGet, target: BasePath + "/events?token=" + url.QueryEscape(tok)})
	if w.Code != 401 || messageOf(w.Body.String()) != "the link has expired: ask for a new one" {
		t.Errorf("the stream, by an expired link: %d %s", w.Code, w.Body)
	}
	if strings.Contains(e.logs.String(), strings.Split(tok, ".")[3]) {
		t.Error("a token's signature was logged")
	}
}

func TestBarSession(t *testing.T) {
	e := newBarEnv(t)
	tok := barLink(t, e, "extension=801")
	r := asLink(e, tok, http.MethodGet, "/bar/session", "")
	want := `{"status":"success","message":"session will follow","data":{"page":"bar","extension":"801","expires":1795276800,"pauseReasons":["lunch","training"],"sla":30}}`
	if r.code != 200 || r.body != want {
		t.Errorf("session:\n got %d %s\nwant %s", r.code, r.body, want)
	}
	w := e.do(req{method: http.MethodGet, target: BasePath + "/bar/session", header: map[string]string{"Authorization": token(barWebKey, noon)}})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "bar/session answers a bar's or a wall's link") {
		t.Errorf("session without a link: %d %s", w.Code, w.Body)
	}
}

func TestBarStreamIsTheAgentsWallsTheBoxs(t *testing.T) {
	e := newStreamEnv(t, stream.Options{}, withBar)
	e.publish(t, "extensionstatus", `{"event":"extensionstatus","exten":"802","status":"1"}`)
	bar := barLink(t, e.testEnv, "extension=801")
	s := e.open(t, "?token="+url.QueryEscape(bar))
	defer s.Close()
	got := map[string]string{}
	for range 4 {
		ev := s.NextEvent(t, within)
		got[ev.Name] = ev.Data
	}
	var agents []board.Agent
	if err := json.Unmarshal([]byte(got[snapshotAgents]), &agents); err != nil || len(agents) != 1 || agents[0].Extension != "801" {
		t.Errorf("the bar's agent-status snapshot: %s", got[snapshotAgents])
	}
	var rt realtime
	if err := json.Unmarshal([]byte(got[snapshotRealtime]), &rt); err != nil || rt.Now != "2026-11-21 12:00:00" || len(rt.Queues) != 3 || rt.Queues[0].SLA != 30 {
		t.Errorf("the realtime snapshot: %s", got[snapshotRealtime])
	}
	if r := e.open(t, "?extension=802&token="+url.QueryEscape(bar)); r != nil {
		defer r.Close()
	}

	wall := barLink(t, e.testEnv, "page=wall&extension=805")
	w := e.open(t, "?token="+url.QueryEscape(wall))
	defer w.Close()
	var names []string
	for range 4 {
		ev := w.NextEvent(t, within)
		names = append(names, ev.Name)
		if ev.Name == snapshotAgents && !strings.Contains(ev.Data, `"extension":"802"`) {
			t.Errorf("the wall's agents lack 802: %s", ev.Data)
		}
	}
	if !slices.Contains(names, snapshotRealtime) {
		t.Errorf("wall snapshots %v", names)
	}
}

// TestLinkRoutesAreRoutes: every route a link may use is one the server
// serves, under its own name: a route renamed in routes.go would
// otherwise be refused to the pages without a word.
func TestLinkRoutesAreRoutes(t *testing.T) {
	served := map[string]bool{}
	e := newStreamEnv(t, stream.Options{}, withBar, func(o *Options) { o.WrapUps = &fakeWrapUps{} })
	for _, r := range e.h.(*gin.Engine).Routes() {
		served[r.Path] = true
	}
	for kind, routes := range linkRoutes {
		for route := range routes {
			if !served[BasePath+route] {
				t.Errorf("a %s link may use %s, which is not served", kind, route)
			}
		}
	}
}

// TestBarLinkWhileAsteriskIsAway: the extension cannot be checked then,
// so the link is given (api.md §8.4), and the page works once Asterisk
// is back.
func TestBarLinkWhileAsteriskIsAway(t *testing.T) {
	e := newBarEnv(t)
	e.pbx.mu.Lock()
	e.pbx.connected = false
	e.pbx.mu.Unlock()
	tok := barLink(t, e, "extension=899")
	if r := asLink(e, tok, http.MethodGet, "/bar/session", ""); r.code != http.StatusOK || !strings.Contains(r.body, `"extension":"899"`) {
		t.Errorf("session of a link given while Asterisk was away: %d %s", r.code, r.body)
	}
	// A command meanwhile answers as the API does while Asterisk is away.
	if r := asLink(e, tok, http.MethodPost, "/extensions/hold", "extension=899"); r.code != http.StatusServiceUnavailable {
		t.Errorf("hold while Asterisk is away: %d %s", r.code, r.body)
	}
}
