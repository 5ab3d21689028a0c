package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TestReadyz: 200 when Asterisk is connected and the storage writes; 503
// with the error envelope naming what is missing otherwise, never
// "status":"success"; a storage check that hangs fails by its deadline.
func TestReadyz(t *testing.T) {
	var storageErr error
	env := newEnv(t, func(o *Options) {
		o.WebKey = "secret" // no auth needed
		o.Storage = func(context.Context) error { return storageErr }
	})
	check(t, env.do(req{method: http.MethodGet, target: "/readyz"}), http.StatusOK,
		`{"status":"success","data":{"ami":"connected","storage":"ok","version":"1.2.3"}}`)
	env.pbx.connected = false
	check(t, env.do(req{method: http.MethodGet, target: "/readyz"}), http.StatusServiceUnavailable,
		`{"status":"error","message":"not ready: Asterisk is not connected","data":{"ami":"disconnected","storage":"ok","version":"1.2.3"}}`)
	env.pbx.connected = true
	storageErr = errors.New("input/output error")
	check(t, env.do(req{method: http.MethodGet, target: "/readyz"}), http.StatusServiceUnavailable,
		`{"status":"error","message":"not ready: storage cannot be written: input/output error","data":{"ami":"connected","storage":"input/output error","version":"1.2.3"}}`)

	env = newEnv(t, func(o *Options) {
		o.Storage = func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	})
	began := time.Now()
	w := env.do(req{method: http.MethodGet, target: "/readyz"})
	if w.Code != http.StatusServiceUnavailable || strings.Contains(w.Body.String(), `"success"`) {
		t.Errorf("a hanging storage check: %d %s", w.Code, w.Body.String())
	}
	if took := time.Since(began); took > readyTimeout+5*time.Second {
		t.Errorf("a hanging storage check took %v", took)
	}
}

// scrape asks /metrics from remote with header h.
func scrape(env *testEnv, remote string, h map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	r.RemoteAddr = remote
	for k, v := range h {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	env.h.ServeHTTP(w, r)
	return w
}

// TestMetricsScrapeAuth: a scrape gets in with the [metrics] bearer token,
// from an allowed network, or with the API's daily token; not otherwise.
func TestMetricsScrapeAuth(t *testing.T) {
	const tok = "0123456789abcdef-scrape"
	reg := prometheus.NewRegistry()
	env := newEnv(t, func(o *Options) {
		o.WebKey = "secret"
		o.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		o.Registerer = reg
		o.MetricsToken = tok
		o.MetricsAllow = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("::1/128")}
	})
	for _, tc := range []struct {
		name, remote string
		header       map[string]string
		want         int
	}{
		{"bearer token", "192.0.2.7:4000", map[string]string{"Authorization": "Bearer " + tok}, 200},
		{"wrong bearer token", "192.0.2.7:4000", map[string]string{"Authorization": "Bearer " + tok + "x"}, 401},
		{"wrong bearer token from an allowed network", "10.1.2.3:4000", map[string]string{"Authorization": "Bearer nope"}, 401},
		{"allowed network", "10.1.2.3:4000", nil, 200},
		{"allowed IPv6 address", "[::1]:4000", nil, 200},
		{"IPv4 in IPv6 form", "[::ffff:10.1.9.9]:4000", nil, 200},
		{"other network", "10.2.0.1:4000", nil, 401},
		{"bearer scheme in lower case", "192.0.2.7:4000", map[string]string{"Authorization": "bearer " + tok}, 200},
		{"the API's token", "192.0.2.7:4000", map[string]string{"Authorization": token("secret", noon)}, 200},
		{"nothing", "192.0.2.7:4000", nil, 401},
	} {
		if w := scrape(env, tc.remote, tc.header); w.Code != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.name, w.Code, tc.want, w.Body.String())
		}
	}
	if logs := env.logs.String(); strings.Contains(logs, tok) || strings.Contains(logs, "nope") {
		t.Errorf("a bearer token was logged:\n%s", logs)
	}
}

// TestMetricsLoopbackOnly: with allow = 127.0.0.1, ::1 and no token, a
// scrape from the box itself gets in, one from anywhere else does not.
func TestMetricsLoopbackOnly(t *testing.T) {
	reg := prometheus.NewRegistry()
	env := newEnv(t, func(o *Options) {
		o.WebKey = "secret"
		o.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		o.MetricsAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	})
	for remote, want := range map[string]int{
		"127.0.0.1:9090":        200,
		"[::1]:9090":            200,
		"[::ffff:127.0.0.1]:80": 200,
		"127.0.0.2:9090":        401,
		"10.0.0.1:9090":         401,
		"[fe80::1]:9090":        401,
		"not an address":        401,
	} {
		if w := scrape(env, remote, map[string]string{"Authorization": "Bearer 0123456789abcdef-anything"}); w.Code != want {
			t.Errorf("from %s: %d, want %d", remote, w.Code, want)
		}
	}
}

// TestHTTPMetrics: every request is counted by its route pattern (never
// the path a client sent) and status code.
func TestHTTPMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	env := newEnv(t, func(o *Options) {
		o.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		o.Registerer = reg
	})
	env.do(req{method: http.MethodGet, target: BasePath + "/queues/queue-info"})
	env.do(req{method: http.MethodGet, target: BasePath + "/queues/queue-info"})
	env.do(req{method: http.MethodGet, target: "/no/such/path/for/a/label"})
	body := scrape(env, "127.0.0.1:1", nil).Body.String()
	for _, want := range []string{
		`coocenter_http_requests_total{code="200",method="GET",route="/coocenter-api/queues/queue-info"} 2`,
		`coocenter_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`coocenter_http_request_duration_seconds_count{code="200",method="GET",route="/coocenter-api/queues/queue-info"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "/no/such/path") {
		t.Error("a client's path became a label")
	}
}

// TestMetricsClosedWithoutWebKey: on a box without WEBKEY (no API auth),
// /metrics is open as the API is, until [metrics] token or allow is set:
// then only they let a scrape in.
func TestMetricsClosedWithoutWebKey(t *testing.T) {
	const tok = "0123456789abcdef-scrape"
	reg := prometheus.NewRegistry()
	open := newEnv(t, func(o *Options) { o.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{}) })
	if w := scrape(open, "192.0.2.7:4000", nil); w.Code != 200 {
		t.Errorf("no WEBKEY, no [metrics]: %d, want 200 like the rest of the API", w.Code)
	}
	for name, edit := range map[string]func(*Options){
		"token": func(o *Options) { o.MetricsToken = tok },
		"allow": func(o *Options) { o.MetricsAllow = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")} },
	} {
		env := newEnv(t, func(o *Options) { o.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{}); edit(o) })
		if w := scrape(env, "192.0.2.7:4000", nil); w.Code != 401 {
			t.Errorf("no WEBKEY, [metrics] %s set, a scrape without it: %d, want 401", name, w.Code)
		}
	}
	env := newEnv(t, func(o *Options) { o.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{}); o.MetricsToken = tok })
	if w := scrape(env, "192.0.2.7:4000", map[string]string{"Authorization": "Bearer " + tok}); w.Code != 200 {
		t.Errorf("no WEBKEY, the right token: %d", w.Code)
	}
}
