package pusher

import (
	"strconv"
	"unicode/utf8"
)

// object writes a flat JSON object with its keys in the order they are
// added, so pushes read like api.md's tables. Values are strings, as the
// original sends them, save the few it sends as numbers (addNumber).
type object struct{ b []byte }

func newObject() *object { return &object{b: append(make([]byte, 0, 512), '{')} }

func (o *object) add(key, value string) *object {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = appendString(o.b, key)
	o.b = append(o.b, ':')
	o.b = appendString(o.b, value)
	return o
}

// addSet adds key only when value is not "": a key of ours that most
// pushes do not have (userData), so that theirs stay as they were.
func (o *object) addSet(key, value string) *object {
	if value == "" {
		return o
	}
	return o.add(key, value)
}

// addNumber adds a JSON number: cc_cdr's holdTime and pauseTime are
// numbers in the original (api.md §4).
func (o *object) addNumber(key string, n int64) *object {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = appendString(o.b, key)
	o.b = append(o.b, ':')
	o.b = strconv.AppendInt(o.b, n, 10)
	return o
}

func (o *object) bytes() []byte { return append(o.b, '}') }

const hex = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, and U+2028/U+2029
// escaped so the body is also valid JavaScript.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
