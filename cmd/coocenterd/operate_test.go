package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/pusher"
)

// fetch fetches url with header h and returns status and body.
func fetch(t *testing.T, url string, h map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestDaemonMetricsAndReadiness: the whole daemon answers /readyz and
// serves every family of metrics to a scrape with the [metrics] token.
func TestDaemonMetricsAndReadiness(t *testing.T) {
	const tok = "scrape-token-0123456789"
	d := startDaemon(t, []string{"801"}, func(cfg *config.Config) {
		cfg.General.WebKey = "a-webkey"
		cfg.General.URLs = []string{"http://user:pw@" + closedAddr(t) + "/push?key=k"}
		cfg.Metrics.Token = tok
	})
	if code, body := fetch(t, d.base+"/readyz", nil); code != 200 || !strings.Contains(body, `"storage":"ok"`) {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	if code, _ := fetch(t, d.base+"/metrics", nil); code != 401 {
		t.Errorf("/metrics without credentials: %d", code)
	}
	code, body := fetch(t, d.base+"/metrics", map[string]string{"Authorization": "Bearer " + tok})
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	for _, want := range []string{
		"coocenter_ami_connected 1",
		"coocenter_ami_reconnects_total 0",
		`coocenter_ami_events_total{event="FullyBooted"}`,
		`coocenter_http_requests_total{code="200",method="GET",route="/readyz"} 1`,
		"coocenter_http_request_duration_seconds_bucket{",
		`coocenter_push_queue_depth{receiver="http://` + "",
		`coocenter_push_oldest_age_seconds{receiver=`,
		"coocenter_push_outbox_failing 0",
		`coocenter_wrapups{state="running"} 0`,
		"coocenter_stream_clients 0",
		"coocenter_stream_dropped_total 0",
		`coocenter_build_info{commit=`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the scrape lacks %q", want)
		}
	}
	for _, secret := range []string{"user:pw", "key=k", tok, "a-webkey"} {
		if strings.Contains(body, secret) {
			t.Errorf("the scrape shows %q", secret)
		}
	}
	d.Stop(t)
}

// TestStorageCheckStalled: /readyz's storage check fails by its deadline,
// every time, while the database cannot be written, and passes again once
// the write waiting meanwhile goes through.
func TestStorageCheckStalled(t *testing.T) {
	db, err := openDB(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	push, err := pusher.Open(db, pusher.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer push.Close()
	check := storageCheck(db, push)
	if err := check(context.Background()); err != nil {
		t.Fatalf("a writable database: %v", err)
	}

	stall, err := db.Begin(true) // holds the writer lock, as a stalled disk would
	if err != nil {
		t.Fatal(err)
	}
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	for range 3 {
		if err := check(expired); err == nil || !strings.Contains(err.Error(), "did not answer in time") {
			t.Errorf("a stalled database: %v", err)
		}
	}
	if err := stall.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := check(context.Background()); err != nil {
		t.Fatalf("after the stall: %v", err)
	}
	if err := db.View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket([]byte("health")); b == nil || b.Get([]byte("checked")) == nil {
			t.Error("no health/checked written")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestDaemonTellsSystemd: under a Type=notify unit the daemon says READY=1
// once the API listens, feeds the watchdog while /healthz answers, and
// says STOPPING=1 when it stops.
func TestDaemonTellsSystemd(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "400000") // fed every 200 ms
	t.Setenv("WATCHDOG_PID", "")
	d := startDaemon(t, nil, nil)

	next := func() string {
		t.Helper()
		buf := make([]byte, 64)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("waiting for a notification: %v", err)
		}
		return string(buf[:n])
	}
	if got := next(); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	for range 3 {
		if got := next(); got != "WATCHDOG=1" {
			t.Fatalf("notification %q, want WATCHDOG=1", got)
		}
	}
	d.stop()
	for range 5 { // a last WATCHDOG=1 may be on its way
		if got := next(); got == "STOPPING=1" {
			return
		}
	}
	t.Fatal("no STOPPING=1")
}
