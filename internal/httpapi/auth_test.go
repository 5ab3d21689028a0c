package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const webKey = "asjdfjklkasdf" // the original document's example

// The token of the original's example day, computed independently
// (python3 hashlib.md5(b"asjdfjklkasdf2026-11-21")).
func TestTokenVector(t *testing.T) {
	if got, want := token(webKey, noon), "9c5718de5ca159c3118202322efe74f1"; got != want {
		t.Errorf("token = %s, want %s", got, want)
	}
}

func TestAuth(t *testing.T) {
	day := func(d int) time.Time { return noon.AddDate(0, 0, d) }
	at := func(h, m, s int) time.Time { return time.Date(2026, 11, 21, h, m, s, 0, cst) }
	tests := []struct {
		name   string
		now    time.Time
		header string // "-" for no header
		ok     bool
	}{
		{"today", noon, token(webKey, day(0)), true},
		{"today upper-case hex", noon, strings.ToUpper(token(webKey, day(0))), true},
		{"today with spaces around", noon, "  " + token(webKey, day(0)) + " ", true},
		{"missing header", noon, "-", false},
		{"empty header", noon, "", false},
		{"wrong key", noon, token("other", day(0)), false},
		{"the key itself", noon, webKey, false},
		{"yesterday at noon", noon, token(webKey, day(-1)), false},
		{"tomorrow at noon", noon, token(webKey, day(1)), false},
		{"yesterday at 00:05", at(0, 5, 0), token(webKey, day(-1)), true},
		{"today at 00:05", at(0, 5, 0), token(webKey, day(0)), true},
		{"tomorrow at 00:05", at(0, 5, 0), token(webKey, day(1)), false},
		{"yesterday at 00:10:00", at(0, 10, 0), token(webKey, day(-1)), true},
		{"yesterday at 00:10:01", at(0, 10, 1), token(webKey, day(-1)), false},
		{"tomorrow at 23:55", at(23, 55, 0), token(webKey, day(1)), true},
		{"today at 23:55", at(23, 55, 0), token(webKey, day(0)), true},
		{"yesterday at 23:55", at(23, 55, 0), token(webKey, day(-1)), false},
		{"tomorrow at 23:49:59", at(23, 49, 59), token(webKey, day(1)), false},
		// 01:00 in Beijing is 17:00 UTC the day before: the box's date counts.
		{"box zone date", time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC), token(webKey, day(0)), true},
		{"not the UTC date", time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC), token(webKey, day(-1)), false},
		{"bearer prefix", noon, "Bearer " + token(webKey, day(0)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, func(o *Options) { o.WebKey = webKey })
			env.setNow(tt.now)
			h := map[string]string{}
			if tt.header != "-" {
				h["Authorization"] = tt.header
			}
			w := env.do(req{method: http.MethodPost, target: BasePath + "/extensions/hangup", body: "extension=801", header: h})
			if tt.ok {
				check(t, w, http.StatusOK, okBody("hangup extension success"))
				return
			}
			check(t, w, http.StatusUnauthorized, errBody("authentication failed"))
			if calls := env.pbx.Calls(); len(calls) > 0 {
				t.Errorf("refused request reached the PBX: %v", calls)
			}
		})
	}
}

// Every endpoint of the API is behind auth, even with bad parameters.
func TestAuthEverywhere(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.WebKey = webKey })
	for _, path := range []string{"/extensions/current-calls", "/extensions/extension-status",
		"/extensions/extension-hints-status", "/queues/queue-info", "/queues/agent-pause", "/queues/agent-login",
		"/queues/agent-logout", "/extensions/click-number", "/extensions/hangup", "/extensions/transfer",
		"/extensions/extenSpy", "/blacklist/index", "/blacklist/create", "/blacklist/delete"} {
		check(t, env.do(req{method: http.MethodPost, target: BasePath + path, body: "src=%0d%0a"}),
			http.StatusUnauthorized, errBody("authentication failed"))
	}
	if calls := append(env.pbx.Calls(), env.bl.Calls()...); len(calls) > 0 {
		t.Errorf("refused requests reached the PBX or blacklist: %v", calls)
	}
}

func TestNoAuthWithoutWebKey(t *testing.T) {
	env := newEnv(t)
	check(t, env.post("/extensions/hangup", "extension=801"), http.StatusOK, okBody("hangup extension success"))
}

// Neither the key nor a token ever reaches the log.
func TestAuthNotLogged(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.WebKey = webKey })
	good, bad := token(webKey, noon), token(webKey, noon.AddDate(0, 0, -3))
	for _, tok := range []string{good, bad} {
		env.do(req{method: http.MethodPost, target: BasePath + "/extensions/hangup", body: "extension=801",
			header: map[string]string{"Authorization": tok}})
	}
	logs := env.logs.String()
	for _, secret := range []string{webKey, good, bad} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "authentication failed") || !strings.Contains(logs, "http request") {
		t.Errorf("log lacks the expected lines:\n%s", logs)
	}
}
