package httpapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
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
	hold      chan struct{} // if set, commands wait for it to close or ctx to end (a hung Asterisk)
	frozen    bool          // Snapshot keeps its Version: a reader may take the model for unchanged
	version   uint64
	panics    bool // commands panic
	calls     []pbxCall
}

func newFakePBX() *fakePBX {
	return &fakePBX{connected: true, errs: map[string]error{}, callID: "1732176000.42",
		channels: fixtureChannels(), peers: fixturePeers(), hints: fixtureHints(), queues: fixtureQueues()}
}

// Snapshot builds a Snapshot from the fields, of a new Version each time
// (the tests change the fields at will), unless frozen.
func (f *fakePBX) Snapshot() *pbx.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.frozen || f.version == 0 {
		f.version++
	}
	snap := &pbx.Snapshot{Version: f.version, Connected: f.connected,
		Peers: slices.Clone(f.peers), Hints: slices.Clone(f.hints), Queues: slices.Clone(f.queues)}
	for _, c := range f.channels {
		snap.Channels = append(snap.Channels, &c)
	}
	return snap
}

// command records a call and returns the configured error.
func (f *fakePBX) command(ctx context.Context, method string, args ...string) error {
	f.mu.Lock()
	f.calls = append(f.calls, pbxCall{method, args})
	hold, panics, err := f.hold, f.panics, f.errs[method]
	connected := f.connected
	f.mu.Unlock()
	if panics {
		panic("fake PBX exploded")
	}
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if !connected && err == nil {
		return pbx.ErrNotConnected
	}
	return err
}

func (f *fakePBX) PauseMember(ctx context.Context, queue, exten string, paused bool, reason string) error {
	p := "false"
	if paused {
		p = "true"
	}
	return f.command(ctx, "PauseMember", queue, exten, p, reason)
}
func (f *fakePBX) AddMember(ctx context.Context, queue, exten string) error {
	return f.command(ctx, "AddMember", queue, exten)
}
func (f *fakePBX) RemoveMember(ctx context.Context, queue, exten string) error {
	return f.command(ctx, "RemoveMember", queue, exten)
}
func (f *fakePBX) ClickToCall(ctx context.Context, src, dst, userData string) (string, error) {
	if err := f.command(ctx, "ClickToCall", withUserData([]string{src, dst}, userData)...); err != nil {
		return "", err
	}
	return f.callID, nil
}
func (f *fakePBX) Hangup(ctx context.Context, exten string) error {
	return f.command(ctx, "Hangup", exten)
}
func (f *fakePBX) Transfer(ctx context.Context, src, dst, userData string) error {
	return f.command(ctx, "Transfer", withUserData([]string{src, dst}, userData)...)
}

// withUserData adds a command's userData to its recorded args, when given.
func withUserData(args []string, userData string) []string {
	if userData != "" {
		args = append(args, "userData="+userData)
	}
	return args
}

func (f *fakePBX) Hold(ctx context.Context, exten string) error { return f.command(ctx, "Hold", exten) }
func (f *fakePBX) Unhold(ctx context.Context, exten string) error {
	return f.command(ctx, "Unhold", exten)
}
func (f *fakePBX) Mute(ctx context.Context, exten string, muted bool) error {
	return f.command(ctx, "Mute", exten, strconv.FormatBool(muted))
}
func (f *fakePBX) Consult(ctx context.Context, src, dst, userData string) (string, error) {
	if err := f.command(ctx, "Consult", withUserData([]string{src, dst}, userData)...); err != nil {
		return "", err
	}
	return "call-of-" + src, nil
}
func (f *fakePBX) ConsultTransfer(ctx context.Context, src string) error {
	return f.command(ctx, "ConsultTransfer", src)
}
func (f *fakePBX) ConsultCancel(ctx context.Context, src string) error {
	return f.command(ctx, "ConsultCancel", src)
}
func (f *fakePBX) ThreeWay(ctx context.Context, src string) error {
	return f.command(ctx, "ThreeWay", src)
}
func (f *fakePBX) PlaceWebcall(ctx context.Context, w pbx.Webcall) (string, error) {
	args := []string{w.Customer, w.Dst, w.CustomerCallerID, w.DstCallerID, w.CustomerTimeout.String(), w.DstTimeout.String()}
	if err := f.command(ctx, "PlaceWebcall", withUserData(args, w.UserData)...); err != nil {
		return "", err
	}
	return "webcall-1", nil
}
func (f *fakePBX) Spy(ctx context.Context, src, dst string, mode pbx.SpyMode) (string, error) {
	if err := f.command(ctx, "Spy", src, dst, string(mode)); err != nil {
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
