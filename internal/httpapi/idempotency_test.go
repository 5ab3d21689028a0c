package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
)

func withKey(path, form, key string) req {
	return req{method: http.MethodPost, target: BasePath + path, body: form,
		header: map[string]string{headerIdempotencyKey: key}}
}

func TestIdempotencyReplay(t *testing.T) {
	clickOK := `{"status":"success","message":"click number success","data":{"id":"1732176000.42"}}`
	tests := []struct {
		name, path, form, want string
		status                 int
	}{
		{"click", "/extensions/click-number", "src=808&dst=809", clickOK, 200},
		{"hangup", "/extensions/hangup", "extension=801", okBody("hangup extension success"), 200},
		{"transfer", "/extensions/transfer", "src=802&dst=801", okBody("tansfer extension success"), 200},
		{"spy", "/extensions/extenSpy", "src=801&dst=806", okBody("spy extension success"), 200},
		{"a decided failure is kept", "/extensions/hangup", "extension=801", errBody("extension 801 has no active call"), 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			if tt.status == 404 {
				env.pbx.errs["Hangup"] = pbx.ErrNoActiveCall
			}
			first := env.do(withKey(tt.path, tt.form, "order-4711"))
			check(t, first, tt.status, tt.want)
			if first.Header().Get(headerReplayed) != "" {
				t.Error("first answer marked as replayed")
			}
			env.pbx.errs["Hangup"] = nil
			env.setNow(noon.Add(idempotencyTTL - time.Second))
			// The same key and parameters, spaced differently, is the same request.
			again := env.do(withKey(tt.path, strings.ReplaceAll(tt.form, "&", " & "), "order-4711"))
			check(t, again, tt.status, tt.want)
			if again.Header().Get(headerReplayed) != "true" {
				t.Errorf("%s = %q", headerReplayed, again.Header().Get(headerReplayed))
			}
			if n := len(env.pbx.Calls()); n != 1 {
				t.Errorf("PBX called %d times", n)
			}
			// After the TTL the key is forgotten.
			env.setNow(noon.Add(idempotencyTTL + time.Second))
			env.do(withKey(tt.path, tt.form, "order-4711"))
			if n := len(env.pbx.Calls()); n != 2 {
				t.Errorf("PBX called %d times after expiry", n)
			}
		})
	}
}

func TestIdempotencyScope(t *testing.T) {
	env := newEnv(t)
	env.do(withKey("/extensions/hangup", "extension=801", "k1"))
	env.do(withKey("/extensions/hangup", "extension=801", "k2"))                                         // another key
	env.do(withKey("/extensions/transfer", "src=801&dst=802", "k1"))                                     // another path
	env.do(req{method: http.MethodPost, target: BasePath + "/extensions/hangup", body: "extension=801"}) // no key
	env.do(withKey("/queues/agent-pause", "member=808&state=on", "k1"))                                  // not a call command
	env.do(withKey("/queues/agent-pause", "member=808&state=on", "k1"))
	if n := len(env.pbx.Calls()); n != 6 {
		t.Errorf("PBX called %d times, want 6: %v", n, env.pbx.Calls())
	}
	check(t, env.do(withKey("/extensions/hangup", "extension=802", "k1")), http.StatusUnprocessableEntity,
		errBody("this Idempotency-Key was already used with other parameters"))
}

func TestIdempotencyBadKey(t *testing.T) {
	for _, key := range []string{"a\r\nb", "a\x00", "ключ", strings.Repeat("k", 129)} {
		env := newEnv(t)
		check(t, env.do(withKey("/extensions/hangup", "extension=801", key)), http.StatusBadRequest,
			errBody(`header \"Idempotency-Key\" must be printable ASCII, at most 128 characters`))
		if calls := env.pbx.Calls(); len(calls) > 0 {
			t.Errorf("%q: PBX called: %v", key, calls)
		}
	}
	env := newEnv(t)
	check(t, env.do(withKey("/extensions/hangup", "extension=801", strings.Repeat("k", 128))), http.StatusOK,
		okBody("hangup extension success"))
}

// When Asterisk was down nothing happened: a retry runs again.
func TestIdempotencyNotConnectedIsNotKept(t *testing.T) {
	env := newEnv(t)
	env.pbx.connected = false
	check(t, env.do(withKey("/extensions/click-number", "src=808&dst=809", "k")), http.StatusServiceUnavailable,
		errBody("Asterisk is not connected"))
	env.pbx.mu.Lock()
	env.pbx.connected = true
	env.pbx.mu.Unlock()
	check(t, env.do(withKey("/extensions/click-number", "src=808&dst=809", "k")), http.StatusOK,
		`{"status":"success","message":"click number success","data":{"id":"1732176000.42"}}`)
	if n := len(env.pbx.Calls()); n != 2 {
		t.Errorf("PBX called %d times", n)
	}
}

// A timed-out call may still happen in Asterisk: the retry must not call twice.
func TestIdempotencyTimeoutIsKept(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.RequestTimeout = 20 * time.Millisecond })
	env.pbx.hold = make(chan struct{})
	for range 2 {
		check(t, env.do(withKey("/extensions/click-number", "src=808&dst=809", "k")), http.StatusServiceUnavailable,
			errBody("Asterisk did not answer in time"))
	}
	if n := len(env.pbx.Calls()); n != 1 {
		t.Errorf("PBX called %d times", n)
	}
}

// Concurrent duplicates wait for the first and get its answer.
func TestIdempotencyConcurrent(t *testing.T) {
	env := newEnv(t)
	hold := make(chan struct{})
	env.pbx.hold = hold
	const n = 8
	answers := make([]*httptest.ResponseRecorder, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = env.do(withKey("/extensions/click-number", "src=808&dst=809", "dup")) })
	}
	for len(env.pbx.Calls()) == 0 {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	wg.Wait()
	replays := 0
	for _, w := range answers {
		check(t, w, http.StatusOK, `{"status":"success","message":"click number success","data":{"id":"1732176000.42"}}`)
		if w.Header().Get(headerReplayed) == "true" {
			replays++
		}
	}
	if calls := len(env.pbx.Calls()); calls != 1 || replays != n-1 {
		t.Errorf("PBX called %d times, %d replays", calls, replays)
	}
}

// A duplicate whose own deadline passes while the first still runs gets 409.
func TestIdempotencyStillInProgress(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.RequestTimeout = 20 * time.Millisecond })
	p := &params{values: map[string]string{"extension": "801"}, nonScalar: map[string]bool{}}
	e, owner, err := env.srv.idem.claim(BasePath+"/extensions/hangup\x00k", fingerprint(p))
	if err != nil || !owner {
		t.Fatal(owner, err)
	}
	check(t, env.do(withKey("/extensions/hangup", "extension=801", "k")), http.StatusConflict,
		errBody("a request with this Idempotency-Key is still in progress"))
	env.srv.idem.finish(e, false, 0, nil, nil)
	check(t, env.do(withKey("/extensions/hangup", "extension=801", "k")), http.StatusOK, okBody("hangup extension success"))
}

// The store holds at most max keys, dropping the oldest finished first.
func TestIdempotencyBounded(t *testing.T) {
	env := newEnv(t)
	env.srv.idem.max = 3
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		env.do(withKey("/extensions/hangup", "extension=801", k))
	}
	if got := len(env.srv.idem.byID); got != 3 {
		t.Errorf("%d keys kept", got)
	}
	env.do(withKey("/extensions/hangup", "extension=801", "e")) // kept: replayed
	env.do(withKey("/extensions/hangup", "extension=801", "a")) // evicted: runs again
	if n := len(env.pbx.Calls()); n != 6 {
		t.Errorf("PBX called %d times, want 6", n)
	}
	// With every slot taken by a running request there is no room.
	st := newIdempotencyStore(time.Now)
	st.max = 1
	var fp [32]byte
	if _, owner, err := st.claim("x", fp); !owner || err != nil {
		t.Fatal(owner, err)
	}
	if _, _, err := st.claim("y", fp); err == nil || err.status != http.StatusServiceUnavailable {
		t.Errorf("claim with a full store: %v", err)
	}
}
