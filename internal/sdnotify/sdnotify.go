// Package sdnotify tells systemd how the service is doing, over the socket
// of NOTIFY_SOCKET (the sd_notify protocol of a Type=notify unit): READY=1
// once it serves, WATCHDOG=1 while it is healthy, STOPPING=1 on the way out.
// Outside systemd every call does nothing.
package sdnotify

import (
	"net"
	"os"
	"strconv"
	"time"
)

// Send sends state (such as "READY=1") to NOTIFY_SOCKET. It reports false,
// nil when there is no socket: not started by systemd, or not Type=notify.
func Send(state string) (bool, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return false, nil
	}
	if path[0] == '@' { // an abstract socket
		path = "\x00" + path[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, err
	}
	return true, nil
}

// Ready says the service is up.
func Ready() error { _, err := Send("READY=1"); return err }

// Stopping says the service is shutting down.
func Stopping() error { _, err := Send("STOPPING=1"); return err }

// Watchdog says the service is healthy; systemd restarts it when this does
// not come within WatchdogSec.
func Watchdog() error { _, err := Send("WATCHDOG=1"); return err }

// WatchdogInterval is WatchdogSec as systemd passes it (WATCHDOG_USEC, for
// this process: WATCHDOG_PID, when set, is its pid); 0 when off.
func WatchdogInterval() time.Duration {
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	return time.Duration(usec) * time.Microsecond
}
