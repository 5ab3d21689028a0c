// Command coocenterd is the call-center companion daemon of an Asterisk PBX:
// it keeps an AMI connection, serves the MyComm-compatible coocenter-api and
// pushes call events. See README.md.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		prefix := ""
		if underJournal() {
			prefix = priorities[priority(slog.LevelError)].prefix
		}
		fmt.Fprintln(os.Stderr, prefix+"coocenterd:", err)
		os.Exit(1)
	}
}
