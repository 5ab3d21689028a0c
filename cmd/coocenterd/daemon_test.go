package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/pbxsim"
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

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDaemonSurvivesAsteriskRestart runs the whole daemon against pbxsim:
// it connects, serves the API, survives an Asterisk restart, logs the
// reconnect, and stops cleanly.
func TestDaemonSurvivesAsteriskRestart(t *testing.T) {
	sim, err := pbxsim.Start(pbxsim.Options{Registered: []string{"801"}, Timing: pbxsim.FastTiming()})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	cfg := config.Demo()
	cfg.Storage.Dir = t.TempDir()
	cfg.General.BindPort = 0
	cfg.AMI.Host, cfg.AMI.Port = splitHostPort(sim.Addr())
	cfg.AMI.Username, cfg.AMI.Secret = "coocenter", "coocenter-secret"
	cfg.AMI.ReconnectMax = 200 * time.Millisecond

	var logs logBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, log) }()

	addrRe := regexp.MustCompile(`coocenter-api listening" addr=(\S+)`)
	waitFor(t, "the API to listen", func() bool {
		select {
		case err := <-done:
			t.Fatalf("daemon stopped: %v\n%s", err, logs.String())
		default:
		}
		return addrRe.MatchString(logs.String())
	})
	base := "http://" + addrRe.FindStringSubmatch(logs.String())[1]
	health := func() int {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, "healthy", func() bool { return health() == 200 })

	sim.Restart(200 * time.Millisecond)
	waitFor(t, "the reconnect to be logged", func() bool { return strings.Count(logs.String(), `msg="ami connected"`) == 2 })
	waitFor(t, "healthy again", func() bool { return health() == 200 })
	if !strings.Contains(logs.String(), `msg="ami disconnected"`) {
		t.Fatal("the disconnect was not logged")
	}
	if strings.Contains(logs.String(), "coocenter-secret") {
		t.Fatal("the AMI secret was logged")
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not stop")
	}
}
