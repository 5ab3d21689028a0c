package blacklist

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of what an entry may hold.
const (
	MaxNumberLen = 32  // characters of a number or pattern, the trailing '*' included
	MaxReasonLen = 200 // characters of a reason
)

// Errors callers match with errors.Is.
var (
	// ErrInvalid is matched by every validation error; its text is a sentence
	// naming what is wrong, fit for an HTTP 400.
	ErrInvalid = errors.New("invalid blacklist entry")
	// ErrFull is returned when an addition would exceed Options.MaxEntries.
	ErrFull = errors.New("the blacklist is full")
	// ErrClosed is returned by a Store after Close.
	ErrClosed = errors.New("the blacklist is closed")
)

// invalidError is a validation failure: its text is the whole message.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// ValidNumber reports whether s may be blacklisted: 1 to 32 of the characters
// 0-9 * # +. A trailing '*' makes s a prefix pattern ("400*" blocks every
// number starting with 400, and 400 itself), which needs at least one
// character before the '*'. A '*' anywhere else is an ordinary character.
// The error says in plain English what is wrong and matches ErrInvalid.
func ValidNumber(s string) error {
	switch {
	case s == "":
		return invalidf("number is empty")
	case len(s) > MaxNumberLen:
		return invalidf("number %s is %d characters long: at most %d are allowed", show(s), len(s), MaxNumberLen)
	case s == "*":
		return invalidf("number \"*\" would block every caller: a prefix pattern needs at least one character before the '*'")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isNumberChar(c) {
			r, _ := utf8.DecodeRuneInString(s[i:])
			return invalidf("number %s contains %q: only digits 0-9, '*', '#' and '+' are allowed", show(s), r)
		}
	}
	return nil
}

func isNumberChar(c byte) bool {
	return '0' <= c && c <= '9' || c == '*' || c == '#' || c == '+'
}

// IsPattern reports whether a valid entry is a prefix pattern.
func IsPattern(number string) bool {
	return len(number) > 1 && strings.HasSuffix(number, "*")
}

// Matches reports whether the entry (a number or a prefix pattern) blocks
// the caller number, exactly as the dialplan subroutine decides it: equal,
// or the caller starts with the pattern's prefix.
func Matches(entry, caller string) bool {
	if entry == caller {
		return true
	}
	return IsPattern(entry) && strings.HasPrefix(caller, entry[:len(entry)-1])
}

// validReason checks an optional reason: printable text, one line, at most
// MaxReasonLen characters (it travels in an AMI header and a CSV cell).
func validReason(s string) error {
	if !utf8.ValidString(s) {
		return invalidf("reason is not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(s); n > MaxReasonLen {
		return invalidf("reason is %d characters long: at most %d are allowed", n, MaxReasonLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalidf("reason contains the control character %q: it must be a single line of text", r)
		}
	}
	return nil
}

// show quotes a caller-supplied value for an error message, shortened so a
// hostile value cannot flood a log line.
func show(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q", s)
}
