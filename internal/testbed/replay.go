package testbed

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/ami/amitest"
	"github.com/coocenter/coocenterd/internal/ami/transcript"
	"github.com/coocenter/coocenterd/internal/clock"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/testbed/sipphone"
)

// Live names the subtest of Each that runs on the live bed.
const Live = "live"

// Each runs test on the live bed (pbxsim, or a real Asterisk with
// COOCENTER_TEST_AMI) and on a replay of each recording of the test
// (internal/ami/testdata/<asterisk>/<TestName>.txt, made by
// test/asterisk/record), as subtests named live, asterisk20, asterisk22.
// A replay plays what a real Asterisk sent the model, with the model's
// own actions answered as recorded: the test's commands must ask what
// they asked then. On a replay the Stage does nothing (what it did is in
// the recording) but name the channels the recording shows it made.
func Each(t *testing.T, opts Options, test func(t *testing.T, b *Bed)) {
	t.Run(Live, func(t *testing.T) { run(t, Start(t, opts), test) })
	if Real() {
		return
	}
	for _, sessions := range recordings(t.Name()) {
		label := filepath.Base(filepath.Dir(sessions[0]))
		t.Run(label, func(t *testing.T) { run(t, startReplay(t, sessions), test) })
	}
}

// run runs test on b. Its end is a step: what the bed does after it (a
// real Asterisk's phones hang up and unregister) is not the test's to see
// on a replay either.
func run(t *testing.T, b *Bed, test func(*testing.T, *Bed)) {
	test(t, b)
	b.step("Done")
}

// testdata is internal/ami/testdata, found from this file.
func testdata() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "ami", "testdata")
}

// recordings returns the sessions of each recording of the test, one
// list per Asterisk.
func recordings(test string) [][]string {
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(test, "_")
	firsts, _ := filepath.Glob(filepath.Join(testdata(), "asterisk*", name+".txt"))
	var out [][]string
	for _, first := range firsts {
		later, _ := filepath.Glob(strings.TrimSuffix(first, ".txt") + "-[0-9]*.txt")
		out = append(out, append([]string{first}, later...))
	}
	return out
}

// startReplay is Start on a replay of the recorded sessions.
func startReplay(t *testing.T, sessions []string) *Bed {
	t.Helper()
	b := &Bed{T: t, Events: make(chan pbx.Event, 4096), phones: map[string]*sipphone.Phone{}, named: map[string]bool{}}
	ids := &recordedIDs{}
	for _, path := range sessions {
		entries, err := transcript.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			switch {
			case e.Dir == transcript.ServerToClient && e.Msg.IsEvent():
				b.played = append(b.played, e.Msg)
			case e.Dir == transcript.ClientToServer && e.Msg.Get("ChannelId") != "":
				ids.ids = append(ids.ids, e.Msg.Get("ChannelId"))
			case e.Dir == transcript.Stage:
				b.recordedSteps++
			}
		}
	}
	b.replay = amitest.Serve(t, sessions...)
	b.caughtUp = make(chan int, 256)
	b.connect(ami.Config{Addr: b.replay.Addr(), Username: "coocenter", Secret: "coocenter-secret", AuthType: "plain",
		Logger: slog.New(slog.DiscardHandler), MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, BootWait: time.Second},
		pbx.Options{Clock: b.replay.Clock(), CallIDs: ids}, b.noteCaughtUp)
	b.learnPhones()
	b.step("Start")
	t.Cleanup(func() {
		if u := b.replay.Unmatched(); len(u) > 0 {
			t.Errorf("the model sent actions the recording does not answer: %q", u)
		}
		if l := b.replay.Loose(); len(l) > 0 {
			t.Errorf("the model sent actions other than recorded: %q", l)
		}
	})
	return b
}

// recordedIDs are the ids of the calls the model originated when the
// recording was made (its actions' ChannelId), given out again in order.
type recordedIDs struct {
	mu  sync.Mutex
	ids []string
}

func (r *recordedIDs) Next() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ids) == 0 {
		return "", errors.New("testbed: the recording originated no more calls")
	}
	id := r.ids[0]
	r.ids = r.ids[1:]
	return id, nil
}

// recordedChannel returns the first channel of the recording that match
// accepts and that was not returned before: what the Stage made.
func (b *Bed) recordedChannel(match func(name string) bool) (string, error) {
	for _, m := range b.played {
		if name := m.Get("Channel"); m.Event() == "Newchannel" && match(name) && !b.named[name] {
			b.named[name] = true
			return name, nil
		}
	}
	return "", fmt.Errorf("testbed: the recording has no such channel")
}

// replayStage is Stage on a replay: it names the channels the recording
// shows, and does nothing, as the recording has it done.
type replayStage struct{ b *Bed }

func (r replayStage) InboundCall(number, queue string) (string, error) {
	r.b.step("InboundCall")
	exten, err := inboundExten("in", number, queue)
	if err != nil {
		return "", err
	}
	return r.b.originateInbound(exten)
}

func (r replayStage) Dial(from, to string) (string, error) {
	r.b.step("Dial")
	prefix := r.b.Device(from) + "-"
	return r.b.recordedChannel(func(name string) bool { return strings.HasPrefix(name, prefix) })
}

func (r replayStage) Answer(string) error                 { r.b.step("Answer"); return nil }
func (r replayStage) Hold(string, string) error           { r.b.step("Hold"); return nil }
func (r replayStage) Unhold(string) error                 { r.b.step("Unhold"); return nil }
func (r replayStage) BlindTransfer(string, string) error  { r.b.step("BlindTransfer"); return nil }
func (r replayStage) Hangup(string, int) error            { r.b.step("Hangup"); return nil }
func (r replayStage) DBGet(string, string) (string, bool) { return "", false }
func (r replayStage) DBPut(string, string, string)        { r.b.step("DBPut") }
func (r replayStage) DBDel(string, string) bool           { r.b.step("DBDel"); return false }
func (r replayStage) Restart(time.Duration)               { r.b.restart() }

func (r replayStage) SetAutoAnswer(string, time.Duration) error {
	r.b.step("SetAutoAnswer")
	return nil
}

// step says what the test does to the PBX: a recording notes it, a replay
// goes on to where the test did it when recorded (and no further, until
// the test's next step); pbxsim needs no telling.
func (b *Bed) step(name string, args ...string) {
	switch {
	case b.link != nil:
		b.link.mark(name, args...)
	case b.replay != nil:
		b.replay.Stage(name)
		b.awaitCaughtUp()
	}
}

// noteCaughtUp passes on, from the model, how far the replay's steps have
// come through it (amitest.StepEvent; the end counts as every step).
func (b *Bed) noteCaughtUp(e pbx.Event) {
	u, ok := e.(pbx.UserEvent)
	switch {
	case !ok:
	case u.Name == amitest.StepEvent:
		n, _ := strconv.Atoi(u.Fields["Step"])
		b.caughtUp <- n
	case u.Name == amitest.End:
		b.caughtUp <- math.MaxInt
	}
}

// awaitCaughtUp waits until the model has applied every event recorded
// before the step the test just took again: the test then goes on from the
// model the live test saw.
func (b *Bed) awaitCaughtUp() {
	b.T.Helper()
	b.steps++
	deadline := time.After(10 * time.Second)
	for b.seen < b.steps {
		select {
		case b.seen = <-b.caughtUp:
		case <-b.replay.Done():
			return // cut off for good: no step comes through the model any more
		case <-deadline:
			b.T.Fatalf("testbed: the replay did not come to the test's step %d; waiting for: %s", b.steps, b.replay.Waiting())
		}
	}
}

// IsReplay reports whether the bed plays a recording.
func (b *Bed) IsReplay() bool { return b.replay != nil }

// Clock is the bed's time: a replay's recorded time, else the wall clock.
func (b *Bed) Clock() clock.Clock {
	if b.replay != nil {
		return b.replay.Clock()
	}
	return clock.Wall
}

// UntilEnd hands f the model's events, from the first not yet read from
// Events, until the end of what the test saw when recorded: its last step,
// the end of the test (Done), or the end of the recording. Every event
// recorded before then has been applied. Call it at the end of the test.
func (b *Bed) UntilEnd(f func(pbx.Event)) {
	b.T.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-b.Events:
			if u, ok := e.(pbx.UserEvent); ok && (u.Name == amitest.End ||
				u.Name == amitest.StepEvent && u.Fields["Step"] == strconv.Itoa(b.recordedSteps)) {
				return
			}
			f(e)
		case <-deadline:
			b.replay.Wait(0)
			b.T.Fatal("testbed: the replay is done but its end did not come through the model")
		}
	}
}
