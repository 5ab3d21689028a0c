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
		var j journalHandler
		mu := new(sync.Mutex) // the four handlers share w
		for i, p := range priorities {
			j.by[i] = handler(prefixWriter{prefix: []byte(p.prefix), mu: mu, w: w}, format, opts)
		}
		return slog.New(j)
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

// priorities are the syslog priorities of the levels, highest level first:
// err, warning, info, debug.
var priorities = [...]struct {
	from   slog.Level
	prefix string
}{{slog.LevelError, "<3>"}, {slog.LevelWarn, "<4>"}, {slog.LevelInfo, "<6>"}, {slog.LevelDebug - 100, "<7>"}}

// priority is the index in priorities of level l.
func priority(l slog.Level) int {
	for i, p := range priorities {
		if l >= p.from {
			return i
		}
	}
	return len(priorities) - 1
}

// prefixWriter writes each line a handler gives it (slog's handlers write
// a record in one Write) after its priority, in one Write under mu.
type prefixWriter struct {
	prefix []byte
	mu     *sync.Mutex
	w      io.Writer
}

func (p prefixWriter) Write(b []byte) (int, error) {
	line := make([]byte, 0, len(p.prefix)+len(b))
	line = append(append(line, p.prefix...), b...)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.w.Write(line); err != nil {
		return 0, err
	}
	return len(b), nil
}

// journalHandler sends each record to the handler of its priority: one
// handler per priority, each with its prefix, the same attributes.
type journalHandler struct {
	by [len(priorities)]slog.Handler
}

func (j journalHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return j.by[priority(l)].Enabled(ctx, l)
}

func (j journalHandler) Handle(ctx context.Context, r slog.Record) error {
	return j.by[priority(r.Level)].Handle(ctx, r)
}

func (j journalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	for i, h := range j.by {
		j.by[i] = h.WithAttrs(as)
	}
	return j
}

func (j journalHandler) WithGroup(name string) slog.Handler {
	for i, h := range j.by {
		j.by[i] = h.WithGroup(name)
	}
	return j
}
