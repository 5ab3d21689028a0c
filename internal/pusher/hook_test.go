package pusher

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/testkit"
)

// The helpers here (a recording receiver, test events, the ordering check,
// bounded waits) are shared by the other test files of the package.

// testSchedule keeps every retry in the tens of milliseconds.
var testSchedule = []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}

// delivery is one request a hook received.
type delivery struct {
	Seq    int // order of arrival among all requests and acks of the hook
	AckSeq int // for an ack: its place in the same order when it was accepted
	Path   string
	Header http.Header
	Body   string
	ID     string // webhook-id
	At     time.Time
}

// answer decides the status for a request; it may also set headers or
// block (on r.Context()).
type answer func(w http.ResponseWriter, r *http.Request, body string) int

// hook is a push receiver on loopback that records every request, and
// apart the ones it accepted (2xx), in order.
type hook struct {
	srv    *httptest.Server
	active atomic.Int64 // requests being answered

	mu     sync.Mutex
	answer answer
	seq    int
	reqs   []delivery
	acks   []delivery
}

func newHook(tb testing.TB, a answer) *hook {
	tb.Helper()
	h := &hook{answer: a}
	h.srv = httptest.NewServer(h)
	tb.Cleanup(h.srv.Close)
	return h
}

// newHookOn starts a hook on a listener the test made (to bring a receiver
// up on a port that was refusing connections).
func newHookOn(tb testing.TB, ln net.Listener, a answer) *hook {
	tb.Helper()
	h := &hook{answer: a}
	h.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	h.srv.Start()
	tb.Cleanup(h.srv.Close)
	return h
}

func (h *hook) url() string { return h.srv.URL + "/hook" }

func (h *hook) setAnswer(a answer) {
	h.mu.Lock()
	h.answer = a
	h.mu.Unlock()
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.active.Add(1)
	defer h.active.Add(-1)
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	d := delivery{Seq: h.seq, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(body),
		ID: r.Header.Get("webhook-id"), At: time.Now()}
	h.seq++
	h.reqs = append(h.reqs, d)
	a := h.answer
	h.mu.Unlock()
	status := http.StatusOK
	if a != nil {
		status = a(w, r, d.Body)
	}
	if status >= 200 && status < 300 {
		// Recorded before the answer leaves, so an event's ack always
		// precedes the pusher's next request for its key.
		h.mu.Lock()
		d.AckSeq = h.seq
		h.seq++
		h.acks = append(h.acks, d)
		h.mu.Unlock()
	}
	w.WriteHeader(status)
}

func (h *hook) requests() []delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.reqs)
}

func (h *hook) accepted() []delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.acks)
}

// acked counts the distinct bodies accepted.
func (h *hook) acked() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[string]bool{}
	for _, d := range h.acks {
		seen[d.Body] = true
	}
	return len(seen)
}

func status(code int) answer {
	return func(http.ResponseWriter, *http.Request, string) int { return code }
}

// hang answers only when the client has given up (or after a long bound).
func hang(_ http.ResponseWriter, r *http.Request, _ string) int {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
	return http.StatusServiceUnavailable
}

// failFirst answers the first n requests with fail, the rest 200.
func failFirst(n int64, fail answer) answer {
	var count atomic.Int64
	return func(w http.ResponseWriter, r *http.Request, body string) int {
		if count.Add(1) <= n {
			return fail(w, r, body)
		}
		return http.StatusOK
	}
}

// testEvents makes calls×per events of calls c0, c1, … interleaved: event
// n of every call before event n+1 of any.
func testEvents(calls, per int) []Event {
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var evs []Event
	for n := range per {
		for c := range calls {
			evs = append(evs, Event{Name: "test", Keys: []string{fmt.Sprintf("call:c%d", c)},
				At: base.Add(time.Duration(len(evs)) * time.Second), Body: fmt.Appendf(nil, `{"call":"c%d","n":%d}`, c, n)})
		}
	}
	return evs
}

func appendAll(tb testing.TB, p *Pusher, evs []Event) {
	tb.Helper()
	for _, ev := range evs {
		if err := p.Append(ev); err != nil {
			tb.Fatalf("Append: %v", err)
		}
	}
}

// checkDelivered: every event of evs was accepted at least once; no event
// was sent before the one before it of its key had been accepted, so the
// first acceptances of a key follow append order; and a webhook-id always
// came with the same body and a body always with the same webhook-id, over
// every attempt (retries and duplicates are the same message).
func checkDelivered(tb testing.TB, h *hook, evs []Event) {
	tb.Helper()
	idOf, bodyOf := map[string]string{}, map[string]string{}
	for _, d := range h.requests() {
		if d.ID == "" {
			tb.Errorf("request #%d without webhook-id", d.Seq)
			continue
		}
		if id, ok := idOf[d.Body]; ok && id != d.ID {
			tb.Errorf("body %s sent with webhook-id %s and %s", d.Body, id, d.ID)
		}
		if b, ok := bodyOf[d.ID]; ok && b != d.Body {
			tb.Errorf("webhook-id %s sent with bodies %s and %s", d.ID, b, d.Body)
		}
		idOf[d.Body], bodyOf[d.ID] = d.ID, d.Body
	}
	firstReq, firstAck := map[string]delivery{}, map[string]delivery{}
	for _, d := range h.requests() {
		if _, ok := firstReq[d.Body]; !ok {
			firstReq[d.Body] = d
		}
	}
	firstAcks := map[string][]string{} // per key, bodies in order of first acceptance
	keyOf := map[string]string{}
	for _, ev := range evs {
		keyOf[string(ev.Body)] = ev.Keys[0]
	}
	for _, d := range h.accepted() {
		if _, ok := firstAck[d.Body]; !ok {
			firstAck[d.Body] = d
			firstAcks[keyOf[d.Body]] = append(firstAcks[keyOf[d.Body]], d.Body)
		}
	}
	want := map[string][]string{}
	prev := map[string]string{}
	for _, ev := range evs {
		b, k := string(ev.Body), ev.Keys[0]
		want[k] = append(want[k], b)
		if _, ok := firstAck[b]; !ok {
			tb.Errorf("%s never accepted", b)
		} else if p, ok := prev[k]; ok && firstReq[b].Seq < firstAck[p].AckSeq {
			tb.Errorf("%s sent (#%d) before %s was accepted (#%d)", b, firstReq[b].Seq, p, firstAck[p].AckSeq)
		}
		prev[k] = b
	}
	for k, w := range want {
		if got := firstAcks[k]; !slices.Equal(got, w) {
			tb.Errorf("key %s: first acceptances in order\n%v\nwant\n%v", k, got, w)
		}
	}
}

// testOptions are quick: retries in milliseconds, no jitter.
func testOptions(tb testing.TB, urls ...string) Options {
	logs := io.Discard
	if t, ok := tb.(*testing.T); ok {
		logs = t.Output()
	}
	return Options{URLs: urls, InFlight: 4, Timeout: 2 * time.Second, MaxInterval: 50 * time.Millisecond,
		Schedule: testSchedule, Jitter: -1, UserAgent: "coocenterd/test",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

// start opens a pusher on a new database; it is closed before the
// database and the hooks made before it.
func start(tb testing.TB, opts Options) *Pusher {
	tb.Helper()
	db := testkit.OpenDB(tb, filepath.Join(tb.TempDir(), "push.db"))
	p, err := Open(db, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.Close() })
	return p
}

// closedPort is an address on loopback where nothing listens.
func closedPort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
