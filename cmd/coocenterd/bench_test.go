package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// BenchmarkEventToPush runs the daemon against a fed AMI stream: a box
// with 500 (or 1,000) live channels and 20 new calls a second (each: two
// channels, DialBegin, DialEnd, both Hangups), while 16 API clients poll
// current-calls as fast as they can. It reports how long an AMI event
// takes from the socket to its push arriving at the receiver (dialbegin,
// dialend and both hangups of every call), the pollers' rate, and the
// process's peak resident memory (VmHWM: the daemon, the feed, the
// receiver and the pollers together).
func BenchmarkEventToPush(b *testing.B) {
	for _, live := range []int{500, 1000} {
		b.Run(fmt.Sprintf("channels=%d", live), func(b *testing.B) { benchEventToPush(b, live) })
	}
}

func benchEventToPush(b *testing.B, liveChannels int) {
	const (
		callsPerSec = 20
		calls       = 100
		pollers     = 16
	)
	sent := &sentTimes{at: map[string]time.Time{}}
	got := &seen{}
	var latencies []time.Duration
	var mu sync.Mutex
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		var push struct{ Event, Uniqueid string }
		body, _ := io.ReadAll(r.Body)
		got.note(string(body))
		if json.Unmarshal(body, &push) == nil {
			event := strings.Replace(push.Event, "dialbegein", "dialbegin", 1) // the original's spelling, the default
			if at, ok := sent.take(event + ":" + push.Uniqueid); ok {
				mu.Lock()
				latencies = append(latencies, now.Sub(at))
				mu.Unlock()
			}
		}
	}))
	b.Cleanup(receiver.Close)
	feed := startFeed(b, liveChannels)

	api := "http://" + serveOnFeed(b, feed, receiver.URL) + "/coocenter-api/extensions/current-calls"

	stop := make(chan struct{})
	var polls atomic.Int64
	var wg sync.WaitGroup
	for range pollers {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Post(api, "application/x-www-form-urlencoded", nil)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					polls.Add(1)
				}
			}
		})
	}
	began := time.Now()
	for round := 0; b.Loop(); round++ {
		feed.calls(b, round, calls, callsPerSec, sent)
		if !testkit.Poll(30*time.Second, func() bool { return sent.left() == 0 }) {
			b.Fatalf("%d pushes did not come (%s), e.g. %v", sent.left(), got.sample(), sent.sample())
		}
	}
	elapsed := time.Since(began)
	close(stop)
	wg.Wait()
	reportLatencies(b, latencies)
	b.ReportMetric(float64(polls.Load())/elapsed.Seconds(), "polls/s")
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		if m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status); m != nil {
			kb, _ := strconv.Atoi(string(m[1]))
			b.ReportMetric(float64(kb)/1024, "peak-rss-MB")
		}
	}
}

// sentTimes holds when each awaited push's AMI event was written, by
// "event:uniqueid".
type sentTimes struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (s *sentTimes) put(key string) {
	s.mu.Lock()
	s.at[key] = time.Now()
	s.mu.Unlock()
}

func (s *sentTimes) take(key string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.at[key]
	delete(s.at, key)
	return at, ok
}

// seen keeps the first pushes received, to say what came when some
// did not.
type seen struct {
	mu     sync.Mutex
	n      int
	bodies []string
}

func (s *seen) note(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n++; len(s.bodies) < 3 {
		s.bodies = append(s.bodies, body)
	}
}

func (s *seen) sample() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%d received, the first %q", s.n, s.bodies)
}

func (s *sentTimes) sample() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.at {
		if out = append(out, k); len(out) == 3 {
			break
		}
	}
	return out
}

func (s *sentTimes) left() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.at)
}

// feed is an AMI server for one client: it answers the login and the
// model's resync (CoreShowChannels with the live channels, every other
// list empty) and then writes the calls it is given.
type feed struct {
	ln   net.Listener
	live int
	mu   sync.Mutex
	w    *bufio.Writer
	conn net.Conn
	up   chan struct{}
}

func startFeed(b *testing.B, live int) *feed {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	f := &feed{ln: ln, live: live, up: make(chan struct{})}
	b.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		if f.conn != nil {
			f.conn.Close()
		}
		f.mu.Unlock()
	})
	go f.serve()
	return f
}

func (f *feed) addr() string { return f.ln.Addr().String() }

func (f *feed) serve() {
	nc, err := f.ln.Accept()
	if err != nil {
		return
	}
	f.mu.Lock()
	f.conn, f.w = nc, bufio.NewWriter(nc)
	f.mu.Unlock()
	f.mu.Lock()
	f.w.WriteString("Asterisk Call Manager/7.0.3\r\n")
	f.w.Flush()
	f.mu.Unlock()
	r := ami.NewReader(nc)
	for {
		a, err := r.ReadMessage()
		if err != nil {
			return
		}
		f.answer(a)
	}
}

// send writes messages, each its header lines, and flushes.
func (f *feed) send(msgs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range msgs {
		f.w.WriteString(m)
		f.w.WriteString("\r\n\r\n")
	}
	f.w.Flush()
}

func (f *feed) answer(a ami.Message) {
	id := "ActionID: " + a.ActionID()
	switch name := strings.ToLower(a.Get("Action")); name {
	case "login":
		f.send("Response: Success\r\n"+id+"\r\nMessage: Authentication accepted",
			"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted")
		close(f.up)
	case "coreshowchannels":
		msgs := []string{"Response: Success\r\n" + id + "\r\nEventList: start\r\nMessage: Channels will follow"}
		for i := range f.live {
			msgs = append(msgs, fmt.Sprintf("Event: CoreShowChannel\r\n%s\r\nChannel: Local/%d@default-0000%04x;1\r\n"+
				"Uniqueid: 1700000000.%d\r\nLinkedid: 1700000000.%d\r\nChannelState: 6\r\nChannelStateDesc: Up\r\n"+
				"CallerIDNum: %d\r\nCallerIDName: Agent\r\nConnectedLineNum: 0501234567\r\nConnectedLineName: <unknown>\r\n"+
				"Context: default\r\nExten: %d\r\nApplication: Echo\r\nDuration: 00:01:00\r\nBridgeId: ", id, 800+i%100, i, i, i, 800+i%100, 800+i%100))
		}
		msgs = append(msgs, fmt.Sprintf("Event: CoreShowChannelsComplete\r\n%s\r\nEventList: Complete\r\nListItems: %d", id, f.live))
		f.send(msgs...)
	case "ping":
		f.send("Response: Success\r\n" + id + "\r\nPing: Pong")
	case "sippeers", "pjsipshowendpoints", "pjsipshowcontacts", "extensionstatelist", "queuestatus", "dbget", "status":
		f.send("Response: Success\r\n"+id+"\r\nEventList: start", "Event: ListComplete\r\n"+id+"\r\nEventList: Complete\r\nListItems: 0")
	default:
		f.send("Response: Success\r\n" + id)
	}
}

// calls writes n calls at rate a second, each over a second, noting when
// each event that makes a push was written.
func (f *feed) calls(b *testing.B, round, n, rate int, sent *sentTimes) {
	type step struct {
		at   time.Duration
		msgs []string
		keys []string
	}
	var steps []step
	for i := range n {
		start := time.Duration(i) * time.Second / time.Duration(rate)
		a := fmt.Sprintf("1800000000.%d", 2*(round*n+i))
		ag := fmt.Sprintf("1800000000.%d", 2*(round*n+i)+1)
		trunk := fmt.Sprintf("PJSIP/trunk-%08x", 2*i)
		phone := fmt.Sprintf("PJSIP/%d-%08x", 800+i%50, 2*i+1)
		snap := func(ch, uid, state, desc, cid string) string {
			return fmt.Sprintf("Channel: %s\r\nChannelState: %s\r\nChannelStateDesc: %s\r\nCallerIDNum: %s\r\nCallerIDName: <unknown>\r\n"+
				"ConnectedLineNum: <unknown>\r\nConnectedLineName: <unknown>\r\nLanguage: en\r\nAccountCode: \r\nContext: from-trunk\r\n"+
				"Exten: 630\r\nPriority: 1\r\nUniqueid: %s\r\nLinkedid: %s", ch, state, desc, cid, uid, a)
		}
		dest := func(s string) string { return regexp.MustCompile(`(?m)^`).ReplaceAllString(s, "Dest") }
		steps = append(steps,
			step{start, []string{
				"Event: Newchannel\r\nPrivilege: call,all\r\n" + snap(trunk, a, "4", "Ring", "0501234567"),
				"Event: Newchannel\r\nPrivilege: call,all\r\n" + snap(phone, ag, "0", "Down", "801"),
				"Event: DialBegin\r\nPrivilege: call,all\r\n" + snap(trunk, a, "4", "Ring", "0501234567") + "\r\n" +
					dest(snap(phone, ag, "5", "Ringing", "801")) + "\r\nDialString: 801",
			}, []string{"dialbegin:" + a}},
			step{start + 100*time.Millisecond, []string{
				"Event: Newstate\r\nPrivilege: call,all\r\n" + snap(phone, ag, "6", "Up", "801"),
				"Event: DialEnd\r\nPrivilege: call,all\r\n" + snap(trunk, a, "6", "Up", "0501234567") + "\r\n" +
					dest(snap(phone, ag, "6", "Up", "801")) + "\r\nDialStatus: ANSWER",
			}, []string{"dialend:" + a}},
			step{start + time.Second, []string{
				"Event: Hangup\r\nPrivilege: call,all\r\n" + snap(phone, ag, "6", "Up", "801") + "\r\nCause: 16\r\nCause-txt: Normal Clearing",
				"Event: Hangup\r\nPrivilege: call,all\r\n" + snap(trunk, a, "6", "Up", "0501234567") + "\r\nCause: 16\r\nCause-txt: Normal Clearing",
			}, []string{"hangup:" + ag, "hangup:" + a}},
		)
	}
	slices.SortStableFunc(steps, func(x, y step) int { return int(x.at - y.at) })
	select {
	case <-f.up:
	case <-time.After(10 * time.Second):
		b.Fatal("the daemon did not log in")
	}
	began := time.Now()
	for _, s := range steps {
		time.Sleep(time.Until(began.Add(s.at)))
		for _, k := range s.keys {
			sent.put(k)
		}
		f.send(s.msgs...)
	}
}

// serveOnFeed runs the daemon against feed, pushing to urls, until the
// benchmark ends; it returns the API's address once the model synced.
func serveOnFeed(b *testing.B, feed *feed, urls ...string) string {
	b.Helper()
	cfg := config.Demo()
	cfg.Storage.Dir = b.TempDir()
	cfg.General.BindPort = 0
	cfg.AMI.Host, cfg.AMI.Port = splitHostPort(feed.addr())
	cfg.AMI.Username, cfg.AMI.Secret = "coocenter", "secret"
	cfg.General.URLs = urls
	logs := &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(logs, nil))) }()
	b.Cleanup(func() { cancel(); <-done })
	addrRe := regexp.MustCompile(`coocenter-api listening" addr=(\S+)`)
	if !testkit.Poll(10*time.Second, func() bool {
		return addrRe.MatchString(logs.String()) && strings.Contains(logs.String(), "model synced")
	}) {
		b.Fatalf("the daemon did not start and sync:\n%s", logs.String())
	}
	return addrRe.FindStringSubmatch(logs.String())[1]
}

// reportLatencies reports the median, the 99th percentile and the
// longest of latencies, in milliseconds.
func reportLatencies(b *testing.B, latencies []time.Duration) {
	slices.Sort(latencies)
	ms := func(q float64) float64 {
		return float64(latencies[int(q*float64(len(latencies)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(ms(1), "max-ms")
}
