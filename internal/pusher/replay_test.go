package pusher_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/ami/amitest"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/pusher"
)

// TestReplayGoldens: every push of each recorded scenario, on real
// Asterisk's bytes, exactly as the golden files hold them
// (testdata/golden/<asterisk>/<test>.json). The scenarios are the
// TestGolden tests, recorded from Asterisk 20 (chan_sip) and 22 (PJSIP)
// with test/asterisk/record; a cc_cdr is pushed as the pusher does, with
// the after-call pause left to the pause timer (pauseTime 0).
func TestReplayGoldens(t *testing.T) {
	recordings, err := filepath.Glob("../ami/testdata/asterisk*/TestGolden*.txt")
	if err != nil || len(recordings) == 0 {
		t.Fatalf("no recordings: %v", err)
	}
	later := regexp.MustCompile(`-\d+\.txt$`) // a session after a reconnect
	for _, first := range recordings {
		if later.MatchString(first) {
			continue
		}
		label := filepath.Base(filepath.Dir(first))
		name := strings.TrimSuffix(filepath.Base(first), ".txt")
		t.Run(label+"/"+name, func(t *testing.T) {
			t.Parallel()
			sessions, _ := filepath.Glob(strings.TrimSuffix(first, ".txt") + "-[0-9]*.txt")
			got := replayPushes(t, name, append([]string{first}, sessions...))
			path, out, want := goldenFile(t, label+"/"+name, got)
			if !bytes.Equal(out, want) {
				t.Errorf("pushes differ from %s (run with -update after checking):\n%s", path, out)
			}
		})
	}
}

// commands are what a scenario had the model do, by test name: a replay
// of it has the model do the same, and the recording answers.
var commands = map[string]func(context.Context, *pbx.PBX) error{
	"TestGoldenClickToCall": func(ctx context.Context, p *pbx.PBX) error {
		_, err := p.ClickToCall(ctx, "801", "802")
		return err
	},
}

// replayPushes plays the recorded sessions to a client and a model and
// returns the pushes of the model's events, in order.
func replayPushes(t *testing.T, name string, sessions []string) []push {
	t.Helper()
	r := amitest.Serve(t, sessions...)
	client := ami.Connect(context.Background(), ami.Config{Addr: r.Addr(), Username: "coocenter", Secret: "coocenter-secret",
		AuthType: "plain", Logger: slog.New(slog.DiscardHandler), MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	defer client.Close()
	tr := pusher.Translator{MAC: testMAC, Location: time.UTC, LegacyDialBegin: true, Now: r.Clock().Now}
	events := make(chan pbx.Event, 1<<14)
	model := pbx.New(client, pbx.Options{Logger: slog.New(slog.DiscardHandler), Clock: r.Clock()})
	model.Subscribe(func(e pbx.Event) { events <- e })
	model.Start(t.Context())
	defer model.Close()
	if act := commands[name]; act != nil {
		deadline := time.Now().Add(5 * time.Second)
		for !model.Connected() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		go func() {
			if err := act(ctx, model); err != nil {
				t.Errorf("%s's command: %v", name, err)
			}
		}()
	}
	var got []push
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-events:
			switch e := e.(type) {
			case pbx.UserEvent:
				if e.Name == amitest.End {
					if u := r.Unmatched(); len(u) > 0 {
						t.Errorf("the client sent actions the recording does not answer: %q", u)
					}
					return got
				}
			case pbx.QueueCallEnded:
				got = append(got, decode(t, tr.QueueCall(e.Call, 0)))
				continue
			}
			if ev, ok := tr.Translate(e); ok {
				got = append(got, decode(t, ev))
			}
		case <-deadline:
			r.Wait(0)
			t.Fatal("the replay is done but the model did not pass its end on")
		}
	}
}
