package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pausetimer"
	"github.com/coocenter/coocenterd/internal/pbx"
)

type fakeWrapUps struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeWrapUps) Active() []pausetimer.WrapUp {
	return []pausetimer.WrapUp{{Kind: "running", Exten: "801", Interface: "SIP/801", Queues: []string{"630", "631"},
		Uniqueid: "1795280762.36", Start: noon, Until: noon.Add(30 * time.Second)}}
}

func (f *fakeWrapUps) Extend(_ context.Context, exten string, by time.Duration) (time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "extend "+exten+" "+by.String())
	if exten != "801" {
		return time.Time{}, pausetimer.ErrNoWrapUp
	}
	return noon.Add(30*time.Second + by), nil
}

func (f *fakeWrapUps) End(_ context.Context, exten string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "end "+exten)
	switch exten {
	case "801":
		return nil
	case "803": // the unpause could not be sent; the timer retries
		return fmt.Errorf("end the after-call pause of 803 (retrying): unpause: %w", pbx.ErrNotConnected)
	}
	return fmt.Errorf("end the after-call pause of %s: %w", exten, pausetimer.ErrNoWrapUp)
}

func TestWrapUpEndpoints(t *testing.T) {
	w := &fakeWrapUps{}
	env := newEnv(t, func(o *Options) { o.WrapUps = w })
	check(t, env.do(req{method: http.MethodGet, target: "/coocenter-api/queues/wrapups"}), http.StatusOK,
		`{"status":"success","message":"Wrap-ups will follow","data":[{"extension":"801","interface":"SIP/801","queues":["630","631"],"state":"running","startTime":"2026-11-21 12:00:00","until":"2026-11-21 12:00:30","uuid":"1795280762.36"}]}`)
	check(t, env.do(req{method: http.MethodPost, target: "/coocenter-api/queues/wrapup-extend", body: "extension=801&seconds=60"}), http.StatusOK,
		`{"status":"success","message":"extend wrapup success","data":{"until":"2026-11-21 12:01:30"}}`)
	check(t, env.do(req{method: http.MethodPost, target: "/coocenter-api/queues/wrapup-end", body: " extension=801"}), http.StatusOK, okBody("end wrapup success"))
	check(t, env.do(req{method: http.MethodPost, target: "/coocenter-api/queues/wrapup-end", body: "extension=802"}), http.StatusNotFound,
		errBody("extension 802 has no after-call pause running"))
	check(t, env.do(req{method: http.MethodPost, target: "/coocenter-api/queues/wrapup-end", body: "extension=803"}), http.StatusServiceUnavailable,
		errBody("Asterisk is not connected"))
	check(t, env.do(req{method: http.MethodPost, target: "/coocenter-api/queues/wrapup-extend", body: "extension=801&seconds=0"}), http.StatusBadRequest,
		errBody(`parameter \"seconds\" must be a number of seconds from 1 to 3600`))
	check(t, env.do(req{method: http.MethodPost, target: "/coocenter-api/queues/wrapup-end", body: "extension=801%0d%0aAction:x"}), http.StatusBadRequest,
		errBody(`parameter \"extension\" must be an extension: digits, *, # or +, at most 32 characters`))
	want := []string{"extend 801 1m0s", "end 801", "end 802", "end 803"}
	if len(w.calls) != len(want) {
		t.Fatalf("calls %v, want %v", w.calls, want)
	}
	for i := range want {
		if w.calls[i] != want[i] {
			t.Errorf("call %d: %q, want %q", i, w.calls[i], want[i])
		}
	}
}
