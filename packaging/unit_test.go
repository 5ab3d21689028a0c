package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestUnit: the unit runs the packaged binary as coocenterd, checks the
// config first, is Type=notify with a watchdog, and systemd-analyze
// verifies it without a word.
func TestUnit(t *testing.T) {
	unit, err := os.ReadFile("../systemd/coocenterd.service")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"Type":            "notify",
		"NotifyAccess":    "main",
		"WatchdogSec":     "30s",
		"User":            "coocenterd",
		"Group":           "coocenterd",
		"StateDirectory":  "coocenterd",
		"ProtectSystem":   "strict",
		"NoNewPrivileges": "yes",
		"ExecStartPre":    "/usr/bin/coocenterd -config /etc/coocenterd/api.conf -check",
		"ExecStart":       "/usr/bin/coocenterd -config /etc/coocenterd/api.conf",
	} {
		if got := unitSetting(string(unit), key); got != want {
			t.Errorf("the unit's %s=%s, want %s", key, got, want)
		}
	}
	if got := unitSetting(string(unit), "DynamicUser"); got != "" {
		t.Errorf("DynamicUser=%s: a dynamic user can read neither the config of group coocenterd nor manager.conf", got)
	}
	_, root, _ := buildDeb(t) // for a real binary at ExecStart
	verify(t, string(unit), "/usr/bin/coocenterd", filepath.Join(root, "usr/bin/coocenterd"))
}

// TestMakeInstall: a source install puts the binary under PREFIX and the
// unit it installs runs it from there.
func TestMakeInstall(t *testing.T) {
	buildDeb(t) // for the binary
	dest := t.TempDir()
	const prefix = "/opt/coocenterd"
	cmd := exec.Command("make", "install", "DESTDIR="+dest, "PREFIX="+prefix, "PREBUILT="+built.bin)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	unit, err := os.ReadFile(filepath.Join(dest, "etc/systemd/system/coocenterd.service"))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"ExecStartPre": prefix + "/bin/coocenterd -config /etc/coocenterd/api.conf -check",
		"ExecStart":    prefix + "/bin/coocenterd -config /etc/coocenterd/api.conf",
	} {
		if got := unitSetting(string(unit), key); got != want {
			t.Errorf("the installed unit's %s=%s, want %s", key, got, want)
		}
	}
	if strings.Contains(string(unit), "/usr/bin/coocenterd") {
		t.Error("the installed unit still names /usr/bin/coocenterd")
	}
	for p, mode := range map[string]os.FileMode{
		prefix + "/bin/coocenterd":                                   0o755,
		prefix + "/share/coocenterd/asterisk/manager_coocenter.conf": 0o644,
		prefix + "/share/man/man8/coocenterd.8":                      0o644,
		"/etc/systemd/system/coocenterd.service":                     0o644,
		"/etc/coocenterd":                                            0o750 | os.ModeDir,
		"/etc/coocenterd/api.conf":                                   0o640,
	} {
		fi, err := os.Stat(filepath.Join(dest, p))
		if err != nil {
			t.Error(err)
		} else if fi.Mode() != mode {
			t.Errorf("%s: %v, want %v", p, fi.Mode(), mode)
		}
	}
	checkManVersion(t, filepath.Join(dest, prefix, "share/man/man8/coocenterd.8"))
	verify(t, string(unit), prefix+"/bin/coocenterd", filepath.Join(dest, prefix, "bin/coocenterd"))
}

// checkManVersion: the man page's title line names the version of
// cmd/coocenterd/version.go.
func checkManVersion(t *testing.T, man string) {
	t.Helper()
	src, err := os.ReadFile("../cmd/coocenterd/version.go")
	if err != nil {
		t.Fatal(err)
	}
	v := regexp.MustCompile(`(?m)^var version = "(.+)"$`).FindSubmatch(src)
	page, err := os.ReadFile(man)
	if err != nil {
		t.Fatal(err)
	}
	title, _, _ := strings.Cut(string(page), "\n")
	if v == nil || !strings.Contains(title, `"coocenterd `+string(v[1])+`"`) {
		t.Errorf("man page title %q does not name the version of version.go", title)
	}
}

// verify runs systemd-analyze verify on unit, whose binary at path is
// found at bin here (systemd-analyze wants it executable).
func verify(t *testing.T, unit, path, bin string) {
	t.Helper()
	need(t, "systemd-analyze")
	local := filepath.Join(t.TempDir(), "coocenterd.service")
	if err := os.WriteFile(local, []byte(strings.ReplaceAll(unit, path, bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", "--man=no", local).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
