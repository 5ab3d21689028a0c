package ami

import (
	"iter"
	"strings"
)

// Header is one "Key: Value" line of a message being written.
type Header struct {
	Key, Value string
}

// Message is one AMI message as read from the wire: an ordered list of
// headers in which a key may repeat (ChanVariable, Output, Variable).
// Keys compare case-insensitively, as Asterisk does. A Message is immutable
// and safe to share between goroutines. Reading one costs one allocation
// whatever its size: the headers' text and, after it, its field table are
// one string, and every key and value a Message returns points into it.
type Message struct {
	// data is the headers' text followed by the field table: for each
	// header, four little-endian uint32 offsets into data, the key's start
	// and end and the value's start and end.
	data string
	n    int // headers
}

// fieldSize is the size of one header's entry in the field table.
const fieldSize = 16

// entry is the i-th header's entry in the field table.
func (m Message) entry(i int) string {
	t := m.data[len(m.data)-(m.n-i)*fieldSize:]
	return t[:fieldSize]
}

// field returns the offsets of the i-th header: key data[k0:k1], value
// data[v0:v1].
func (m Message) field(i int) (k0, k1, v0, v1 int) {
	t := m.entry(i)
	return int(le32(t[0:])), int(le32(t[4:])), int(le32(t[8:])), int(le32(t[12:]))
}

// key is the i-th header's key.
func (m Message) key(i int) string {
	t := m.entry(i)
	return m.data[le32(t[0:]):le32(t[4:])]
}

// value is the i-th header's value.
func (m Message) value(i int) string {
	t := m.entry(i)
	return m.data[le32(t[8:]):le32(t[12:])]
}

func le32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// NewMessage builds a Message from headers, for tests and for pbxsim.
// Headers that could not be written on the wire are refused with an error.
func NewMessage(headers ...Header) (Message, error) {
	var b []byte
	b, err := AppendMessage(b, headers)
	if err != nil {
		return Message{}, err
	}
	return parseComplete(b), nil
}

// Len is the number of headers.
func (m Message) Len() int { return m.n }

// At returns the i-th header.
func (m Message) At(i int) (key, value string) {
	k0, k1, v0, v1 := m.field(i)
	return m.data[k0:k1], m.data[v0:v1]
}

// Get returns the value of the first header named key (any case), or "".
func (m Message) Get(key string) string {
	v, _ := m.Lookup(key)
	return v
}

// Lookup is Get that also says whether the header was present.
func (m Message) Lookup(key string) (string, bool) {
	for i := range m.n {
		if equalFold(m.key(i), key) {
			return m.value(i), true
		}
	}
	return "", false
}

// Values returns the values of every header named key, in order.
func (m Message) Values(key string) []string {
	var out []string
	for i := range m.n {
		if equalFold(m.key(i), key) {
			out = append(out, m.value(i))
		}
	}
	return out
}

// All iterates over the headers in wire order.
func (m Message) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for i := range m.n {
			if !yield(m.At(i)) {
				return
			}
		}
	}
}

// Headers returns a copy of the headers, for building a modified message.
func (m Message) Headers() []Header {
	out := make([]Header, m.n)
	for i := range m.n {
		out[i].Key, out[i].Value = m.At(i)
	}
	return out
}

// Event is the value of the Event header ("" for responses).
func (m Message) Event() string { return m.Get("Event") }

// Response is the value of the Response header ("" for events).
func (m Message) Response() string { return m.Get("Response") }

// ActionID is the value of the ActionID header.
func (m Message) ActionID() string { return m.Get("ActionID") }

// IsEvent reports whether the message is an event rather than a response.
func (m Message) IsEvent() bool {
	_, ok := m.Lookup("Event")
	return ok
}

// String returns the message in wire form with CRLF line ends.
func (m Message) String() string {
	var b strings.Builder
	for k, v := range m.All() {
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// equalFold is an ASCII-only strings.EqualFold: header names are ASCII and
// this is on the hot path of every lookup.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca|0x20 != cb|0x20 || ca|0x20 < 'a' || ca|0x20 > 'z' {
			return false
		}
	}
	return true
}
