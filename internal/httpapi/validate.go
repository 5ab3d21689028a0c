package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// A kind is what a parameter may hold. Everything that reaches AMI is
// checked against one, so no CR, LF, ":" or other header trick gets through.
type kind struct {
	valid func(string) bool
	must  string // completes `parameter "x" must be …`
	fold  bool   // compare case-insensitively: the value is lower-cased
	phone bool   // a number: explain the form-data "+" pitfall when it has a space
}

var (
	phoneNumber = kind{valid: isNumber, must: "a phone number: digits, *, # or +, at most 32 characters", phone: true}
	extension   = kind{valid: isNumber, must: "an extension: digits, *, # or +, at most 32 characters", phone: true}
	queueName   = kind{valid: isWord(64), must: "a queue name: letters, digits, _ or -, at most 64 characters"}
	onOff       = kind{valid: oneOf("on", "off"), must: `"on" or "off"`, fold: true}
	spyMode     = kind{valid: oneOf("listen", "whisper", "barge"), must: `"listen", "whisper" or "barge"`, fold: true}
	reasonText  = kind{valid: pbx.ValidReason, must: "printable ASCII text, at most 64 characters"} // what the pbx package sends as a pause reason
)

// validator reads parameters and keeps the first problem, so a handler
// reads all it needs and then checks once.
type validator struct {
	p   *params
	err *apiError
}

func (p *params) validate() *validator { return &validator{p: p} }

// required returns the parameter, or records that it is missing or bad.
func (v *validator) required(name string, k kind) string {
	val, ok := v.get(name, k)
	if !ok && v.err == nil {
		v.err = &apiError{http.StatusBadRequest, fmt.Sprintf("missing parameter %q", name)}
	}
	return val
}

// optional returns the parameter, or def when it is absent or empty.
func (v *validator) optional(name string, k kind, def string) string {
	if val, ok := v.get(name, k); ok {
		return val
	}
	return def
}

// get returns a present, non-empty, valid value; a bad one is recorded.
func (v *validator) get(name string, k kind) (string, bool) {
	if v.p.nonScalar[name] {
		v.setErr(fmt.Sprintf("parameter %q must be a string or a number", name))
		return "", true // present: not "missing"
	}
	val := v.p.values[name]
	if val == "" {
		return "", false
	}
	if k.fold {
		val = strings.ToLower(val)
	}
	if !k.valid(val) {
		msg := fmt.Sprintf("parameter %q must be %s", name, k.must)
		if k.phone && strings.Contains(val, " ") {
			msg += ` (in form data "+" means a space: send "+" as %2B)`
		}
		v.setErr(msg)
		return "", true
	}
	return val, true
}

func (v *validator) setErr(msg string) {
	if v.err == nil {
		v.err = &apiError{http.StatusBadRequest, msg}
	}
}

// isNumber: [0-9*#+]{1,32}.
func isNumber(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; !('0' <= c && c <= '9' || c == '*' || c == '#' || c == '+') {
			return false
		}
	}
	return true
}

// isWord accepts [A-Za-z0-9_-]{1,max}.
func isWord(max int) func(string) bool {
	return func(s string) bool {
		if len(s) == 0 || len(s) > max {
			return false
		}
		for i := range len(s) {
			c := s[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
				return false
			}
		}
		return true
	}
}

// isASCIIText accepts printable ASCII, with or without spaces, at most max bytes.
func isASCIIText(max int, spaces bool) func(string) bool {
	lowest := byte('!')
	if spaces {
		lowest = ' '
	}
	return func(s string) bool {
		if len(s) > max {
			return false
		}
		for i := range len(s) {
			if s[i] < lowest || s[i] > '~' {
				return false
			}
		}
		return true
	}
}

func oneOf(allowed ...string) func(string) bool {
	return func(s string) bool { return slices.Contains(allowed, s) }
}

// intIn accepts a decimal integer from lo to hi.
func intIn(lo, hi int) func(string) bool {
	return func(s string) bool { n, err := strconv.Atoi(s); return err == nil && n >= lo && n <= hi }
}
