package ami

import (
	"errors"
	"fmt"
)

// ErrInvalidHeader is wrapped by every error for a header that cannot be
// written safely. A value containing CR or LF would let its author append
// headers or whole actions of their own (AMI injection), so it is refused
// before anything reaches the socket.
var ErrInvalidHeader = errors.New("ami: invalid header")

// HeaderError says which header was refused and why.
type HeaderError struct {
	Key    string
	Reason string
}

func (e *HeaderError) Error() string {
	return fmt.Sprintf("ami: header %q: %s", e.Key, e.Reason)
}

// Unwrap lets errors.Is match ErrInvalidHeader.
func (e *HeaderError) Unwrap() error { return ErrInvalidHeader }

// AppendMessage appends headers in wire form (CRLF lines, blank line after)
// to dst. It refuses keys that are empty or contain ':', blanks or control
// characters, and values that contain CR, LF or NUL; on error dst is
// returned unchanged.
func AppendMessage(dst []byte, headers []Header) ([]byte, error) {
	for _, h := range headers {
		if err := CheckHeader(h.Key, h.Value); err != nil {
			return dst, err
		}
	}
	for _, h := range headers {
		dst = append(dst, h.Key...)
		dst = append(dst, ':', ' ')
		dst = append(dst, h.Value...)
		dst = append(dst, '\r', '\n')
	}
	return append(dst, '\r', '\n'), nil
}

// CheckHeader reports whether key and value can be written as one AMI header.
func CheckHeader(key, value string) error {
	if key == "" {
		return &HeaderError{Key: key, Reason: "empty name"}
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c == ':' || c == 0x7f {
			return &HeaderError{Key: key, Reason: "name contains a blank, ':' or a control character"}
		}
	}
	for i := 0; i < len(value); i++ {
		switch value[i] {
		case '\r', '\n':
			return &HeaderError{Key: key, Reason: "value contains a line break"}
		case 0:
			return &HeaderError{Key: key, Reason: "value contains a NUL byte"}
		}
	}
	return nil
}
