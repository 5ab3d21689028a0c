package board

import (
	"fmt"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/clock"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/stream"
)

// bigBox is a busy site: 500 agents with hints, 50 queues of 20 members
// (each agent in two), 200 agents on calls from the trunk and 100 callers
// waiting.
func bigBox() *pbx.Snapshot {
	s := &pbx.Snapshot{Connected: true}
	for i := range 500 {
		x := fmt.Sprint(2000 + i)
		s.Peers = append(s.Peers, pbx.Peer{Name: x, Tech: pbx.PJSIP, Addr: "10.0.0.1"})
		s.Hints = append(s.Hints, pbx.Hint{Exten: x, Device: "PJSIP/" + x, Name: "Agent " + x})
	}
	for q := range 50 {
		queue := pbx.Queue{Name: fmt.Sprint(600 + q)}
		for m := range 20 {
			queue.Members = append(queue.Members, pbx.Member{Interface: fmt.Sprint("PJSIP/", 2000+(q*10+m)%500)})
		}
		for w := range 2 {
			queue.Waiting = append(queue.Waiting, pbx.Waiting{Uniqueid: fmt.Sprint("w", q, w), CallerIDNum: "0555", Position: w + 1, Since: at})
		}
		s.Queues = append(s.Queues, queue)
	}
	for i := range 200 {
		id, bridge := fmt.Sprint("1.", 2*i), fmt.Sprint("b", i)
		s.Channels = append(s.Channels,
			&pbx.Channel{Name: fmt.Sprint("PJSIP/trunk-", i), Uniqueid: id, Linkedid: id, State: 6, CallerIDNum: "0555123", BridgeID: bridge, Created: at, Queue: "600"},
			&pbx.Channel{Name: fmt.Sprint("PJSIP/", 2000+i, "-1"), Uniqueid: fmt.Sprint("1.", 2*i+1), Linkedid: id, State: 6, BridgeID: bridge, Created: at, Queue: "600"})
	}
	return s
}

// BenchmarkPublisherLook is what one change of the model costs the board:
// every row built again and compared, and the one that changed sent (an
// agent's call put on hold and taken off, in turn). It runs beside the
// model, not on its goroutine.
func BenchmarkPublisherLook(b *testing.B) {
	s := stream.New(stream.Options{})
	defer s.Close()
	snap := bigBox()
	model := newFakeModel(snap)
	p := NewPublisher(View{Location: time.UTC, PopURL: "https://crm.example/pop?c={caller}"}, Sources{Model: model}, s, clock.Wall)
	p.look(false)
	n := 0
	for b.Loop() {
		n++
		next := *snap
		next.Channels = append([]*pbx.Channel(nil), snap.Channels...)
		c := *next.Channels[1]
		c.Held = n%2 == 1
		next.Channels[1] = &c
		model.snap = &next
		p.look(true)
	}
}
