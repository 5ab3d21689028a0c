package pbx

import (
	"fmt"
	"testing"
	"time"
)

// bigModel is a busy box: 500 channels, 20 queues of 50 members.
func bigModel() *PBX {
	p := bareModel()
	now := time.Now()
	for i := range 500 {
		id := fmt.Sprintf("1795280762.%d", i)
		p.st.channels[id] = &Channel{
			Name: fmt.Sprintf("SIP/%d-%08x", 800+i%100, i), Uniqueid: id, Linkedid: id, State: 6, StateDesc: "Up",
			CallerIDNum: "0501234567", CallerIDName: "External", ConnectedLineNum: "801", Created: now.Add(-time.Duration(i) * time.Second),
		}
	}
	for q := range 20 {
		name := fmt.Sprint(600 + q)
		queue := &Queue{Name: name}
		for m := range 50 {
			queue.Members = append(queue.Members, Member{Queue: name, Interface: fmt.Sprintf("SIP/%d", 800+m), Name: fmt.Sprint(800 + m), Status: 1})
		}
		p.st.queues[name] = queue
	}
	return p
}

func BenchmarkChannels500(b *testing.B) {
	p := bigModel()
	b.ReportAllocs()
	for b.Loop() {
		if len(p.Channels()) != 500 {
			b.Fatal("wrong count")
		}
	}
}

func BenchmarkQueues20x50(b *testing.B) {
	p := bigModel()
	b.ReportAllocs()
	for b.Loop() {
		if len(p.Queues()) != 20 {
			b.Fatal("wrong count")
		}
	}
}
