package httpapi

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/board"
	"github.com/coocenter/coocenterd/internal/clock"
	"github.com/coocenter/coocenterd/internal/stream"
	"github.com/coocenter/coocenterd/internal/testkit"
)

const within = 5 * time.Second

// streamEnv is the API on loopback with a live stream behind it.
type streamEnv struct {
	*testEnv
	st  *stream.Stream
	srv *httptest.Server
	clk *clock.Manual
	n   int // events published
	max int // the window's MaxEvents
}

func newStreamEnv(t *testing.T, sopts stream.Options, edit ...func(*Options)) *streamEnv {
	t.Helper()
	st := stream.New(sopts)
	clk := clock.NewManual(noon)
	env := newEnv(t, append([]func(*Options){func(o *Options) { o.Stream, o.Clock = st, clk }}, edit...)...)
	srv := httptest.NewServer(env.h)
	t.Cleanup(func() { st.Close(); srv.Close() }) // the stream first: its requests end
	return &streamEnv{testEnv: env, st: st, srv: srv, clk: clk, max: cmp.Or(sopts.MaxEvents, stream.DefaultMaxEvents)}
}

// open connects to the stream at query with the headers given.
func (e *streamEnv) open(t *testing.T, query string, header ...string) *testkit.SSE {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+BasePath+"/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return testkit.OpenSSE(t, req)
}

// publish publishes a push event and waits until the window holds it.
func (e *streamEnv) publish(t *testing.T, name, body string) string {
	t.Helper()
	e.n++
	id := fmt.Sprintf("msg_%d", e.n)
	e.st.Publish(stream.Event{ID: id, Name: name, Body: []byte(body)})
	testkit.Eventually(t, id+" in the window", within, func() bool { return e.st.Len() == min(e.n, e.max) })
	return id
}

// snapshots reads the three snapshots a stream opens with.
func snapshots(t *testing.T, s *testkit.SSE) map[string]testkit.SSEEvent {
	t.Helper()
	got := map[string]testkit.SSEEvent{}
	for range 3 {
		ev := s.NextEvent(t, within)
		got[ev.Name] = ev
	}
	for _, name := range []string{snapshotAgents, snapshotQueues, snapshotCalls} {
		if _, ok := got[name]; !ok {
			t.Fatalf("snapshots %v lack %s", got, name)
		}
	}
	return got
}

func TestEventStreamSnapshotsThenEvents(t *testing.T) {
	e := newStreamEnv(t, stream.Options{})
	head := e.publish(t, "extensionstatus", `{"event":"extensionstatus","exten":"801","status":"0"}`)
	s := e.open(t, "")
	if ct := s.Resp.Header.Get("Content-Type"); ct != "text/event-stream; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	snaps := snapshots(t, s)
	for name, want := range map[string]string{
		snapshotAgents: `[{"extension":"800","name":"800","device":"idle","status":"0","queues":[{"queue":"631"`,
		snapshotQueues: `{"630":[{"name":"sip/876","paused":"0","penalty":"0"}`,
		snapshotCalls:  `[{"calleridname":"896","calleridnum":"896","channel":"SIP/896-0000000b","channelstate":"6","channelstatedesc":"Up","connectedlinename":"897","connectedlinenum":"897","duration":"00:02:58"}]`,
	} {
		if ev := snaps[name]; !strings.HasPrefix(ev.Data, want) || ev.ID != head {
			t.Errorf("%s: id %q data %s\nwant id %q data %s…", name, ev.ID, ev.Data, head, want)
		}
	}
	body := `{"event":"hangup","calleridnum":"801","uniqueid":"1795233962.36"}`
	id := e.publish(t, "hangup", body)
	if ev := s.NextEvent(t, within); ev != (testkit.SSEEvent{ID: id, Name: "hangup", Data: body}) {
		t.Fatalf("got %+v, want the push %s %s", ev, id, body)
	}
	e.st.Close() // the daemon stopping
	if !s.Ended(within) {
		t.Fatal("the stream did not end with the daemon")
	}
}

// TestEventStreamResumes: a client that reconnects with Last-Event-ID
// gets every event it missed, once, and no snapshots; one whose id the
// window no longer holds gets a reset, then the snapshots.
func TestEventStreamResumes(t *testing.T) {
	e := newStreamEnv(t, stream.Options{MaxEvents: 4})
	s := e.open(t, "")
	snapshots(t, s)
	var seen []string
	for range 2 {
		id := e.publish(t, "hold", `{"event":"hold","exten":"801"}`)
		seen = append(seen, s.NextEvent(t, within).ID)
		if seen[len(seen)-1] != id {
			t.Fatalf("got %v, want %s", seen, id)
		}
	}
	s.Close()
	testkit.Eventually(t, "the first stream gone", within, func() bool { return e.st.Subscribers() == 0 })
	missed := []string{e.publish(t, "unhold", `{"event":"unhold","exten":"801"}`), e.publish(t, "mute", `{"event":"mute","exten":"801"}`)}

	again := e.open(t, "", "Last-Event-ID", seen[1])
	var got []string
	for range 2 {
		got = append(got, again.NextEvent(t, within).ID)
	}
	live := e.publish(t, "unmute", `{"event":"unmute","exten":"801"}`)
	got = append(got, again.NextEvent(t, within).ID)
	if want := append(missed, live); !slices.Equal(got, want) {
		t.Fatalf("resumed with %v, want %v", got, want)
	}

	// msg_1 is out of the window of 4 by now; msg_0 never was in it.
	for _, query := range []string{"?lastEventId=msg_1", "?lastEventId=msg_0"} {
		late := e.open(t, query)
		reset := late.NextEvent(t, within)
		if reset.Name != "reset" || reset.ID != "" || !strings.Contains(reset.Data, `"lastEventId":"msg_`) {
			t.Fatalf("%s: got %+v, want a reset", query, reset)
		}
		if snaps := snapshots(t, late); snaps[snapshotQueues].ID != live {
			t.Errorf("%s: snapshots after the reset carry id %q, want %s", query, snaps[snapshotQueues].ID, live)
		}
	}
}

func TestEventStreamFilters(t *testing.T) {
	pushes := []struct{ name, body string }{
		{"extensionstatus", `{"event":"extensionstatus","exten":"801"}`},
		{"extensionstatus", `{"event":"extensionstatus","exten":"802"}`},
		{"cc_cdr", `{"event":"cc_cdr","caller":"0501234567","agentCode":"801","queueCode":"630"}`},
		{"hangup", `{"event":"hangup","calleridnum":"802","connectedlinenum":"0501234567"}`},
		{"wrapupstart", `{"event":"wrapupstart","agentCode":"801","queues":"630,631"}`},
	}
	for _, tc := range []struct {
		query string
		pass  []int // the pushes that pass, 1 the first
	}{
		{"extension=801", []int{1, 3, 5}},
		{"extension=802,%20803", []int{2, 4}},
		{"extension=0501234567", []int{3, 4}},
		{"queue=631", []int{5}},
		{"queue=630,632", []int{3, 5}},
		{"event=hangup,cc_cdr", []int{3, 4}},
		{"extension=801&event=cc_cdr", []int{3}},
		{"extension=802&queue=630", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			e := newStreamEnv(t, stream.Options{})
			for _, p := range pushes {
				e.publish(t, p.name, p.body)
			}
			// Resuming after the first push: those after it that pass.
			s := e.open(t, "?lastEventId=msg_1&"+tc.query)
			var want, got []string
			for _, i := range tc.pass {
				if i > 1 {
					want = append(want, fmt.Sprintf("msg_%d", i))
				}
			}
			for range want {
				got = append(got, s.NextEvent(t, within).ID)
			}
			// Then every push once more, live, and one that passes every
			// filter: it comes right after those that pass, so nothing else did.
			for _, i := range tc.pass {
				want = append(want, fmt.Sprintf("msg_%d", i+len(pushes)))
			}
			for _, p := range pushes {
				e.publish(t, p.name, p.body)
			}
			end := e.publish(t, "cc_cdr", `{"event":"cc_cdr","caller":"0501234567","agentCode":"801","called":"802","queueCode":"630","queues":"631,632"}`)
			for len(got) < len(want) {
				got = append(got, s.NextEvent(t, within).ID)
			}
			if ev := s.NextEvent(t, within); !slices.Equal(got, want) || ev.ID != end {
				t.Fatalf("got %v then %s, want %v then %s", got, ev.ID, want, end)
			}
		})
	}
	e := newStreamEnv(t, stream.Options{})
	for _, query := range []string{"?extension=80a", "?queue=a%20b", "?event=a;b", "?lastEventId=a.b"} {
		if bad := e.open(t, query); bad.Resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", query, bad.Resp.StatusCode)
		}
	}
}

func TestEventStreamTokens(t *testing.T) {
	e := newStreamEnv(t, stream.Options{}, func(o *Options) { o.WebKey = "asjdfjklkasdf" })
	auth := token("asjdfjklkasdf", noon)
	mint := func(form string) (string, int64) {
		t.Helper()
		w := e.do(req{method: http.MethodPost, target: BasePath + "/events/token", body: form, header: map[string]string{"Authorization": auth}})
		var ans struct {
			Data struct {
				Token   string
				Expires int64
				URL     string
			}
		}
		if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil || w.Code != 200 || ans.Data.URL != BasePath+"/events?token="+url.QueryEscape(ans.Data.Token) {
			t.Fatalf("events/token %q: %d %s", form, w.Code, w.Body.String())
		}
		return ans.Data.Token, ans.Data.Expires
	}
	box, _ := mint("")
	agent, expires := mint("extension=801&ttl=60")
	odd, _ := mint("extension=%2B8%2301") // "+8#01": both need escaping in a URL
	if expires != noon.Add(time.Minute).Unix() {
		t.Errorf("expires %d, want noon + 60 s", expires)
	}
	e.setNow(noon.Add(30 * time.Second))
	tampered := agent[:len(agent)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(agent, "AA")]
	other := strings.Replace(agent, ".801.", ".802.", 1)
	for _, tc := range []struct {
		name   string
		query  string
		header []string
		status int
		agents []string // extensions of the agent-status snapshot
	}{
		{"no credentials", "", nil, 401, nil},
		{"the daily header", "", []string{"Authorization", auth}, 200, []string{"800", "801", "802"}},
		{"a token of the box", "?token=" + box, nil, 200, []string{"800", "801", "802"}},
		{"a box token, one extension", "?token=" + box + "&extension=802", nil, 200, []string{"802"}},
		{"an agent's token", "?token=" + agent, nil, 200, []string{"801"}},
		{"an agent's token, its extension", "?token=" + agent + "&extension=801", nil, 200, []string{"801"}},
		{"an agent's token, another extension", "?token=" + agent + "&extension=802", nil, 403, nil},
		{"an agent's token, more extensions", "?token=" + agent + "&extension=801,802", nil, 403, nil},
		{"a token of an extension with + and #", "?token=" + url.QueryEscape(odd), nil, 200, nil},
		{"tampered", "?token=" + tampered, nil, 401, nil},
		{"the extension changed", "?token=" + other, nil, 401, nil},
		{"garbage", "?token=x.y", nil, 401, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := e.open(t, tc.query, tc.header...)
			if s.Resp.StatusCode != tc.status {
				body, _ := io.ReadAll(s.Resp.Body)
				t.Fatalf("got %d %s, want %d", s.Resp.StatusCode, body, tc.status)
			}
			if tc.status != 200 {
				return
			}
			var rows []board.Agent
			if err := json.Unmarshal([]byte(snapshots(t, s)[snapshotAgents].Data), &rows); err != nil {
				t.Fatal(err)
			}
			var exts []string
			for _, r := range rows {
				exts = append(exts, r.Extension)
			}
			if !slices.Equal(exts[:min(3, len(exts))], tc.agents) {
				t.Errorf("agent-status snapshot of %v, want %v", exts, tc.agents)
			}
		})
	}
	e.setNow(noon.Add(61 * time.Second))
	s := e.open(t, "?token="+agent)
	body, _ := io.ReadAll(s.Resp.Body)
	if s.Resp.StatusCode != 401 || !strings.Contains(string(body), "expired") {
		t.Errorf("an expired token: %d %s", s.Resp.StatusCode, body)
	}
	w := e.do(req{method: http.MethodPost, target: BasePath + "/events/token", body: "ttl=86401", header: map[string]string{"Authorization": auth}})
	if w.Code != 400 {
		t.Errorf("ttl beyond a day: %d %s", w.Code, w.Body.String())
	}
	if logs := e.logs.String(); strings.Contains(logs, agent) || strings.Contains(logs, box) {
		t.Error("a stream token reached the log")
	}
}

// TestEventStreamDropsSlowClient: a client that stops reading is
// dropped, its connection closed, while another keeps receiving.
func TestEventStreamDropsSlowClient(t *testing.T) {
	e := newStreamEnv(t, stream.Options{Buffer: 8, MaxEvents: 16})
	slow, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := io.WriteString(slow, "GET "+BasePath+"/events?event=hangup HTTP/1.1\r\nHost: box\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	fast := e.open(t, "?event=hangup")
	testkit.Eventually(t, "both subscribed", within, func() bool { return e.st.Subscribers() == 2 })
	big := `{"event":"hangup","pad":"` + strings.Repeat("x", 64<<10) + `"}`
	for i := 0; e.st.Dropped() == 0; i++ { // the socket buffers fill, then the slow client's 8
		if i == 2000 {
			t.Fatal("the slow client was never dropped")
		}
		e.n++
		id := fmt.Sprintf("msg_%d", e.n)
		e.st.Publish(stream.Event{ID: id, Name: "hangup", Body: []byte(big)})
		if got := fast.NextEvent(t, within); got.ID != id {
			t.Fatalf("the reading client got %s, want %s", got.ID, id)
		}
	}
	if err := slow.SetReadDeadline(time.Now().Add(within)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, slow); err != nil {
		t.Fatalf("the slow client's connection was not closed: %v", err)
	}
	id := e.publish(t, "hangup", `{"event":"hangup"}`)
	if got := fast.NextEvent(t, within); got.ID != id || e.st.Subscribers() != 1 {
		t.Fatalf("after the drop the reading client got %s (want %s); %d subscribers", got.ID, id, e.st.Subscribers())
	}
	// The handler logs the drop as it returns, which may be after the
	// client saw its connection close.
	testkit.Eventually(t, "the drop logged", within, func() bool {
		return strings.Contains(e.logs.String(), "event stream client dropped")
	})
}

func TestEventStreamHeartbeat(t *testing.T) {
	e := newStreamEnv(t, stream.Options{}, func(o *Options) { o.Heartbeat = 15 * time.Second })
	s := e.open(t, "?event=hangup") // no snapshots: only heartbeats come
	for beat := 1; beat <= 2; beat++ {
		due := noon.Add(time.Duration(beat) * 15 * time.Second)
		testkit.Eventually(t, "the heartbeat timer set", within, func() bool { at, ok := e.clk.Next(); return ok && at.Equal(due) })
		e.clk.Set(due)
		e.clk.FireDue()
		if ev := s.Next(t, within); ev.Comment != "heartbeat" {
			t.Fatalf("beat %d: got %+v, want the heartbeat comment", beat, ev)
		}
	}
}

// TestEventStreamOutlivesReadTimeout: the daemon's server has a
// ReadTimeout; a stream lasts beyond it (net/http clears the read
// deadline once the request is read). The test waits the timeout out:
// that time is what it is about.
func TestEventStreamOutlivesReadTimeout(t *testing.T) {
	const readTimeout = 100 * time.Millisecond
	e := newStreamEnv(t, stream.Options{})
	srv := httptest.NewUnstartedServer(e.h)
	srv.Config.ReadTimeout = readTimeout
	srv.Start()
	t.Cleanup(srv.Close) // after the client's stream is closed (cleanups run last first)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+BasePath+"/events?event=hangup", nil)
	s := testkit.OpenSSE(t, req)
	testkit.Eventually(t, "the stream open", within, func() bool { return e.st.Subscribers() == 1 })
	time.Sleep(3 * readTimeout)
	id := e.publish(t, "hangup", `{"event":"hangup"}`)
	if ev := s.NextEvent(t, within); ev.ID != id {
		t.Fatalf("got %+v, want %s", ev, id)
	}
}
