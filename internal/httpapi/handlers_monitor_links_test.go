package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/recordings"
)

// signed is the monitor URL of name signed by links of secret.
func signed(secret, name string, expires time.Time) string {
	return SignedMonitorPath(testLinks(secret), name, expires)
}

func TestMonitorSignedLinks(t *testing.T) {
	box := newMonitorBox(t, true)
	env := newMonitorEnv(t, box.mon)
	inAnHour := noon.Add(time.Hour)
	good := signed("link secret", "sub/b.wav", inAnHour)
	v := testLinks("link secret").Sign("sub/b.wav", inAnHour)
	otherSig := testLinks("link secret").Sign("a.wav", inAnHour).Get("sig")
	invalid := errBody("the link is not valid: this box did not sign it for this recording and time")
	for _, tc := range []struct {
		what, target string
		header       map[string]string
		status       int
		body         string
	}{
		{"valid", good, nil, 200, "RIFFb"},
		{"valid, with a wrong header too", good, map[string]string{"Authorization": "wrong"}, 200, "RIFFb"},
		{"expired", signed("link secret", "sub/b.wav", noon.Add(-time.Second)), nil, 403,
			errBody("the link has expired: ask for a new one")},
		{"another file's sig", monitorAt + "sub/b.wav?expires=" + v.Get("expires") + "&sig=" + otherSig, nil, 403, invalid},
		{"the sig on another path", monitorAt + "a.wav?" + v.Encode(), nil, 403, invalid},
		{"a later expiry", monitorAt + "sub/b.wav?expires=" + fmt.Sprint(inAnHour.Unix()+86400) + "&sig=" + v.Get("sig"), nil, 403, invalid},
		{"another key", signed("other secret", "sub/b.wav", inAnHour), nil, 403, invalid},
		{"no sig", monitorAt + "sub/b.wav?expires=" + v.Get("expires"), nil, 403, invalid},
		{"no expiry", monitorAt + "sub/b.wav?sig=" + v.Get("sig"), nil, 403, invalid},
		{"two sigs", good + "&sig=" + otherSig, nil, 403, invalid},
		{"a valid header does not mend a bad sig", monitorAt + "sub/b.wav?expires=1&sig=x", authHeader(), 403, invalid},
		{"no sig, no header", monitorAt + "sub/b.wav", nil, 401, errBody("authentication failed")},
		{"a signed bad path is still refused", signed("link secret", "../secret.txt", inAnHour), nil, 400,
			errBody(`the recording path has a \".\" or \"..\" component`)},
		{"a signed escaping symlink is still refused", signed("link secret", "out.wav", inAnHour), nil, 404,
			errBody("no recording at out.wav")},
	} {
		w := env.do(req{method: http.MethodGet, target: tc.target, header: tc.header})
		if w.Code != tc.status || w.Body.String() != tc.body {
			t.Errorf("%s: %d %s", tc.what, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), secretMark) {
			t.Errorf("%s: leaked the secret", tc.what)
		}
	}
	w := env.do(req{method: http.MethodHead, target: good})
	if w.Code != 200 || w.Header().Get("Cache-Control") != "private, no-store" || w.Header().Get("Content-Length") != "5" {
		t.Errorf("HEAD by link: %d %v", w.Code, w.Header())
	}

	noLinks := newMonitorEnv(t, box.mon, func(o *Options) { o.Links = nil })
	check(t, noLinks.do(req{method: http.MethodGet, target: good}), http.StatusForbidden,
		errBody("this box does not accept signed links: send the Authorization header"))
	check(t, noLinks.do(req{method: http.MethodPost, target: BasePath + "/recordings/link", header: authHeader()}),
		http.StatusNotFound, errBody("no endpoint at /coocenter-api/recordings/link"))
}

// linkData is recordings/link's answer.
type linkData struct {
	Status, Message string
	Data            struct {
		URL     string `json:"url"`
		Expires int64  `json:"expires"`
	}
}

func TestRecordingLinkEndpoint(t *testing.T) {
	box := newMonitorBox(t, true)
	writeFile(t, box.mon, "2026/11/21/q630 801#录音.WAV", "RIFFwav49", noon)
	env := newMonitorEnv(t, box.mon)
	link := func(form string) (int, linkData, string) {
		w := env.do(req{method: http.MethodPost, target: BasePath + "/recordings/link", body: form, header: authHeader()})
		var d linkData
		_ = json.Unmarshal(w.Body.Bytes(), &d)
		return w.Code, d, w.Body.String()
	}
	for _, tc := range []struct{ form, name, body string }{
		{"file=sub/b.wav&ttl=60", "sub/b.wav", "RIFFb"},
		{"file=" + url.QueryEscape(filepath.Join(box.mon, "a.wav")), "a.wav", "RIFF0123456789"},
		{"file=" + url.QueryEscape("2026/11/21/q630 801#录音.WAV"), "2026/11/21/q630%20801%23%E5%BD%95%E9%9F%B3.WAV", "RIFFwav49"},
	} {
		status, d, raw := link(tc.form)
		ttl := int64(3600)
		if strings.Contains(tc.form, "ttl=60") {
			ttl = 60
		}
		if status != 200 || d.Message != "link will follow" || d.Data.Expires != noon.Unix()+ttl ||
			!strings.HasPrefix(d.Data.URL, monitorAt+tc.name+"?expires=") {
			t.Errorf("%s: %d %s", tc.form, status, raw)
			continue
		}
		if w := env.do(req{method: http.MethodGet, target: d.Data.URL}); w.Code != 200 || w.Body.String() != tc.body {
			t.Errorf("%s: the link gives %d %q", tc.form, w.Code, w.Body)
		}
	}
	for form, want := range map[string]string{
		"file=missing.wav": errBody("no recording at missing.wav"),
		"file=out.wav":     errBody("no recording at out.wav"),
		"file=fifo.wav":    errBody("no recording at fifo.wav"),
	} {
		if status, _, raw := link(form); status != 404 || raw != want {
			t.Errorf("%s: %d %s", form, status, raw)
		}
	}
	badFile := errBody(`parameter \"file\" must be a recording's path, relative to the monitor folder or absolute inside it, ` +
		`without \".\" or \"..\" components, hidden names, \"\\\", \"%\", \":\" or control characters`)
	for form, want := range map[string]string{
		"":                             errBody(`missing parameter \"file\"`),
		"file=../secret.txt":           badFile,
		"file=" + box.secret:           badFile,
		"file=.hidden":                 badFile,
		"file=a.wav&ttl=0":             errBody(`parameter \"ttl\" must be a number of seconds from 1 to 604800 (7 days)`),
		"file=a.wav&ttl=604801":        errBody(`parameter \"ttl\" must be a number of seconds from 1 to 604800 (7 days)`),
		"file=" + box.mon + "/../x.wa": badFile,
	} {
		if status, _, raw := link(form); status != 400 || raw != want {
			t.Errorf("%q: %d %s", form, status, raw)
		}
	}
	w := env.do(req{method: http.MethodPost, target: BasePath + "/recordings/link", body: "file=a.wav"})
	check(t, w, http.StatusUnauthorized, errBody("authentication failed"))
}

// indexData is recordings/index's answer.
type indexData struct {
	Status, Message string
	Data            struct {
		Files []struct {
			File, Time, URL string
			Size            int64
		}
		NextKey string
	}
}

func TestRecordingIndex(t *testing.T) {
	box := newMonitorBox(t, true) // a.wav, sub/b.wav at noon, and what must be skipped
	for i := 1; i <= 4; i++ {
		writeFile(t, box.mon, fmt.Sprintf("2026/11/21/%d.wav", i), strings.Repeat("x", i), noon.Add(time.Duration(i)*time.Minute))
	}
	env := newMonitorEnv(t, box.mon)
	index := func(form string) (int, indexData, string) {
		w := env.do(req{method: http.MethodPost, target: BasePath + "/recordings/index", body: form, header: authHeader()})
		var d indexData
		_ = json.Unmarshal(w.Body.Bytes(), &d)
		return w.Code, d, w.Body.String()
	}
	var pages []string
	key := ""
	for range 5 {
		status, d, raw := index("limit=2&startKey=" + key)
		if status != 200 || d.Message != "recordings will follow" {
			t.Fatalf("%d %s", status, raw)
		}
		var names []string
		for _, f := range d.Data.Files {
			names = append(names, fmt.Sprintf("%s/%d/%s", f.File, f.Size, f.Time))
			if w := env.do(req{method: http.MethodGet, target: f.URL}); w.Code != 200 || w.Body.Len() != int(f.Size) {
				t.Errorf("the url of %s gives %d", f.File, w.Code)
			}
		}
		pages = append(pages, strings.Join(names, " "))
		if key = d.Data.NextKey; key == "" {
			break
		}
	}
	want := []string{
		"a.wav/14/2026-11-21 12:00:00 sub/b.wav/5/2026-11-21 12:00:00",
		"2026/11/21/1.wav/1/2026-11-21 12:01:00 2026/11/21/2.wav/2/2026-11-21 12:02:00",
		"2026/11/21/3.wav/3/2026-11-21 12:03:00 2026/11/21/4.wav/4/2026-11-21 12:04:00",
	}
	if fmt.Sprint(pages) != fmt.Sprint(want) {
		t.Fatalf("pages:\n%q\nwant\n%q", pages, want)
	}

	_, d, raw := index("start=2026-11-21 12:02:00&end=" + fmt.Sprint(noon.Add(4*time.Minute).Unix()))
	if len(d.Data.Files) != 2 || d.Data.Files[0].File != "2026/11/21/2.wav" || d.Data.NextKey != "" {
		t.Errorf("time range: %s", raw)
	}
	_, _, raw = index("start=2027-01-01T00:00:00Z")
	if raw != `{"status":"success","message":"recordings will follow","data":{"files":[],"nextKey":""}}` {
		t.Errorf("nothing in range: %s", raw)
	}
	for form, want := range map[string]string{
		"startKey=bm9zbGFzaA":             errBody(`parameter \"startKey\" must be the nextKey of the previous page`),
		"startKey=a+b":                    errBody(`parameter \"startKey\" must be the nextKey of the previous page`),
		"limit=0":                         errBody(`parameter \"limit\" must be a number from 1 to 500`),
		"limit=501":                       errBody(`parameter \"limit\" must be a number from 1 to 500`),
		"start=yesterday":                 errBody(`parameter \"start\" must be a time: unix seconds, RFC 3339 (2026-11-21T10:00:00+08:00) or \"2026-11-21 10:00:00\" (box time)`),
		"start=1795300000&end=1795300000": errBody(`parameter \"end\" must be later than \"start\"`),
	} {
		if status, _, raw := index(form); status != 400 || raw != want {
			t.Errorf("%s: %d %s", form, status, raw)
		}
	}
}

func TestRecordingIndexWithoutLinksOrFolder(t *testing.T) {
	box := newMonitorBox(t, false)
	env := newMonitorEnv(t, box.mon, func(o *Options) { o.Links = nil })
	w := env.do(req{method: http.MethodGet, target: BasePath + "/recordings/index?limit=1", header: authHeader()})
	check(t, w, 200, `{"status":"success","message":"recordings will follow","data":{"files":[{"file":"a.wav","size":14,"time":"2026-11-21 12:00:00"}],"nextKey":"`+
		recordingsKey(t, env, "limit=1")+`"}}`)

	missing := newMonitorEnv(t, filepath.Join(box.base, "not-yet"))
	check(t, missing.do(req{method: http.MethodGet, target: BasePath + "/recordings/index", header: authHeader()}), 200,
		`{"status":"success","message":"recordings will follow","data":{"files":[],"nextKey":""}}`)
	check(t, missing.do(req{method: http.MethodGet, target: monitorAt + "a.wav", header: authHeader()}), 404,
		errBody("no recording at a.wav"))

	off := newEnv(t, func(o *Options) { o.WebKey = testWebKey })
	for _, path := range []string{"/monitor/a.wav", "/recordings/index", "/recordings/link"} {
		check(t, off.do(req{method: http.MethodGet, target: BasePath + path, header: authHeader()}), 404,
			errBody("no endpoint at "+BasePath+path))
	}
	if _, err := os.Stat(filepath.Join(box.base, "not-yet")); !os.IsNotExist(err) {
		t.Errorf("the folder was created: %v", err)
	}
}

// recordingsKey returns the nextKey recordings/index gives for form.
func recordingsKey(t *testing.T, env *testEnv, form string) string {
	t.Helper()
	w := env.do(req{method: http.MethodPost, target: BasePath + "/recordings/index", body: form, header: authHeader()})
	var d indexData
	if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	return d.Data.NextKey
}

// A monitor folder that cannot be listed is a 500 whose cause is logged,
// not shown; a listing cut by the request deadline is a 503; a folder over
// the walk cap says so, so that the admin knows what to do.
func TestRecordingIndexFailures(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "monitor")
	if err := os.WriteFile(notADir, []byte("a file where the folder should be"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := newMonitorEnv(t, notADir)
	check(t, env.do(req{method: http.MethodGet, target: BasePath + "/recordings/index", header: authHeader()}),
		http.StatusInternalServerError, errBody("could not list the recordings: internal error (the coocenterd log has the details)"))
	if logs := env.logs.String(); !strings.Contains(logs, "recordings not listed") || !strings.Contains(logs, "not a directory") {
		t.Errorf("the cause is not logged:\n%s", logs)
	}

	for _, tc := range []struct {
		err    error
		status int
		msg    string
	}{
		{fmt.Errorf("walk: %w", recordings.ErrTooMany), http.StatusInternalServerError,
			"the monitor folder holds more than 1000000 entries: too many to list: move old recordings to an archive"},
		{context.DeadlineExceeded, http.StatusServiceUnavailable, "listing the recordings took too long"},
		{context.Canceled, http.StatusServiceUnavailable, "listing the recordings took too long"},
		{recordings.ErrBadKey, http.StatusBadRequest, `parameter \"startKey\" must be the nextKey of the previous page`},
	} {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest(http.MethodGet, BasePath+"/recordings/index", nil)
		failList(c, slog.New(slog.DiscardHandler), tc.err)
		check(t, w, tc.status, errBody(tc.msg))
	}
}
