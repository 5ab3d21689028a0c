package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/pusher"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// TestDaemonPushesToTheReceiver runs `coocenterd -receiver` and the daemon
// against the bed's PBX: a call's events arrive at the receiver, signed with the
// key derived from WEBKEY, and verify there.
func TestDaemonPushesToTheReceiver(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var out, errOut logBuffer
	secret := pusher.DefaultSecret("asjdfjklkasdf").String()
	recvDone := make(chan error, 1)
	go func() { recvDone <- run(ctx, []string{"-receiver", "127.0.0.1:0", "-secret", secret}, &out, &errOut) }()
	urlRe := regexp.MustCompile(`receiving pushes on (http://\S+)`)
	testkit.Eventually(t, "the receiver to listen", 10*time.Second, func() bool { return urlRe.MatchString(errOut.String()) })
	receiverURL := urlRe.FindStringSubmatch(errOut.String())[1]

	d := startDaemon(t, []string{"801", "802"}, func(cfg *config.Config) {
		cfg.General.WebKey = "asjdfjklkasdf"
		cfg.General.URLs = []string{receiverURL}
	})
	stage, logs := d.Stage(), d.logs

	caller, err := stage.Dial("801", "802")
	if err != nil {
		t.Fatal(err)
	}
	d.answerRinging(t, "802")
	time.Sleep(50 * time.Millisecond) // talk a little
	if err := stage.Hangup(caller, 16); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the call's pushes", 10*time.Second, func() bool {
		s := out.String()
		return strings.Count(s, `"event":"hangup"`) == 2 && strings.Contains(s, `"event":"cdr"`)
	})
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !regexp.MustCompile(`^\S+ msg_[0-9a-v]{26} signed \{"event":"`).MatchString(line) {
			t.Errorf("receiver printed %q", line)
		}
	}
	// "dialbegein": the original's spelling is the default ([push] legacy_dialbegin).
	for _, ev := range []string{"dialbegein", "dialend", "extensionstatus"} {
		if !strings.Contains(out.String(), `"event":"`+ev+`"`) {
			t.Errorf("no %s push:\n%s", ev, out.String())
		}
	}
	d.Stop(t)
	cancel()
	if err := <-recvDone; err != nil {
		t.Fatalf("receiver: %v", err)
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), "asjdfjklkasdf") {
		t.Error("a secret reached the log")
	}
}
