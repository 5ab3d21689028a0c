package httpapi

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/stream"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// BenchmarkIdleStreamClients opens 200 event streams that receive nothing
// (heartbeats aside) and reports what each costs the process: heap and
// goroutine stacks in use, after a collection, over the same without
// them. The clients are bare TCP connections of the same process, so the
// figure holds their side too (a socket each, no buffers).
func BenchmarkIdleStreamClients(b *testing.B) {
	const clients = 200
	st := stream.New(stream.Options{})
	defer st.Close()
	srv := httptest.NewServer(New(Options{PBX: newFakePBX(), Blacklist: &fakeBlacklist{}, Stream: st,
		Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	inUse := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse + m.StackInuse
	}
	var perClient float64
	for b.Loop() {
		before := inUse()
		conns := make([]net.Conn, 0, clients)
		buf := make([]byte, 1024)
		for range clients {
			c, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
			if _, err := io.WriteString(c, "GET "+BasePath+"/events?event=hangup HTTP/1.1\r\nHost: box\r\n\r\n"); err != nil {
				b.Fatal(err)
			}
			// The answer's head and the retry line: the stream is open.
			for got := 0; !bytes.Contains(buf[:got], []byte("retry: ")); {
				n, err := c.Read(buf[got:])
				if err != nil || got+n == len(buf) {
					b.Fatalf("opening a stream: %v %q", err, buf[:got+n])
				}
				got += n
			}
		}
		if !testkit.Poll(10*time.Second, func() bool { return st.Subscribers() == clients }) {
			b.Fatalf("%d streams open, want %d", st.Subscribers(), clients)
		}
		perClient = float64(inUse()-before) / clients
		for _, c := range conns {
			c.Close()
		}
		if !testkit.Poll(10*time.Second, func() bool { return st.Subscribers() == 0 }) {
			b.Fatalf("%d streams still open", st.Subscribers())
		}
	}
	b.ReportMetric(perClient, "bytes/client")
}
