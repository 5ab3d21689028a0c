package pbxsim

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// queueEntryKeys are the headers of a QueueEntry in the order Asterisk
// 20's app_queue (manager_queues_status) writes them; no recording holds
// one, as the lab's callers never waited while QueueStatus was asked.
var queueEntryKeys = []string{"Event", "Queue", "Position", "Channel", "Uniqueid", "CallerIDNum", "CallerIDName",
	"ConnectedLineNum", "ConnectedLineName", "Wait", "Priority", "ActionID"}

// TestQueueStatusListsWaitingCallers: QueueStatus lists the callers
// waiting in a queue after its members, by position, as QueueEntry items
// with app_queue's headers; Wait is the whole seconds since the caller
// joined.
func TestQueueStatusListsWaitingCallers(t *testing.T) {
	timing := FastTiming()
	timing.QueueMaxWait = time.Minute
	sim := startSim(t, Options{Timing: timing})
	c := dialSim(t, sim)
	c.login()
	first, err := sim.InboundCall("0501112222", "632") // nobody logged in at 632: they wait
	if err != nil {
		t.Fatal(err)
	}
	c.event("QueueCallerJoin", 1)
	time.Sleep(1100 * time.Millisecond)
	second, err := sim.InboundCall("0503334444", "632")
	if err != nil {
		t.Fatal(err)
	}
	c.event("QueueCallerJoin", 2)
	c.action("Action", "QueueStatus", "Queue", "632", "ActionID", "qs")
	done := c.waitFor("QueueStatusComplete", func(m ami.Message) bool { return m.Event() == "QueueStatusComplete" })
	var items []ami.Message
	for _, m := range c.all() {
		if m.ActionID() == "qs" && m.IsEvent() && m.Event() != "QueueStatusComplete" {
			items = append(items, m)
		}
	}
	if done.Get("ListItems") != itoa(len(items)) {
		t.Errorf("ListItems %s, %d items", done.Get("ListItems"), len(items))
	}
	var entries []ami.Message
	for i, m := range items {
		if m.Event() == "QueueEntry" {
			entries = append(entries, m)
		} else if len(entries) > 0 {
			t.Errorf("item %d, %s, after a QueueEntry", i, m.Event())
		}
	}
	if len(entries) != 2 {
		t.Fatalf("%d QueueEntry items, want 2: %v", len(entries), items)
	}
	uniqueid := map[string]string{}
	for _, ch := range sim.Channels() {
		uniqueid[ch.Name] = ch.Uniqueid
	}
	for i, want := range []struct {
		channel, number string
		wait            func(int) bool
	}{
		{first, "0501112222", func(s int) bool { return s >= 1 }},
		{second, "0503334444", func(s int) bool { return s < 1 }},
	} {
		e := entries[i]
		wait, err := strconv.Atoi(e.Get("Wait"))
		if err != nil {
			t.Errorf("QueueEntry %d: Wait %q", i+1, e.Get("Wait"))
		}
		var keys []string
		for k := range e.All() {
			keys = append(keys, k)
		}
		if !slices.Equal(keys, queueEntryKeys) {
			t.Errorf("QueueEntry headers %v, want %v", keys, queueEntryKeys)
		}
		if e.Get("Queue") != "632" || e.Get("Position") != itoa(i+1) || e.Get("Channel") != want.channel ||
			e.Get("CallerIDNum") != want.number || e.Get("Uniqueid") != uniqueid[want.channel] ||
			!want.wait(wait) || e.Get("Priority") != "0" {
			t.Errorf("QueueEntry %d: %v", i+1, e)
		}
	}
}
