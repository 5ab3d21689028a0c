package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/httpapi"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// TestDaemonAfterCallPause: with pausetime on, the agent who answered a
// queue call is paused when it ends, shows paused in queue-info, is
// unpaused after [pausetime] seconds, and the call's cc_cdr arrives after
// that with pauseTime, between wrapupstart and wrapupend.
func TestDaemonAfterCallPause(t *testing.T) {
	pushed := pushReceiver(t)
	var monitor string
	d := startDaemon(t, []string{"804"}, func(cfg *config.Config) {
		cfg.General.URLs = []string{pushed.url}
		cfg.Enable.PauseTime = true
		cfg.PauseTime.Seconds = 1
		monitor = cfg.Monitor.Dir
	})
	stage, base := d.Stage(), d.base+"/coocenter-api"

	if _, err := stage.InboundCall("0501234567", "632"); err != nil {
		t.Fatal(err)
	}
	d.talkAndHangUp(t, pushed, "804")
	if info := get(t, base+"/queues/queue-info"); !strings.Contains(info, `"name":"`+strings.ToLower(d.Device("804"))+`","paused":"1"`) {
		t.Errorf("804 not paused in queue-info during the wrap-up: %s", info)
	}
	if list := get(t, base+"/queues/wrapups"); !strings.Contains(list, `"extension":"804"`) {
		t.Errorf("wrap-up not listed: %s", list)
	}
	// Both are pushed when the pause ends, under different ordering keys
	// (the call's, the agent's): either may reach the receiver first.
	testkit.Eventually(t, "the cc_cdr and wrapupend", 10*time.Second, func() bool { return pushed.event("cc_cdr") != nil && pushed.event("wrapupend") != nil })
	cdr, end := pushed.event("cc_cdr"), pushed.event("wrapupend")
	if end == nil || end["endedBy"] != "timer" || end["agentCode"] != "804" {
		t.Errorf("wrapupend: %v", end)
	}
	if cdr["pauseTime"] != 1.0 || cdr["agentCode"] != "804" || cdr["cdrState"] != "bridged" || cdr["hangupSide"] != "agent" || cdr["uuid"] == "" {
		t.Errorf("cc_cdr: %v", cdr)
	}
	if info := get(t, base+"/queues/queue-info"); !strings.Contains(info, `"name":"`+strings.ToLower(d.Device("804"))+`","paused":"0"`) {
		t.Errorf("804 still paused after the wrap-up: %s", info)
	}
	// A real Asterisk recorded the call (queues.conf: MixMonitor) into the
	// monitor folder, and the daemon serves the cc_cdr's filePath.
	if rel, ok := strings.CutPrefix(cdr["filePath"].(string), monitor+"/"); ok && d.Sim == nil {
		if wav := get(t, d.base+httpapi.MonitorPath(rel)); !strings.HasPrefix(wav, "RIFF") {
			t.Errorf("monitor/%s: %.60q", rel, wav)
		}
	} else if d.Sim == nil {
		t.Errorf("cc_cdr filePath %q is not in the monitor folder %s", cdr["filePath"], monitor)
	}
	d.Stop(t)
}

// TestDaemonAfterCallPauseDirectCall: by default ([pausetime] after =
// answered, the original's rule) an agent who answered a direct call is
// paused in its queues and unpaused on time. The call's cdr is not held
// for the pause: it arrives while the agent is paused, and wrapupend names
// the same call (uniqueid, linkedid) with its pauseTime.
func TestDaemonAfterCallPauseDirectCall(t *testing.T) {
	pushed := pushReceiver(t)
	d := startDaemon(t, []string{"801", "804"}, func(cfg *config.Config) {
		cfg.General.URLs = []string{pushed.url}
		cfg.Enable.PauseTime = true
		cfg.PauseTime.Seconds = 3
	})
	stage, base := d.Stage(), d.base+"/coocenter-api"
	paused := func(flag string) bool {
		return strings.Contains(get(t, base+"/queues/queue-info"), `"name":"`+strings.ToLower(d.Device("804"))+`","paused":"`+flag+`"`)
	}
	if _, err := stage.Dial("801", "804"); err != nil {
		t.Fatal(err)
	}
	d.talkAndHangUp(t, pushed, "804")
	if !paused("1") {
		t.Error("804 not paused in queue-info after its direct call")
	}
	testkit.Eventually(t, "the cdr", 10*time.Second, func() bool { return pushed.event("cdr") != nil })
	if pushed.event("wrapupend") != nil {
		t.Errorf("the cdr waited for the pause: %v", pushed.events())
	}
	testkit.Eventually(t, "wrapupend", 10*time.Second, func() bool { return pushed.event("wrapupend") != nil })
	cdr, end := pushed.event("cdr"), pushed.event("wrapupend")
	if end["endedBy"] != "timer" || end["agentCode"] != "804" || end["pauseTime"] != 3.0 ||
		end["uniqueid"] != cdr["uniqueid"] || end["linkedid"] != cdr["linkedid"] || end["uuid"] != cdr["uniqueid"] {
		t.Errorf("wrapupend %v does not name the call of cdr %v with a 3 s pause", end, cdr)
	}
	if pushed.event("cc_cdr") != nil {
		t.Errorf("a direct call got a cc_cdr: %v", pushed.event("cc_cdr"))
	}
	if !paused("0") {
		t.Error("804 still paused after the wrap-up")
	}
	d.Stop(t)
}

// talkAndHangUp answers the call ringing agent, hangs it up from the
// agent's side, and waits for the after-call pause to start.
func (d *daemon) talkAndHangUp(t *testing.T, pushed *receiver, agent string) {
	t.Helper()
	ch := d.answerRinging(t, agent)
	testkit.Eventually(t, "the call to be answered", 10*time.Second, func() bool { return pushed.event("dialend") != nil })
	if err := d.Stage().Hangup(ch, 16); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "wrapupstart", 10*time.Second, func() bool { return pushed.event("wrapupstart") != nil })
}

// receiver collects the pushes a test daemon sends.
type receiver struct {
	url string
	mu  sync.Mutex
	got []map[string]any
}

// pushReceiver starts a receiver for the test's pushes.
func pushReceiver(t *testing.T) *receiver {
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			r.mu.Lock()
			r.got = append(r.got, m)
			r.mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

// event returns the first push of that event, nil if none came yet.
func (r *receiver) event(name string) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.got {
		if m["event"] == name {
			return m
		}
	}
	return nil
}

// events returns the names of the pushes so far, in arrival order.
func (r *receiver) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.got {
		out = append(out, fmt.Sprint(m["event"]))
	}
	return out
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
