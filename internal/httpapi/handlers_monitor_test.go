package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/recordings"
)

const (
	testWebKey = "asjdfjklkasdf"
	monitorAt  = BasePath + "/monitor/"
	secretMark = "SECRET-7f3a9c-DO-NOT-LEAK"
)

// monitorBox is a base folder holding the monitor folder and, beside it,
// a secret file that no request may ever read.
type monitorBox struct {
	base, mon, secret string
}

// newMonitorBox makes the monitor folder with a.wav and sub/b.wav. An armed
// box also has every forbidden target: the secret, a hidden file holding
// the secret, symlinks out of the folder, a loop, a FIFO and /dev/null.
func newMonitorBox(t *testing.T, armed bool) monitorBox {
	t.Helper()
	base := t.TempDir()
	b := monitorBox{base: base, mon: filepath.Join(base, "monitor"), secret: filepath.Join(base, "secret.txt")}
	writeFile(t, b.mon, "a.wav", "RIFF0123456789", noon)
	writeFile(t, b.mon, "sub/b.wav", "RIFFb", noon)
	if !armed {
		return b
	}
	writeFile(t, base, "secret.txt", secretMark, noon)
	writeFile(t, base, "monitor2/a.wav", secretMark, noon) // its path starts with the folder's
	writeFile(t, b.mon, ".hidden", secretMark, noon)
	writeFile(t, b.mon, "sub/.hidden.wav", secretMark, noon)
	for link, target := range map[string]string{
		"out.wav": b.secret, "rel-out.wav": "../secret.txt", "sub/up.wav": "../../secret.txt",
		"outdir": base, "loop.wav": "loop.wav", "null.wav": "/dev/null", "passwd.wav": "/etc/passwd",
	} {
		if err := os.Symlink(target, filepath.Join(b.mon, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(b.mon, "fifo.wav"), 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, dir, name, body string, mt time.Time) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mt, mt); err != nil {
		t.Fatal(err)
	}
}

// testLinks signs with a fixed key at noon, the tests' clock.
func testLinks(secret string) *recordings.Links {
	return recordings.NewLinks(recordings.LinkKey(secret), func() time.Time { return noon })
}

// newMonitorEnv serves dir with WEBKEY set and links on.
func newMonitorEnv(t *testing.T, dir string, edit ...func(*Options)) *testEnv {
	return newEnv(t, append([]func(*Options){func(o *Options) {
		o.WebKey = testWebKey
		o.Recordings = recordings.NewFolder(dir)
		o.Links = testLinks("link secret")
	}}, edit...)...)
}

// authHeader is today's Authorization header in the tests.
func authHeader() map[string]string {
	return map[string]string{"Authorization": token(testWebKey, noon)}
}

// rawGet sends target as the request line's target, byte for byte, so
// that no client cleans or re-encodes it, and reads the answer.
func rawGet(t *testing.T, srv *httptest.Server, method, target string, header map[string]string) (int, string) {
	t.Helper()
	resp, body := rawDo(t, srv, method, target, header)
	return resp.StatusCode, body
}

// rawDo is rawGet with the whole response (its body already read).
func rawDo(t *testing.T, srv *httptest.Server, method, target string, header map[string]string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second)) // a guard: a FIFO must not hang
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: box\r\nConnection: close\r\n", method, target)
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s: %v", clip(target, 128), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: %v", clip(target, 128), err)
	}
	return resp, string(body)
}

// hostileTargets are request targets (after monitor/) that must never
// give a byte from outside the folder, nor a hidden file, FIFO, device or
// folder. Some name b's files by their absolute paths, so that two boxes'
// lists differ only there.
func hostileTargets(b monitorBox) []string {
	abs, mon := b.secret, b.mon
	return []string{
		"../secret.txt", "..%2fsecret.txt", "%2e%2e/secret.txt", "%2e%2e%2fsecret.txt", "%2E%2E%2Fsecret.txt",
		"%252e%252e%252fsecret.txt", "..%255csecret.txt", "..%5csecret.txt", `..\secret.txt`, `sub\..\..\secret.txt`,
		".%2e/secret.txt", "%2e%2e", "..", ".", "./a.wav", "..;/secret.txt",
		"/etc/passwd", "%2fetc%2fpasswd", "/" + abs, "%2f" + strings.ReplaceAll(abs, "/", "%2f"),
		"%00", "a%00.wav", "a.wav%00", "a.wav%00.txt", "a%0d%0aSet-Cookie:%20x=y",
		"%c0%ae%c0%ae/secret.txt", "%e0%80%ae%e0%80%ae/secret.txt", "%c0%afetc%c0%afpasswd", "%ff.wav", "%u002e%u002e/secret.txt",
		strings.Repeat("a", 5000), strings.Repeat("a/", 600) + "a.wav", strings.Repeat("%2e%2e/", 300) + "secret.txt",
		"..%2f..%5c../secret.txt", "sub/..%2f..%2fsecret.txt", "sub%2f..%2f..%2fsecret.txt", "sub/../../secret.txt",
		"sub/./b.wav", "sub//b.wav", "a.wav:stream", "c:/secret.txt",
		".hidden", "sub/.hidden.wav", "%2ehidden",
		"", "sub/", "outdir/", "a.wav/", "sub",
		"out.wav", "rel-out.wav", "sub/up.wav", "outdir/secret.txt", "outdir/monitor/a.wav",
		"loop.wav", "null.wav", "passwd.wav", "fifo.wav", "secret.txt", "missing.wav",
		// Absolute, as the pushes carry paths: served only when literally inside.
		abs, mon + "2/a.wav", mon + "2%2fa.wav", filepath.Dir(mon) + "/./monitor/a.wav",
		filepath.Dir(mon) + "//monitor/a.wav", "/" + mon + "/a.wav", "%2f" + mon + "/a.wav",
		mon + "//a.wav", mon + "/sub//b.wav", mon + "/./a.wav", mon + "//", mon + "/.",
		mon + "/../secret.txt", mon + "/%2e%2e/secret.txt", mon + "%2f..%2fsecret.txt", mon + "/%2E%2E%2Fsecret.txt",
		mon + "/sub/../../secret.txt", mon + "/..", mon + "/../monitor2/a.wav", mon + "/a%00.wav", mon + "%00/a.wav",
		mon + "/.hidden", mon + "/sub/.hidden.wav", mon, mon + "/", mon + "/sub/", mon + "/outdir/", mon + "/sub",
		mon + "/out.wav", mon + "/rel-out.wav", mon + "/sub/up.wav", mon + "/outdir/secret.txt", mon + "/loop.wav",
		mon + "/null.wav", mon + "/passwd.wav", mon + "/fifo.wav", mon + "/missing.wav",
		"file://" + mon + "/a.wav", "file:" + mon + "/a.wav", "/file:" + mon + "/a.wav", "c:" + mon + "/a.wav",
		"C:" + strings.ReplaceAll(mon, "/", `\`) + `\a.wav`, "C:" + strings.ReplaceAll(mon, "/", "%5c") + "%5ca.wav",
		`\\box` + strings.ReplaceAll(mon, "/", `\`) + `\a.wav`, "/" + strings.ReplaceAll(mon, "/", `\`) + `\a.wav`,
	}
}

// A hostile path gets 400 or 404, never a byte of a forbidden file, and
// the same answer whether its target exists or not.
func TestMonitorHostilePaths(t *testing.T) {
	armedBox, bareBox := newMonitorBox(t, true), newMonitorBox(t, false)
	armed := httptest.NewServer(newMonitorEnv(t, armedBox.mon).h)
	defer armed.Close()
	bare := httptest.NewServer(newMonitorEnv(t, bareBox.mon).h)
	defer bare.Close()
	targets, bareTargets := hostileTargets(armedBox), hostileTargets(bareBox)
	if len(targets) < 30 {
		t.Fatalf("only %d hostile paths", len(targets))
	}
	for i, target := range targets {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			status, body := rawGet(t, armed, method, monitorAt+target, authHeader())
			bareStatus, bareBody := rawGet(t, bare, method, monitorAt+bareTargets[i], authHeader())
			if status != http.StatusBadRequest && status != http.StatusNotFound {
				t.Errorf("%s %s: status %d %s", method, clip(target, 128), status, clip(body, 128))
			}
			if strings.Contains(body, secretMark) || strings.Contains(body, "root:") {
				t.Errorf("%s %s: leaked %s", method, clip(target, 128), clip(body, 128))
			}
			if status != bareStatus || body != bareBody {
				t.Errorf("%s %s: %d %s when the target exists, %d %s when not", method, clip(target, 128),
					status, clip(body, 128), bareStatus, clip(bareBody, 128))
			}
		}
	}
	// The same folder still serves its own recordings.
	for _, target := range []string{"sub/b.wav", armedBox.mon + "/sub/b.wav"} {
		if status, body := rawGet(t, armed, http.MethodGet, monitorAt+target, authHeader()); status != 200 || body != "RIFFb" {
			t.Errorf("%s: %d %s", target, status, body)
		}
	}
}

// Without credentials nothing about the path is told: 401 for all alike.
func TestMonitorAuthenticatesBeforeLookingAtThePath(t *testing.T) {
	box := newMonitorBox(t, true)
	srv := httptest.NewServer(newMonitorEnv(t, box.mon).h)
	defer srv.Close()
	for _, target := range []string{"a.wav", "missing.wav", "../secret.txt", "%00", "out.wav", "sub/", "", "a.wav?x=%zz",
		box.mon + "/a.wav", box.mon + "/out.wav", box.mon + "/", box.mon + "2/a.wav", box.secret, box.mon + "/../secret.txt"} {
		status, body := rawGet(t, srv, http.MethodGet, monitorAt+target, nil)
		if status != http.StatusUnauthorized || body != errBody("authentication failed") {
			t.Errorf("%s without Authorization: %d %s", target, status, body)
		}
	}
	if status, body := rawGet(t, srv, http.MethodGet, monitorAt+"a.wav?x=%zz", authHeader()); status != http.StatusBadRequest {
		t.Errorf("a bad query string: %d %s", status, body)
	}
}

func TestMonitorErrorSentences(t *testing.T) {
	box := newMonitorBox(t, true)
	env := newMonitorEnv(t, box.mon)
	outside := errBody("the recording path is absolute and outside the monitor folder: " +
		"give it relative to the folder, or absolute inside it")
	for target, want := range map[string]string{
		"missing.wav":                  errBody("no recording at missing.wav"),
		"out.wav":                      errBody("no recording at out.wav"),
		"sub/":                         errBody("no recording at sub/: folders are not listed"),
		"":                             errBody("no recording at /: folders are not listed"),
		"%2e%2e/x":                     errBody(`the recording path has a \".\" or \"..\" component`),
		"%2e%2e/":                      errBody(`the recording path has a \".\" or \"..\" component`),
		"%2fetc/passwd":                outside,
		"/etc/passwd":                  outside,
		box.secret:                     outside,
		box.mon + "2/a.wav":            outside,
		box.mon + "/missing.wav":       errBody("no recording at missing.wav"),
		box.mon + "/out.wav":           errBody("no recording at out.wav"),
		box.mon:                        errBody("no recording at /: folders are not listed"),
		box.mon + "/":                  errBody("no recording at /: folders are not listed"),
		box.mon + "/sub/":              errBody("no recording at sub/: folders are not listed"),
		box.mon + "//a.wav":            errBody(`the recording path has an empty component (\"//\" or a trailing \"/\")`),
		box.mon + "/../x.wav":          errBody(`the recording path has a \".\" or \"..\" component`),
		"file://" + box.mon + "/a.wav": errBody(`the recording path contains \":\"`),
		"a%25.wav":                     errBody(`the recording path contains \"%\": it was probably percent-encoded twice`),
		"a%00.wav":                     errBody("the recording path contains a control character"),
	} {
		w := env.do(req{method: http.MethodGet, target: monitorAt + target, header: authHeader()})
		status := http.StatusNotFound
		if strings.Contains(want, "recording path") {
			status = http.StatusBadRequest
		}
		check(t, w, status, want)
	}
	w := env.do(req{method: http.MethodPost, target: monitorAt + "a.wav", header: authHeader()})
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d Allow %q", w.Code, w.Header().Get("Allow"))
	}
}

func TestMonitorServesFile(t *testing.T) {
	box := newMonitorBox(t, false)
	writeFile(t, box.mon, `2026/录音 "q".WAV`, "RIFFwav49", noon)
	env := newMonitorEnv(t, box.mon)
	w := env.do(req{method: http.MethodGet, target: monitorAt + "a.wav", header: authHeader()})
	want := map[string]string{
		"Content-Type": "audio/wav", "Content-Length": "14", "X-Content-Type-Options": "nosniff",
		"Cache-Control": "private, max-age=0", "Content-Disposition": `inline; filename=a.wav`,
		"Accept-Ranges": "bytes", "Last-Modified": "Sat, 21 Nov 2026 04:00:00 GMT",
		"Etag": fmt.Sprintf(`"e-%x"`, noon.UnixNano()),
	}
	if w.Code != 200 || w.Body.String() != "RIFF0123456789" {
		t.Fatalf("a.wav: %d %q", w.Code, w.Body)
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	w = env.do(req{method: http.MethodGet, target: monitorAt + "2026/%E5%BD%95%E9%9F%B3%20%22q%22.WAV", header: authHeader()})
	if w.Code != 200 || w.Body.String() != "RIFFwav49" ||
		w.Header().Get("Content-Disposition") != `inline; filename*=utf-8''%E5%BD%95%E9%9F%B3%20%22q%22.WAV` {
		t.Errorf("a non-ASCII name: %d %q %q", w.Code, w.Body, w.Header().Get("Content-Disposition"))
	}
}

func TestMonitorRanges(t *testing.T) {
	env := newMonitorEnv(t, newMonitorBox(t, false).mon)
	get := func(method string, h map[string]string) *httptest.ResponseRecorder {
		h["Authorization"] = token(testWebKey, noon)
		return env.do(req{method: method, target: monitorAt + "a.wav", header: h})
	}
	for _, tc := range []struct {
		status                     int
		header, body, contentRange string
	}{
		{206, "bytes=4-7", "0123", "bytes 4-7/14"},
		{206, "bytes=-3", "789", "bytes 11-13/14"},
		{206, "bytes=10-", "6789", "bytes 10-13/14"},
		{206, "bytes=10-100", "6789", "bytes 10-13/14"},
		{416, "bytes=14-", "", "bytes */14"},
		{416, "bytes=9-3", "", ""},
		{416, "bytes=x", "", ""},
	} {
		w := get(http.MethodGet, map[string]string{"Range": tc.header})
		if tc.status == 416 {
			tc.body = errBody("the Range header cannot be satisfied: the recording has 14 bytes")
		}
		if w.Code != tc.status || w.Body.String() != tc.body ||
			w.Header().Get("Content-Range") != tc.contentRange {
			t.Errorf("Range %s: %d %q %q", tc.header, w.Code, w.Body, w.Header().Get("Content-Range"))
		}
	}
	w := get(http.MethodGet, map[string]string{"Range": "bytes=0-3,10-13"})
	if w.Code != 206 || !strings.HasPrefix(w.Header().Get("Content-Type"), "multipart/byteranges; boundary=") ||
		!strings.Contains(w.Body.String(), "Content-Range: bytes 10-13/14\r\nContent-Type: audio/wav\r\n\r\n6789") {
		t.Errorf("two ranges: %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	etag := get(http.MethodGet, map[string]string{}).Header().Get("ETag")
	if w := get(http.MethodGet, map[string]string{"If-None-Match": etag}); w.Code != 304 || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d %q", w.Code, w.Body)
	}
	if w := get(http.MethodGet, map[string]string{"If-Modified-Since": noon.UTC().Format(http.TimeFormat)}); w.Code != 304 {
		t.Errorf("If-Modified-Since: %d", w.Code)
	}
	if w := get(http.MethodGet, map[string]string{"If-Range": `"stale"`, "Range": "bytes=0-3"}); w.Code != 200 || w.Body.Len() != 14 {
		t.Errorf("If-Range with another ETag: %d %q", w.Code, w.Body)
	}
	if w := get(http.MethodHead, map[string]string{}); w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "14" {
		t.Errorf("HEAD: %d %q Content-Length %q", w.Code, w.Body, w.Header().Get("Content-Length"))
	}
}

// A recording much larger than memory allows is streamed from the file.
func TestMonitorStreamsLargeFile(t *testing.T) {
	const size = 256 << 20
	box := newMonitorBox(t, false)
	f, err := os.Create(filepath.Join(box.mon, "long.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	f.Close()
	srv := httptest.NewServer(newMonitorEnv(t, box.mon).h)
	defer srv.Close()
	r, _ := http.NewRequest(http.MethodGet, srv.URL+monitorAt+"long.wav", nil)
	r.Header.Set("Authorization", token(testWebKey, noon))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n != size || resp.StatusCode != 200 {
		t.Fatalf("got %d bytes, status %d, %v", n, resp.StatusCode, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("serving %d MiB allocated %d MiB", size>>20, grew>>20)
	}
}
