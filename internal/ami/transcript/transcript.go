// Package transcript reads the annotated AMI transcripts recorded from a real
// Asterisk (testdata/*.txt): blocks headed `### C->S <time>` (what the client
// sent) or `### S->C <time>` (what Asterisk sent), the time as RFC 3339 with
// microseconds (hh:mm:ss in the older ami-NN files), each holding
// one message with its CRLF line ends, the first S->C block being the
// greeting. The parser tests and pbxsim's fidelity test both read them.
package transcript

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/coocenter/coocenterd/internal/ami"
)

// Direction says who wrote a message.
type Direction string

// The directions of a transcript.
const (
	ClientToServer Direction = "C->S"
	ServerToClient Direction = "S->C"
	// Stage: what the test did to the PBX meanwhile, on a connection of
	// its own ("Stage: Answer" and its arguments); a replay waits for the
	// test to do it again.
	Stage Direction = "STAGE"
)

// Entry is one message of a transcript.
type Entry struct {
	Dir      Direction
	Time     string      // as recorded: RFC 3339, or hh:mm:ss in older files
	Greeting string      // set instead of Msg for the greeting line
	Msg      ami.Message // the message, parsed with ami.Reader
}

// ReadFile parses the transcript at path.
func ReadFile(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// Read parses a transcript.
func Read(r io.Reader) ([]Entry, error) {
	var (
		entries []Entry
		cur     *Entry
		body    bytes.Buffer
	)
	flush := func() error {
		if cur == nil {
			return nil
		}
		text := body.Bytes()
		if strings.HasPrefix(string(text), "Asterisk Call Manager") {
			cur.Greeting = strings.TrimRight(string(text), "\r\n")
		} else {
			m, err := ami.NewReader(bytes.NewReader(text)).ReadMessage()
			if err != nil {
				return fmt.Errorf("block at %s: %w", cur.Time, err)
			}
			cur.Msg = m
		}
		entries = append(entries, *cur)
		cur = nil
		body.Reset()
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), ami.DefaultMaxMessageSize)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "### "); ok {
			if err := flush(); err != nil {
				return nil, err
			}
			dir, at, _ := strings.Cut(rest, " ")
			if dir != string(ClientToServer) && dir != string(ServerToClient) && dir != string(Stage) {
				return nil, fmt.Errorf("unknown direction in %q", line)
			}
			cur = &Entry{Dir: Direction(dir), Time: at}
			continue
		}
		if cur == nil {
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return entries, nil
}
