package sdnotify_test

import (
	"log"
	"time"

	"github.com/coocenter/coocenterd/internal/sdnotify"
)

// healthy stands for the daemon's own check (coocenterd asks its API for
// /healthz).
func healthy() bool { return true }

// A daemon under a Type=notify unit with WatchdogSec= says it is ready once
// it serves, feeds the watchdog at half the interval while it is healthy,
// and says when it stops. Outside systemd each call does nothing.
func Example() {
	// ... listen and serve ...
	if err := sdnotify.Ready(); err != nil {
		log.Printf("could not tell systemd the service is ready: %v", err)
	}
	if every := sdnotify.WatchdogInterval() / 2; every > 0 {
		go func() {
			for range time.Tick(every) {
				if healthy() {
					_ = sdnotify.Watchdog()
				}
			}
		}()
	}
	// ... until told to stop ...
	_ = sdnotify.Stopping()
}
