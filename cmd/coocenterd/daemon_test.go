package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/testbed"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// logBuffer is a goroutine-safe log sink the test can search.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// daemon is the whole daemon running in a test against the bed's PBX:
// pbxsim, or a real Asterisk (COOCENTER_TEST_AMI, see internal/testbed).
type daemon struct {
	*testbed.Bed
	logs *logBuffer
	base string // http://host:port of the API
	done chan error
	stop context.CancelFunc
}

// startDaemon starts a test bed with phones registered and serve with the
// demo config pointed at its PBX, as edit adjusts it; it returns once the
// API listens and the model has synced. The daemon is stopped at the end of
// the test if Stop was not called.
func startDaemon(t *testing.T, registered []string, edit func(*config.Config)) *daemon {
	t.Helper()
	b := testbed.Start(t, testbed.Options{Registered: registered})
	addr, user, secret := b.AMI()
	cfg := config.Demo()
	cfg.Storage.Dir = t.TempDir()
	cfg.General.BindPort = 0
	cfg.AMI.Host, cfg.AMI.Port = splitHostPort(addr)
	cfg.AMI.Username, cfg.AMI.Secret = user, secret
	if dir, ok := b.MonitorDir(); ok {
		cfg.Monitor.Dir = dir // a real Asterisk's recordings
	}
	if edit != nil {
		edit(cfg)
	}
	d := &daemon{Bed: b, logs: &logBuffer{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	d.stop = cancel
	go func() { d.done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(d.logs, nil))) }()
	t.Cleanup(func() { cancel() })
	addrRe := regexp.MustCompile(`coocenter-api listening" addr=(\S+)`)
	testkit.Eventually(t, "the API to listen and the model to sync", 10*time.Second, func() bool {
		select {
		case err := <-d.done:
			t.Fatalf("daemon stopped: %v\n%s", err, d.logs.String())
		default:
		}
		return addrRe.MatchString(d.logs.String()) && strings.Contains(d.logs.String(), "model synced")
	})
	d.base = "http://" + addrRe.FindStringSubmatch(d.logs.String())[1]
	return d
}

// Stop stops the daemon and fails the test unless it stops cleanly in time.
func (d *daemon) Stop(t *testing.T) {
	t.Helper()
	d.stop()
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not stop")
	}
}

// answerRinging waits for a channel of phone ext to appear in the model,
// answers it as its phone would, and returns its name.
func (d *daemon) answerRinging(t *testing.T, ext string) string {
	t.Helper()
	var ch string
	testkit.Eventually(t, ext+" to ring", 10*time.Second, func() bool {
		if cs := d.PhoneChannels(ext); len(cs) > 0 {
			ch = cs[0].Name
		}
		return ch != ""
	})
	if err := d.Stage().Answer(ch); err != nil {
		t.Fatal(err)
	}
	return ch
}

// TestDaemonSurvivesAsteriskRestart runs the whole daemon: it connects,
// serves the API, survives Asterisk going away (a pbxsim restart, or a real
// Asterisk cut off), logs the reconnect, and stops cleanly.
func TestDaemonSurvivesAsteriskRestart(t *testing.T) {
	d := startDaemon(t, []string{"801"}, func(cfg *config.Config) { cfg.AMI.ReconnectMax = 200 * time.Millisecond })
	logs := d.logs
	health := func() int {
		resp, err := http.Get(d.base + "/healthz")
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	testkit.Eventually(t, "healthy", 10*time.Second, func() bool { return health() == 200 })

	d.AsteriskAway(200 * time.Millisecond)
	testkit.Eventually(t, "the reconnect to be logged", 10*time.Second, func() bool { return strings.Count(logs.String(), `msg="ami connected"`) == 2 })
	testkit.Eventually(t, "healthy again", 10*time.Second, func() bool { return health() == 200 })
	if !strings.Contains(logs.String(), `msg="ami disconnected"`) {
		t.Fatal("the disconnect was not logged")
	}
	if strings.Contains(logs.String(), "coocenter-secret") {
		t.Fatal("the AMI secret was logged")
	}
	d.Stop(t)
}

// TestDaemonReportsBusyPort: with the API's port taken, serve returns at
// once with an error naming the address, having stopped what it started.
func TestDaemonReportsBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := config.Demo()
	cfg.Storage.Dir = t.TempDir()
	cfg.General.BindAddr, cfg.General.BindPort = splitHostPort(ln.Addr().String())
	cfg.AMI.Host, cfg.AMI.Port, cfg.AMI.Username, cfg.AMI.Secret = "127.0.0.1", 1, "u", "s" // no Asterisk
	done := make(chan error, 1)
	go func() { done <- serve(context.Background(), cfg, slog.New(slog.DiscardHandler)) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "listen on "+ln.Addr().String()) {
			t.Fatalf("got %v, want the listen error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return with its port taken")
	}
}
