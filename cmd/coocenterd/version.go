package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is coocenterd's semantic version; CHANGELOG.md says what each
// one changed. The Makefile reads it from this line.
var version = "1.0.0"

// buildCommit is set by make: -ldflags "-X main.buildCommit=abc123".
var buildCommit string

// commit is the git revision the binary was built from, as make or the go
// command stamped it ("-dirty" or "+dirty" when the tree had changes); ""
// when unknown (go run, go test, a build outside a checkout).
func commit() string {
	if buildCommit != "" {
		return buildCommit
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return ""
	}
	return rev + dirty
}

// versionLine is what -version prints.
func versionLine() string {
	c := commit()
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("coocenterd %s (commit %s, %s, %s/%s)", version, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// synopsis is the paragraph -h starts with.
const synopsis = `coocenterd turns an Asterisk PBX host into a MyComm-style call-center box:
it keeps an AMI connection to Asterisk, serves the coocenter-api HTTP API
(calls, extensions, queues, agent pause and login, click-to-call, hangup,
transfer, listen-in, blacklist, recordings) and pushes call events to the
URL of api.conf. Try it without Asterisk: coocenterd -demo.

Documentation: man coocenterd; /usr/share/doc/coocenterd/api.md (docs/api.md
in the source); a running daemon serves /coocenter-api/openapi.json.

Usage: coocenterd [flags]
`
