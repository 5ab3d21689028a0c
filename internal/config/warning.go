package config

import "fmt"

// Warning is a line of api.conf that coocenterd ignores: an unknown key, or
// the header of an unknown section (whose keys are all ignored). A box's
// file may carry keys no document showed, so they do not stop the daemon;
// -strict makes them fatal (Err).
type Warning struct {
	File    string
	Line    int
	Section string // lower case if known; as written for an unknown section
	Key     string // as written; "" for an unknown section
	// Suggestion is `did you mean "BINDPORT"?` when a known name is within
	// two edits, else the list of known names.
	Suggestion string
}

// String is the warning as one line, in the shape of an *Error:
//
//	/etc/coocenterd/api.conf: [general] BINDPRT: unknown key (line 2), ignored; did you mean "BINDPORT"?
func (w Warning) String() string { return w.Err().Error() }

// Err is the warning as the *Error -strict returns.
func (w Warning) Err() *Error {
	what := "unknown key (line %d), ignored; %s"
	if w.Key == "" {
		what = "unknown section (line %d), its keys are ignored; %s"
	}
	return &Error{File: w.File, Section: w.Section, Key: w.Key, Problem: fmt.Sprintf(what, w.Line, w.Suggestion)}
}
