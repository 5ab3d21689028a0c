package recordings

import (
	"errors"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// ErrBadPath is wrapped by every refusal of a name as text: the caller's
// fault, whatever is on disk (HTTP 400). The error's own text is a sentence
// for the caller that never repeats the name.
var ErrBadPath = errors.New("bad recording path")

// Limits of a name: Linux's PATH_MAX is larger, but no recording needs more.
const (
	maxNameBytes      = 1024
	maxComponentBytes = 255
)

// badPath is a refusal of a name: its text is for the caller.
type badPath struct{ reason string }

func (e *badPath) Error() string { return "the recording path " + e.reason }
func (e *badPath) Unwrap() error { return ErrBadPath }

func refuse(reason string) error { return &badPath{reason} }

// CleanName checks raw, a slash-separated path relative to the monitor
// folder, as text only, and returns it unchanged when it may be opened.
// The error wraps ErrBadPath.
func CleanName(raw string) (string, error) {
	switch {
	case raw == "":
		return "", refuse("is empty")
	case len(raw) > maxNameBytes:
		return "", refuse("is longer than 1024 bytes")
	case !utf8.ValidString(raw):
		return "", refuse("is not valid UTF-8")
	case raw[0] == '/':
		return "", refuse("is absolute: give it relative to the monitor folder")
	}
	for _, r := range raw {
		switch {
		case r < 0x20 || r == 0x7f:
			return "", refuse("contains a control character")
		case r == '\\':
			return "", refuse(`contains a backslash: separate folders with "/"`)
		case r == '%':
			return "", refuse(`contains "%": it was probably percent-encoded twice`)
		case r == ':':
			return "", refuse(`contains ":"`)
		}
	}
	for c := range strings.SplitSeq(raw, "/") {
		switch {
		case c == "":
			return "", refuse(`has an empty component ("//" or a trailing "/")`)
		case c == "." || c == "..":
			return "", refuse(`has a "." or ".." component`)
		case c[0] == '.':
			return "", refuse(`names a hidden file or folder (a component starts with ".")`)
		case len(c) > maxComponentBytes:
			return "", refuse("has a component longer than 255 bytes")
		}
	}
	return raw, nil
}

// RelName maps what Asterisk reports as a recording (MIXMONITOR_FILENAME,
// the CDR's recordfile: an absolute path under dir or a name relative to
// it) to its name under dir. It reports false when the file is outside dir
// or its name would not pass CleanName. Nothing is resolved on disk.
func RelName(dir, recordfile string) (string, bool) {
	name := recordfile
	if strings.HasPrefix(recordfile, "/") {
		prefix := strings.TrimSuffix(filepath.Clean(dir), "/") + "/"
		var ok bool
		if name, ok = strings.CutPrefix(recordfile, prefix); !ok {
			return "", false
		}
	}
	if _, err := CleanName(name); err != nil {
		return "", false
	}
	return name, true
}
