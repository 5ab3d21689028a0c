package stream

import (
	"fmt"
	"sync"
	"testing"
)

// BenchmarkPublish is what a push costs the pusher's goroutine (the
// model's) with 200 subscribers reading: Publish hands the event over, the
// stream's goroutine does the rest (on a busy machine, beside it).
func BenchmarkPublish(b *testing.B) {
	const subscribers = 200
	s := New(Options{Buffer: 1 << 16})
	defer s.Close()
	var wg sync.WaitGroup
	for range subscribers {
		sub := s.Subscribe(Filter{}, "")
		wg.Go(func() {
			for range sub.Events() {
			}
		})
	}
	body := []byte(`{"event":"extensionstatus","exten":"801","status":"0","statustext":"Idle","context":"internal","timestamp":"1534993059.785012","mac":"68:69:2e:05:0f:9a"}`)
	n := 0
	for b.Loop() {
		n++
		s.Publish(Event{ID: fmt.Sprint("msg_", n), Name: "extensionstatus", Body: body})
	}
	b.StopTimer()
	s.Close()
	wg.Wait()
}
