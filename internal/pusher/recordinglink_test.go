package pusher_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/pusher"
	"github.com/coocenter/coocenterd/internal/recordings"
)

// With RecordingURL set, cdr recordfile and cc_cdr filePath carry a signed
// download link; a file it makes no link for is pushed as Asterisk named it.
func TestTranslateRecordingLinks(t *testing.T) {
	const dir = "/var/spool/asterisk/monitor"
	now := time.Unix(1534993059, 0)
	links := recordings.NewLinks(recordings.LinkKey("a link secret of some length"), func() time.Time { return now })
	var asked []string
	tr := pusher.Translator{MAC: testMAC, Location: time.UTC, RecordingURL: func(file string) string {
		asked = append(asked, file)
		name, ok := recordings.RelName(dir, file)
		if !ok {
			return ""
		}
		segs := strings.Split(name, "/")
		for i := range segs {
			segs[i] = url.PathEscape(segs[i])
		}
		return "http://192.0.2.10:8000/coocenter-api/monitor/" + strings.Join(segs, "/") + "?" +
			links.Sign(name, now.Add(168*time.Hour)).Encode()
	}}
	for _, tc := range []struct{ file, want string }{
		{dir + "/2018/08/23/q630 #1.wav",
			"http://192.0.2.10:8000/coocenter-api/monitor/2018/08/23/q630%20%231.wav?expires=1535597859&sig=SIG"},
		{"in-20180823-045739-1534993030.626.wav",
			"http://192.0.2.10:8000/coocenter-api/monitor/in-20180823-045739-1534993030.626.wav?expires=1535597859&sig=SIG"},
		{"/tmp/elsewhere.wav", "/tmp/elsewhere.wav"}, // outside the monitor folder
		{dir + "/../secret.wav", dir + "/../secret.wav"},
		{dir + "/.hidden.wav", dir + "/.hidden.wav"},
		{"", ""}, // not recorded
	} {
		cdr, _ := tr.Translate(pbx.CDR{At: now, UniqueID: "1534993030.626", RecordFile: tc.file})
		cc := tr.QueueCall(pbx.QueueCall{Uniqueid: "1534993030.626", Start: now, End: now, RecordFile: tc.file}, 0)
		got := map[string]string{"recordfile": field(t, cdr, "recordfile"), "filePath": field(t, cc, "filePath")}
		for key, link := range got {
			if name, ok := recordings.RelName(dir, tc.file); ok {
				u, err := url.Parse(link)
				if err != nil {
					t.Fatalf("%s %q: %v", key, link, err)
				}
				q := u.Query()
				if err := links.Verify(name, q.Get("expires"), q.Get("sig")); err != nil {
					t.Errorf("%s %q does not verify for %q: %v", key, link, name, err)
				}
				link = strings.Replace(link, q.Get("sig"), "SIG", 1)
			}
			if link != tc.want {
				t.Errorf("%s for %q:\n got %s\nwant %s", key, tc.file, link, tc.want)
			}
		}
	}
	if len(asked) != 10 {
		t.Errorf("RecordingURL called for %q; want each non-empty file twice", asked)
	}

	plain := pusher.Translator{}
	if ev, _ := plain.Translate(pbx.CDR{UniqueID: "1.1", RecordFile: dir + "/x.wav"}); field(t, ev, "recordfile") != dir+"/x.wav" {
		t.Errorf("without RecordingURL: %s", ev.Body)
	}
}

// field is one key of a push's body.
func field(t *testing.T, ev pusher.Event, key string) string {
	t.Helper()
	var m push
	if err := json.Unmarshal(ev.Body, &m); err != nil {
		t.Fatalf("%s: %v", ev.Body, err)
	}
	return str(m, key)
}
