package config

import "strings"

// Error is what is wrong with a configuration file, as one line:
//
//	/etc/coocenterd/api.conf: [general] BINDPORT: "80a" is not a port number (1-65535)
//
// Section is the section's name in lower case (as written if unknown),
// without brackets; Key is the key as written in the file (or as
// documented, when it is missing). Either is empty when the problem is not
// about one: an unreadable file, a line that is not INI. Problem never
// contains the value of WEBKEY or a secret ([ami] secret, [push] secrets,
// [monitor] link_secret).
type Error struct {
	File, Section, Key, Problem string

	cause error // the underlying error, if any, for errors.Is
}

// Error returns the one-line message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Section != "" {
		b.WriteString(": [" + e.Section + "]")
	}
	if e.Key != "" {
		if e.Section == "" {
			b.WriteString(":")
		}
		b.WriteString(" " + e.Key)
	}
	b.WriteString(": " + e.Problem)
	return b.String()
}

// Unwrap returns the error that caused this one, such as fs.ErrNotExist
// wrapped in an *fs.PathError when the file cannot be read.
func (e *Error) Unwrap() error { return e.cause }

// iniProblem is ini.v1's message without the offending line it quotes,
// which could be a secret ("missing closing key quote: WEBKEY = ...").
func iniProblem(err error) string {
	msg, _, _ := strings.Cut(err.Error(), ":")
	msg, _, _ = strings.Cut(msg, " from ")
	return msg
}
