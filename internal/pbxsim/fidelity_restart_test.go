package pbxsim

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// restartTranscripts are the two sessions of one recording on a real
// Asterisk 20.20.1: the first logs in, runs the usual queries, places an
// inbound call into 632 and sends "core restart now", which cuts it; the
// second logs in while the new process boots, queries again, places a
// call and hangs it up. TestFidelity leaves them to TestFidelityRestart.
var restartTranscripts = []string{"ami-21-restart-mid-call-1.txt", "ami-21-restart-mid-call-2.txt"}

// TestFidelityRestart replays both sessions against one pbxsim, the second
// connection made once the first is cut and the PBX listens again, and
// compares each with the stream rules of TestFidelity.
func TestFidelityRestart(t *testing.T) {
	timing := replayTiming()
	// The second session logs in during the boot window, as the
	// recording's did: it must last longer than a login under -race.
	timing.Boot = 500 * time.Millisecond
	// Neither call gets past the IVR's Wait(1) in the recording.
	timing.IVRWait = time.Minute
	sim := startSim(t, Options{Timing: timing})

	first := dialSim(t, sim)
	want := replaySession(t, sim, first, scenario{}, readTranscript(t, restartTranscripts[0]))
	waitClosed(t, first, "core restart now")
	// Asterisk cut the session before the originate thread published
	// OriginateResponse and the Local device went INUSE (the second
	// session shows both right after DialEnd); pbxsim writes them with
	// the answer, before the Command.
	lost := map[string]int{"originate coo-258e75a4-9": 1, "device Local/inq-632-0507654321@from-trunk": 2}
	compareStreams(t, streams(want), dropLost(t, streams(first.all()), lost))

	waitUp(t, sim)
	second := dialSim(t, sim)
	want = replaySession(t, sim, second, scenario{}, readTranscript(t, restartTranscripts[1]))
	waitClosed(t, second, "Logoff")
	compareStreams(t, streams(want), streams(second.all()))
	if w, g := bootSequence(want), bootSequence(second.all()); !slices.Equal(w, g) {
		t.Errorf("boot window differs:\n%s", diffLines(w, g))
	}
}

// bootSequence is what a client logged in during the boot window gets up
// to FullyBooted, in order: the streams do not compare the order of the
// hints' ExtensionStatus and FullyBooted, which is the boot's.
func bootSequence(ms []ami.Message) []string {
	var out []string
	for _, m := range ms {
		line := cmp.Or(m.Event(), "Response "+m.Response())
		if m.Event() == "ExtensionStatus" {
			line += fmt.Sprintf(" %s@%s Hint=%q Status=%s", m.Get("Exten"), m.Get("Context"), m.Get("Hint"), m.Get("Status"))
		}
		out = append(out, line)
		if m.Event() == "FullyBooted" {
			break
		}
	}
	return out
}

// waitUp waits until the restarted PBX listens again.
func waitUp(t *testing.T, sim *Server) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !sim.IsUp() {
		if time.Now().After(deadline) {
			t.Fatal("pbxsim not up again after core restart now")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
