// Package bar holds the agents' call bar and the supervisors' wall: static pages the daemon serves at /bar/.
//
// The pages are plain HTML, CSS and JavaScript with no build step. They authenticate with
// the signed link's token (?token=), never a WEBKEY, read the state from the event stream
// and act through the same API as any other client. The server maps /bar/ to bar.html,
// /bar/wall to wall.html and /bar/static/<file> to the files below.
package bar

import "embed"

// Static holds the pages under static/: bar.html, wall.html and the files they load.
//
//go:embed static
var Static embed.FS
