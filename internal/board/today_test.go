package board

import (
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/testkit"
)

var shanghai = time.FixedZone("CST", 8*3600)

// testNow is a clock a test moves by hand.
type testNow struct {
	mu sync.Mutex
	t  time.Time
}

func (n *testNow) now() time.Time  { n.mu.Lock(); defer n.mu.Unlock(); return n.t }
func (n *testNow) set(t time.Time) { n.mu.Lock(); n.t = t; n.mu.Unlock() }

func ended(queue, agent string, start time.Time, wait time.Duration, side, state string) pbx.QueueCallEnded {
	return pbx.QueueCallEnded{At: start.Add(wait + time.Minute), Call: pbx.QueueCall{Queue: queue, Agent: agent,
		Start: start, QueueTime: wait, HangupSide: side, State: state}}
}

func TestTallyCountsTheDayAndKeepsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := &testNow{t: time.Date(2026, 12, 8, 9, 0, 0, 0, shanghai)}
	view := View{Location: shanghai, SLA: 20 * time.Second}
	tally, err := OpenTally(db, view, clk.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := clk.now()
	for _, ev := range []pbx.Event{
		ended("630", "801", at, 5*time.Second, "agent", "bridged"),                  // answered in time
		ended("630", "802", at, 20*time.Second, "caller", "bridged"),                // answered at the threshold: in time
		ended("630", "801", at, 21*time.Second, "caller", "bridged"),                // answered late
		ended("630", "", at, 8*time.Second, "caller", "queue"),                      // abandoned
		ended("630", "", at, 60*time.Second, "", "ivr"),                             // timed out to the IVR: offered only
		ended("631", "", at, 3*time.Second, "caller", "queue"),                      // another queue
		ended("", "", at, 0, "caller", "ivr"),                                       // never joined a queue: not counted
		ended("630", "801", at.Add(-10*time.Hour), time.Second, "agent", "bridged"), // yesterday's
		pbx.MemberPaused{Queue: "630"},                                              // not a queue call
	} {
		tally.Handle(ev)
	}
	pct := func(n int) *int { return &n }
	check := func(what string, got map[string]Counts, want map[string]Counts) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d queues %v, want %d", what, len(got), got, len(want))
		}
		for q, w := range want {
			g := got[q]
			if g.Offered != w.Offered || g.Answered != w.Answered || g.Abandoned != w.Abandoned ||
				g.AnsweredWithinSLA != w.AnsweredWithinSLA || (g.SLAPercent == nil) != (w.SLAPercent == nil) ||
				g.SLAPercent != nil && *g.SLAPercent != *w.SLAPercent {
				t.Errorf("%s: queue %s: %+v (sla %v), want %+v (sla %v)", what, q, g, deref(g.SLAPercent), w, deref(w.SLAPercent))
			}
		}
	}
	want := map[string]Counts{
		"630": {Offered: 5, Answered: 3, Abandoned: 1, AnsweredWithinSLA: 2, SLAPercent: pct(40)},
		"631": {Offered: 1, Abandoned: 1, SLAPercent: pct(0)},
	}
	check("counted", tally.Today(), want)
	// The writer stores them without waiting for Close.
	testkit.Eventually(t, "the counts on disk", 5*time.Second, func() bool {
		var rec todayRecord
		_ = db.View(func(tx *bbolt.Tx) error { return json.Unmarshal(tx.Bucket(bucketToday).Get([]byte("today")), &rec) })
		return rec.Day == "2026-12-08" && rec.Queues["630"].Offered == 5 && rec.Queues["631"].Offered == 1
	})

	// A restart the same day finds the counts.
	tally.Close() // as the daemon stops: the counts not yet written are
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clk.set(time.Date(2026, 12, 8, 23, 59, 0, 0, shanghai))
	again, err := OpenTally(db, view, clk.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	check("after a restart", again.Today(), want)

	// Midnight in the box's time zone starts them again.
	clk.set(time.Date(2026, 12, 9, 0, 0, 1, 0, shanghai))
	check("after midnight", again.Today(), map[string]Counts{})
	if next := again.nextMidnight(time.Date(2026, 12, 8, 16, 30, 0, 0, time.UTC)); !next.Equal(time.Date(2026, 12, 10, 0, 0, 0, 0, shanghai)) {
		t.Errorf("next midnight after 00:30 CST on the 9th: %v", next)
	}
	// And a restart on the next day does not bring yesterday's back.
	fresh, err := OpenTally(db, view, clk.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	check("restart the next day", fresh.Today(), map[string]Counts{})
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestCountsRoundHalfUp(t *testing.T) {
	var c Counts
	call := pbx.QueueCall{Queue: "q", Agent: "801"}
	c.count(call, time.Second) // 1 of 1
	call.QueueTime = time.Minute
	c.count(call, time.Second) // 1 of 2: 50
	c.count(call, time.Second) // 1 of 3: 33.3
	if *c.SLAPercent != 33 {
		t.Fatalf("1 of 3: %d%%", *c.SLAPercent)
	}
	var d Counts
	for range 7 {
		d.count(pbx.QueueCall{Agent: "801"}, time.Second)
	}
	d.count(call, time.Second) // 7 of 8: 87.5 → 88
	if *d.SLAPercent != 88 {
		t.Fatalf("7 of 8: %d%%", *d.SLAPercent)
	}
}
