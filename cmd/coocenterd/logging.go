package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// newLogger logs at level (a name slog knows: config has checked it) in
// format, text or json. Under journald (journal is true) each line starts
// with its syslog priority, <3> to <7>, which journald strips and files
// the line under, and carries no time of its own: the journal has it.
func newLogger(w io.Writer, level, format string, journal bool) *slog.Logger {
	var l slog.Level // info, if level were not a name
	_ = l.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: l}
	if journal {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		}
		pw := &priorityWriter{w: w}
		return slog.New(&journalHandler{h: handler(pw, format, opts), pw: pw})
	}
	return slog.New(handler(w, format, opts))
}

func handler(w io.Writer, format string, opts *slog.HandlerOptions) slog.Handler {
	if format == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}

// underJournal tells whether stderr is connected to journald: systemd sets
// JOURNAL_STREAM to the device and inode of the stream it gave the service,
// and a program whose stderr is that stream (not redirected) may use
// priority prefixes.
func underJournal() bool {
	dev, ino, ok := strings.Cut(os.Getenv("JOURNAL_STREAM"), ":")
	if !ok {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(os.Stderr.Fd()), &st); err != nil {
		return false
	}
	return dev == strconv.FormatUint(uint64(st.Dev), 10) && ino == strconv.FormatUint(st.Ino, 10)
}

// priority is the syslog priority of a level: err, warning, info, debug.
func priority(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "<3>"
	case l >= slog.LevelWarn:
		return "<4>"
	case l >= slog.LevelInfo:
		return "<6>"
	default:
		return "<7>"
	}
}

// priorityWriter puts the record's priority before the line the handler
// writes (slog's handlers write a record in one Write).
type priorityWriter struct {
	mu     sync.Mutex // held by journalHandler from setting prefix to the Write
	w      io.Writer
	prefix string
}

func (p *priorityWriter) Write(b []byte) (int, error) {
	line := make([]byte, 0, len(p.prefix)+len(b))
	line = append(append(line, p.prefix...), b...)
	if _, err := p.w.Write(line); err != nil {
		return 0, err
	}
	return len(b), nil
}

// journalHandler sets the priority of each record before its handler
// writes it.
type journalHandler struct {
	h  slog.Handler
	pw *priorityWriter
}

func (j *journalHandler) Enabled(ctx context.Context, l slog.Level) bool { return j.h.Enabled(ctx, l) }

func (j *journalHandler) Handle(ctx context.Context, r slog.Record) error {
	j.pw.mu.Lock()
	defer j.pw.mu.Unlock()
	j.pw.prefix = priority(r.Level)
	return j.h.Handle(ctx, r)
}

func (j *journalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &journalHandler{h: j.h.WithAttrs(as), pw: j.pw}
}

func (j *journalHandler) WithGroup(name string) slog.Handler {
	return &journalHandler{h: j.h.WithGroup(name), pw: j.pw}
}
