package httpapi

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestUnknownPathAndMethod(t *testing.T) {
	tests := []struct {
		method, path string
		status       int
		msg, allow   string
	}{
		{"GET", "/", 404, "no endpoint at /", ""},
		{"GET", "/coocenter-api/", 404, "no endpoint at /coocenter-api/", ""},
		{"GET", "/coocenter-api/extensions/current-calls/", 404, "no endpoint at /coocenter-api/extensions/current-calls/", ""},
		{"GET", "/coocenter-api/extensions/extenspy", 404, "no endpoint at /coocenter-api/extensions/extenspy", ""},
		{"GET", "/coocenter-api/monitor/2026/11/21/a.wav", 404, "no endpoint at /coocenter-api/monitor/2026/11/21/a.wav", ""},
		{"GET", "/" + strings.Repeat("a", 200), 404, "no endpoint at /" + strings.Repeat("a", 127) + "…", ""},
		{"GET", "/coocenter-api/queues/agent-pause", 405, "method GET is not allowed here: use POST", "POST"},
		{"GET", "/coocenter-api/extensions/click-number", 405, "method GET is not allowed here: use POST", "POST"},
		{"DELETE", "/coocenter-api/blacklist/create", 405, "method DELETE is not allowed here: use POST", "POST"},
		{"PUT", "/coocenter-api/queues/queue-info", 405, "method PUT is not allowed here: use GET or POST", "GET, POST"},
		{"GET", "/coocenter-api/blacklist/delete", 405, "method GET is not allowed here: use POST or DELETE", "POST, DELETE"},
		{"POST", "/healthz", 405, "method POST is not allowed here: use GET", "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path, func(t *testing.T) {
			env := newEnv(t, func(o *Options) { o.WebKey = webKey }) // answered before auth
			w := env.do(req{method: tt.method, target: tt.path})
			check(t, w, tt.status, errBody(tt.msg))
			if got := w.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

// A panicking handler answers 500 JSON and is logged with its stack.
func TestRecovery(t *testing.T) {
	boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("metrics exploded") })
	env := newEnv(t, func(o *Options) { o.Metrics = boom })
	check(t, env.do(req{method: http.MethodGet, target: "/metrics"}), http.StatusInternalServerError,
		errBody("internal error (the coocenterd log has the details)"))
	if logs := env.logs.String(); !strings.Contains(logs, "metrics exploded") || !strings.Contains(logs, "goroutine") {
		t.Errorf("log lacks the panic and its stack:\n%s", logs)
	}
	// The server still serves.
	check(t, env.post("/extensions/hangup", "extension=801"), http.StatusOK, okBody("hangup extension success"))
}

// gin prints nothing of its own, even if the process left it in debug mode.
func TestNoGinOutput(t *testing.T) {
	var out, errOut bytes.Buffer
	oldOut, oldErr := gin.DefaultWriter, gin.DefaultErrorWriter
	gin.DefaultWriter, gin.DefaultErrorWriter = &out, &errOut
	defer func() { gin.DefaultWriter, gin.DefaultErrorWriter = oldOut, oldErr }()
	gin.SetMode(gin.DebugMode)

	env := newEnv(t)
	env.do(req{method: http.MethodGet, target: BasePath + "/queues/queue-info"})
	env.do(req{method: http.MethodGet, target: "/nowhere"})
	if out.Len()+errOut.Len() > 0 {
		t.Errorf("gin wrote:\n%s%s", out.String(), errOut.String())
	}
	if gin.Mode() != gin.ReleaseMode {
		t.Errorf("gin mode %s", gin.Mode())
	}
}

// Answers are never cached by proxies or browsers.
func TestResponseHeaders(t *testing.T) {
	env := newEnv(t)
	w := env.do(req{method: http.MethodGet, target: BasePath + "/blacklist/index"})
	for k, v := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestClipKeepsUTF8Whole(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc…"},
		{"录音文件.wav", 4, "录…"}, // 录 is 3 bytes: byte 4 is inside 音
		{"录音", 2, "…"},
	} {
		if got := clip(tc.in, tc.n); got != tc.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
