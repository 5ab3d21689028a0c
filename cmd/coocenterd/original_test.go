package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/config"
	"github.com/coocenter/coocenterd/internal/testbed"
	"github.com/coocenter/coocenterd/internal/testkit"
)

// writeManagerConf writes a manager.conf for the bed's PBX into a new
// directory, as an operator would lay it out: [general] in manager.conf,
// the user in an included file. It returns the main file and the user's.
func writeManagerConf(t *testing.T, b *testbed.Bed) (main, userFile string) {
	t.Helper()
	addr, user, secret := b.AMI() // pbxsim, or a real Asterisk behind the bed's link
	host, port := splitHostPort(addr)
	dir := t.TempDir()
	main, userFile = filepath.Join(dir, "manager.conf"), filepath.Join(dir, "manager_custom.conf")
	general := fmt.Sprintf("[general]\nenabled = yes\nport = %d\nbindaddr = %s\n\n#include manager_custom.conf\n", port, host)
	account := fmt.Sprintf("[%s]\nsecret = %s\ndeny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.0/255.0.0.0\n"+
		"read = system,call,agent,user,cdr,dialplan\nwrite = system,call,agent,originate,command\n", user, secret)
	for name, text := range map[string]string{main: general, userFile: account} {
		if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return main, userFile
}

// startConfigured runs the daemon on cfg through start, as run does after
// loading api.conf, and returns the API's base URL once it listens and the
// model has synced.
func startConfigured(t *testing.T, cfg *config.Config) (base string, logs *logBuffer, stop func()) {
	t.Helper()
	logs = &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- start(ctx, cfg, os.DirFS("/"), slog.New(slog.NewTextHandler(logs, nil))) }()
	stop = func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("daemon: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("daemon did not stop")
		}
	}
	addrRe := regexp.MustCompile(`coocenter-api listening" addr=(\S+)`)
	testkit.Eventually(t, "the API to listen and the model to sync", 10*time.Second, func() bool {
		select {
		case err := <-done:
			t.Fatalf("daemon stopped: %v\n%s", err, logs.String())
		default:
		}
		return addrRe.MatchString(logs.String()) && strings.Contains(logs.String(), "model synced")
	})
	return "http://" + addrRe.FindStringSubmatch(logs.String())[1], logs, stop
}

// loopbackOnly adjusts a loaded config for a test: the API on a free
// loopback port (8000 may be taken, and tests use loopback only), the
// database in a temporary folder (not the machine's /var/lib/coocenterd)
// and no push receivers (the original's 192.168.12.185 is not ours to
// push to).
func loopbackOnly(t *testing.T, cfg *config.Config) {
	cfg.General.BindAddr, cfg.General.BindPort = "127.0.0.1", 0
	cfg.Storage.Dir = t.TempDir()
	cfg.General.URLs = nil
}

// TestOriginalAPIConf: the original box's api.conf, byte for byte, is
// enough on a PBX host. It has no [ami]: the daemon finds the AMI user, its
// secret, the port and the address in Asterisk's manager.conf (a fixture
// for the bed's PBX, pbxsim or a real Asterisk), logs which user and file
// without the secret, syncs with the PBX and answers queue-info to a client
// that authenticates with WEBKEY as the original's clients do.
func TestOriginalAPIConf(t *testing.T) {
	b := testbed.Start(t, testbed.Options{Registered: []string{"801"}})
	managerConf, userFile := writeManagerConf(t, b)
	_, user, secret := b.AMI()

	cfg, err := config.Load("testdata/mycomm-api.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 0 {
		t.Fatalf("warnings: %v", cfg.Warnings)
	}
	cfg.AMI.ManagerConf = managerConf // not the machine's /etc/asterisk
	loopbackOnly(t, cfg)
	base, logs, stop := startConfigured(t, cfg)
	defer stop()

	want := fmt.Sprintf(`msg="AMI login from manager.conf" user=%s file=%s`, user, userFile)
	if !strings.Contains(logs.String(), want) {
		t.Errorf("the log does not say %s:\n%s", want, logs.String())
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the AMI secret was logged")
	}

	get := func(auth string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, base+"/coocenter-api/queues/queue-info", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	if code, _ := get(""); code != http.StatusUnauthorized {
		t.Errorf("without Authorization: %d, want 401 (WEBKEY is set)", code)
	}
	sum := md5.Sum([]byte("asjdfjklkasdf" + time.Now().Format(time.DateOnly)))
	code, body := get(hex.EncodeToString(sum[:]))
	var reply struct {
		Status string                     `json:"status"`
		Data   map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &reply); err != nil || code != http.StatusOK || reply.Status != "success" || reply.Data["630"] == nil {
		t.Errorf("queue-info: %d %s (%v)", code, body, err)
	}
}

// TestDaemonLogsWarnings: a file with keys the document never showed
// starts the daemon, which logs each once, with file, line, key and the
// closest known key.
func TestDaemonLogsWarnings(t *testing.T) {
	b := testbed.Start(t, testbed.Options{})
	managerConf, _ := writeManagerConf(t, b)
	original, err := os.ReadFile("testdata/mycomm-api.conf")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "api.conf")
	text := string(original) + "callback=yes\n[record]\nformat=wav\n[general]\npopurl=http://crm.example/\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AMI.ManagerConf = managerConf
	loopbackOnly(t, cfg)
	_, logs, stop := startConfigured(t, cfg)
	stop()

	want := []string{
		`level=WARN msg="unknown key in the config file, ignored" file=` + path + ` line=9 section=enable key=callback suggestion="known keys in [enable]: pausetime"`,
		`level=WARN msg="unknown section in the config file, ignored with its keys" file=` + path + ` line=10 section=record key="" suggestion="known sections: general, enable, ami, pausetime, storage, monitor, blacklist, push, metrics, stream, bar"`,
		`level=WARN msg="unknown key in the config file, ignored" file=` + path + ` line=13 section=general key=popurl suggestion="did you mean \"pop_url\"?"`,
	}
	for _, w := range want {
		if n := strings.Count(logs.String(), w); n != 1 {
			t.Errorf("logged %d times: %s", n, w)
		}
	}
	if n := strings.Count(logs.String(), "level=WARN msg=\"unknown"); n != len(want) {
		t.Errorf("%d warnings logged, want %d:\n%s", n, len(want), logs.String())
	}
}
