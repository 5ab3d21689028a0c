package ami

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultMaxMessageSize bounds one message (headers plus a legacy Command
// body) so that a hostile or broken peer cannot make the reader allocate
// without limit. Large enough for `sip show peers` on a big PBX.
const DefaultMaxMessageSize = 1 << 20

// ErrMessageTooLarge is returned when a message exceeds the reader's bound.
var ErrMessageTooLarge = errors.New("ami: message too large")

// ErrNotAMI is returned when the greeting is not an AMI greeting.
var ErrNotAMI = errors.New("ami: peer is not an Asterisk Call Manager")

const endCommand = "--END COMMAND--"

// Reader reads AMI messages from a byte stream. It accepts CRLF or bare LF
// line ends, repeated keys, values containing ':', and the legacy
// (Asterisk ≤ 13) `Response: Follows` Command output, whose free-text body
// up to `--END COMMAND--` is returned as repeated `Output` headers, exactly
// as Asterisk 14+ sends it. A Reader is not safe for concurrent use.
type Reader struct {
	br     *bufio.Reader
	max    int
	buf    []byte   // the message being read, normalised to "Key: Value\n" lines
	table  []uint32 // its field table (see Message)
	narrow []byte   // the fast path's field table, as Message holds it
}

// NewReader returns a Reader with DefaultMaxMessageSize.
func NewReader(r io.Reader) *Reader {
	return NewReaderSize(r, DefaultMaxMessageSize)
}

// NewReaderSize returns a Reader whose messages are bounded to max bytes.
func NewReaderSize(r io.Reader, max int) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 4096 {
		br = bufio.NewReaderSize(r, 16<<10)
	}
	return &Reader{br: br, max: max}
}

// ReadGreeting reads the one-line greeting Asterisk sends on connect
// ("Asterisk Call Manager/9.0.0") and returns the AMI version.
func (r *Reader) ReadGreeting() (string, error) {
	line, err := r.readLine()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	s := string(line)
	if !strings.HasPrefix(s, "Asterisk Call Manager") {
		if len(s) > 64 {
			s = s[:64] + "…"
		}
		return "", fmt.Errorf("%w: greeting %q", ErrNotAMI, s)
	}
	_, version, _ := strings.Cut(s, "/")
	return version, nil
}

// ReadMessage reads the next message. Blank lines between messages are
// skipped. It returns io.EOF only at a clean message boundary.
func (r *Reader) ReadMessage() (Message, error) {
	if m, ok := r.readBuffered(); ok {
		return m, nil
	}
	r.buf = r.buf[:0]
	r.table = r.table[:0]
	follows, body := false, false
	for {
		line, err := r.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) && (len(r.table) > 0 || len(line) > 0) {
				return Message{}, io.ErrUnexpectedEOF
			}
			return Message{}, err
		}
		if follows {
			if rest, ok := bytes.CutSuffix(line, []byte(endCommand)); ok {
				if len(rest) > 0 {
					r.addField([]byte("Output"), rest)
				}
				return r.finish(), nil
			}
			if !body {
				key, value, ok := splitHeader(line)
				if ok && (equalFold(string(key), "ActionID") || equalFold(string(key), "Privilege")) {
					r.addField(key, value)
					continue
				}
				body = true
			}
			r.addField([]byte("Output"), line)
		} else if len(line) == 0 {
			if len(r.table) == 0 {
				continue // blank lines between messages
			}
			return r.finish(), nil
		} else {
			key, value, _ := splitHeader(line)
			r.addField(key, value)
			follows = len(r.table) == 4 && equalFold(string(key), "Response") && equalFold(string(value), "Follows")
		}
		if len(r.buf) > r.max {
			return Message{}, ErrMessageTooLarge
		}
	}
}

// readBuffered is the fast path: when a whole message already sits in the
// bufio buffer, index it in place and copy it out once. It consumes nothing
// and reports false when the message is incomplete or is legacy Command
// output; ReadMessage then takes the line-by-line path.
func (r *Reader) readBuffered() (Message, bool) {
	if r.br.Buffered() == 0 {
		if _, err := r.br.Peek(1); err != nil {
			return Message{}, false
		}
	}
	b, _ := r.br.Peek(r.br.Buffered())
	if len(b) >= narrowMax {
		b = b[:narrowMax-1] // a message found here is narrow; a longer one takes the slow path
	}
	// The field table is appended to in a local: a store to r.narrow per
	// header would cost a write barrier each while the collector runs.
	table := r.narrow[:0]
	start, pos := 0, 0
	for {
		i := bytes.IndexByte(b[pos:], '\n')
		if i < 0 {
			return Message{}, false
		}
		end := pos + i
		if end > pos && b[end-1] == '\r' {
			end--
		}
		if end == pos { // blank line
			if len(table) == 0 {
				pos += i + 1
				start = pos
				continue
			}
			m := narrowMessage(b[start:pos], table)
			r.narrow = table
			_, _ = r.br.Discard(pos + i + 1)
			return m, true
		}
		// Keys are short: a loop finds the ':' sooner than IndexByte.
		k1 := pos
		for k1 < end && b[k1] != ':' {
			k1++
		}
		v0 := end // a line without ':' is a key with no value
		if k1 < end {
			v0 = k1 + 1
			for v0 < end && (b[v0] == ' ' || b[v0] == '\t') {
				v0++
			}
			if len(table) == 0 && bytes.EqualFold(b[pos:k1], []byte("Response")) && bytes.EqualFold(b[v0:end], []byte("Follows")) {
				return Message{}, false
			}
		}
		if end-start > r.max {
			return Message{}, false // the slow path reports the size error
		}
		k0, k1, v0, v1 := pos-start, k1-start, v0-start, end-start
		table = append(table, byte(k0), byte(k0>>8), byte(k1), byte(k1>>8), byte(v0), byte(v0>>8), byte(v1), byte(v1>>8))
		pos += i + 1
	}
}

// readLine returns the next line without its line end. The slice is only
// valid until the next read.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A line longer than the buffer: gather it, within the bound.
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			if len(long) > r.max {
				return nil, ErrMessageTooLarge
			}
			line, err = r.br.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			return line, io.ErrUnexpectedEOF
		}
		return line, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// splitHeader splits "Key: value" at the first ':' and skips the blanks that
// follow it, as Asterisk does. A line without ':' is a key with no value.
func splitHeader(line []byte) (key, value []byte, ok bool) {
	i := bytes.IndexByte(line, ':')
	if i < 0 {
		return line, nil, false
	}
	key, value = line[:i], line[i+1:]
	for len(value) > 0 && (value[0] == ' ' || value[0] == '\t') {
		value = value[1:]
	}
	return key, value, true
}

func (r *Reader) addField(key, value []byte) {
	k0 := len(r.buf)
	r.buf = append(r.buf, key...)
	k1 := len(r.buf)
	r.buf = append(r.buf, ':', ' ')
	v0 := len(r.buf)
	r.buf = append(r.buf, value...)
	r.table = append(r.table, uint32(k0), uint32(k1), uint32(v0), uint32(len(r.buf)))
	r.buf = append(r.buf, '\n')
}

// finish copies the message out of the reusable buffers, with a narrow
// field table when the text allows.
func (r *Reader) finish() Message {
	if len(r.buf) >= narrowMax {
		return wideMessage(r.buf, r.table)
	}
	t := r.narrow[:0]
	for _, v := range r.table {
		t = binary.LittleEndian.AppendUint16(t, uint16(v))
	}
	r.narrow = t
	return narrowMessage(r.buf, t)
}

// wideMessage makes a Message of text (64 KiB or more) and its field
// table, in one allocation.
func wideMessage(text []byte, table []uint32) Message {
	var b strings.Builder
	b.Grow(len(text) + 4*len(table))
	b.Write(text)
	var e [4]byte
	for _, v := range table {
		binary.LittleEndian.PutUint32(e[:], v)
		b.Write(e[:])
	}
	return Message{data: b.String(), n: int32(len(table) / 4), wide: true}
}

// narrowMessage makes a Message of text and its narrow field table, in one
// allocation.
func narrowMessage(text, table []byte) Message {
	var b strings.Builder
	b.Grow(len(text) + len(table))
	b.Write(text)
	b.Write(table)
	return Message{data: b.String(), n: int32(len(table) / 8)}
}

// parseComplete turns one encoded message (as AppendMessage writes it) into
// a Message.
func parseComplete(b []byte) Message {
	m, err := NewReader(bytes.NewReader(b)).ReadMessage()
	if err != nil {
		return Message{}
	}
	return m
}
