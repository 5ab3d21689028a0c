// Package config reads coocenterd's api.conf into a typed, validated Config.
//
// The file is the INI file of the MyComm box coocenterd replaces: its keys
// ([general] BINDPORT, URL, WEBKEY, mac, pop_url; [enable] pausetime) keep
// their meaning, and our additions live in further sections with safe
// defaults. api.conf.example at the repository root lists every key.
//
// Everything is checked once, at load, so that a daemon that starts has a
// configuration it can use. A bad file yields one *Error, one line naming the
// file, section, key and what is wrong. The rules:
//
//   - Section and key names are case-insensitive; a known key set twice (in
//     any case, even in two blocks of the same section), a bad value of a
//     known key and a key outside any section are errors.
//   - An unknown key or section is a Warning (Config.Warnings) naming file,
//     line and the closest known name, and is ignored: a box's file may
//     carry keys no document showed. The daemon logs them; -strict makes
//     them fatal.
//   - [ami] username and secret may be left out: CompleteAMI then takes the
//     login from Asterisk's manager.conf on the same host (package
//     managerconf), and its [general] port and bindaddr unless [ami] sets
//     host and port. The original box's api.conf has no [ami] at all.
//   - A comment is a line starting with ';' or '#', or the rest of a line
//     after " ;" or " #" (with the space, so a WEBKEY or URL may contain '#').
//     A value in double quotes is taken as is, ';' and '#' included (\" is a
//     quote); a trailing backslash is kept, not a continuation.
//   - An empty value means the default: "WEBKEY =" is no authentication,
//     as in the original.
//   - No value may contain a line break, NUL or other control character.
//   - The values of WEBKEY, [ami] secret, [push] secrets and [monitor]
//     link_secret never appear in an error message or a warning, nor do the
//     secrets of manager.conf.
//
// Section and key parsing is done by gopkg.in/ini.v1; a first pass over the
// lines (structure.go) adds what ini.v1 cannot tell us: line numbers, names as
// the user wrote them and keys repeated in a different case.
package config
