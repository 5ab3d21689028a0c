package ami_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/coocenter/coocenterd/internal/ami"
)

// FuzzReadMessage feeds arbitrary bytes to the reader. It must never panic,
// never return a message over its bound, and every message it returns
// (other than legacy Command output) must survive a write/read round trip.
func FuzzReadMessage(f *testing.F) {
	raws, _ := filepath.Glob("testdata/*.s2c.raw.txt")
	for _, p := range raws {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		for _, chunk := range bytes.SplitAfter(data, []byte("\r\n\r\n"))[:8] {
			f.Add(chunk)
		}
	}
	f.Add([]byte("Response: Follows\r\nPrivilege: Command\r\nx\n--END COMMAND--\r\n\r\n"))
	f.Add([]byte("Event: X\nA:\n: b\nno colon\n\n"))
	const max = 4096
	f.Fuzz(func(t *testing.T, data []byte) {
		r := ami.NewReaderSize(bytes.NewReader(data), max)
		// A one-byte-at-a-time reader never holds a whole message in its
		// buffer, so it takes the line-by-line path: both must agree.
		slow := ami.NewReaderSize(iotest.OneByteReader(bytes.NewReader(data)), max)
		for range 1000 {
			m, err := r.ReadMessage()
			ms, errs := slow.ReadMessage()
			if m.String() != ms.String() || (err == nil) != (errs == nil) {
				t.Fatalf("fast and slow paths differ: %q (%v) vs %q (%v)", m.String(), err, ms.String(), errs)
			}
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ami.ErrMessageTooLarge) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if m.Len() == 0 {
				t.Fatal("empty message returned")
			}
			if len(m.String()) > 2*max+64*m.Len() {
				t.Fatalf("message of %d bytes passed a %d bound", len(m.String()), max)
			}
			if k, v := m.At(0); k == "Response" && v == "Follows" {
				continue
			}
			again, err := ami.NewReader(bytes.NewReader([]byte(m.String()))).ReadMessage()
			if err != nil || again.String() != m.String() {
				t.Fatalf("round trip: %q -> %q, %v", m.String(), again.String(), err)
			}
		}
	})
}
