package pbx

import (
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// bigModel is a busy box: n channels, 20 queues of 50 members.
func bigModel(n int) *PBX {
	p := bareModel()
	now := time.Now()
	for i := range n {
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
	republish(p)
	return p
}

func BenchmarkChannels500(b *testing.B) {
	p := bigModel(500)
	b.ReportAllocs()
	for b.Loop() {
		if len(p.Snapshot().Channels) != 500 {
			b.Fatal("wrong count")
		}
	}
}

func BenchmarkQueues20x50(b *testing.B) {
	p := bigModel(500)
	b.ReportAllocs()
	for b.Loop() {
		if len(p.Queues()) != 20 {
			b.Fatal("wrong count")
		}
	}
}

// callTraffic is what a busy box's calls send, for a model of n
// channels: for each channel in turn a Newstate (ringing, then up), a
// VarSet and a NewConnectedLine, each naming the channel.
func callTraffic(n int) []ami.Message {
	var out []ami.Message
	for i := range n {
		id := fmt.Sprintf("1795280762.%d", i)
		name := fmt.Sprintf("SIP/%d-%08x", 800+i%100, i)
		snap := []string{"Channel", name, "Uniqueid", id, "Linkedid", id, "CallerIDNum", "0501234567", "CallerIDName", "External",
			"ConnectedLineNum", "801", "Context", "internal", "Exten", "801", "Priority", "1"}
		for _, state := range []string{"5", "6"} {
			desc := map[string]string{"5": "Ringing", "6": "Up"}[state]
			out = append(out, msg(append([]string{"Event", "Newstate", "Privilege", "call,all", "ChannelState", state, "ChannelStateDesc", desc}, snap...)...))
		}
		out = append(out, msg(append([]string{"Event", "VarSet", "Privilege", "dialplan,all", "ChannelState", "6", "ChannelStateDesc", "Up",
			"Variable", "BRIDGEPEER", "Value", "SIP/801-00000001"}, snap...)...))
		out = append(out, msg(append([]string{"Event", "NewConnectedLine", "Privilege", "call,all", "ChannelState", "6", "ChannelStateDesc", "Up"}, snap...)...))
	}
	return out
}

// BenchmarkApplyWithReaders applies call traffic to a model of 500
// channels, as the model's goroutine does under load (a batch of the
// events waiting, then one publish), while readers read the whole model:
// each reader takes the Snapshot and reads every channel, 1,000 times a
// second (16 readers: 16,000 reads a second, more than the HTTP API
// serves). Readers take no lock, so the rate with 16 of them should stay
// near the rate with none; events/s is the figure.
func BenchmarkApplyWithReaders(b *testing.B) {
	for _, readers := range []int{0, 2, 16} {
		b.Run("readers="+strconv.Itoa(readers), func(b *testing.B) { benchApply(b, readers) })
	}
}

func benchApply(b *testing.B, readers int) {
	const batch = 64
	p := bigModel(500)
	traffic := callTraffic(500)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads atomic.Int64
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				up := 0
				for _, c := range p.Snapshot().Channels {
					if c.State == 6 {
						up++
					}
				}
				runtime.KeepAlive(up)
				reads.Add(1)
			}
		}()
	}
	b.ReportAllocs()
	began := time.Now()
	n := 0
	for b.Loop() {
		p.fold(traffic[n%len(traffic)])
		if n++; n%batch == 0 {
			p.flush()
		}
	}
	p.flush()
	elapsed := time.Since(began)
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(reads.Load())/elapsed.Seconds(), "reads/s")
}
