package board

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/clock"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/stream"
)

// fakeModel is a model whose Snapshot a test sets.
type fakeModel struct {
	mu      sync.Mutex
	snap    *pbx.Snapshot
	changed chan struct{}
}

func newFakeModel(s *pbx.Snapshot) *fakeModel {
	return &fakeModel{snap: s, changed: make(chan struct{})}
}

func (m *fakeModel) Snapshot() *pbx.Snapshot { m.mu.Lock(); defer m.mu.Unlock(); return m.snap }
func (m *fakeModel) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

func (m *fakeModel) set(s *pbx.Snapshot) {
	m.mu.Lock()
	s.Version = m.snap.Version + 1
	m.snap = s
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
}

var at = time.Date(2026, 12, 8, 9, 0, 0, 0, shanghai)

func boardSnap(agentCall bool, waiting ...pbx.Waiting) *pbx.Snapshot {
	s := &pbx.Snapshot{Connected: true,
		Peers:  []pbx.Peer{{Name: "801", Tech: pbx.SIP, Addr: "127.0.0.1"}, {Name: "802", Tech: pbx.SIP, Addr: "127.0.0.1"}},
		Queues: []pbx.Queue{{Name: "630", Members: []pbx.Member{{Interface: "SIP/801"}}, Waiting: waiting}, {Name: "631"}}}
	if agentCall {
		s.Channels = []*pbx.Channel{
			{Name: "PJSIP/trunk-00000001", Uniqueid: "1.0", Linkedid: "1.0", State: 6, CallerIDNum: "0555123", Created: at},
			{Name: "SIP/801-00000002", Uniqueid: "1.1", Linkedid: "1.0", State: 5, ConnectedLineNum: "0555123", Created: at,
				Queue: "630"},
		}
	}
	return s
}

// next returns the next event of sub, failing after 5 s.
func next(t *testing.T, sub *stream.Subscription) *stream.Event {
	t.Helper()
	select {
	case ev := <-sub.Events():
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
		return nil
	}
}

// none checks that sub gets nothing more once the publisher has looked:
// a marker published after the look arrives first.
func none(t *testing.T, s *stream.Stream, sub *stream.Subscription, pub *Publisher) {
	t.Helper()
	pub.Poke()
	time.Sleep(50 * time.Millisecond) // the look is done or queued behind; the marker says which came first
	s.Publish(stream.Event{ID: "marker", Name: "marker", Body: []byte(`{}`), Extensions: []string{"801"}, Queues: []string{"630"}})
	if ev := next(t, sub); ev.Name != "marker" {
		t.Fatalf("an event for no change: %s %s", ev.Name, ev.Body)
	}
}

func TestPublisherSendsTheRowsThatChange(t *testing.T) {
	s := stream.New(stream.Options{})
	defer s.Close()
	model := newFakeModel(boardSnap(false))
	view := View{Location: shanghai, PopURL: "https://crm.example/pop?n={caller}&q={queue}&to={called}"}
	clk := clock.NewManual(at)
	pub := NewPublisher(view, Sources{Model: model}, s, clk)
	all := s.Subscribe(stream.Filter{}, "")
	defer all.Close()
	bar := s.Subscribe(stream.Filter{Extensions: []string{"801"}}, "")
	defer bar.Close()
	other := s.Subscribe(stream.Filter{Extensions: []string{"802"}, Events: []string{EventQueue}}, "")
	defer other.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); pub.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// The rows it starts from are not sent: the snapshots carry them.
	none(t, s, all, pub)
	<-bar.Events()

	// The agent rings: its row, with the call and its screen pop.
	model.set(boardSnap(true))
	for _, sub := range []*stream.Subscription{all, bar} {
		ev := next(t, sub)
		var got struct {
			Now   string `json:"now"`
			Agent Agent  `json:"agent"`
		}
		if err := json.Unmarshal(ev.Body, &got); err != nil || ev.Name != EventAgent {
			t.Fatalf("%s %s: %v", ev.Name, ev.Body, err)
		}
		c := got.Agent.Call
		if got.Now != "2026-12-08 09:00:00" || got.Agent.Extension != "801" || got.Agent.Device != "ringing" || c == nil ||
			c.Peer != "0555123" || c.Queue != "630" || c.PopURL != "https://crm.example/pop?n=0555123&q=630&to=801" {
			t.Fatalf("agent event: %s", ev.Body)
		}
	}
	// A new Version with the same rows sends nothing.
	model.set(boardSnap(true))
	none(t, s, all, pub)
	<-bar.Events()

	// A caller waits in 630: 630's row, to the wall and to 630's agent,
	// not to an agent of other queues.
	model.set(boardSnap(true, pbx.Waiting{Uniqueid: "2.0", CallerIDNum: "0555999", Position: 1, Since: at.Add(-90 * time.Second)}))
	for _, sub := range []*stream.Subscription{all, bar} {
		ev := next(t, sub)
		want := `{"now":"2026-12-08 09:00:00","queue":{"queue":"630","waiting":[{"uniqueid":"2.0","number":"0555999","name":"","position":1,"since":"2026-12-08 08:58:30"}],"today":{"offered":0,"answered":0,"abandoned":0,"answeredWithinSla":0,"slaPercent":null},"sla":20}}`
		if ev.Name != EventQueue || string(ev.Body) != want {
			t.Fatalf("queue event:\n got %s %s\nwant %s", ev.Name, ev.Body, want)
		}
	}
	// 802 is in no queue: its filter holds the queue events back.
	s.Publish(stream.Event{ID: "m2", Name: EventQueue, Body: []byte(`{}`), Extensions: []string{"802"}})
	if ev := next(t, other); ev.ID != "m2" {
		t.Fatalf("802 got %s %s", ev.Name, ev.Body)
	}
	<-all.Events() // m2

	// 802's phone goes (a reload dropped it) and 631 with it.
	gone := boardSnap(true)
	gone.Peers, gone.Queues = gone.Peers[:1], gone.Queues[:1]
	model.set(gone)
	var names []string
	for range 3 { // 802 gone, 630's caller gone, 631 gone: in that order
		ev := next(t, all)
		names = append(names, string(ev.Body))
	}
	want := []string{
		`{"now":"2026-12-08 09:00:00","extension":"802","agent":null}`,
		`{"now":"2026-12-08 09:00:00","queue":{"queue":"630","waiting":[],"today":{"offered":0,"answered":0,"abandoned":0,"answeredWithinSla":0,"slaPercent":null},"sla":20}}`,
		`{"now":"2026-12-08 09:00:00","name":"631","queue":null}`,
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("event %d:\n got %s\nwant %s", i, names[i], want[i])
		}
	}
}

func TestPublisherSendsTodaysCountsAtMidnight(t *testing.T) {
	s := stream.New(stream.Options{})
	defer s.Close()
	model := newFakeModel(boardSnap(false))
	clk := clock.NewManual(time.Date(2026, 12, 8, 23, 59, 0, 0, shanghai))
	view := View{Location: shanghai}
	tally, err := OpenTally(nil, view, clk.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	tally.Handle(ended("630", "801", clk.Now().Add(-time.Hour), time.Second, "agent", "bridged"))
	pub := NewPublisher(view, Sources{Model: model, Tally: tally}, s, clk)
	sub := s.Subscribe(stream.Filter{Events: []string{EventQueue}}, "")
	defer sub.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); pub.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// Midnight passes: 630's counts start again, without any call.
	deadline := time.Now().Add(5 * time.Second)
	for _, armed := clk.Next(); !armed && time.Now().Before(deadline); _, armed = clk.Next() {
		time.Sleep(time.Millisecond) // until the publisher has looked and armed its timer
	}
	clk.Set(time.Date(2026, 12, 9, 0, 0, 2, 0, shanghai))
	if clk.FireDue() != 1 {
		t.Fatal("no timer for midnight")
	}
	ev := next(t, sub)
	var got struct{ Queue Queue }
	if err := json.Unmarshal(ev.Body, &got); err != nil || got.Queue.Queue != "630" || got.Queue.Today.Offered != 0 {
		t.Fatalf("at midnight: %s", ev.Body)
	}
}
