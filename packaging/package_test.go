// Package packaging holds the Debian package's definition (nfpm.yaml, the
// maintainer scripts, the sysusers entry); its tests build the package with
// make deb and check what it installs with Debian's own tools.
package packaging

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// testVersion is the Debian version the tests build.
const testVersion = "0.0.0~test"

// work is the tests' scratch folder, shared by the package they build once.
var work string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "coocenterd-packaging-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	work = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// need skips the test where a tool is missing (CI runs on Debian, where
// dpkg-deb is, and installs lintian).
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}

// built is what buildDeb makes once for all the tests.
var built struct {
	sync.Once
	bin, deb, root, control string // the binary; the .deb; where it is unpacked; its control files
	err                     error
}

// buildDeb builds the daemon as go vet does (sharing its build cache; make
// deb builds its own, hardened, binary otherwise), runs make deb on it into
// the scratch folder, and unpacks the result.
func buildDeb(t *testing.T) (deb, root, control string) {
	t.Helper()
	need(t, "make", "dpkg-deb", "gzip")
	built.Do(func() {
		built.bin = filepath.Join(work, "coocenterd")
		out, err := exec.Command("go", "env", "GOARCH").Output()
		if err != nil {
			built.err = fmt.Errorf("go env GOARCH: %v", err)
			return
		}
		built.deb = filepath.Join(work, "dist", "coocenterd_"+testVersion+"_"+strings.TrimSpace(string(out))+".deb")
		built.root, built.control = filepath.Join(work, "root"), filepath.Join(work, "control")
		for _, args := range [][]string{
			{"go", "build", "-ldflags=-s -w", "-o", built.bin, "./cmd/coocenterd"},
			{"make", "deb", "DIST=" + filepath.Join(work, "dist"), "DEB_VERSION=" + testVersion, "PREBUILT=" + built.bin},
			{"dpkg-deb", "-x", built.deb, built.root},
			{"dpkg-deb", "-e", built.deb, built.control},
		} {
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Dir = ".."
			if out, err := cmd.CombinedOutput(); err != nil {
				built.err = fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.deb, built.root, built.control
}

func dpkgDeb(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("dpkg-deb", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// entry is a line of dpkg-deb -c: what a path is in the package.
type entry struct{ mode, owner string }

// listing is the package's dpkg-deb -c, by absolute path.
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

// TestPackageContents: every file in its place with its owner and mode as
// the package ships it (postinst then gives the config to the service's
// group: TestServiceUserAccess), nothing writable but by root.
func TestPackageContents(t *testing.T) {
	deb, _, _ := buildDeb(t)
	files := listing(t, deb)
	want := map[string]entry{
		"/usr/bin/coocenterd":                                      {"-rwxr-xr-x", "root/root"},
		"/lib/systemd/system/coocenterd.service":                   {"-rw-r--r--", "root/root"},
		"/usr/lib/sysusers.d/coocenterd.conf":                      {"-rw-r--r--", "root/root"},
		"/etc/coocenterd":                                          {"drwxr-x---", "root/root"},
		"/etc/coocenterd/api.conf":                                 {"-rw-r-----", "root/root"},
		"/usr/share/coocenterd/asterisk/manager_coocenter.conf":    {"-rw-r--r--", "root/root"},
		"/usr/share/coocenterd/asterisk/extensions_coocenter.conf": {"-rw-r--r--", "root/root"},
		"/usr/share/coocenterd/asterisk/features_coocenter.conf":   {"-rw-r--r--", "root/root"},
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

// TestPackageControl: the conffile, the dependencies (libc as the binary
// needs it), and the maintainer scripts: the user, its groups, the config's
// group, the state kept on upgrade and removed on purge, the unit enabled.
func TestPackageControl(t *testing.T) {
	_, root, dir := buildDeb(t)
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
	for _, want := range []string{"Package: coocenterd", "Version: " + testVersion, "Depends: libc6 (>= ", "adduser", "passwd"} {
		if !strings.Contains(control, want) {
			t.Errorf("control lacks %q:\n%s", want, control)
		}
	}
	checkLibcDepends(t, control, filepath.Join(root, "usr/bin/coocenterd"))

	postinst := read("postinst")
	for _, want := range []string{
		"systemd-sysusers coocenterd.conf",
		"adduser --system --group --home /var/lib/coocenterd",
		"usermod -a -G asterisk coocenterd",
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
	if strings.Count(postrm, "rm -rf") != 1 {
		t.Error("postrm removes more than the state on purge (an upgrade or a remove must keep it)")
	}
	for _, script := range []string{"postinst", "prerm", "postrm"} {
		if out, err := exec.Command("sh", "-n", filepath.Join(dir, script)).CombinedOutput(); err != nil {
			t.Errorf("%s: %v %s", script, err, out)
		}
	}
}

// checkLibcDepends: Depends names a libc6 at least as new as the newest
// GLIBC symbol version the binary imports (none for a static binary).
func checkLibcDepends(t *testing.T, control, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.ImportedSymbols()
	if err != nil {
		return // statically linked
	}
	var need []int
	for _, s := range syms {
		if v, ok := strings.CutPrefix(s.Version, "GLIBC_"); ok && versionLess(need, dotted(v)) {
			need = dotted(v)
		}
	}
	m := regexp.MustCompile(`libc6 \(>= ([0-9.]+)\)`).FindStringSubmatch(control)
	if m == nil {
		t.Fatalf("no libc6 version in Depends:\n%s", control)
	}
	if versionLess(dotted(m[1]), need) {
		t.Errorf("Depends: libc6 (>= %s), but the binary needs GLIBC %v", m[1], need)
	}
}

func dotted(v string) []int {
	var out []int
	for _, p := range strings.Split(v, ".") {
		n, _ := strconv.Atoi(p)
		out = append(out, n)
	}
	return out
}

func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// TestLintian: lintian finds no error in the package (the Debian package
// lintian; .ci/run installs it on CI).
func TestLintian(t *testing.T) {
	need(t, "lintian")
	deb, _, _ := buildDeb(t)
	out, _ := exec.Command("lintian", "--tag-display-limit", "0", deb).CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "E: ") {
			t.Errorf("lintian: %s", line)
		}
	}
	t.Logf("lintian:\n%s", out)
}
