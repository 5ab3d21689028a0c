package pausetimer

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetrics: the Timer, as a collector, counts the after-call pauses
// pending by state, both states always present.
func TestMetrics(t *testing.T) {
	h := newHarness(t, Options{Enabled: true})
	want := func(running, deferred string) {
		t.Helper()
		err := testutil.CollectAndCompare(h.timer, strings.NewReader(`
# HELP coocenter_wrapups `+wrapUpsHelp+`
# TYPE coocenter_wrapups gauge
coocenter_wrapups{state="deferred"} `+deferred+`
coocenter_wrapups{state="running"} `+running+`
`))
		if err != nil {
			t.Error(err)
		}
	}
	want("0", "0")
	h.send(h.pbx.setHint("802", 1)) // 802 is on another call: its pause waits
	h.send(completed("801", "c1"), callEnded("801", "c1"), completed("802", "c2"), callEnded("802", "c2"))
	h.wantCalls(pause("801"))
	want("1", "1")
	h.at(30)
	h.wantRecords(rec("c1", 30))
	want("0", "1")
	if problems, err := testutil.CollectAndLint(h.timer); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
