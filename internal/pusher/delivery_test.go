package pusher

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/coocenter/coocenterd/internal/testkit"
)

func TestDeliveryRecoversFromFailingReceiver(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		fail    answer // the first failures; nil: connection refused until the receiver comes up
		n       int64  // how many failures
		timeout time.Duration
	}{
		{name: "500", fail: status(http.StatusInternalServerError), n: 12},
		{name: "hangs past timeout", fail: hang, n: 8, timeout: 100 * time.Millisecond},
		{name: "connection refused", n: 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var h *hook
			var addr string
			if tc.fail != nil {
				h = newHook(t, failFirst(tc.n, tc.fail))
			} else {
				addr = closedPort(t)
			}
			u := "http://" + addr + "/hook"
			if h != nil {
				u = h.url()
			}
			opts := testOptions(t, u)
			if tc.timeout > 0 {
				opts.Timeout = tc.timeout
			}
			p := start(t, opts)
			evs := testEvents(5, 20)
			appendAll(t, p, evs)
			if h == nil {
				testkit.Eventually(t, "failed attempts", 5*time.Second, func() bool { return p.Stats()[0].Retried >= uint64(tc.n) })
				var ln net.Listener
				testkit.Eventually(t, "the port again", 5*time.Second, func() bool {
					var err error
					ln, err = net.Listen("tcp", addr)
					return err == nil
				})
				h = newHookOn(t, ln, nil)
			}
			testkit.Eventually(t, "every event accepted", 10*time.Second, func() bool { return h.acked() == len(evs) })
			testkit.Eventually(t, "an empty queue", 5*time.Second, func() bool { return p.Stats()[0].Pending == 0 })
			checkDelivered(t, h, evs)
			s := p.Stats()[0]
			if s.Retried < uint64(tc.n) || s.Delivered < uint64(len(evs)) || s.Dead != 0 || s.Gone {
				t.Errorf("stats %+v: want ≥%d retried, ≥%d delivered, none dead", s, tc.n, len(evs))
			}
		})
	}
}

func TestFailingKeyDoesNotHoldUpOthers(t *testing.T) {
	t.Parallel()
	const x = `"call":"c0"`
	var stuck atomic.Bool
	stuck.Store(true)
	h := newHook(t, func(_ http.ResponseWriter, _ *http.Request, body string) int {
		if stuck.Load() && strings.Contains(body, x) {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	evs := testEvents(5, 10)
	p := start(t, testOptions(t, h.url()))
	appendAll(t, p, evs)

	others := 0
	for _, ev := range evs {
		if !bytes.Contains(ev.Body, []byte(x)) {
			others++
		}
	}
	testkit.Eventually(t, "the other calls' events", 10*time.Second, func() bool { return h.acked() == others })
	testkit.Eventually(t, "the stuck call's first event retried", 5*time.Second, func() bool {
		n := 0
		for _, d := range h.requests() {
			if strings.Contains(d.Body, x) {
				n++
			}
		}
		return n >= 3
	})
	testkit.Eventually(t, "only the stuck call's events pending", 5*time.Second, func() bool {
		return p.Stats()[0].Pending == int64(len(evs)-others)
	})
	first := string(evs[0].Body)
	for _, d := range h.requests() {
		if strings.Contains(d.Body, x) && d.Body != first {
			t.Errorf("%s sent while %s had not been accepted", d.Body, first)
		}
	}
	stuck.Store(false)
	testkit.Eventually(t, "every event accepted", 10*time.Second, func() bool { return h.acked() == len(evs) })
	checkDelivered(t, h, evs)
}

// clock is a time that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestGoneStopsUntilReplay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		filter func(url string) Filter
	}{
		{"replay all", func(string) Filter { return Filter{} }},
		{"replay the receiver as listed", func(u string) Filter { return Filter{Receiver: redact(u)} }},
		{"replay the receiver as configured", func(u string) Filter { return Filter{Receiver: u} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHook(t, status(http.StatusGone))
			u := h.url() + "?token=t" // listed without it
			clk := &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
			opts := testOptions(t, u)
			opts.InFlight = 1 // so exactly one request meets the 410
			opts.MaxAge = 200 * time.Millisecond
			opts.Now = clk.Now // frozen: nothing expires until the test moves it
			p := start(t, opts)
			evs := testEvents(4, 5)
			appendAll(t, p, evs)

			testkit.Eventually(t, "the receiver stopped, its events kept", 5*time.Second, func() bool {
				s := p.Stats()[0]
				return s.Gone && s.Pending == int64(len(evs))
			})
			h.setAnswer(nil)
			clk.Add(opts.MaxAge + time.Second)
			var dead []DeadLetter
			testkit.Eventually(t, "the events among the dead letters", 5*time.Second, func() bool {
				var err error
				dead, err = p.DeadLetters(Filter{})
				s := p.Stats()[0]
				return err == nil && len(dead) == len(evs) && s.Pending == 0 && s.Dead == uint64(len(evs))
			})
			if n := len(h.requests()); n != 1 {
				t.Errorf("%d requests reached the receiver after it answered 410, want only that one", n-1)
			}
			if s := p.Stats()[0]; !s.Gone {
				t.Errorf("stats %+v: want still gone", s)
			}
			idOf := map[string]string{}
			for _, dl := range dead {
				idOf[string(dl.Body)] = dl.ID
				if dl.LastError != "receiver gone (HTTP 410)" {
					t.Errorf("dead letter %s: last error %q", dl.ID, dl.LastError)
				}
			}
			if r := h.requests()[0]; idOf[r.Body] != r.ID {
				t.Errorf("dead letter of %s has webhook-id %s, sent as %s", r.Body, idOf[r.Body], r.ID)
			}

			n, err := p.Replay(t.Context(), tc.filter(u))
			if err != nil || n != len(evs) {
				t.Fatalf("Replay = %d, %v; want %d", n, err, len(evs))
			}
			testkit.Eventually(t, "every event accepted", 5*time.Second, func() bool { return h.acked() == len(evs) })
			checkDelivered(t, h, evs)
			for _, d := range h.accepted() {
				if idOf[d.Body] != d.ID {
					t.Errorf("replayed %s with webhook-id %s, was %s", d.Body, d.ID, idOf[d.Body])
				}
			}
			if s := p.Stats()[0]; s.Gone {
				t.Errorf("still gone after the replay: %+v", s)
			}
			if dead, _ := p.DeadLetters(Filter{}); len(dead) != 0 {
				t.Errorf("%d dead letters left after replaying them all", len(dead))
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			t.Parallel()
			h := newHook(t, failFirst(1, func(w http.ResponseWriter, _ *http.Request, _ string) int {
				w.Header().Set("Retry-After", "1")
				return code
			}))
			opts := testOptions(t, h.url())
			opts.MaxInterval = 5 * time.Second // it caps Retry-After too
			p := start(t, opts)
			evs := testEvents(1, 1)
			appendAll(t, p, evs)
			testkit.Eventually(t, "the event accepted", 10*time.Second, func() bool { return h.acked() == 1 })
			reqs := h.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want the refused one and the accepted one", len(reqs))
			}
			// A lower bound on the pusher's behaviour: the schedule alone
			// would have retried after 10ms.
			if gap := reqs[1].At.Sub(reqs[0].At); gap < 900*time.Millisecond {
				t.Errorf("retried %s after Retry-After: 1", gap)
			}
			checkDelivered(t, h, evs)
		})
	}
}

func TestRedirectIsFailure(t *testing.T) {
	t.Parallel()
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			t.Parallel()
			var followed, redirected atomic.Int64
			h := newHook(t, func(w http.ResponseWriter, r *http.Request, _ string) int {
				if r.URL.Path == "/elsewhere" {
					followed.Add(1)
					return http.StatusOK
				}
				if redirected.Add(1) <= 3 {
					w.Header().Set("Location", "/elsewhere")
					return code
				}
				return http.StatusOK
			})
			p := start(t, testOptions(t, h.url()))
			evs := testEvents(1, 2)
			appendAll(t, p, evs)
			testkit.Eventually(t, "the events accepted", 10*time.Second, func() bool { return h.acked() == len(evs) })
			if n := followed.Load(); n != 0 {
				t.Errorf("the redirect was followed %d times", n)
			}
			if s := p.Stats()[0]; s.Retried != 3 {
				t.Errorf("%d retries, want one per redirect (3)", s.Retried)
			}
			checkDelivered(t, h, evs)
		})
	}
}

func TestRequestsAreSigned(t *testing.T) {
	t.Parallel()
	old, err := ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	cur := DefaultSecret("a web key")
	for _, tc := range []struct {
		name    string
		secrets []Secret
	}{
		{"no secret", nil},
		{"one secret", []Secret{cur}},
		{"two secrets while rotating", []Secret{old, cur}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHook(t, nil)
			opts := testOptions(t, h.url())
			opts.Secrets = tc.secrets
			p := start(t, opts)
			evs := testEvents(3, 3)
			appendAll(t, p, evs)
			if err := p.Append(Event{ID: "msg_given", Name: "test", Keys: []string{"x"}, Body: []byte(`{"given":true}`)}); err != nil {
				t.Fatal(err)
			}
			testkit.Eventually(t, "the events accepted", 10*time.Second, func() bool { return h.acked() == len(evs)+1 })
			for _, d := range h.requests() {
				hd := d.Header
				if got := hd.Get("User-Agent"); got != "coocenterd/test" {
					t.Errorf("User-Agent %q", got)
				}
				if got := hd.Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type %q", got)
				}
				if d.Body == `{"given":true}` && d.ID != "msg_given" {
					t.Errorf("webhook-id %q, want the given msg_given", d.ID)
				}
				if !strings.HasPrefix(d.ID, "msg_") {
					t.Errorf("webhook-id %q", d.ID)
				}
				ts, err := strconv.ParseInt(hd.Get("webhook-timestamp"), 10, 64)
				if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
					t.Errorf("webhook-timestamp %q", hd.Get("webhook-timestamp"))
				}
				sigs := strings.Fields(hd.Get("webhook-signature"))
				if len(sigs) != len(tc.secrets) {
					t.Errorf("webhook-signature %q: want %d signatures", hd.Get("webhook-signature"), len(tc.secrets))
				}
				for i, s := range tc.secrets {
					if !strings.HasPrefix(sigs[min(i, len(sigs)-1)], "v1,") {
						t.Errorf("signature %q", sigs[i])
					}
					if err := Verify([]Secret{s}, hd, []byte(d.Body), time.Now(), 5*time.Minute); err != nil {
						t.Errorf("with secret #%d: %v", i, err)
					}
				}
			}
			checkDelivered(t, h, evs)
		})
	}
}

func TestDeadLettersAfterMaxAge(t *testing.T) {
	t.Parallel()
	h := newHook(t, status(http.StatusInternalServerError))
	opts := testOptions(t, h.url())
	opts.MaxAge = 300 * time.Millisecond
	p := start(t, opts)
	evs := testEvents(6, 1) // one call each: each dies on its own
	appendAll(t, p, evs)

	var dead []DeadLetter
	testkit.Eventually(t, "every event among the dead letters", 10*time.Second, func() bool {
		var err error
		dead, err = p.DeadLetters(Filter{})
		return err == nil && len(dead) == len(evs)
	})
	// Listed in the order they died, which need not be the order of events.
	idOf := map[string]string{}
	byBody := map[string]Event{}
	for _, ev := range evs {
		byBody[string(ev.Body)] = ev
	}
	for _, dl := range dead {
		idOf[string(dl.Body)] = dl.ID
		ev, ok := byBody[string(dl.Body)]
		if !ok || dl.LastError != "HTTP 500 Internal Server Error" || dl.Attempts < 1 || dl.Event != "test" ||
			dl.Receiver != redact(h.url()) || dl.Died.IsZero() || !dl.At.Equal(ev.At) || !strings.HasPrefix(dl.ID, "msg_") {
			t.Errorf("dead letter %+v", dl)
		}
	}
	if len(idOf) != len(evs) {
		t.Errorf("%d distinct events among %d dead letters", len(idOf), len(dead))
	}
	testkit.Eventually(t, "an empty queue", 5*time.Second, func() bool { return p.Stats()[0].Pending == 0 })
	if s := p.Stats()[0]; s.Dead != uint64(len(evs)) {
		t.Errorf("stats %+v: want %d dead", s, len(evs))
	}
	// The gauge follows the commit that the listing already sees.
	testkit.Eventually(t, "the dead letters gauge", 5*time.Second, func() bool {
		return strings.Contains(metrics(p), "\ncoocenter_push_dead_letters 6\n")
	})

	bodies := func(dls []DeadLetter) []string {
		var out []string
		for _, dl := range dls {
			out = append(out, string(dl.Body))
		}
		slices.Sort(out)
		return out
	}
	first := string(evs[0].Body)
	for _, tc := range []struct {
		name string
		f    Filter
		want []Event
	}{
		{"since", Filter{Since: evs[3].At}, evs[3:]},
		{"one", Filter{ID: idOf[first]}, evs[:1]},
		{"receiver as listed", Filter{Receiver: redact(h.url())}, evs},
		{"receiver as configured", Filter{Receiver: h.url()}, evs},
		{"another receiver", Filter{Receiver: "http://127.0.0.1:1/other"}, nil},
	} {
		got, err := p.DeadLetters(tc.f)
		var want []string
		for _, ev := range tc.want {
			want = append(want, string(ev.Body))
		}
		slices.Sort(want)
		if err != nil || !slices.Equal(bodies(got), want) {
			t.Errorf("DeadLetters(%s) = %v, %v; want %v", tc.name, bodies(got), err, want)
		}
	}
	if got, _ := p.DeadLetters(Filter{Limit: 2}); len(got) != 2 {
		t.Errorf("DeadLetters(Limit: 2) listed %d", len(got))
	}

	h.setAnswer(nil)
	before := len(h.requests())
	if n, err := p.Replay(t.Context(), Filter{ID: idOf[first]}); n != 1 || err != nil {
		t.Fatalf("Replay(ID) = %d, %v; want 1", n, err)
	}
	testkit.Eventually(t, "the replayed event accepted", 5*time.Second, func() bool { return h.acked() == 1 })
	if got := h.accepted(); got[0].Body != first {
		t.Errorf("replayed %s, want %s", got[0].Body, first)
	}
	if n, err := p.Replay(t.Context(), Filter{Since: evs[3].At}); n != 3 || err != nil {
		t.Fatalf("Replay(Since) = %d, %v; want 3", n, err)
	}
	testkit.Eventually(t, "the replayed events accepted", 5*time.Second, func() bool { return h.acked() == 4 })
	testkit.Eventually(t, "an empty queue", 5*time.Second, func() bool { return p.Stats()[0].Pending == 0 })
	var replayed []string
	for _, d := range h.requests()[before:] {
		replayed = append(replayed, d.Body)
		if idOf[d.Body] != d.ID {
			t.Errorf("replayed %s with webhook-id %s, was %s", d.Body, d.ID, idOf[d.Body])
		}
	}
	slices.Sort(replayed)
	want := []string{first, string(evs[3].Body), string(evs[4].Body), string(evs[5].Body)}
	slices.Sort(want)
	if !slices.Equal(replayed, want) {
		t.Errorf("replayed %v, want %v", replayed, want)
	}
	left, _ := p.DeadLetters(Filter{})
	if got, want := bodies(left), []string{string(evs[1].Body), string(evs[2].Body)}; !slices.Equal(got, want) {
		t.Errorf("dead letters left %v, want %v", got, want)
	}
}

// metrics is what a scrape shows of the pusher, in the text format.
func metrics(p *Pusher) string {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(p)
	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	var b strings.Builder
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			panic(err)
		}
	}
	return b.String()
}

// syncBuffer collects logs written from the pusher's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMetricsHideCredentials(t *testing.T) {
	t.Parallel()
	h := newHook(t, nil)
	withSecrets := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		u.User, u.RawQuery = url.UserPassword("user", "pass"), "token=secret"
		return u.String()
	}
	live := withSecrets(h.url())
	down := withSecrets("http://" + closedPort(t) + "/down")
	var logs syncBuffer
	opts := testOptions(t, live, down)
	opts.MaxAge = 200 * time.Millisecond
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := start(t, opts)
	evs := testEvents(3, 1)
	appendAll(t, p, evs)
	testkit.Eventually(t, "the events accepted", 10*time.Second, func() bool { return h.acked() == len(evs) })
	testkit.Eventually(t, "the other receiver's dead letters", 10*time.Second, func() bool {
		dead, err := p.DeadLetters(Filter{Receiver: down})
		return err == nil && len(dead) == len(evs)
	})
	testkit.Eventually(t, "the figures published", 5*time.Second, func() bool {
		s := p.Stats()
		m := metrics(p)
		return s[0].Pending == 0 && s[1].Pending == 0 &&
			strings.Contains(m, "\ncoocenter_push_dead_letters 3\n") && strings.Contains(m, "\ncoocenter_push_accept_queue 0\n")
	})
	m := metrics(p)
	dead, _ := p.DeadLetters(Filter{})
	p.Close()
	var lastErrors strings.Builder
	for _, dl := range dead {
		fmt.Fprintln(&lastErrors, dl.Receiver, dl.LastError)
	}

	liveLabel := fmt.Sprintf(`{receiver=%q}`, h.url())
	for _, want := range []string{
		"coocenter_push_queue_depth" + liveLabel + " 0\n",
		"coocenter_push_oldest_age_seconds" + liveLabel + " 0\n",
		"coocenter_push_delivered_total" + liveLabel + " 3\n",
		"coocenter_push_retried_total" + liveLabel + " 0\n",
		"coocenter_push_dead_total" + liveLabel + " 0\n",
		"coocenter_push_receiver_gone" + liveLabel + " 0\n",
		fmt.Sprintf("coocenter_push_dead_total{receiver=%q} 3\n", redact(down)),
		"coocenter_push_appended_total 3\n",
		"coocenter_push_dead_letters 3\n",
		"coocenter_push_accept_queue 0\n",
		"# TYPE coocenter_push_commits_total counter\n",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for what, text := range map[string]string{"metrics": m, "dead letters": lastErrors.String(), "logs": logs.String()} {
		for _, secret := range []string{"user", "pass", "token", "secret"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s show %q:\n%s", what, secret, text)
			}
		}
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	h := newHook(t, nil)
	p := start(t, testOptions(t, h.url()))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Append(testEvents(1, 1)[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v", err)
	}
	if _, err := p.Replay(context.Background(), Filter{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Replay after Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
