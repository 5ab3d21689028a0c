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
	// header, the offsets in data of its key's start and end and its
	// value's start and end, little-endian uint16, or uint32 in a wide
	// message (text of 64 KiB or more).
	data string
	n    int32 // headers
	wide bool
}

// narrowMax bounds the text of a message whose field table is uint16.
const narrowMax = 0xffff

// field returns the offsets of the i-th header: key data[k0:k1], value
// data[v0:v1].
func (m Message) field(i int) (k0, k1, v0, v1 int) {
	if m.wide {
		t := m.data[len(m.data)-(int(m.n)-i)*16:]
		_ = t[15]
		return int(le32(t)), int(le32(t[4:])), int(le32(t[8:])), int(le32(t[12:]))
	}
	t := m.data[len(m.data)-(int(m.n)-i)*8:]
	_ = t[7]
	return int(le16(t)), int(le16(t[2:])), int(le16(t[4:])), int(le16(t[6:]))
}

func le16(s string) uint16 {
	_ = s[1]
	return uint16(s[0]) | uint16(s[1])<<8
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
func (m Message) Len() int { return int(m.n) }

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
	if m.wide {
		for i := range int(m.n) {
			if k0, k1, v0, v1 := m.field(i); equalFold(m.data[k0:k1], key) {
				return m.data[v0:v1], true
			}
		}
		return "", false
	}
	// The loop of every lookup, over the narrow table as it lies.
	for t := m.data[len(m.data)-int(m.n)*8:]; len(t) >= 8; t = t[8:] {
		k0, k1 := int(le16(t)), int(le16(t[2:]))
		if k1-k0 == len(key) && equalFold(m.data[k0:k1], key) {
			return m.data[le16(t[4:]):le16(t[6:])], true
		}
	}
	return "", false
}

// Values returns the values of every header named key, in order.
func (m Message) Values(key string) []string {
	var out []string
	for i := range int(m.n) {
		if k0, k1, v0, v1 := m.field(i); equalFold(m.data[k0:k1], key) {
			out = append(out, m.data[v0:v1])
		}
	}
	return out
}

// All iterates over the headers in wire order.
func (m Message) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for i := range int(m.n) {
			if !yield(m.At(i)) {
				return
			}
		}
	}
}

// Headers returns a copy of the headers, for building a modified message.
func (m Message) Headers() []Header {
	out := make([]Header, m.n)
	for i := range int(m.n) {
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
