package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// busyPBX is a busy box: 500 channels, 20 queues of 50 members.
func busyPBX() *fakePBX {
	f := newFakePBX()
	f.channels = nil
	for i := range 500 {
		f.channels = append(f.channels, pbx.Channel{
			Name: fmt.Sprintf("SIP/%d-%08x", 800+i%100, i), Uniqueid: fmt.Sprint(i), State: 6, StateDesc: "Up",
			CallerIDNum: "0501234567", CallerIDName: "External", ConnectedLineNum: "801", Created: time.Now().Add(-time.Minute),
		})
	}
	f.queues = nil
	for q := range 20 {
		queue := pbx.Queue{Name: fmt.Sprint(600 + q)}
		for m := range 50 {
			queue.Members = append(queue.Members, pbx.Member{Interface: fmt.Sprintf("SIP/%d", 800+m), Penalty: m % 3})
		}
		f.queues = append(f.queues, queue)
	}
	return f
}

func benchEndpoint(b *testing.B, method, path string) {
	h := New(Options{PBX: busyPBX(), Blacklist: &fakeBlacklist{}, Logger: slog.New(slog.DiscardHandler)})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkCurrentCalls500 serves current-calls from a model of 500 channels.
func BenchmarkCurrentCalls500(b *testing.B) {
	benchEndpoint(b, http.MethodPost, BasePath+"/extensions/current-calls")
}

// BenchmarkQueueInfo20x50 serves queue-info for 20 queues of 50 members.
func BenchmarkQueueInfo20x50(b *testing.B) {
	benchEndpoint(b, http.MethodGet, BasePath+"/queues/queue-info")
}
