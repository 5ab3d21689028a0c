package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// fixtureManagerConf is a root file system whose /etc/asterisk/manager.conf
// has text: the -check tests read it instead of the machine's.
func fixtureManagerConf(text string) fstest.MapFS {
	return fstest.MapFS{"etc/asterisk/manager.conf": {Data: []byte(text)}}
}

// loopbackUser is a manager.conf with AMI on and a user that fits.
const loopbackUser = "[general]\nenabled = yes\n\n[coocenter]\nsecret = fixture-secret\n" +
	"deny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.0/255.0.0.0\nread = all\nwrite = all\n"

// The example has no AMI login: -check takes it from manager.conf and says so.
func TestCheckExampleConfig(t *testing.T) {
	var out, errb bytes.Buffer
	err := runOn(context.Background(), fixtureManagerConf(loopbackUser), []string{"-config", "../../api.conf.example", "-check"}, &out, &errb)
	want := "../../api.conf.example: AMI user coocenter from /etc/asterisk/manager.conf, at 127.0.0.1:5038\n../../api.conf.example: ok\n"
	if err != nil || out.String() != want {
		t.Fatalf("err %v, stdout %q, stderr %q", err, out.String(), errb.String())
	}
	if strings.Contains(out.String()+errb.String(), "fixture-secret") {
		t.Error("the secret was printed")
	}
}

// Unknown keys and sections: -check prints one line each, then ok, and
// exits 0; -strict makes the first one the error, with -check or without.
func TestCheckWarnings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api.conf")
	text := "[general]\nBINDPORT=8000\nBINDPROT=8001\n[record]\nformat=wav\n[enable]\npausetime=no\ncallback=yes\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	root := fixtureManagerConf(loopbackUser)
	var out bytes.Buffer
	if err := runOn(context.Background(), root, []string{"-config", path, "-check"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("-check: %v", err)
	}
	want := []string{
		path + `: [general] BINDPROT: unknown key (line 3), ignored; did you mean "BINDPORT"?`,
		path + ": [record]: unknown section (line 4), its keys are ignored; known sections: general, enable, ami, pausetime, storage, monitor, blacklist, push, metrics, stream, bar",
		path + ": [enable] callback: unknown key (line 8), ignored; known keys in [enable]: pausetime",
		path + ": AMI user coocenter from /etc/asterisk/manager.conf, at 127.0.0.1:5038",
		path + ": ok",
	}
	if got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("-check printed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, args := range [][]string{{"-check", "-strict"}, {"-strict"}} {
		out.Reset()
		err := runOn(context.Background(), root, append([]string{"-config", path}, args...), &out, &bytes.Buffer{})
		if err == nil || err.Error() != want[0] || out.Len() != 0 {
			t.Errorf("%v: err %v, stdout %q; want the first warning as the error", args, err, out.String())
		}
	}
}

// -check fails with one line when manager.conf has no user that fits.
func TestCheckWithoutAMIUser(t *testing.T) {
	root := fixtureManagerConf("[general]\nenabled = yes\n[web]\nsecret = fixture-secret\nread = call\nwrite = call\n")
	err := runOn(context.Background(), root, []string{"-config", "testdata/mycomm-api.conf", "-check"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("-check passed")
	}
	msg := err.Error()
	for _, part := range []string{"/etc/asterisk/manager.conf: no AMI user fits coocenterd",
		"[web] (line 3): read lacks system,agent,user,cdr,dialplan, write lacks system,agent,originate",
		"add asterisk/manager_coocenter.conf", "set [ami] username and secret in testdata/mycomm-api.conf"} {
		if !strings.Contains(msg, part) {
			t.Errorf("error %q lacks %q", msg, part)
		}
	}
	if strings.Contains(msg, "\n") || strings.Contains(msg, "fixture-secret") {
		t.Errorf("not one line without secrets: %q", msg)
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

// TestVersionAndUsage: -version prints the semantic version and the
// commit; -h the synopsis, where the docs are and the flags, on stdout; a
// bad flag says which, without the whole usage.
func TestVersionAndUsage(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-version"}, &out, &bytes.Buffer{}); err != nil ||
		!regexp.MustCompile(`^coocenterd \d+\.\d+\.\d+(-[0-9A-Za-z.-]+)? \(commit \S+, go`).MatchString(out.String()) {
		t.Fatalf("-version: %v %q", err, out.String())
	}
	buildCommit = "0123456789ab"
	defer func() { buildCommit = "" }()
	out.Reset()
	if err := run(context.Background(), []string{"-version"}, &out, &bytes.Buffer{}); err != nil || !strings.Contains(out.String(), "(commit 0123456789ab,") {
		t.Fatalf("-version with the commit stamped: %v %q", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"-h"}, &out, &bytes.Buffer{}); err != nil {
		t.Fatalf("-h: %v", err)
	}
	for _, want := range []string{"coocenterd turns an Asterisk PBX", "man coocenterd", "docs/api.md", "openapi.json", "-config string", "-check"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h lacks %q:\n%s", want, out.String())
		}
	}
	var errb bytes.Buffer
	if err := run(context.Background(), []string{"-nope"}, &bytes.Buffer{}, &errb); err != errUsage || errb.String() != "flag provided but not defined: -nope\n" {
		t.Fatalf("bad flag: %v, stderr %q", err, errb.String())
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
		log := newLogger(io.Discard, level, "text", false)
		ctx := context.Background()
		if !log.Enabled(ctx, want) || log.Enabled(ctx, want-1) {
			t.Errorf("log_level %s: %v enabled %v, %v enabled %v", level, want, log.Enabled(ctx, want), want-1, log.Enabled(ctx, want-1))
		}
	}
}

// TestCheckBindAddr: -check fails, as start would, on a BINDADDR this host
// cannot listen on, quoting it; an address it can is fine even while
// something already listens on BINDPORT there.
func TestCheckBindAddr(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1", ""},
		{"192.0.2.1", `[general] BINDADDR: cannot listen on "192.0.2.1": it is not an address of this host`},
	} {
		path := filepath.Join(t.TempDir(), "api.conf")
		text := "[general]\nBINDPORT=" + port + "\nBINDADDR=" + tc.addr + "\n[ami]\nusername=u\nsecret=s\n"
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err := runOn(context.Background(), fstest.MapFS{}, []string{"-config", path, "-check"}, &out, io.Discard)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("BINDADDR=%s: -check: %v", tc.addr, err)
		case tc.want != "" && (err == nil || err.Error() != path+": "+tc.want):
			t.Errorf("BINDADDR=%s: -check = %v, want %s", tc.addr, err, tc.want)
		}
	}
}
