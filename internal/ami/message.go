package ami

import (
	"iter"
	"strings"
)

// Header is one "Key: Value" line of a message being written.
type Header struct {
	Key, Value string
}

// field locates one header inside Message.raw: key is raw[k0:k1], value raw[v0:v1].
type field struct{ k0, k1, v0, v1 uint32 }

// Message is one AMI message as read from the wire: an ordered list of
// headers in which a key may repeat (ChanVariable, Output, Variable).
// Keys compare case-insensitively, as Asterisk does. A Message is immutable
// and safe to share between goroutines; its strings all point into one
// backing string, so reading one costs two allocations whatever its size.
type Message struct {
	raw    string
	fields []field
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
func (m Message) Len() int { return len(m.fields) }

// At returns the i-th header.
func (m Message) At(i int) (key, value string) {
	f := m.fields[i]
	return m.raw[f.k0:f.k1], m.raw[f.v0:f.v1]
}

// Get returns the value of the first header named key (any case), or "".
func (m Message) Get(key string) string {
	v, _ := m.Lookup(key)
	return v
}

// Lookup is Get that also says whether the header was present.
func (m Message) Lookup(key string) (string, bool) {
	for _, f := range m.fields {
		if equalFold(m.raw[f.k0:f.k1], key) {
			return m.raw[f.v0:f.v1], true
		}
	}
	return "", false
}

// Values returns the values of every header named key, in order.
func (m Message) Values(key string) []string {
	var out []string
	for _, f := range m.fields {
		if equalFold(m.raw[f.k0:f.k1], key) {
			out = append(out, m.raw[f.v0:f.v1])
		}
	}
	return out
}

// All iterates over the headers in wire order.
func (m Message) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, f := range m.fields {
			if !yield(m.raw[f.k0:f.k1], m.raw[f.v0:f.v1]) {
				return
			}
		}
	}
}

// Headers returns a copy of the headers, for building a modified message.
func (m Message) Headers() []Header {
	out := make([]Header, len(m.fields))
	for i := range m.fields {
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
