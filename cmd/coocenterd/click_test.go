package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// TestDaemonClickToCallPushes: click-number answers an id of Asterisk's
// numeric form; the call's first push is "dialbegein" (the original's
// name, the default) with the agent as caller, not an empty channel; the
// cdr names the same call and its recording, which downloads by the
// path as pushed: GET /coocenter-api/monitor/${recordfile}.
func TestDaemonClickToCallPushes(t *testing.T) {
	pushed := pushReceiver(t)
	d := startDaemon(t, []string{"801", "802"}, func(cfg *config.Config) {
		cfg.General.URLs = []string{pushed.url}
	})
	a := request(t, http.MethodPost, d.base+"/coocenter-api/extensions/click-number", nil, url.Values{"src": {"801"}, "dst": {"802"}})
	var reply struct{ Data struct{ ID string } }
	if err := json.Unmarshal([]byte(a.body), &reply); a.code != 200 || err != nil {
		t.Fatalf("click-number: %d %s", a.code, a.body)
	}
	id := reply.Data.ID
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+$`).MatchString(id) {
		t.Fatalf("call id %q is not of Asterisk's numeric form", id)
	}
	d.answerRinging(t, "801")
	callee := d.answerRinging(t, "802")
	testkit.Eventually(t, "the call to be answered", 10*time.Second, func() bool { return len(d.PhoneChannels("802")) == 1 && d.PhoneChannels("802")[0].State == 6 })
	if err := d.Stage().Hangup(callee, 16); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the cdr", 10*time.Second, func() bool { return pushed.event("cdr") != nil })

	begin, cdr := pushed.event("dialbegein"), pushed.event("cdr")
	if pushed.event("dialbegin") != nil || begin == nil {
		t.Fatalf("pushes %v: want dialbegein, the original's name", pushed.events())
	}
	if begin["calleridnum"] != "801" || !strings.HasPrefix(str(begin["channel"]), d.Device("801")+"-") ||
		begin["channel"] != begin["destchannel"] || begin["uniqueid"] != id {
		t.Errorf("first dialbegein %v: want 801's originated channel calling, uniqueid %s", begin, id)
	}
	if cdr["uniqueid"] != id || cdr["source"] != "801" || cdr["destination"] != "802" {
		t.Errorf("cdr %v: want the click-to-call %s from 801 to 802", cdr, id)
	}
	file := str(cdr["recordfile"])
	if !strings.HasPrefix(file, "/") {
		t.Fatalf("cdr recordfile %q: want the absolute path Asterisk recorded to", file)
	}
	got := request(t, http.MethodGet, d.base+"/coocenter-api/monitor/"+file, nil, nil)
	if d.Sim != nil {
		// pbxsim records nothing: the path is accepted as inside the
		// monitor folder and found missing, not refused as outside.
		expect(t, "monitor/${recordfile}", got, 404, "no recording at")
	} else {
		expect(t, "monitor/${recordfile}", got, 200, "RIFF")
	}
	d.Stop(t)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
