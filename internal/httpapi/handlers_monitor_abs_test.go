package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The cdr and cc_cdr pushes carry absolute paths, and a client puts one
// after monitor/ as it is: "monitor//var/spool/asterisk/monitor/…". Over
// the wire and through the real router (no redirect, no "//" cleaned), it
// is served like the name under the folder, however the folder is spelt
// in the configuration.
func TestMonitorByAbsolutePath(t *testing.T) {
	base := t.TempDir()
	spool := filepath.Join(base, "var/spool/asterisk/monitor")
	writeFile(t, spool, "2026/12/02/x.wav", "RIFF0123456789", noon)
	file := spool + "/2026/12/02/x.wav"
	for _, dir := range []string{
		spool, spool + "/", base + "/var/spool/asterisk/./monitor/", base + "//var/spool//asterisk/monitor",
		base + "/var/spool/asterisk/monitor/../monitor",
	} {
		srv := httptest.NewServer(newMonitorEnv(t, dir).h)
		for _, tc := range []struct {
			what, method, target, rng string
			status                    int
			body, contentRange        string
		}{
			{"GET", http.MethodGet, file, "", 200, "RIFF0123456789", ""},
			{"HEAD", http.MethodHead, file, "", 200, "", ""},
			{"Range", http.MethodGet, file, "bytes=4-7", 206, "0123", "bytes 4-7/14"},
			{"suffix Range", http.MethodGet, file, "bytes=-3", 206, "789", "bytes 11-13/14"},
			{"every / encoded", http.MethodGet, strings.ReplaceAll(file, "/", "%2F"), "", 200, "RIFF0123456789", ""},
			{"relative, as before", http.MethodGet, "2026/12/02/x.wav", "", 200, "RIFF0123456789", ""},
		} {
			h := authHeader()
			if tc.rng != "" {
				h["Range"] = tc.rng
			}
			resp, body := rawDo(t, srv, tc.method, monitorAt+tc.target, h)
			got := fmt.Sprintf("%d %q %s|%s|%s|%s|%s", resp.StatusCode, body, resp.Header.Get("Content-Range"),
				resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"),
				resp.Header.Get("Content-Length"), resp.Header.Get("Location"))
			length := fmt.Sprint(len(tc.body))
			if tc.method == http.MethodHead {
				length = "14"
			}
			want := fmt.Sprintf("%d %q %s|audio/wav|inline; filename=x.wav|%s|", tc.status, tc.body, tc.contentRange, length)
			if got != want {
				t.Errorf("dir %s, %s: got\n%s\nwant\n%s", dir, tc.what, got, want)
			}
		}
		srv.Close()
	}
}

// A signed link is signed over the name under the folder: it works asked
// for by that name or by the absolute path, and the absolute form lets
// nothing through that the name would not.
func TestMonitorSignedLinkByAbsolutePath(t *testing.T) {
	box := newMonitorBox(t, true)
	env := newMonitorEnv(t, box.mon)
	inAnHour := noon.Add(time.Hour)
	links := testLinks("link secret")
	at := func(path, name string, expires time.Time) string {
		return monitorAt + path + "?" + links.Sign(name, expires).Encode()
	}
	invalid := errBody("the link is not valid: this box did not sign it for this recording and time")
	for _, tc := range []struct {
		what, target string
		header       map[string]string
		status       int
		body         string
	}{
		{"signed name, absolute request", at(box.mon+"/sub/b.wav", "sub/b.wav", inAnHour), nil, 200, "RIFFb"},
		{"signed name, relative request", at("sub/b.wav", "sub/b.wav", inAnHour), nil, 200, "RIFFb"},
		{"signed over the absolute path", at(box.mon+"/sub/b.wav", box.mon+"/sub/b.wav", inAnHour), nil, 403, invalid},
		{"another file's link", at(box.mon+"/sub/b.wav", "a.wav", inAnHour), nil, 403, invalid},
		{"expired", at(box.mon+"/sub/b.wav", "sub/b.wav", noon.Add(-time.Second)), nil, 403,
			errBody("the link has expired: ask for a new one")},
		{"a valid header does not mend a bad sig", monitorAt + box.mon + "/sub/b.wav?expires=1&sig=x", authHeader(), 403, invalid},
		{"no sig, no header", monitorAt + box.mon + "/sub/b.wav", nil, 401, errBody("authentication failed")},
		{"a signed escaping symlink", at(box.mon+"/out.wav", "out.wav", inAnHour), nil, 404, errBody("no recording at out.wav")},
		{"a signed .. after the folder", at(box.mon+"/../secret.txt", "../secret.txt", inAnHour), nil, 400,
			errBody(`the recording path has a \".\" or \"..\" component`)},
		{"a signed path outside", at(box.secret, box.secret, inAnHour), nil, 400,
			errBody("the recording path is absolute and outside the monitor folder: " +
				"give it relative to the folder, or absolute inside it")},
		{"a name's link on a path outside", at(box.mon+"2/a.wav", "a.wav", inAnHour), nil, 403, invalid},
		{"the folder", at(box.mon+"/", "", inAnHour), nil, 404, errBody("no recording at /: folders are not listed")},
	} {
		w := env.do(req{method: http.MethodGet, target: tc.target, header: tc.header})
		if w.Code != tc.status || w.Body.String() != tc.body {
			t.Errorf("%s: %d %s", tc.what, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), secretMark) {
			t.Errorf("%s: leaked the secret", tc.what)
		}
	}
	w := env.do(req{method: http.MethodHead, target: at(box.mon+"/sub/b.wav", "sub/b.wav", inAnHour)})
	if w.Code != 200 || w.Header().Get("Cache-Control") != "private, no-store" || w.Header().Get("Content-Length") != "5" {
		t.Errorf("HEAD by link: %d %v", w.Code, w.Header())
	}
}
