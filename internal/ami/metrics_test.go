package ami_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/coocenter/coocenterd/internal/ami"
)

// connectSeeingBoot connects to f with a subscription made before the
// login, and waits until it has seen the login's FullyBooted.
func connectSeeingBoot(t *testing.T, f *fakeAMI) (*ami.Client, *ami.Subscription) {
	t.Helper()
	open := f.hold()
	c := ami.Connect(context.Background(), f.config())
	t.Cleanup(func() { c.Close() })
	sub := c.Subscribe(0)
	open()
	waitKind(t, sub, ami.Connected)
	waitEvent(t, sub, "FullyBooted")
	return c, sub
}

// TestMetrics: the client, as a collector, says whether it is connected,
// how often it logged in again, and how many events of each name arrived.
func TestMetrics(t *testing.T) {
	f := newFakeAMI(t)
	f.set(func(f *fakeAMI) {
		f.handler = func(fc *fakeConn, m ami.Message) { // events, then the answer
			for range 3 {
				fc.send("Event", "Newchannel", "Privilege", "call,all", "Channel", "SIP/801-00000001")
			}
			fc.send("Event", "Hangup", "Privilege", "call,all", "Channel", "SIP/801-00000001")
			fc.send("Response", "Success", "ActionID", m.ActionID())
		}
	})
	c, sub := connectSeeingBoot(t, f)
	if _, err := c.Do(context.Background(), ami.Action{Name: "Flood"}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, "Hangup") // counted before any subscriber sees it
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP coocenter_ami_connected 1 while a logged-in AMI connection to Asterisk is up.
# TYPE coocenter_ami_connected gauge
coocenter_ami_connected 1
# HELP coocenter_ami_events_total AMI events received from Asterisk, by event name (the items of an action's list excepted).
# TYPE coocenter_ami_events_total counter
coocenter_ami_events_total{event="FullyBooted"} 1
coocenter_ami_events_total{event="Hangup"} 1
coocenter_ami_events_total{event="Newchannel"} 3
# HELP coocenter_ami_reconnects_total Successful AMI logins after the first.
# TYPE coocenter_ami_reconnects_total counter
coocenter_ami_reconnects_total 0
`)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}

	f.close()
	waitKind(t, sub, ami.Disconnected)
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP coocenter_ami_connected 1 while a logged-in AMI connection to Asterisk is up.
# TYPE coocenter_ami_connected gauge
coocenter_ami_connected 0
`), "coocenter_ami_connected"); err != nil {
		t.Errorf("after Asterisk went away: %v", err)
	}
}

// TestEventNamesBounded: a peer that invents event names cannot grow the
// metric without limit; the names past the bound are counted as "other".
func TestEventNamesBounded(t *testing.T) {
	const extra = 40
	f := newFakeAMI(t)
	f.set(func(f *fakeAMI) {
		f.handler = func(fc *fakeConn, m ami.Message) {
			for i := range ami.MaxEventNames + extra {
				fc.send("Event", fmt.Sprintf("Invented%04d", i))
			}
			fc.send("Response", "Success", "ActionID", m.ActionID())
		}
	})
	c, sub := connectSeeingBoot(t, f) // FullyBooted is one name of the bound
	if _, err := c.Do(context.Background(), ami.Action{Name: "Flood"}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, fmt.Sprintf("Invented%04d", ami.MaxEventNames+extra-1))
	counts := c.EventCounts()
	if len(counts) != ami.MaxEventNames+1 {
		t.Errorf("%d names, want %d and other", len(counts), ami.MaxEventNames)
	}
	if counts["other"] != extra+1 {
		t.Errorf("other = %d, want %d", counts["other"], extra+1)
	}
	if counts["FullyBooted"] != 1 || counts["Invented0000"] != 1 {
		t.Errorf("FullyBooted = %d, Invented0000 = %d, want 1 each", counts["FullyBooted"], counts["Invented0000"])
	}
}
