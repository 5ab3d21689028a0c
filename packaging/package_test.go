// Package packaging holds the Debian package's definition (nfpm.yaml, the
// maintainer scripts, the sysusers entry); its tests build the package and
// check what it installs.
package packaging

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// need skips the test where a Debian tool is missing (CI runs on Debian,
// where they are present).
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

const testVersion = "0.0.0~test"

var (
	buildOnce sync.Once
	debPath   string
	buildErr  error
	buildLog  []byte
)

// buildDeb runs make deb once for the package's tests.
func buildDeb(t *testing.T) string {
	t.Helper()
	need(t, "make", "dpkg-deb", "gzip")
	buildOnce.Do(func() {
		cmd := exec.Command("make", "-C", "..", "deb", "DEB_VERSION="+testVersion)
		buildLog, buildErr = cmd.CombinedOutput()
		out, _ := exec.Command("go", "env", "GOARCH").Output()
		debPath = filepath.Join("..", "dist", "coocenterd_"+testVersion+"_"+strings.TrimSpace(string(out))+".deb")
	})
	if buildErr != nil {
		t.Fatalf("make deb: %v\n%s", buildErr, buildLog)
	}
	return debPath
}

func dpkgDeb(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("dpkg-deb", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// entry is a line of dpkg-deb -c.
type entry struct{ mode, owner string }

func listing(t *testing.T, deb string) map[string]entry {
	t.Helper()
	files := map[string]entry{}
	sc := bufio.NewScanner(strings.NewReader(dpkgDeb(t, "-c", deb)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 {
			continue
		}
		files[strings.TrimPrefix(strings.TrimSuffix(f[5], "/"), ".")] = entry{mode: f[0], owner: f[1]}
	}
	return files
}

// TestPackageContents: every file in its place with its owner and mode:
// what the service's user must read is readable by it, the config by root
// and its group only, nothing writable but by root.
func TestPackageContents(t *testing.T) {
	files := listing(t, buildDeb(t))
	want := map[string]entry{
		"/usr/bin/coocenterd":                                      {"-rwxr-xr-x", "root/root"},
		"/lib/systemd/system/coocenterd.service":                   {"-rw-r--r--", "root/root"},
		"/usr/lib/sysusers.d/coocenterd.conf":                      {"-rw-r--r--", "root/root"},
		"/etc/coocenterd":                                          {"drwxr-x---", "root/root"},
		"/etc/coocenterd/api.conf":                                 {"-rw-r-----", "root/root"},
		"/usr/share/coocenterd/asterisk/manager_coocenter.conf":    {"-rw-r--r--", "root/root"},
		"/usr/share/coocenterd/asterisk/extensions_coocenter.conf": {"-rw-r--r--", "root/root"},
		"/usr/share/man/man8/coocenterd.8.gz":                      {"-rw-r--r--", "root/root"},
		"/usr/share/doc/coocenterd/copyright":                      {"-rw-r--r--", "root/root"},
		"/usr/share/doc/coocenterd/changelog.gz":                   {"-rw-r--r--", "root/root"},
		"/usr/share/doc/coocenterd/api.md":                         {"-rw-r--r--", "root/root"},
		"/usr/share/doc/coocenterd/openapi.yaml":                   {"-rw-r--r--", "root/root"},
		"/usr/share/doc/coocenterd/README.md":                      {"-rw-r--r--", "root/root"},
	}
	for path, w := range want {
		got, ok := files[path]
		if !ok {
			t.Errorf("%s is not in the package", path)
			continue
		}
		if got != w {
			t.Errorf("%s: %s %s, want %s %s", path, got.mode, got.owner, w.mode, w.owner)
		}
	}
	for path, e := range files {
		if e.owner != "root/root" || e.mode[5] == 'w' || e.mode[8] == 'w' {
			t.Errorf("%s: %s %s: only root may write what the package installs", path, e.mode, e.owner)
		}
		if strings.HasPrefix(path, "/var/lib/coocenterd") {
			t.Errorf("%s: the state folder is made by postinst, never shipped (an upgrade must not touch it)", path)
		}
	}
}

// TestPackageControl: the conffile, the dependencies, and the maintainer
// scripts giving the config to the service's group, adding the user to
// asterisk's, keeping the state on upgrade and removing it on purge.
func TestPackageControl(t *testing.T) {
	deb := buildDeb(t)
	dir := t.TempDir()
	dpkgDeb(t, "-e", deb, dir)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := strings.TrimSpace(read("conffiles")); got != "/etc/coocenterd/api.conf" {
		t.Errorf("conffiles %q", got)
	}
	control := read("control")
	for _, want := range []string{"Package: coocenterd", "Version: " + testVersion, "Depends: libc6 (>= 2.34), adduser, passwd"} {
		if !strings.Contains(control, want) {
			t.Errorf("control lacks %q:\n%s", want, control)
		}
	}
	postinst := read("postinst")
	for _, want := range []string{
		"systemd-sysusers coocenterd.conf",
		"usermod -a -G asterisk coocenterd",
		"dpkg-statoverride --update --add root coocenterd 0750 /etc/coocenterd",
		"dpkg-statoverride --update --add root coocenterd 0640 /etc/coocenterd/api.conf",
		"install -d -o coocenterd -g coocenterd -m 0750 /var/lib/coocenterd",
		"deb-systemd-helper enable coocenterd.service",
		"systemctl --system daemon-reload",
	} {
		if !strings.Contains(postinst, want) {
			t.Errorf("postinst lacks %q", want)
		}
	}
	postrm := read("postrm")
	if !regexp.MustCompile(`(?s)"purge".*rm -rf /var/lib/coocenterd`).MatchString(postrm) {
		t.Error("postrm does not remove /var/lib/coocenterd on purge")
	}
	if regexp.MustCompile(`(?s)"remove"[^\n]*then[^f]*rm -rf`).MatchString(postrm) {
		t.Error("postrm removes state on remove (an upgrade or a remove must keep it)")
	}
	for _, script := range []string{"postinst", "prerm", "postrm"} {
		if out, err := exec.Command("sh", "-n", filepath.Join(dir, script)).CombinedOutput(); err != nil {
			t.Errorf("%s: %v %s", script, err, out)
		}
	}
	sysusers, err := os.ReadFile("sysusers.conf")
	if err != nil || !regexp.MustCompile(`(?m)^u coocenterd - ".*" /var/lib/coocenterd$`).Match(sysusers) {
		t.Errorf("sysusers.conf: %v %q", err, sysusers)
	}
}

// TestUnit: the unit runs the packaged binary as coocenterd, checks the
// config first, is Type=notify with a watchdog, and systemd-analyze
// verifies it without a word.
func TestUnit(t *testing.T) {
	unit, err := os.ReadFile("../systemd/coocenterd.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Type=notify", "WatchdogSec=", "User=coocenterd", "Group=coocenterd", "StateDirectory=coocenterd",
		"ExecStartPre=/usr/bin/coocenterd -config /etc/coocenterd/api.conf -check",
		"ExecStart=/usr/bin/coocenterd -config /etc/coocenterd/api.conf",
	} {
		if !strings.Contains(string(unit), want+"\n") && !strings.Contains(string(unit), want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	if strings.Contains(string(unit), "DynamicUser=yes") {
		t.Error("DynamicUser cannot read a config of group coocenterd")
	}
	need(t, "systemd-analyze")
	deb := buildDeb(t) // for a real binary at ExecStart
	dir := t.TempDir()
	dpkgDeb(t, "-x", deb, dir)
	bin := filepath.Join(dir, "usr/bin/coocenterd")
	local := filepath.Join(dir, "coocenterd.service")
	if err := os.WriteFile(local, []byte(strings.ReplaceAll(string(unit), "/usr/bin/coocenterd", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", "--man=no", local).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestLintian: lintian finds no error in the package (the Debian package
// lintian; .ci/run installs it on CI).
func TestLintian(t *testing.T) {
	need(t, "lintian")
	deb := buildDeb(t)
	out, _ := exec.Command("lintian", "--tag-display-limit", "0", deb).CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "E: ") {
			t.Errorf("lintian: %s", line)
		}
	}
	t.Logf("lintian:\n%s", out)
}
