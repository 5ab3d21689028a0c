// Package testbed gives scenario tests a PBX to talk to: the simulated one
// (internal/pbxsim) by default, or a real Asterisk when COOCENTER_TEST_AMI
// is set to "host:port,user,secret". The same test runs against both: it
// makes calls happen through Stage, pbxsim's control API or, on a real
// Asterisk, AMI and SIP phones of the test's own.
package testbed

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/ami/amitest"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/pbxsim"
	"github.com/coocenter/coocenterd/internal/testbed/sipphone"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// EnvVar names the real Asterisk to test against.
const EnvVar = "COOCENTER_TEST_AMI"

// Bed is one PBX with a connected client and live model.
type Bed struct {
	T      testing.TB
	Client *ami.Client
	Model  *pbx.PBX
	Sim    *pbxsim.Server // nil against a real Asterisk or a replay
	Events chan pbx.Event // the model's domain events

	ami           ami.Config                 // how Client logs in
	stage         *ami.Client                // a real Asterisk's own connection for Stage: not the model's, not recorded
	replay        *amitest.Replay            // the recording played to the model, if the bed is a replay
	played        []ami.Message              // its recorded events, for replayStage
	named         map[string]bool            // channels replayStage has returned
	recordedSteps int                        // steps the replay's recording holds
	steps         int                        // steps the test has taken on the replay
	seen          int                        // steps whose recorded events the model has applied
	caughtUp      chan int                   // the step numbers the model passes on
	link          *link                      // the way to a real Asterisk
	phones        map[string]*sipphone.Phone // registered phones on a real Asterisk
	techs         map[string]pbx.Tech        // each phone's technology (Device)
}

// Options adjust the bed.
type Options struct {
	// Registered phones at start ("801", "904"): pbxsim registers them;
	// on a real Asterisk they are SIP user agents of the test (see
	// phones.go, and Device for their technology).
	Registered []string
	AutoAnswer time.Duration // phones answer after this (pbxsim); 0 = the test answers
}

// Real reports whether the tests run against a real Asterisk.
func Real() bool { return os.Getenv(EnvVar) != "" }

// Start connects a client and a model to the PBX and waits until the model
// has synced. Everything is closed when the test ends.
func Start(t testing.TB, opts Options) *Bed {
	t.Helper()
	b := &Bed{T: t, Events: make(chan pbx.Event, 4096), phones: map[string]*sipphone.Phone{}}
	cfg := ami.Config{AuthType: "md5", Logger: slog.New(slog.DiscardHandler),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, BootWait: time.Second}
	if env := os.Getenv(EnvVar); env != "" {
		parts := strings.Split(env, ",")
		if len(parts) != 3 {
			t.Fatalf("%s must be host:port,user,secret", EnvVar)
		}
		cfg.Username, cfg.Secret = parts[1], parts[2]
		record := ""
		if dir := os.Getenv(RecordEnv); dir != "" {
			name := strings.TrimSuffix(t.Name(), "/"+Live)
			record = filepath.Join(dir, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(name, "_"))
			cfg.AuthType = "plain" // a plain Login, so that pbxsim can replay it
		}
		b.link = startLink(t, parts[0], record)
		direct := cfg
		direct.Addr = parts[0]
		b.stage = ami.Connect(context.Background(), direct)
		t.Cleanup(func() { b.stage.Close() })
		cfg.Addr = b.link.addr
	} else {
		sim, err := pbxsim.Start(pbxsim.Options{Registered: opts.Registered, AutoAnswer: opts.AutoAnswer, Timing: pbxsim.FastTiming(), ArmAgents: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		b.Sim = sim
		cfg.Addr, cfg.Username, cfg.Secret = sim.Addr(), "coocenter", "coocenter-secret"
	}
	b.connect(cfg, pbx.Options{})
	if b.stage != nil {
		b.waitFor("stage connected", b.stage.Connected)
	}
	b.learnPhones()
	if b.Sim == nil {
		// A real PBX outlives the test: begin and end without calls, and end
		// them while the phones still answer, so that nothing rings on.
		b.hangupAll()
		t.Cleanup(b.hangupAll)
		// The blacklist family is the daemon's: each test begins without
		// what an earlier one left (it would be imported as a migration).
		_, _ = realStage{b}.do("DBDelTree", ami.Header{Key: "Family", Value: "blacklist"})
		for _, ext := range opts.Registered {
			b.startPhone(ext, opts.AutoAnswer)
		}
		for _, ext := range opts.Registered {
			b.waitRegistered(ext)
		}
	}
	b.step("Start") // the bed is ready: a replay holds here until its own bed is
	return b
}

// connect logs a client in with cfg and starts a model on it with opts,
// feeding its events to also and to Events, and waits until the model has
// synced.
func (b *Bed) connect(cfg ami.Config, opts pbx.Options, also ...func(pbx.Event)) {
	b.ami = cfg
	b.Client = ami.Connect(context.Background(), cfg)
	b.T.Cleanup(func() { b.Client.Close() })
	opts.Logger = slog.New(slog.DiscardHandler)
	b.Model = pbx.New(b.Client, opts)
	for _, f := range also {
		b.Model.Subscribe(f)
	}
	b.Model.Subscribe(func(e pbx.Event) {
		select {
		case b.Events <- e:
		default:
		}
	})
	b.Model.Start(context.Background())
	b.T.Cleanup(b.Model.Close)
	b.waitFor("model synced", b.Model.Connected)
}

// AMI returns where and as whom another client, such as a whole daemon
// under test, logs in to the bed's PBX: on a real Asterisk through the
// bed's link, so that AsteriskAway cuts it off too.
func (b *Bed) AMI() (addr, username, secret string) {
	return b.ami.Addr, b.ami.Username, b.ami.Secret
}

// AsteriskAway makes the PBX unreachable for d: pbxsim restarts (it forgets
// calls and registrations); a real Asterisk is cut off behind the bed's
// link and keeps its calls, so that other tests are not disturbed; a
// replay has it recorded.
func (b *Bed) AsteriskAway(d time.Duration) {
	b.step(amitest.Cut)
	switch {
	case b.Sim != nil:
		b.Sim.Restart(d)
	case b.link != nil:
		b.link.cut(d)
	}
}

// Eventually waits until cond holds: at most 5 s on pbxsim or a replay,
// 15 s on a real Asterisk (a restart of it takes seconds). It is a step of
// the test: a recording notes where cond came to hold, and a replay plays
// up to there and waits, so that the test sees the state it saw live
// however fast the replay plays.
func (b *Bed) Eventually(what string, cond func() bool) {
	b.T.Helper()
	b.waitFor(what, cond)
	b.step("Eventually", what)
}

// waitFor is Eventually for the bed's own waits, which are no steps.
func (b *Bed) waitFor(what string, cond func() bool) {
	b.T.Helper()
	wait := 5 * time.Second
	if b.link != nil {
		wait = 15 * time.Second
	}
	if testkit.Poll(wait, cond) {
		return
	}
	if b.replay != nil {
		what += " (the replay waits for: " + b.replay.Waiting() + ")"
	}
	b.T.Fatalf("timed out after %v waiting for: %s", wait, what)
}

// ChannelsOf returns the model's channels whose name starts with prefix.
func (b *Bed) ChannelsOf(prefix string) []pbx.Channel {
	var out []pbx.Channel
	for _, c := range b.Model.Channels() {
		if strings.HasPrefix(c.Name, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// Ctx is a context for one command.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// String describes the bed in failure messages.
func (b *Bed) String() string {
	if b.Sim != nil {
		return "pbxsim " + b.Sim.Addr()
	}
	if b.replay != nil {
		return "replay " + b.replay.Addr()
	}
	return fmt.Sprintf("asterisk %s", os.Getenv(EnvVar))
}
