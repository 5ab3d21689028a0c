// Command load measures coocenterd on a real Asterisk, the way a busy call
// center loads it: many live channels, CRM dashboards polling the API, and
// calls coming and going while every push must leave at once. It runs each
// daemon binary it is given in turn against the same Asterisk and the same
// load, so that two builds (before and after a change) are compared in one
// run, beside Asterisk's own AJAM.
//
//	test/asterisk/start /opt/asterisk
//	go build -o /tmp/coocenterd-after ./cmd/coocenterd
//	go run ./test/load before=/tmp/coocenterd-before after=/tmp/coocenterd-after
//	test/asterisk/stop /opt/asterisk
//
// The Asterisk must run the test configuration (test/asterisk/start): its
// context [load] answers and echoes (the live channels) and places short
// calls, and its http.conf serves AJAM on 127.0.0.1:8088. What it does:
//
//  1. Originates -channels/2 Local channels into load,echo (Answer, Echo):
//     -channels live channels that stay up for the whole run.
//  2. For AJAM and then each daemon: -clients concurrent clients poll
//     the live calls (AJAM: rawman CoreShowChannels; a daemon:
//     current-calls) for -duration, each sending its next request when
//     the answer before is read whole; it prints requests/s and latencies.
//  3. For each daemon: -rate calls a second for -duration (each: an
//     Originate into load,call-N, which Dials load,short-N; that answers
//     and hangs up after 2 s), with -pollers clients polling current-calls
//     meanwhile; it prints how long each dialbegin, dialend and hangup push
//     took from the AMI event (as this program's own AMI connection read
//     it) to its arrival at this program's receiver, split at the push's
//     timestamp (the time the daemon's model applied the event: "model",
//     then "outbox"), and the daemon's peak resident memory.
//  4. Hangs up what it originated.
//
// The pollers run in a process of their own, at -poll-nice: they share the
// box's two or so processors with Asterisk, the daemon and this program,
// where a CRM's dashboards would run on machines of their own; 19 stands
// for that.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

func main() {
	amiFlag := flag.String("ami", envOr("COOCENTER_TEST_AMI", "127.0.0.1:5038,coocenter,coocenter-secret"), "Asterisk's AMI: host:port,user,secret")
	ajam := flag.String("ajam", "http://127.0.0.1:8088/rawman", "Asterisk's AJAM rawman URL; empty = not measured")
	channels := flag.Int("channels", 500, "live channels to keep up (Local pairs answering into Echo)")
	clients := flag.Int("clients", 16, "concurrent clients polling the live calls")
	duration := flag.Duration("duration", 10*time.Second, "length of each measurement")
	rate := flag.Int("rate", 20, "calls a second while push latency is measured")
	pollers := flag.Int("pollers", 16, "clients polling current-calls while push latency is measured")
	pollTarget := flag.String("poll", "", "(the pollers' process) poll this: api=URL or ajam=URL, -clients at once, for -duration; print the result as JSON")
	flag.IntVar(&pollNice, "poll-nice", 0, "the pollers' process's nice value: 19 stands for clients on other machines, whose own work does not compete with the box")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: load [flags] LABEL=DAEMON-BINARY ...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	var daemons []daemonSpec
	for _, a := range flag.Args() {
		label, bin, ok := strings.Cut(a, "=")
		if !ok || label == "" || bin == "" {
			flag.Usage()
			os.Exit(2)
		}
		daemons = append(daemons, daemonSpec{label, bin})
	}
	addr, user, secret, err := parseAMI(*amiFlag)
	if err != nil {
		fatal(err)
	}
	if *pollTarget != "" {
		pollerMain(*pollTarget, user, secret, *clients, *duration)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := newLoad(ctx, amiLogin{addr, user, secret})
	if err != nil {
		fatal(err)
	}
	defer l.close()
	fmt.Printf("Asterisk %s; %d live channels wanted; %d clients, %s each\n", l.version, *channels, *clients, *duration)
	if err := l.liveChannels(ctx, *channels); err != nil {
		fatal(err)
	}
	if *ajam != "" {
		p, err := poll("ajam="+*ajam, *clients, *duration)
		if err != nil {
			fatal(fmt.Errorf("AJAM: %w", err))
		}
		report("AJAM CoreShowChannels", p)
	}
	for _, d := range daemons {
		if err := l.measure(ctx, d, *clients, *pollers, *rate, *duration); err != nil {
			fatal(fmt.Errorf("%s: %w", d.label, err))
		}
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func parseAMI(s string) (addr, user, secret string, err error) {
	parts := strings.SplitN(s, ",", 3)
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("-ami %q: want host:port,user,secret", s)
	}
	return parts[0], parts[1], parts[2], nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}

// load is this program's side of Asterisk: an AMI connection that
// originates, and watches the events whose pushes it times.
type load struct {
	login   amiLogin
	c       *ami.Client
	sub     *ami.Subscription
	version string

	mu   sync.Mutex
	seen map[string]time.Time // push key -> when its AMI event was read
	live atomic.Int64         // channels of the echo context up
	done chan struct{}
}

// amiLogin is where the daemons under test log in: as this program does.
type amiLogin struct{ addr, user, secret string }

func newLoad(ctx context.Context, login amiLogin) (*load, error) {
	c := ami.Connect(ctx, ami.Config{Addr: login.addr, Username: login.user, Secret: login.secret, AuthType: "md5",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	l := &load{login: login, c: c, sub: c.Subscribe(0), seen: map[string]time.Time{}, done: make(chan struct{})}
	deadline := time.After(10 * time.Second)
	for l.version == "" {
		select {
		case e := <-l.sub.C():
			if e.Kind == ami.Connected {
				l.version = e.Version
			}
		case <-deadline:
			c.Close()
			return nil, fmt.Errorf("no AMI at %s: %v", login.addr, c.Status().LastError)
		}
	}
	res, err := c.Do(ctx, ami.Action{Name: "CoreSettings"})
	if err != nil {
		c.Close()
		return nil, err
	}
	l.version = res.Response.Get("AsteriskVersion") + " (AMI " + l.version + ")"
	go l.watch()
	return l, nil
}

func (l *load) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = l.c.Do(ctx, ami.Action{Name: "Hangup", Headers: []ami.Header{{Key: "Channel", Value: `/^Local\/[a-z]+(-[0-9]+)?@load-/`}}})
	l.c.Close()
	<-l.done
}

// watch notes when each event that makes a push was read.
func (l *load) watch() {
	defer close(l.done)
	for e := range l.sub.C() {
		if e.Kind != ami.AMIEvent {
			continue
		}
		now := time.Now()
		m := e.Msg
		var key string
		switch m.Event() {
		case "DialBegin":
			key = "dialbegin:" + m.Get("DestUniqueid")
		case "DialEnd":
			key = "dialend:" + m.Get("DestUniqueid")
		case "Hangup":
			key = "hangup:" + m.Get("Uniqueid")
			if strings.HasPrefix(m.Get("Channel"), "Local/echo@load-") {
				l.live.Add(-1)
			}
		case "Newchannel":
			if strings.HasPrefix(m.Get("Channel"), "Local/echo@load-") {
				l.live.Add(1)
			}
			continue
		default:
			continue
		}
		// An Originate's own dial has no calling channel, only the dest.
		if !strings.Contains(m.Get("Channel")+m.Get("DestChannel"), "@load-") {
			continue
		}
		l.mu.Lock()
		l.seen[key] = now
		l.mu.Unlock()
	}
}

// liveChannels originates Local pairs into load,echo until n channels are up.
func (l *load) liveChannels(ctx context.Context, n int) error {
	began := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := int(l.live.Load()); i < n; i += 2 {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			l.originate(ctx, "Local/echo@load/n", "Echo", "")
		})
	}
	wg.Wait()
	for l.live.Load() < int64(n) {
		if time.Since(began) > 2*time.Minute {
			return fmt.Errorf("only %d of %d live channels after 2 minutes", l.live.Load(), n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("%d live channels up in %s\n", l.live.Load(), time.Since(began).Round(time.Millisecond))
	return nil
}

func (l *load) originate(ctx context.Context, channel, app, data string) {
	h := []ami.Header{{Key: "Channel", Value: channel}, {Key: "Application", Value: app}, {Key: "Async", Value: "true"}}
	if data != "" {
		h = append(h, ami.Header{Key: "Data", Value: data})
	}
	if _, err := l.c.Do(ctx, ami.Action{Name: "Originate", Headers: h}); err != nil {
		fmt.Fprintln(os.Stderr, "load: originate:", err)
	}
}

// eventAt is when the AMI event that makes the push keyed key was read.
func (l *load) eventAt(key string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.seen[key]
	if ok {
		delete(l.seen, key)
	}
	return at, ok
}

type daemonSpec struct{ label, bin string }

// measure runs one daemon binary against the Asterisk: the API's
// throughput under the live channels, then push latency under calls.
func (l *load) measure(ctx context.Context, d daemonSpec, clients, pollers, rate int, duration time.Duration) error {
	rcv := newReceiver()
	defer rcv.close()
	dm, err := startDaemon(d, l.login, rcv.url)
	if err != nil {
		return err
	}
	defer dm.stop()
	fmt.Printf("%s: pid %d\n", d.label, dm.cmd.Process.Pid)
	api := dm.base + "/coocenter-api/extensions/current-calls"
	// The model holds the live channels before anything is measured.
	want := int(l.live.Load())
	began := time.Now()
	for rows := 0; rows < want; rows = dm.rows(api) {
		if time.Since(began) > 30*time.Second {
			return fmt.Errorf("current-calls lists %d of %d channels after 30 s", rows, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p, err := poll("api="+api, clients, duration)
	if err != nil {
		return err
	}
	report(d.label+" current-calls", p)

	// Calls at rate, pollers on current-calls, pushes timed. The last
	// calls end 2 s after they are answered; their pushes follow.
	const tail = 4 * time.Second
	var polled *pollResult
	var pollErr error
	var wg sync.WaitGroup
	if pollers > 0 {
		wg.Go(func() { polled, pollErr = poll("api="+api, pollers, duration+tail) })
	}
	calls := 0
	tick := time.NewTicker(time.Second / time.Duration(rate))
	end := time.Now().Add(duration)
	for time.Now().Before(end) {
		<-tick.C
		calls++
		go l.originate(ctx, fmt.Sprintf("Local/call-%d@load/n", calls), "Echo", "")
	}
	tick.Stop()
	time.Sleep(tail)
	wg.Wait()
	if pollErr != nil {
		return pollErr
	}
	lat := rcv.latencies(l)
	fmt.Printf("%s: %d calls at %d/s, %d pollers on current-calls", d.label, calls, rate, pollers)
	if polled != nil {
		fmt.Printf(" (%.0f req/s, p99 %s)", polled.rate(), polled.P99)
	}
	fmt.Println()
	for _, kind := range []string{"dialbegin", "dialend", "hangup", "all", "model", "outbox"} {
		v := lat[kind]
		if len(v) == 0 {
			continue
		}
		slices.Sort(v)
		fmt.Printf("  AMI event -> push %-9s n=%-5d p50 %-9s p99 %-9s max %s\n", kind, len(v),
			q(v, 0.5), q(v, 0.99), v[len(v)-1].Round(10*time.Microsecond))
	}
	fmt.Printf("  pushes without their AMI event: %d %q; daemon peak RSS %s\n", rcv.unmatched.Load(), rcv.sample, dm.peakRSS())
	return nil
}

func q(v []time.Duration, p float64) time.Duration {
	return v[int(p*float64(len(v)-1))].Round(10 * time.Microsecond)
}

// daemon is one coocenterd process under test.
type daemon struct {
	cmd  *exec.Cmd
	dir  string
	base string
	exit chan error
}

func startDaemon(d daemonSpec, login amiLogin, pushURL string) (*daemon, error) {
	dir, err := os.MkdirTemp("", "coocenter-load-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	amiHost, amiPort, err := net.SplitHostPort(login.addr)
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`[general]
BINDADDR=127.0.0.1
BINDPORT=%d
URL=%s
log_level=warn
[ami]
host=%s
port=%s
username=%s
secret=%s
[storage]
dir=%s
[monitor]
dir=%s
`, port, pushURL, amiHost, amiPort, login.user, login.secret, filepath.Join(dir, "state"), filepath.Join(dir, "monitor"))
	if err := os.MkdirAll(filepath.Join(dir, "monitor"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "api.conf"), []byte(conf), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(d.bin, "-config", filepath.Join(dir, "api.conf"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	dm := &daemon{cmd: cmd, dir: dir, base: fmt.Sprintf("http://127.0.0.1:%d", port), exit: make(chan error, 1)}
	go func() { dm.exit <- cmd.Wait() }()
	began := time.Now()
	for {
		resp, err := http.Get(dm.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return dm, nil
			}
		}
		select {
		case err := <-dm.exit:
			return nil, fmt.Errorf("%s exited: %v", d.bin, err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Since(began) > 30*time.Second {
			dm.stop()
			return nil, fmt.Errorf("%s not ready after 30 s", d.bin)
		}
	}
}

func (d *daemon) stop() {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exit:
	case <-time.After(15 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exit
	}
	_ = os.RemoveAll(d.dir)
}

// rows is how many calls current-calls lists now.
func (d *daemon) rows(api string) int {
	resp, err := http.Post(api, "application/x-www-form-urlencoded", nil)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var body struct{ Data []json.RawMessage }
	if json.NewDecoder(resp.Body).Decode(&body) != nil {
		return 0
	}
	return len(body.Data)
}

// peakRSS is the daemon's VmHWM.
func (d *daemon) peakRSS() string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return fmt.Sprintf("%.1f MB", float64(kb)/1024)
		}
	}
	return "unknown"
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// receiver takes the daemon's pushes and notes when each arrived.
type receiver struct {
	srv       *http.Server
	url       string
	mu        sync.Mutex
	arrived   map[string]arrival // push key -> when it came
	unmatched atomic.Int64
	sample    []string // a few keys of pushes without their AMI event
}

func newReceiver() *receiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/push", arrived: map[string]arrival{}}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.take)}
	go func() { _ = r.srv.Serve(ln) }()
	return r
}

func (r *receiver) take(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	var push struct {
		Event, Uniqueid, Destuniqueid, Channel, Timestamp string
	}
	if json.NewDecoder(req.Body).Decode(&push) != nil || !strings.Contains(push.Channel, "@load-") {
		return
	}
	var key string
	switch push.Event {
	case "dialbegein", "dialbegin":
		key = "dialbegin:" + push.Destuniqueid
	case "dialend":
		key = "dialend:" + push.Destuniqueid
	case "hangup":
		if strings.HasPrefix(push.Channel, "Local/echo@load-") {
			return
		}
		key = "hangup:" + push.Uniqueid
	default:
		return
	}
	r.mu.Lock()
	if _, dup := r.arrived[key]; !dup {
		r.arrived[key] = arrival{at: now, applied: unixTime(push.Timestamp)}
	}
	r.mu.Unlock()
}

// arrival is when a push came, and when the daemon's model applied its
// event (the push's timestamp: Asterisk's event time, or, with
// timestampevents off as in the test configuration, the time the model
// applied the event).
type arrival struct{ at, applied time.Time }

// unixTime reads a push timestamp, "1534993059.785012".
func unixTime(s string) time.Time {
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	us, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(n, us*1000)
}

// latencies pairs each push with its AMI event, by kind; "model" is the
// part from the AMI event to the model, "outbox" the rest.
func (r *receiver) latencies(l *load) map[string][]time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]time.Duration{}
	for key, a := range r.arrived {
		ev, ok := l.eventAt(key)
		if !ok {
			if r.unmatched.Add(1) <= 3 {
				r.sample = append(r.sample, key)
			}
			continue
		}
		kind, _, _ := strings.Cut(key, ":")
		d := a.at.Sub(ev)
		out[kind] = append(out[kind], d)
		out["all"] = append(out["all"], d)
		if !a.applied.IsZero() {
			out["model"] = append(out["model"], a.applied.Sub(ev))
			out["outbox"] = append(out["outbox"], a.at.Sub(a.applied))
		}
	}
	return out
}

func (r *receiver) close() { _ = r.srv.Close() }

// The pollers run in a process of their own (this program again, with
// -poll), so that their loops do not hold up this process's receiver and
// AMI reader, whose times are the measurement: a CRM's dashboards do not
// share a scheduler with its push receiver either.

// pollNice is the pollers' process's nice value (-poll-nice).
var pollNice int

// pollResult is what the pollers' process reports.
type pollResult struct {
	N, Failed     int
	Elapsed       time.Duration
	P50, P99, Max time.Duration
}

func (p *pollResult) rate() float64 { return float64(p.N) / p.Elapsed.Seconds() }

// poll runs clients pollers of target (api=URL or ajam=URL) for d in a
// process of their own.
func poll(target string, clients int, d time.Duration) (*pollResult, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("nice", "-n", strconv.Itoa(pollNice), self, "-ami", flag.Lookup("ami").Value.String(), "-poll", target,
		"-clients", strconv.Itoa(clients), "-duration", d.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("pollers of %s: %w", target, err)
	}
	var p pollResult
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, fmt.Errorf("pollers of %s: %w: %q", target, err, out)
	}
	return &p, nil
}

// pollerMain is the pollers' process.
func pollerMain(target, user, secret string, clients int, d time.Duration) {
	kind, u, _ := strings.Cut(target, "=")
	var mk func() (*http.Client, requester)
	switch kind {
	case "api":
		mk = postClient(u)
	case "ajam":
		var err error
		if mk, err = ajamClient(u, user, secret); err != nil {
			fatal(err)
		}
	default:
		fatal(fmt.Errorf("-poll %q: want api=URL or ajam=URL", target))
	}
	took, failed, elapsed := pollFor(clients, d, mk)
	res := pollResult{N: len(took), Failed: failed, Elapsed: elapsed}
	if len(took) > 0 {
		res.P50, res.P99, res.Max = q(took, 0.5), q(took, 0.99), took[len(took)-1]
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

// A requester makes one request with the client it is given and says
// whether the answer was whole.
type requester func(c *http.Client) bool

func postClient(api string) func() (*http.Client, requester) {
	return func() (*http.Client, requester) {
		return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}, func(c *http.Client) bool {
			resp, err := c.Post(api, "application/x-www-form-urlencoded", nil)
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			_, err = io.Copy(io.Discard, resp.Body)
			return err == nil && resp.StatusCode == http.StatusOK
		}
	}
}

// ajamClient logs each client in to AJAM (a session cookie of its own) and
// lists the channels with rawman CoreShowChannels.
func ajamClient(rawman, user, secret string) (func() (*http.Client, requester), error) {
	login := rawman + "?action=login&username=" + url.QueryEscape(user) + "&secret=" + url.QueryEscape(secret)
	list := rawman + "?action=CoreShowChannels"
	newClient := func() (*http.Client, error) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		resp, err := c.Get(login)
		if err != nil {
			return nil, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "Success") {
			return nil, fmt.Errorf("login: %s", strings.TrimSpace(string(body)))
		}
		return c, nil
	}
	if _, err := newClient(); err != nil {
		return nil, err
	}
	return func() (*http.Client, requester) {
		c, err := newClient()
		if err != nil {
			fatal(fmt.Errorf("AJAM: %w", err))
		}
		return c, func(c *http.Client) bool {
			resp, err := c.Get(list)
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			return err == nil && resp.StatusCode == http.StatusOK && strings.Contains(string(body), "CoreShowChannelsComplete")
		}
	}, nil
}

// pollFor runs clients pollers for d: each makes one request after the
// other. It returns how long each whole answer took, sorted, and how many
// failed.
func pollFor(clients int, d time.Duration, mk func() (*http.Client, requester)) ([]time.Duration, int, time.Duration) {
	var mu sync.Mutex
	var all []time.Duration
	failedAll := 0
	var wg sync.WaitGroup
	began := time.Now()
	end := began.Add(d)
	for range clients {
		c, do := mk()
		wg.Go(func() {
			defer c.CloseIdleConnections()
			var took []time.Duration
			failed := 0
			for time.Now().Before(end) {
				t0 := time.Now()
				if do(c) {
					took = append(took, time.Since(t0))
				} else {
					failed++
				}
			}
			mu.Lock()
			all = append(all, took...)
			failedAll += failed
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(all)
	return all, failedAll, time.Since(began)
}

func report(what string, p *pollResult) {
	fmt.Printf("%-32s %7.0f req/s  p50 %-9s p99 %-9s failed %d\n", what, p.rate(), p.P50, p.P99, p.Failed)
}
