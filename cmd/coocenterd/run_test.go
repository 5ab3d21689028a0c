package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckExampleConfig(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-config", "../../api.conf.example", "-check"}, &out, &errb)
	if err != nil || !strings.Contains(out.String(), "ok") {
		t.Fatalf("err %v, stdout %q, stderr %q", err, out.String(), errb.String())
	}
}

func TestCheckBrokenConfigGivesOneLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api.conf")
	if err := os.WriteFile(path, []byte("[general]\nBINDPORT=80a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"-config", path, "-check"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("a broken config passed -check")
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") || !strings.Contains(msg, path) || !strings.Contains(msg, "[general] BINDPORT") {
		t.Fatalf("error is not one line naming file, section and key: %q", msg)
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-version"}, &out, &bytes.Buffer{}); err != nil || !strings.HasPrefix(out.String(), "coocenterd ") {
		t.Fatalf("-version: %v %q", err, out.String())
	}
	if err := run(context.Background(), []string{"-nope"}, &bytes.Buffer{}, &bytes.Buffer{}); err != errUsage {
		t.Fatalf("bad flag: %v", err)
	}
	if err := run(context.Background(), []string{"extra"}, &bytes.Buffer{}, &bytes.Buffer{}); err != errUsage {
		t.Fatalf("extra argument: %v", err)
	}
}

// TestLogLevels: each [general] log_level lets its level through and
// holds back the one below it.
func TestLogLevels(t *testing.T) {
	for level, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo,
		"warn": slog.LevelWarn, "error": slog.LevelError} {
		log := newLogger(io.Discard, level)
		ctx := context.Background()
		if !log.Enabled(ctx, want) || log.Enabled(ctx, want-1) {
			t.Errorf("log_level %s: %v enabled %v, %v enabled %v", level, want, log.Enabled(ctx, want), want-1, log.Enabled(ctx, want-1))
		}
	}
}
