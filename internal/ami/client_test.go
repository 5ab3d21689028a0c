package ami_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// connect starts a client and waits for its Connected notice.
func connect(t *testing.T, cfg ami.Config) (*ami.Client, *ami.Subscription) {
	t.Helper()
	c := ami.Connect(context.Background(), cfg)
	t.Cleanup(func() { c.Close() })
	sub := c.Subscribe(0)
	waitKind(t, sub, ami.Connected)
	return c, sub
}

// waitKind reads sub until an event of kind k arrives (bounded in time).
func waitKind(t *testing.T, sub *ami.Subscription, k ami.Kind) ami.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-sub.C():
			if !ok {
				t.Fatalf("subscription closed while waiting for kind %d", k)
			}
			if e.Kind == k {
				return e
			}
		case <-timeout:
			t.Fatalf("no event of kind %d within 5s", k)
		}
	}
}

// waitEvent reads sub until an AMI event named name arrives.
func waitEvent(t *testing.T, sub *ami.Subscription, name string) ami.Message {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-sub.C():
			if e.Kind == ami.AMIEvent && e.Msg.Event() == name {
				return e.Msg
			}
		case <-timeout:
			t.Fatalf("no %s event within 5s", name)
		}
	}
}

func TestLoginPlainAndMD5(t *testing.T) {
	for _, auth := range []string{"plain", "md5"} {
		t.Run(auth, func(t *testing.T) {
			f := newFakeAMI(t)
			cfg := f.config()
			cfg.AuthType = auth
			// Subscribed before the login can happen: a subscriber that
			// comes later learns only Connected (with Booted set).
			open := f.hold()
			c := ami.Connect(context.Background(), cfg)
			t.Cleanup(func() { c.Close() })
			sub := c.Subscribe(0)
			open()
			waitKind(t, sub, ami.Connected)
			if st := c.Status(); !st.Connected || !st.Booted || st.Version != "9.0.0" {
				t.Fatalf("status %+v", st)
			}
			// FullyBooted came with the login, and reaches subscribers after Connected.
			waitEvent(t, sub, "FullyBooted")
			for _, m := range f.actions() {
				if m.Get("Action") == "Login" && auth == "md5" && m.Get("Secret") != "" {
					t.Fatal("MD5 login sent the secret in clear")
				}
			}
		})
	}
}

func TestLoginRefused(t *testing.T) {
	f := newFakeAMI(t)
	cfg := f.config()
	cfg.Secret = "wrong"
	c := ami.Connect(context.Background(), cfg)
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.Status().LastError, "authentication failed") {
		if time.Now().After(deadline) {
			t.Fatalf("status %+v", c.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if c.Connected() {
		t.Fatal("connected with a wrong secret")
	}
	if strings.Contains(c.Status().LastError, "wrong") {
		t.Fatal("the secret appears in the error")
	}
	_, err := c.Do(context.Background(), ami.Action{Name: "Ping"})
	if !errors.Is(err, ami.ErrNotConnected) {
		t.Fatalf("Do while refused: %v", err)
	}
}

func TestActionTimeoutCleansUp(t *testing.T) {
	f := newFakeAMI(t)
	f.set(func(f *fakeAMI) { f.handler = func(*fakeConn, ami.Message) {} }) // never answers
	c, _ := connect(t, f.config())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Do(ctx, ami.Action{Name: "QueueStatus"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("timeout took too long")
	}
	if n := c.PendingCount(); n != 0 {
		t.Fatalf("%d actions left pending after timeout", n)
	}
}

// TestActionWithoutDeadlineEndsAtActionTimeout: a caller whose ctx has no
// deadline (an HTTP handler's, say) still gets an answer from a silent
// Asterisk once Config.ActionTimeout has passed, and the link stays up.
func TestActionWithoutDeadlineEndsAtActionTimeout(t *testing.T) {
	f := newFakeAMI(t)
	f.set(func(f *fakeAMI) { f.handler = func(*fakeConn, ami.Message) {} }) // never answers
	cfg := f.config()
	cfg.ActionTimeout = 100 * time.Millisecond
	c, _ := connect(t, cfg)
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := c.Do(context.Background(), ami.Action{Name: "QueueStatus"})
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d < cfg.ActionTimeout {
			t.Fatalf("gave up after %v, before ActionTimeout", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Do without a deadline still waiting after 5s")
	}
	if n := c.PendingCount(); n != 0 {
		t.Fatalf("%d actions left pending after the timeout", n)
	}
	if !c.Connected() {
		t.Fatal("an unanswered action dropped the connection")
	}
}

// TestDisconnectedFailsFast: once the link has dropped and Asterisk does not
// come back, actions fail at once with ErrNotConnected instead of waiting
// for the reconnect.
func TestDisconnectedFailsFast(t *testing.T) {
	f := newFakeAMI(t)
	c, sub := connect(t, f.config())
	f.close() // Asterisk gone, and it stays away
	waitKind(t, sub, ami.Disconnected)
	start := time.Now()
	_, err := c.Do(context.Background(), ami.Action{Name: "Ping"})
	if !errors.Is(err, ami.ErrNotConnected) || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("got %v after %v", err, time.Since(start))
	}
	if c.Connected() || c.Status().Connected {
		t.Fatalf("still reported connected: %+v", c.Status())
	}
}

// TestPendingTableNeverGrows: completed and timed-out ActionIDs leave the
// table (wenerme/astgo kept them forever).
func TestPendingTableNeverGrows(t *testing.T) {
	f := newFakeAMI(t)
	f.set(func(f *fakeAMI) {
		f.handler = func(fc *fakeConn, m ami.Message) {
			if m.Get("Silent") == "" {
				fc.send("Response", "Success", "ActionID", m.ActionID())
			}
		}
	})
	c, _ := connect(t, f.config())
	for i := range 500 {
		a := ami.Action{Name: "Test"}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if i%50 == 0 {
			a.Headers = []ami.Header{{Key: "Silent", Value: "1"}}
			cancel()
			ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
		}
		_, _ = c.Do(ctx, a)
		cancel()
	}
	if n := c.PendingCount(); n != 0 {
		t.Fatalf("%d ActionIDs left in the pending table", n)
	}
}

// TestEventListWithInterleavedEvents: every item of a list is returned, not
// just the first message (ivahaev/amigo), and an unrelated event read in the
// middle is neither taken for the answer (heltonmarx/goami #22) nor lost.
func TestEventListWithInterleavedEvents(t *testing.T) {
	f := newFakeAMI(t)
	f.set(func(f *fakeAMI) {
		f.handler = func(fc *fakeConn, m ami.Message) {
			id := m.ActionID()
			fc.send("Event", "Newstate", "Privilege", "call,all", "Channel", "SIP/801-00000001")
			fc.send("Event", "OriginateResponse", "ActionID", "other-session-1", "Response", "Success")
			fc.send("Response", "Success", "ActionID", id, "EventList", "start", "Message", "Channels will follow")
			for i := range 3 {
				fc.send("Event", "CoreShowChannel", "ActionID", id, "Channel", fmt.Sprintf("SIP/80%d-0000000%d", i, i))
				if i == 1 {
					fc.send("Event", "Hangup", "Privilege", "call,all", "Channel", "SIP/809-00000009")
				}
			}
			fc.send("Event", "CoreShowChannelsComplete", "ActionID", id, "EventList", "Complete", "ListItems", "3")
		}
	})
	c, sub := connect(t, f.config())
	res, err := c.Do(context.Background(), ami.Action{Name: "CoreShowChannels"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Response.Get("Message") != "Channels will follow" {
		t.Fatalf("response taken from the wrong message: %q", res.Response.String())
	}
	if len(res.Events) != 3 || res.Events[2].Get("Channel") != "SIP/802-00000002" {
		t.Fatalf("list items: %d", len(res.Events))
	}
	if res.Complete.Get("ListItems") != "3" {
		t.Fatalf("complete: %q", res.Complete.String())
	}
	waitEvent(t, sub, "Newstate")
	waitEvent(t, sub, "OriginateResponse")
	waitEvent(t, sub, "Hangup")
}

// TestLegacyListWithoutEventList: before Asterisk 13.2 some acks lacked
// `EventList: start` and Complete events lacked `EventList: Complete`.
func TestLegacyListWithoutEventList(t *testing.T) {
	f := newFakeAMI(t)
	f.set(func(f *fakeAMI) {
		f.handler = func(fc *fakeConn, m ami.Message) {
			id := m.ActionID()
			fc.send("Response", "Success", "ActionID", id, "Message", "Result will follow")
			fc.send("Event", "DBGetResponse", "ActionID", id, "Family", "blacklist", "Key", "123", "Val", "x")
			fc.send("Event", "DBGetComplete", "ActionID", id)
		}
	})
	c, _ := connect(t, f.config())
	res, err := c.Do(context.Background(), ami.Action{Name: "DBGet", Headers: []ami.Header{{Key: "Family", Value: "blacklist"}, {Key: "Key", Value: "123"}}})
	if err != nil || len(res.Events) != 1 || res.Events[0].Get("Val") != "x" {
		t.Fatalf("got %+v, %v", res, err)
	}
}

func TestErrorResponse(t *testing.T) {
	f := newFakeAMI(t)
	c, _ := connect(t, f.config())
	_, err := c.Do(context.Background(), ami.Action{Name: "Bogus"})
	var re *ami.ResponseError
	if !errors.As(err, &re) || !strings.HasPrefix(re.Message, "Invalid/unknown command") {
		t.Fatalf("got %v", err)
	}
}

// TestDisconnectFailsPendingAtOnce: nothing hangs when the link drops.
func TestDisconnectFailsPendingAtOnce(t *testing.T) {
	f := newFakeAMI(t)
	arrived := make(chan struct{}, 10)
	f.set(func(f *fakeAMI) { f.handler = func(*fakeConn, ami.Message) { arrived <- struct{}{} } })
	c, _ := connect(t, f.config())
	errs := make(chan error, 5)
	for range 5 {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := c.Do(ctx, ami.Action{Name: "Originate"})
			errs <- err
		}()
	}
	for range 5 {
		<-arrived
	}
	start := time.Now()
	f.close()
	for range 5 {
		if err := <-errs; !errors.Is(err, ami.ErrDisconnected) {
			t.Fatalf("got %v, want ErrDisconnected", err)
		}
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("pending actions were not failed at once")
	}
}

func TestReconnectAfterRestart(t *testing.T) {
	f := newFakeAMI(t)
	c, sub := connect(t, f.config())
	f.restart(50 * time.Millisecond)
	e := waitKind(t, sub, ami.Disconnected)
	if !errors.Is(e.Err, ami.ErrDisconnected) {
		t.Fatalf("disconnect reason %v", e.Err)
	}
	waitKind(t, sub, ami.Connected)
	if _, err := c.Do(context.Background(), ami.Action{Name: "Ping"}); err != nil {
		t.Fatal(err)
	}
	if st := c.Status(); st.Reconnects != 1 || f.loginCount() != 2 {
		t.Fatalf("status %+v, logins %d", st, f.loginCount())
	}
}

func TestKeepAliveDropsSilentConnection(t *testing.T) {
	f := newFakeAMI(t)
	cfg := f.config()
	cfg.PingInterval = 20 * time.Millisecond
	cfg.ActionTimeout = 50 * time.Millisecond
	_, sub := connect(t, cfg)
	f.set(func(f *fakeAMI) { f.noPong = true })
	e := waitKind(t, sub, ami.Disconnected)
	if !strings.Contains(e.Err.Error(), "keep-alive") {
		t.Fatalf("disconnect reason %v", e.Err)
	}
	f.set(func(f *fakeAMI) { f.noPong = false })
	waitKind(t, sub, ami.Connected)
}

func TestConnectedWithoutFullyBooted(t *testing.T) {
	f := newFakeAMI(t)
	f.set(func(f *fakeAMI) { f.noBoot = true })
	cfg := f.config()
	cfg.BootWait = 20 * time.Millisecond
	c := ami.Connect(context.Background(), cfg)
	defer c.Close()
	sub := c.Subscribe(0)
	if e := waitKind(t, sub, ami.Connected); e.Booted {
		t.Fatal("reported booted without FullyBooted")
	}
}

// TestSlowSubscriberDoesNotStallOthers: a subscriber that stops reading
// neither blocks the socket reader (amigo #33) nor the other subscribers,
// and learns how much it lost.
func TestSlowSubscriberDoesNotStallOthers(t *testing.T) {
	f := newFakeAMI(t)
	f.set(func(f *fakeAMI) {
		f.handler = func(fc *fakeConn, m ami.Message) {
			for i := range 1000 {
				fc.send("Event", "Newstate", "Privilege", "call,all", "Seq", strconv.Itoa(i))
			}
			fc.send("Response", "Success", "ActionID", m.ActionID())
		}
	})
	c, fast := connect(t, f.config())
	stuck := c.Subscribe(10)
	res, err := c.Do(context.Background(), ami.Action{Name: "Flood"})
	if err != nil {
		t.Fatal(err) // the reader kept routing answers while stuck was full
	}
	for i := range 1000 {
		m := waitEvent(t, fast, "Newstate")
		if m.Get("Seq") != strconv.Itoa(i) {
			t.Fatalf("fast subscriber: got seq %s, want %d", m.Get("Seq"), i)
		}
	}
	if fast.Dropped() != 0 || stuck.Dropped() == 0 {
		t.Fatalf("dropped: fast %d, stuck %d", fast.Dropped(), stuck.Dropped())
	}
	// Every loss is announced, where it happened: the Overflows before an
	// event add up to the gap before it, and the last of them has the Seq
	// of the last event lost. The stream accounts for every event up to
	// the Flood's answer.
	var announced, gap, lastLost, lastEvent uint64
	timeout := time.After(5 * time.Second)
	for max(lastEvent, lastLost) < res.Seq {
		select {
		case e := <-stuck.C():
			switch e.Kind {
			case ami.Overflow:
				announced += e.Dropped
				gap += e.Dropped
				lastLost = e.Seq
			case ami.AMIEvent:
				switch {
				case gap > 0 && lastLost != e.Seq-1:
					t.Fatalf("an Overflow says events up to %d were lost, the next event has %d", lastLost, e.Seq)
				case lastEvent > 0 && e.Seq-1-lastEvent != gap:
					t.Fatalf("events %d to %d lost, %d announced", lastEvent+1, e.Seq-1, gap)
				}
				gap, lastEvent = 0, e.Seq
			}
		case <-timeout:
			t.Fatalf("the stuck subscription accounted for events up to %d of %d", max(lastEvent, lastLost), res.Seq)
		}
	}
	if announced != stuck.Dropped() {
		t.Fatalf("overflow events say %d dropped, counter %d", announced, stuck.Dropped())
	}
}

// TestResultSeqCoversEventsBefore: an answer's Seq is the Seq of the last
// event read before it, so a subscriber that has handled that event has
// seen what Asterisk wrote before answering; events number on from 1,
// over reconnects.
func TestResultSeqCoversEventsBefore(t *testing.T) {
	f := newFakeAMI(t)
	f.set(func(f *fakeAMI) {
		f.handler = func(fc *fakeConn, m ami.Message) {
			for i := range 3 {
				fc.send("Event", "Newstate", "Privilege", "call,all", "N", strconv.Itoa(i))
			}
			fc.send("Response", "Success", "ActionID", m.ActionID())
			fc.send("Event", "Newstate", "Privilege", "call,all", "N", "3")
		}
	})
	c, sub := connect(t, f.config())
	for round := range 2 {
		res, err := c.Do(context.Background(), ami.Action{Name: "Test"})
		if err != nil {
			t.Fatal(err)
		}
		var seqs []uint64
		for len(seqs) < 4 {
			select {
			case e := <-sub.C():
				if e.Kind == ami.AMIEvent && e.Msg.Event() == "Newstate" {
					seqs = append(seqs, e.Seq)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("round %d: %d of 4 events", round, len(seqs))
			}
		}
		for i := 1; i < len(seqs); i++ {
			if seqs[i] != seqs[i-1]+1 {
				t.Fatalf("round %d: event Seqs %v do not number on by one", round, seqs)
			}
		}
		if res.Seq != seqs[2] {
			t.Fatalf("round %d: the answer's Seq is %d, the last event before it had %d (events %v)", round, res.Seq, seqs[2], seqs)
		}
		if round == 0 {
			f.restart(0)
			waitKind(t, sub, ami.Connected)
		}
	}
}

// TestLateConsumerLosesNothing: a consumer that is busy for a while does not
// lose events (staskobzar/goami2 dropped them after 10 ms).
func TestLateConsumerLosesNothing(t *testing.T) {
	f := newFakeAMI(t)
	f.set(func(f *fakeAMI) {
		f.handler = func(fc *fakeConn, m ami.Message) {
			fc.send("Response", "Success", "ActionID", m.ActionID())
			for i := range 5000 {
				fc.send("Event", "Newstate", "Privilege", "call,all", "Seq", strconv.Itoa(i))
			}
		}
	})
	c, sub := connect(t, f.config())
	if _, err := c.Do(context.Background(), ami.Action{Name: "Flood"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the consumer is late
	for i := range 5000 {
		if m := waitEvent(t, sub, "Newstate"); m.Get("Seq") != strconv.Itoa(i) {
			t.Fatalf("got seq %s, want %d", m.Get("Seq"), i)
		}
	}
	if sub.Dropped() != 0 {
		t.Fatalf("dropped %d", sub.Dropped())
	}
}

// TestConcurrentActionsStayWholeAndOrdered: actions from many goroutines
// reach the server whole, each goroutine's in the order it sent them.
func TestConcurrentActionsStayWholeAndOrdered(t *testing.T) {
	f := newFakeAMI(t)
	f.set(func(f *fakeAMI) {
		f.handler = func(fc *fakeConn, m ami.Message) {
			fc.send("Response", "Success", "ActionID", m.ActionID(), "Echo", m.Get("Seq"))
		}
	})
	c, _ := connect(t, f.config())
	var wg sync.WaitGroup
	for g := range 20 {
		wg.Go(func() {
			for i := range 50 {
				seq := fmt.Sprintf("%d-%d", g, i)
				res, err := c.Do(context.Background(), ami.Action{Name: "Test", Headers: []ami.Header{{Key: "Seq", Value: seq}}})
				if err != nil || res.Response.Get("Echo") != seq {
					t.Errorf("%s: got %q, %v", seq, res.Response.Get("Echo"), err)
					return
				}
			}
		})
	}
	wg.Wait()
	last := map[string]int{}
	for _, m := range f.actions() {
		g, i, ok := strings.Cut(m.Get("Seq"), "-")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(i)
		if prev, seen := last[g]; seen && n != prev+1 {
			t.Fatalf("goroutine %s: action %d after %d", g, n, prev)
		}
		last[g] = n
	}
	if len(last) != 20 {
		t.Fatalf("server saw %d goroutines' actions", len(last))
	}
}

func TestInjectionRefusedBeforeSending(t *testing.T) {
	f := newFakeAMI(t)
	c, _ := connect(t, f.config())
	before := len(f.actions())
	for _, a := range []ami.Action{
		{Name: "Hangup", Headers: []ami.Header{{Key: "Channel", Value: "SIP/801\r\nAction: Originate"}}},
		{Name: "Hangup", Headers: []ami.Header{{Key: "Channel", Value: "x\nAction: Command\nCommand: core stop now"}}},
		{Name: "Hangup\r\nAction: Command"},
		{Name: "Hangup", Headers: []ami.Header{{Key: "ActionID", Value: "mine"}}},
		{Name: ""},
	} {
		if _, err := c.Do(context.Background(), a); !errors.Is(err, ami.ErrInvalidHeader) {
			t.Errorf("%q: got %v, want ErrInvalidHeader", a, err)
		}
	}
	if _, err := c.Do(context.Background(), ami.Action{Name: "Ping"}); err != nil {
		t.Fatal(err)
	}
	if got := f.actions()[before:]; len(got) != 1 || got[0].Get("Action") != "Ping" {
		t.Fatalf("server received %d messages, want only the Ping", len(got))
	}
}

func TestNotConnectedFailsFast(t *testing.T) {
	cfg := ami.Config{Addr: "127.0.0.1:1", MinBackoff: time.Hour, MaxBackoff: time.Hour}
	c := ami.Connect(context.Background(), cfg)
	defer c.Close()
	start := time.Now()
	_, err := c.Do(context.Background(), ami.Action{Name: "Ping"})
	if !errors.Is(err, ami.ErrNotConnected) || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("got %v after %v", err, time.Since(start))
	}
}

func TestCloseLogsOffAndEndsSubscriptions(t *testing.T) {
	f := newFakeAMI(t)
	c, sub := connect(t, f.config())
	c.Close()
	for range sub.C() {
	}
	var logoff bool
	for _, m := range f.actions() {
		logoff = logoff || m.Get("Action") == "Logoff"
	}
	if !logoff {
		t.Fatal("no Logoff sent on Close")
	}
	if _, err := c.Do(context.Background(), ami.Action{Name: "Ping"}); !errors.Is(err, ami.ErrClosed) {
		t.Fatalf("Do after Close: %v", err)
	}
}

// TestCloseFailsPendingWithErrClosed: an action still waiting when the
// client closes fails at once with ErrClosed, not as a lost connection.
func TestCloseFailsPendingWithErrClosed(t *testing.T) {
	f := newFakeAMI(t)
	arrived := make(chan struct{}, 1)
	f.set(func(f *fakeAMI) { f.handler = func(*fakeConn, ami.Message) { arrived <- struct{}{} } }) // never answers
	c, _ := connect(t, f.config())
	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := c.Do(ctx, ami.Action{Name: "Originate"})
		errc <- err
	}()
	<-arrived
	c.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ami.ErrClosed) || errors.Is(err, ami.ErrDisconnected) {
			t.Fatalf("got %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the pending action outlived Close")
	}
}

// TestLateSubscriberLearnsConnected: a subscription made after the login
// starts with Connected, so its owner syncs instead of waiting forever.
func TestLateSubscriberLearnsConnected(t *testing.T) {
	f := newFakeAMI(t)
	c, _ := connect(t, f.config())
	late := c.Subscribe(0)
	defer late.Unsubscribe()
	select {
	case e := <-late.C():
		if e.Kind != ami.Connected || e.Version != "9.0.0" {
			t.Fatalf("first event %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("late subscriber got nothing")
	}
}

// TestFirstLoginAfterFailedAttemptsIsNotAReconnect: attempts that fail
// before the first login do not count as reconnects.
func TestFirstLoginAfterFailedAttemptsIsNotAReconnect(t *testing.T) {
	f := newFakeAMI(t)
	f.close() // Asterisk not up yet
	cfg := f.config()
	c := ami.Connect(context.Background(), cfg)
	defer c.Close()
	sub := c.Subscribe(0)
	deadline := time.Now().Add(5 * time.Second)
	for c.Status().LastError == "" {
		if time.Now().After(deadline) {
			t.Fatal("no failed attempt recorded")
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.restart(0)
	waitKind(t, sub, ami.Connected)
	if st := c.Status(); st.Reconnects != 0 {
		t.Fatalf("first login counted as reconnect: %+v", st)
	}
}
