package ami_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/coocenter/coocenterd/internal/ami"
	"github.com/coocenter/coocenterd/internal/ami/transcript"
)

// TestReadTranscripts reads every byte stream recorded from a real Asterisk 20
// and checks it message by message against the annotated transcript.
func TestReadTranscripts(t *testing.T) {
	raws, _ := filepath.Glob("testdata/*.s2c.raw.txt")
	if len(raws) == 0 {
		t.Fatal("no transcripts in testdata")
	}
	for _, raw := range raws {
		t.Run(filepath.Base(raw), func(t *testing.T) {
			entries, err := transcript.ReadFile(strings.Replace(raw, ".s2c.raw.txt", ".txt", 1))
			if err != nil {
				t.Fatal(err)
			}
			var want []transcript.Entry
			for _, e := range entries {
				if e.Dir == transcript.ServerToClient {
					want = append(want, e)
				}
			}
			data, err := os.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			r := ami.NewReader(bytes.NewReader(data))
			version, err := r.ReadGreeting()
			if err != nil || version != "9.0.0" {
				t.Fatalf("greeting: %q, %v", version, err)
			}
			if want[0].Greeting == "" {
				t.Fatal("transcript does not start with the greeting")
			}
			n := 0
			for ; ; n++ {
				m, err := r.ReadMessage()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("message %d: %v", n, err)
				}
				if n+1 >= len(want) {
					t.Fatalf("more messages in the stream than in the transcript")
				}
				if got, exp := m.String(), want[n+1].Msg.String(); got != exp {
					t.Fatalf("message %d:\n got %q\nwant %q", n, got, exp)
				}
				if m.Len() == 0 || (m.Event() == "" && m.Response() == "") {
					t.Fatalf("message %d has neither Event nor Response: %q", n, m.String())
				}
			}
			if n != len(want)-1 {
				t.Fatalf("read %d messages, transcript has %d", n, len(want)-1)
			}
		})
	}
}

func TestReadMessageShapes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []ami.Header
	}{
		{"crlf", "Event: Newstate\r\nChannel: SIP/801-00000001\r\n\r\n",
			[]ami.Header{{"Event", "Newstate"}, {"Channel", "SIP/801-00000001"}}},
		{"bare lf", "Response: Success\nMessage: Pong\n\n",
			[]ami.Header{{"Response", "Success"}, {"Message", "Pong"}}},
		{"blank lines before", "\r\n\r\nEvent: A\r\n\r\n", []ami.Header{{"Event", "A"}}},
		{"colon in value", "Event: VarSet\r\nValue: a:b: c\r\n\r\n",
			[]ami.Header{{"Event", "VarSet"}, {"Value", "a:b: c"}}},
		{"empty value", "Event: X\r\nSystemName: \r\nDescription:\r\n\r\n",
			[]ami.Header{{"Event", "X"}, {"SystemName", ""}, {"Description", ""}}},
		{"repeated keys", "Event: Newchannel\r\nChanVariable: a=1\r\nChanVariable: b=2\r\n\r\n",
			[]ami.Header{{"Event", "Newchannel"}, {"ChanVariable", "a=1"}, {"ChanVariable", "b=2"}}},
		{"no colon", "Event: X\r\nweird line\r\n\r\n", []ami.Header{{"Event", "X"}, {"weird line", ""}}},
		{"command 14+", "Response: Success\r\nActionID: 7\r\nMessage: Command output follows\r\nOutput: Asterisk 20.20.1 built by root\r\nOutput: \r\n\r\n",
			[]ami.Header{{"Response", "Success"}, {"ActionID", "7"}, {"Message", "Command output follows"},
				{"Output", "Asterisk 20.20.1 built by root"}, {"Output", ""}}},
		{"command 13 follows", "Response: Follows\r\nPrivilege: Command\r\nActionID: 9\r\nName/username  Host\nChannel: SIP/1 x\n\n801/801  (Unspecified)\n--END COMMAND--\r\n\r\n",
			[]ami.Header{{"Response", "Follows"}, {"Privilege", "Command"}, {"ActionID", "9"},
				{"Output", "Name/username  Host"}, {"Output", "Channel: SIP/1 x"}, {"Output", ""}, {"Output", "801/801  (Unspecified)"}}},
		{"command 13 glued end", "Response: Follows\r\nPrivilege: Command\r\nno newline at end--END COMMAND--\r\n\r\n",
			[]ami.Header{{"Response", "Follows"}, {"Privilege", "Command"}, {"Output", "no newline at end"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ami.NewReader(strings.NewReader(tt.in)).ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			got := m.Headers()
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("header %d: got %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestReadMessageFollowedByNext(t *testing.T) {
	in := "Response: Follows\r\nPrivilege: Command\r\nx\n--END COMMAND--\r\n\r\nEvent: After\r\n\r\n"
	r := ami.NewReader(strings.NewReader(in))
	if _, err := r.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	m, err := r.ReadMessage()
	if err != nil || m.Event() != "After" {
		t.Fatalf("got %q, %v", m.String(), err)
	}
	if _, err := r.ReadMessage(); err != io.EOF {
		t.Fatalf("want io.EOF at the end, got %v", err)
	}
}

func TestReadMessageErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want error
	}{
		{"eof mid message", "Event: X\r\nChannel: Y\r\n", 0, io.ErrUnexpectedEOF},
		{"eof mid line", "Event: X\r\nChan", 0, io.ErrUnexpectedEOF},
		{"clean eof", "\r\n", 0, io.EOF},
		{"too many headers", strings.Repeat("Output: 0123456789\r\n", 200) + "\r\n", 1024, ami.ErrMessageTooLarge},
		{"one long line", "Event: " + strings.Repeat("x", 100000) + "\r\n\r\n", 4096, ami.ErrMessageTooLarge},
		{"endless follows", "Response: Follows\r\n" + strings.Repeat("line\n", 1000), 1024, ami.ErrMessageTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max := tt.max
			if max == 0 {
				max = ami.DefaultMaxMessageSize
			}
			_, err := ami.NewReaderSize(strings.NewReader(tt.in), max).ReadMessage()
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReadGreeting(t *testing.T) {
	v, err := ami.NewReader(strings.NewReader("Asterisk Call Manager/2.10.6\r\n")).ReadGreeting()
	if err != nil || v != "2.10.6" {
		t.Fatalf("got %q, %v", v, err)
	}
	_, err = ami.NewReader(strings.NewReader("SSH-2.0-OpenSSH_9.2\r\n")).ReadGreeting()
	if !errors.Is(err, ami.ErrNotAMI) {
		t.Fatalf("got %v, want ErrNotAMI", err)
	}
	_, err = ami.NewReader(strings.NewReader("")).ReadGreeting()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want ErrUnexpectedEOF", err)
	}
}

func TestMessageLookup(t *testing.T) {
	m, err := ami.NewMessage(ami.Header{Key: "Event", Value: "Hangup"}, ami.Header{Key: "Cause-txt", Value: "Normal Clearing"},
		ami.Header{Key: "ChanVariable", Value: "a=1"}, ami.Header{Key: "ChanVariable", Value: "b=2"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Get("cause-TXT") != "Normal Clearing" || m.Event() != "Hangup" || !m.IsEvent() {
		t.Fatalf("case-insensitive lookup failed: %q", m.String())
	}
	if v := m.Values("chanvariable"); len(v) != 2 || v[1] != "b=2" {
		t.Fatalf("Values: %q", v)
	}
	if _, ok := m.Lookup("Uniqueid"); ok {
		t.Fatal("Lookup found an absent header")
	}
	if m.Get("Event ") != "" || m.Get("Even") != "" {
		t.Fatal("lookup matched a different key")
	}
}

// TestReadAllocatesOnce: a message costs the reader one allocation, its
// text and field table together, on the fast path (the message whole in
// the buffer) and on the line-by-line one (a message split over reads).
func TestReadAllocatesOnce(t *testing.T) {
	data := bytes.Repeat([]byte(newstate23), 64)
	fast := ami.NewReader(bytes.NewReader(data))
	if n := testing.AllocsPerRun(32, func() {
		if m, err := fast.ReadMessage(); err != nil || m.Len() != 23 {
			t.Fatalf("%d headers, %v", m.Len(), err)
		}
	}); n != 1 {
		t.Errorf("buffered message: %v allocations, want 1", n)
	}
	slow := ami.NewReader(iotest.OneByteReader(bytes.NewReader(data)))
	if n := testing.AllocsPerRun(32, func() {
		if m, err := slow.ReadMessage(); err != nil || m.Len() != 23 || m.Get("Uniqueid") != "1795280762.36" {
			t.Fatalf("%d headers, %v", m.Len(), err)
		}
	}); n != 1 {
		t.Errorf("message read line by line: %v allocations, want 1", n)
	}
}

// TestReadWideMessage: a message of 64 KiB or more (a big Command's
// output) keeps a wide field table; its headers read as a small one's.
func TestReadWideMessage(t *testing.T) {
	for _, lines := range []int{10, 3000, 6000} {
		var in strings.Builder
		in.WriteString("Response: Success\r\nActionID: a1\r\n")
		for i := range lines {
			fmt.Fprintf(&in, "Output: line %05d of the output, padded to about twenty-four bytes\r\n", i)
		}
		in.WriteString("Last: yes\r\n\r\n")
		for name, r := range map[string]io.Reader{
			"buffered":     strings.NewReader(in.String()),
			"line by line": iotest.OneByteReader(strings.NewReader(in.String())),
		} {
			m, err := ami.NewReader(r).ReadMessage()
			if err != nil {
				t.Fatalf("%d lines, %s: %v", lines, name, err)
			}
			out := m.Values("Output")
			if m.Len() != lines+3 || len(out) != lines || m.Get("ActionID") != "a1" || m.Get("last") != "yes" {
				t.Fatalf("%d lines, %s: %d headers, %d outputs, ActionID %q, Last %q", lines, name, m.Len(), len(out), m.Get("ActionID"), m.Get("Last"))
			}
			if want := fmt.Sprintf("line %05d of the output, padded to about twenty-four bytes", lines-1); out[lines-1] != want {
				t.Errorf("%d lines, %s: last output %q", lines, name, out[lines-1])
			}
			if k, v := m.At(m.Len() - 1); k != "Last" || v != "yes" {
				t.Errorf("%d lines, %s: last header %q: %q", lines, name, k, v)
			}
		}
	}
}
