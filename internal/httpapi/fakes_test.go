package httpapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/blacklist"
	"github.com/coocenter/coocenterd/internal/pbx"
)

// cst is the box's zone in the tests: China, no DST.
var cst = time.FixedZone("CST", 8*3600)

// noon is the tests' "now": 2026-11-21 12:00:00 in the box's zone.
var noon = time.Date(2026, 11, 21, 12, 0, 0, 0, cst)

// pbxCall is one command the fake PBX received.
type pbxCall struct {
	Method string
	Args   []string
}

// fakePBX records every command and answers from its fields.
type fakePBX struct {
	mu        sync.Mutex
	connected bool
	channels  []pbx.Channel
	peers     []pbx.Peer
	hints     []pbx.Hint
	queues    []pbx.Queue
	errs      map[string]error // by method name
	callID    string
	hold      chan struct{} // if set, commands and Channels wait for it to close, ignoring ctx (a hung PBX)
	panics    bool          // commands panic
	calls     []pbxCall
}

func newFakePBX() *fakePBX {
	return &fakePBX{connected: true, errs: map[string]error{}, callID: "1732176000.42",
		channels: fixtureChannels(), peers: fixturePeers(), hints: fixtureHints(), queues: fixtureQueues()}
}

func (f *fakePBX) Connected() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.connected }
func (f *fakePBX) Channels() []pbx.Channel {
	f.mu.Lock()
	hold := f.hold
	f.mu.Unlock()
	if hold != nil { // a model stuck behind its lock
		<-hold
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.channels)
}
func (f *fakePBX) Peers() []pbx.Peer { f.mu.Lock(); defer f.mu.Unlock(); return slices.Clone(f.peers) }
func (f *fakePBX) Hints() []pbx.Hint { f.mu.Lock(); defer f.mu.Unlock(); return slices.Clone(f.hints) }
func (f *fakePBX) Queues() []pbx.Queue {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.queues)
}

// command records a call and returns the configured error.
func (f *fakePBX) command(method string, args ...string) error {
	f.mu.Lock()
	f.calls = append(f.calls, pbxCall{method, args})
	hold, panics, err := f.hold, f.panics, f.errs[method]
	connected := f.connected
	f.mu.Unlock()
	if panics {
		panic("fake PBX exploded")
	}
	if hold != nil {
		<-hold
	}
	if !connected && err == nil {
		return pbx.ErrNotConnected
	}
	return err
}

func (f *fakePBX) PauseMember(_ context.Context, queue, exten string, paused bool, reason string) error {
	p := "false"
	if paused {
		p = "true"
	}
	return f.command("PauseMember", queue, exten, p, reason)
}
func (f *fakePBX) AddMember(_ context.Context, queue, exten string) error {
	return f.command("AddMember", queue, exten)
}
func (f *fakePBX) RemoveMember(_ context.Context, queue, exten string) error {
	return f.command("RemoveMember", queue, exten)
}
func (f *fakePBX) ClickToCall(_ context.Context, src, dst string) (string, error) {
	if err := f.command("ClickToCall", src, dst); err != nil {
		return "", err
	}
	return f.callID, nil
}
func (f *fakePBX) Hangup(_ context.Context, exten string) error { return f.command("Hangup", exten) }
func (f *fakePBX) Transfer(_ context.Context, src, dst string) error {
	return f.command("Transfer", src, dst)
}
func (f *fakePBX) Spy(_ context.Context, src, dst string, mode pbx.SpyMode) (string, error) {
	if err := f.command("Spy", src, dst, string(mode)); err != nil {
		return "", err
	}
	return f.callID, nil
}

func (f *fakePBX) Calls() []pbxCall { f.mu.Lock(); defer f.mu.Unlock(); return slices.Clone(f.calls) }

// fakeBlacklist is an in-memory Blacklist that records its calls.
type fakeBlacklist struct {
	mu      sync.Mutex
	numbers []string
	err     error
	calls   []pbxCall
}

func (b *fakeBlacklist) List(context.Context) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, pbxCall{"List", nil})
	return slices.Clone(b.numbers), b.err
}
func (b *fakeBlacklist) Add(_ context.Context, n string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, pbxCall{"Add", []string{n}})
	if err := blacklist.ValidNumber(n); err != nil {
		return err
	}
	if b.err == nil && !slices.Contains(b.numbers, n) {
		b.numbers = append(b.numbers, n)
	}
	return b.err
}
func (b *fakeBlacklist) Remove(_ context.Context, n string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, pbxCall{"Remove", []string{n}})
	if b.err != nil {
		return false, b.err
	}
	i := slices.Index(b.numbers, n)
	if i < 0 {
		return false, nil
	}
	b.numbers = slices.Delete(b.numbers, i, i+1)
	return true, nil
}
func (b *fakeBlacklist) Calls() []pbxCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.calls)
}

// The fixtures are the original document's examples.
func fixtureChannels() []pbx.Channel {
	return []pbx.Channel{{
		Name: "SIP/896-0000000b", Uniqueid: "1732175822.11", Linkedid: "1732175822.11",
		State: 6, StateDesc: "Up", CallerIDNum: "896", CallerIDName: "896",
		ConnectedLineNum: "897", ConnectedLineName: "897", Created: noon.Add(-(2*time.Minute + 58*time.Second)),
	}}
}

func fixturePeers() []pbx.Peer {
	return []pbx.Peer{
		{Name: "800", Tech: pbx.SIP, Addr: "-none-", Status: "UNKNOWN"},
		{Name: "801", Tech: pbx.SIP, Addr: "192.168.12.4", Status: "OK (45 ms)"},
		{Name: "802", Tech: pbx.SIP, Addr: "192.168.12.3", Status: "OK (42 ms)"},
		{Name: "806", Tech: pbx.PJSIP, Addr: "192.168.12.6", Status: "OK (3 ms)"},
		{Name: "808", Tech: pbx.SIP, Addr: "192.168.12.8", Status: "OK (5 ms)"},
		{Name: "809", Tech: pbx.SIP, Addr: "192.168.12.9", Status: "OK (5 ms)"},
	}
}

func fixtureHints() []pbx.Hint {
	return []pbx.Hint{
		{Exten: "801", Context: "ext-local", Device: "SIP/801", Status: 0, StatusText: "Idle"},
		{Exten: "800", Context: "ext-local", Device: "SIP/800", Status: 0, StatusText: "Idle", Name: "800"},
	}
}

func fixtureQueues() []pbx.Queue {
	m := func(q, iface string, penalty int, paused bool) pbx.Member {
		return pbx.Member{Queue: q, Interface: iface, Name: iface, Penalty: penalty, Paused: paused}
	}
	return []pbx.Queue{
		{Name: "631", Members: []pbx.Member{m("631", "SIP/870", 0, false), m("631", "Local/800@fake-phone/n", 0, false)}},
		{Name: "630", Members: []pbx.Member{m("630", "SIP/876", 0, false), m("630", "SIP/805", 1, false), m("630", "SIP/893", 0, true)}},
		{Name: "632", Members: nil},
	}
}

// testEnv is a server with fakes behind it.
type testEnv struct {
	srv  *server
	h    http.Handler
	pbx  *fakePBX
	bl   *fakeBlacklist
	logs *lockedWriter

	mu  sync.Mutex
	now time.Time
}

func (e *testEnv) setNow(t time.Time) { e.mu.Lock(); defer e.mu.Unlock(); e.now = t }

// newEnv builds a server at noon, without auth unless edit sets WebKey.
func newEnv(t *testing.T, edit ...func(*Options)) *testEnv {
	t.Helper()
	env := &testEnv{pbx: newFakePBX(), bl: &fakeBlacklist{numbers: []string{"123456"}}, logs: &lockedWriter{}, now: noon}
	opts := Options{
		PBX: env.pbx, Blacklist: env.bl, Location: cst, Version: "1.2.3",
		Now:            func() time.Time { env.mu.Lock(); defer env.mu.Unlock(); return env.now },
		Logger:         slog.New(slog.NewTextHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RequestTimeout: 5 * time.Second,
	}
	for _, e := range edit {
		e(&opts)
	}
	env.srv = newServer(opts)
	env.h = env.srv.handler()
	t.Cleanup(func() {
		env.pbx.mu.Lock()
		if env.pbx.hold != nil {
			select {
			case <-env.pbx.hold:
			default:
				close(env.pbx.hold)
			}
		}
		env.pbx.mu.Unlock()
	})
	return env
}

// lockedWriter collects log output from concurrent handlers.
type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}
func (l *lockedWriter) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }

// req is one request to replay.
type req struct {
	method, target, body string
	header               map[string]string // Content-Type defaults to form when there is a body
}

func (e *testEnv) do(r req) *httptest.ResponseRecorder {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.target, body)
	if r.body != "" {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, hr)
	return w
}

// post is a form POST to an API path.
func (e *testEnv) post(path, form string) *httptest.ResponseRecorder {
	return e.do(req{method: http.MethodPost, target: BasePath + path, body: form})
}

// check asserts status and exact body.
func check(t *testing.T, w *httptest.ResponseRecorder, status int, body string) {
	t.Helper()
	if w.Code != status || w.Body.String() != body {
		t.Errorf("got %d %s\nwant %d %s", w.Code, w.Body.String(), status, body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}

// errBody is the error envelope of msg.
func errBody(msg string) string { return `{"status":"error","message":"` + msg + `"}` }

// okBody is the success envelope of msg without data.
func okBody(msg string) string { return `{"status":"success","message":"` + msg + `"}` }
