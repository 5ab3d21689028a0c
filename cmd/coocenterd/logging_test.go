package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestJournalPriorities: under journald every line starts with its syslog
// priority, in either format, and has no time of its own; concurrent
// records never get another's priority.
func TestJournalPriorities(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		log := newLogger(&buf, "debug", format, true).With("component", "test")
		log.Debug("d")
		log.Info("i")
		log.Warn("w")
		log.Error("e")
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		want := []string{"<7>", "<6>", "<4>", "<3>"}
		if len(lines) != len(want) {
			t.Fatalf("%s: %d lines, want %d:\n%s", format, len(lines), len(want), buf.String())
		}
		for i, l := range lines {
			if !strings.HasPrefix(l, want[i]) {
				t.Errorf("%s: line %q does not start with %s", format, l, want[i])
			}
			if strings.Contains(l, "time") {
				t.Errorf("%s: line %q carries a time; the journal has it", format, l)
			}
			if format == "json" {
				var m map[string]any
				if err := json.Unmarshal([]byte(strings.TrimPrefix(l, want[i])), &m); err != nil || m["component"] != "test" {
					t.Errorf("json line %q: %v, %v", l, m, err)
				}
			}
		}
	}

	var buf bytes.Buffer
	log := newLogger(&buf, "info", "text", true)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { log.Warn("warn") })
		wg.Go(func() { log.Error("error") })
	}
	wg.Wait()
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if (strings.HasPrefix(l, "<4>") && !strings.Contains(l, "msg=warn")) || (strings.HasPrefix(l, "<3>") && !strings.Contains(l, "msg=error")) {
			t.Errorf("priority and level disagree: %q", l)
		}
	}
}

// TestPlainLogs: outside journald, text and json lines have their time and
// no priority prefix.
func TestPlainLogs(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, "info", "text", false).Warn("w")
	if l := buf.String(); !strings.HasPrefix(l, "time=") || !strings.Contains(l, "level=WARN") {
		t.Errorf("text line %q", l)
	}
	buf.Reset()
	newLogger(&buf, "info", "json", false).Warn("w")
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil || m["level"] != "WARN" || m["time"] == nil {
		t.Errorf("json line %q: %v", buf.String(), err)
	}
}

// TestUnderJournal: JOURNAL_STREAM counts only when it names stderr itself.
func TestUnderJournal(t *testing.T) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(os.Stderr.Fd()), &st); err != nil {
		t.Skip("stderr cannot be stat'ed:", err)
	}
	t.Setenv("JOURNAL_STREAM", "")
	if underJournal() {
		t.Error("no JOURNAL_STREAM, yet under the journal")
	}
	t.Setenv("JOURNAL_STREAM", "1:2")
	if st.Dev != 1 && underJournal() {
		t.Error("JOURNAL_STREAM of another stream taken for stderr")
	}
	t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", st.Dev, st.Ino))
	if !underJournal() {
		t.Error("JOURNAL_STREAM naming stderr not recognised")
	}
}
