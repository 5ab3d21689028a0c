package ami_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/coocenter/coocenterd/internal/ami"
)

// newstate23 is a Newstate event with 23 headers, the size of the message
// other Go AMI parsers publish figures for.
const newstate23 = "Event: Newstate\r\nPrivilege: call,all\r\nTimestamp: 1795280762.123456\r\n" +
	"SystemName: pbx1\r\nChannel: SIP/801-0000000a\r\nChannelState: 6\r\nChannelStateDesc: Up\r\n" +
	"CallerIDNum: 801\r\nCallerIDName: Agent 801\r\nConnectedLineNum: 0501234567\r\n" +
	"ConnectedLineName: External 0501234567\r\nLanguage: en\r\nAccountCode: \r\nContext: internal\r\n" +
	"Exten: 801\r\nPriority: 1\r\nUniqueid: 1795280762.36\r\nLinkedid: 1795280762.35\r\n" +
	"ChanVariable: QUEUENAME=630\r\nChanVariable: MEMBERINTERFACE=SIP/801\r\n" +
	"ChanVariable: CDR(recordfile)=20261121-170602-0501234567-630.wav\r\nTenantid: \r\nAppData: \r\n\r\n"

// BenchmarkReadNewstate reads one 23-header Newstate event per op.
func BenchmarkReadNewstate(b *testing.B) {
	data := bytes.Repeat([]byte(newstate23), 1024)
	br := bytes.NewReader(data)
	r := ami.NewReader(br)
	b.SetBytes(int64(len(newstate23)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := r.ReadMessage()
		if err == io.EOF {
			br.Reset(data)
			m, err = r.ReadMessage()
		}
		if err != nil || m.Len() != 23 {
			b.Fatalf("%d headers, %v", m.Len(), err)
		}
	}
}

// BenchmarkReadStream reads the recorded event streams of a real Asterisk
// (queue calls, registrations, queries); b.N counts messages.
func BenchmarkReadStream(b *testing.B) {
	var stream []byte
	var msgs int
	raws, _ := filepath.Glob("testdata/*.s2c.raw.txt")
	for _, p := range raws {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		_, body, _ := bytes.Cut(data, []byte("\r\n")) // drop the greeting
		stream = append(stream, body...)
		msgs += bytes.Count(body, []byte("\r\n\r\n"))
	}
	br := bytes.NewReader(stream)
	r := ami.NewReader(br)
	b.SetBytes(int64(len(stream) / msgs))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ReadMessage(); err == io.EOF {
			br.Reset(stream)
			if _, err := r.ReadMessage(); err != nil {
				b.Fatal(err)
			}
		} else if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMessageGet looks up a header near the end of a 23-header event.
func BenchmarkMessageGet(b *testing.B) {
	m, err := ami.NewReader(bytes.NewReader([]byte(newstate23))).ReadMessage()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if m.Get("linkedid") == "" {
			b.Fatal("missing")
		}
	}
}
