package main

import (
	"crypto/rand"
	"log/slog"
	"time"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/httpapi"
	"github.com/coocenter/coocenterd/internal/recordings"
)

// recordingLinks returns the signer of recording links. Its key comes from
// [monitor] link_secret, else WEBKEY, else it is random: then no link
// outlives this run of the daemon, which matters when pushes carry links.
// The log says which, never the key.
func recordingLinks(cfg *config.Config, log *slog.Logger) *recordings.Links {
	var key []byte
	from := "random, until coocenterd stops"
	switch {
	case cfg.Monitor.LinkSecret != "":
		key, from = recordings.LinkKey(cfg.Monitor.LinkSecret), "[monitor] link_secret"
	case cfg.General.WebKey != "":
		key, from = recordings.LinkKey(cfg.General.WebKey), "WEBKEY"
	default:
		key = make([]byte, 32)
		_, _ = rand.Read(key) // never fails: it crashes the program instead
		if cfg.Monitor.LinkBase != "" {
			log.Warn("the recording links pushed stop working when coocenterd restarts: set [monitor] link_secret or WEBKEY")
		}
	}
	pushed := "no (file names, as the original)"
	if cfg.Monitor.LinkBase != "" {
		pushed = "yes, valid " + cfg.Monitor.LinkTTL.String()
	}
	log.Info("recordings", "dir", cfg.Monitor.Dir, "link_key", from, "links_in_pushes", pushed)
	return recordings.NewLinks(key, nil)
}

// recordingURL is the push translator's RecordingURL: a link to a recording
// under [monitor] dir, signed to expire link_ttl after now, at [monitor]
// link_base. It is nil without link_base, so that pushes keep the names.
func recordingURL(m config.Monitor, links *recordings.Links, now func() time.Time) func(string) string {
	if m.LinkBase == "" {
		return nil
	}
	return func(recordfile string) string {
		name, ok := recordings.RelName(m.Dir, recordfile)
		if !ok {
			return ""
		}
		return m.LinkBase + httpapi.SignedMonitorPath(links, name, now().Add(m.LinkTTL))
	}
}
