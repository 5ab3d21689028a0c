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

// staticPBX is a model that does not change while it is read.
type staticPBX struct {
	*fakePBX
	snap *pbx.Snapshot
}

func (s staticPBX) Snapshot() *pbx.Snapshot { return s.snap }

// busyPBX is a busy box whose model does not change while it is read:
// n channels, 20 queues of 50 members.
func busyPBX(n int) staticPBX {
	f := newFakePBX()
	f.channels = nil
	for i := range n {
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
	return staticPBX{f, f.Snapshot()}
}

// countingWriter is a ResponseWriter that keeps only the status and the
// size: the benchmarks measure the server, not a recorder's buffer.
type countingWriter struct {
	header http.Header
	status int
	size   int
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *countingWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.size += len(p)
	return len(p), nil
}

func benchEndpoint(b *testing.B, channels int, method, path string) {
	h := New(Options{PBX: busyPBX(channels), Blacklist: &fakeBlacklist{}, Logger: slog.New(slog.DiscardHandler)})
	req := httptest.NewRequest(method, path, nil)
	w := &countingWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		w.status, w.size = 0, 0
		clear(w.header)
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK || w.size == 0 {
			b.Fatalf("status %d, %d bytes", w.status, w.size)
		}
	}
	b.SetBytes(int64(w.size))
}

// BenchmarkCurrentCalls serves current-calls from a model of 500 and of
// 1,000 channels.
func BenchmarkCurrentCalls(b *testing.B) {
	for _, n := range []int{500, 1000} {
		b.Run(fmt.Sprintf("channels=%d", n), func(b *testing.B) {
			benchEndpoint(b, n, http.MethodPost, BasePath+"/extensions/current-calls")
		})
	}
}

// BenchmarkQueueInfo20x50 serves queue-info for 20 queues of 50 members.
func BenchmarkQueueInfo20x50(b *testing.B) {
	benchEndpoint(b, 500, http.MethodGet, BasePath+"/queues/queue-info")
}
