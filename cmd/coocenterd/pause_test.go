package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/httpapi"
)

// TestDaemonAfterCallPause: with pausetime on, the agent who answered a
// queue call is paused when it ends, shows paused in queue-info, is
// unpaused after [pausetime] seconds, and the call's cc_cdr arrives after
// that with pauseTime, between wrapupstart and wrapupend.
func TestDaemonAfterCallPause(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]string
		if json.Unmarshal(body, &m) == nil {
			mu.Lock()
			got = append(got, m)
			mu.Unlock()
		}
	}))
	defer recv.Close()
	pushed := func(event string) map[string]string {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range got {
			if m["event"] == event {
				return m
			}
		}
		return nil
	}

	var monitor string
	d := startDaemon(t, []string{"804"}, func(cfg *config.Config) {
		cfg.General.URLs = []string{recv.URL}
		cfg.Enable.PauseTime = true
		cfg.PauseTime.Seconds = 1
		monitor = cfg.Monitor.Dir
	})
	stage, base := d.Stage(), d.base+"/coocenter-api"

	if _, err := stage.InboundCall("0501234567", "632"); err != nil {
		t.Fatal(err)
	}
	agent := d.answerRinging(t, "804")
	waitFor(t, "the call to be answered", func() bool { return pushed("dialend") != nil })
	if err := stage.Hangup(agent, 16); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "wrapupstart", func() bool { return pushed("wrapupstart") != nil })
	if info := get(t, base+"/queues/queue-info"); !strings.Contains(info, `"name":"`+strings.ToLower(d.Device("804"))+`","paused":"1"`) {
		t.Errorf("804 not paused in queue-info during the wrap-up: %s", info)
	}
	if list := get(t, base+"/queues/wrapups"); !strings.Contains(list, `"extension":"804"`) {
		t.Errorf("wrap-up not listed: %s", list)
	}
	// Both are pushed when the pause ends, under different ordering keys
	// (the call's, the agent's): either may reach the receiver first.
	waitFor(t, "the cc_cdr and wrapupend", func() bool { return pushed("cc_cdr") != nil && pushed("wrapupend") != nil })
	cdr, end := pushed("cc_cdr"), pushed("wrapupend")
	if end == nil || end["endedBy"] != "timer" || end["agentCode"] != "804" {
		t.Errorf("wrapupend: %v", end)
	}
	if cdr["pauseTime"] != "1" || cdr["agentCode"] != "804" || cdr["cdrState"] != "bridged" || cdr["hangupSide"] != "agent" || cdr["uuid"] == "" {
		t.Errorf("cc_cdr: %v", cdr)
	}
	if info := get(t, base+"/queues/queue-info"); !strings.Contains(info, `"name":"`+strings.ToLower(d.Device("804"))+`","paused":"0"`) {
		t.Errorf("804 still paused after the wrap-up: %s", info)
	}
	// A real Asterisk recorded the call (queues.conf: MixMonitor) into the
	// monitor folder, and the daemon serves the cc_cdr's filePath.
	if rel, ok := strings.CutPrefix(cdr["filePath"], monitor+"/"); ok && d.Sim == nil {
		if wav := get(t, d.base+httpapi.MonitorPath(rel)); !strings.HasPrefix(wav, "RIFF") {
			t.Errorf("monitor/%s: %.60q", rel, wav)
		}
	} else if d.Sim == nil {
		t.Errorf("cc_cdr filePath %q is not in the monitor folder %s", cdr["filePath"], monitor)
	}
	d.Stop(t)
}

func get(t *testing.T, url string) string {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
