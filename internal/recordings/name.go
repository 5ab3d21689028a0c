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
			return "", refuse(emptyComponent)
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

// emptyComponent is the reason a name with "//" or a trailing "/" is refused.
const emptyComponent = `has an empty component ("//" or a trailing "/")`

// Rel returns the name under dir of requested, a name relative to dir
// (returned unchanged) or an absolute path inside dir, as the cdr and
// cc_cdr pushes carry it (returned with dir's path cut; dir itself, with or
// without a trailing "/", is "", the folder). Only that prefix is looked
// at, compared with dir cleaned and with the path as given, never cleaned:
// what follows it is for CleanName or Folder.Open to check, and nothing is
// resolved on disk. An absolute path outside dir, or with "//" right after
// it, is refused with an error wrapping ErrBadPath.
func Rel(dir, requested string) (string, error) {
	if !strings.HasPrefix(requested, "/") {
		return requested, nil
	}
	prefix := strings.TrimSuffix(filepath.Clean(dir), "/") + "/" // "/" stays "/"
	if requested+"/" == prefix {
		return "", nil
	}
	name, ok := strings.CutPrefix(requested, prefix)
	switch {
	case !ok:
		return "", refuse("is absolute and outside the monitor folder: " +
			"give it relative to the folder, or absolute inside it")
	case strings.HasPrefix(name, "/"):
		return "", refuse(emptyComponent)
	}
	return name, nil
}

// RelName maps what Asterisk reports as a recording (MIXMONITOR_FILENAME,
// the CDR's recordfile: an absolute path under dir or a name relative to
// it) to its name under dir. It reports false when the file is outside dir
// or its name would not pass CleanName. Nothing is resolved on disk.
func RelName(dir, recordfile string) (string, bool) {
	name, err := Rel(dir, recordfile)
	if err != nil {
		return "", false
	}
	if _, err := CleanName(name); err != nil {
		return "", false
	}
	return name, true
}
