package main

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/httpapi"
	"github.com/coocenter/coocenterd/internal/recordings"
)

// TestDaemonServesRecordings runs the whole daemon with a monitor folder:
// a recording downloads with the Authorization header, recordings/link
// signs a link that downloads without it, and a tampered link is refused.
func TestDaemonServesRecordings(t *testing.T) {
	const webKey = "asjdfjklkasdf"
	dir := t.TempDir()
	const name = "2026/11/21/in 801-1534993030.626.wav"
	body := "RIFF....WAVEfmt recording bytes"
	if err := os.MkdirAll(filepath.Join(dir, "2026/11/21"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, nil, func(cfg *config.Config) {
		cfg.General.WebKey = webKey
		cfg.Monitor.Dir = dir
	})
	auth := func() http.Header {
		sum := md5.Sum([]byte(webKey + time.Now().Format(time.DateOnly)))
		return http.Header{"Authorization": {hex.EncodeToString(sum[:])}}
	}
	fileURL := d.base + httpapi.MonitorPath(name)

	expect(t, "no header", request(t, http.MethodGet, fileURL, nil, nil), 401, `"authentication failed"`)
	expect(t, "with the header", request(t, http.MethodGet, fileURL, auth(), nil), 200, body)
	rng := auth()
	rng.Set("Range", "bytes=0-3")
	expect(t, "a range", request(t, http.MethodGet, fileURL, rng, nil), 206, "RIFF")
	expect(t, "a folder", request(t, http.MethodGet, d.base+httpapi.MonitorPath("2026")+"/", auth(), nil), 404, "folders are not listed")
	expect(t, "a hidden name", request(t, http.MethodGet, d.base+httpapi.MonitorPath(".x.wav"), auth(), nil), 400, "hidden file")

	// The absolute path a cdr push's recordfile carries is accepted too.
	resp := request(t, http.MethodPost, d.base+"/coocenter-api/recordings/link", auth(),
		url.Values{"file": {filepath.Join(dir, name)}, "ttl": {"600"}})
	var link struct {
		Status string
		Data   struct {
			URL     string `json:"url"`
			Expires int64  `json:"expires"`
		}
	}
	if err := json.Unmarshal([]byte(resp.body), &link); err != nil || resp.code != 200 || link.Status != "success" {
		t.Fatalf("recordings/link: %d %s (%v)", resp.code, resp.body, err)
	}
	if !strings.HasPrefix(link.Data.URL, httpapi.MonitorPath(name)+"?") || link.Data.Expires-time.Now().Unix() > 600 {
		t.Fatalf("recordings/link gave %+v", link.Data)
	}
	signed := d.base + link.Data.URL
	expect(t, "the signed link", request(t, http.MethodGet, signed, nil, nil), 200, body)

	u, _ := url.Parse(signed)
	q := u.Query()
	sig := q.Get("sig")
	flip := "A"
	if strings.HasSuffix(sig, flip) {
		flip = "B"
	}
	q.Set("sig", sig[:len(sig)-1]+flip)
	u.RawQuery = q.Encode()
	expect(t, "another sig", request(t, http.MethodGet, u.String(), nil, nil), 403, "the link is not valid")
	q.Set("sig", sig)
	q.Set("expires", "9999999999")
	u.RawQuery = q.Encode()
	expect(t, "a later expiry", request(t, http.MethodGet, u.String(), nil, nil), 403, "the link is not valid")
	expect(t, "the sig on another file", request(t, http.MethodGet,
		d.base+httpapi.MonitorPath("2026/11/21/other.wav")+"?"+strings.SplitN(link.Data.URL, "?", 2)[1], nil, nil), 403, "the link is not valid")

	expect(t, "recordings/index", request(t, http.MethodGet, d.base+"/coocenter-api/recordings/index", auth(), nil), 200,
		`"file":"`+name+`"`)
	d.Stop(t)
	if strings.Contains(d.logs.String(), webKey) {
		t.Error("WEBKEY reached the log")
	}
}

// TestRecordingURL checks the links pushes carry: link_base, the escaped
// path, an expiry link_ttl from now that verifies, and none for a file
// outside the monitor folder or without link_base.
func TestRecordingURL(t *testing.T) {
	now := time.Unix(1534993059, 0)
	links := recordings.NewLinks(recordings.LinkKey("a link secret of some length"), func() time.Time { return now })
	m := config.Monitor{Dir: "/var/spool/asterisk/monitor", LinkBase: "https://pbx.example/box1", LinkTTL: time.Hour}
	link := recordingURL(m, links, func() time.Time { return now })
	got := link("/var/spool/asterisk/monitor/q630/a b#1.wav")
	u, err := url.Parse(got)
	if err != nil || !strings.HasPrefix(got, "https://pbx.example/box1/coocenter-api/monitor/q630/a%20b%231.wav?expires=1534996659&sig=") {
		t.Fatalf("link %q (%v)", got, err)
	}
	if err := links.Verify("q630/a b#1.wav", u.Query().Get("expires"), u.Query().Get("sig")); err != nil {
		t.Errorf("link %q: %v", got, err)
	}
	for _, outside := range []string{"/tmp/x.wav", "/var/spool/asterisk/monitor/../x.wav", "/var/spool/asterisk/monitor/%41.wav"} {
		if got := link(outside); got != "" {
			t.Errorf("%s: %q, want no link", outside, got)
		}
	}
	m.LinkBase = ""
	if recordingURL(m, links, time.Now) != nil {
		t.Error("a RecordingURL without link_base")
	}
}

type answer struct {
	code int
	body string
}

// request sends one request (form is the POST body) and reads the answer.
func request(t *testing.T, method, target string, h http.Header, form url.Values) answer {
	t.Helper()
	var r io.Reader
	if form != nil {
		r = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, string(b)}
}

func expect(t *testing.T, what string, a answer, code int, contains string) {
	t.Helper()
	if a.code != code || !strings.Contains(a.body, contains) {
		t.Errorf("%s: %d %s; want %d with %q", what, a.code, a.body, code, contains)
	}
}
