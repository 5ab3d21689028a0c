package packaging

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// node is an installed path as a user meets it: owner, group and the nine
// permission bits.
type node struct {
	owner, group string
	perm         uint32
	dir          bool
}

func (n node) String() string { return fmt.Sprintf("%s:%s %04o", n.owner, n.group, n.perm) }

// account is a user and the groups it is in.
type account struct {
	name   string
	groups []string
}

const (
	read    = 4
	write   = 2
	execute = 1 // search, for a folder
)

// may reports whether a may do what (read, write, execute) to p in tree:
// search every folder above it, then the bits of its class. Folders the
// package does not ship (/var, /var/lib) are the usual root 0755.
func may(tree map[string]node, a account, p string, what uint32) bool {
	for dir := path.Dir(p); ; dir = path.Dir(dir) {
		n, ok := tree[dir]
		if !ok {
			n = node{owner: "root", group: "root", perm: 0o755, dir: true}
		}
		if bits(n, a)&execute == 0 {
			return false
		}
		if dir == "/" {
			break
		}
	}
	n, ok := tree[p]
	return ok && bits(n, a)&what == what
}

func bits(n node, a account) uint32 {
	switch {
	case a.name == n.owner:
		return n.perm >> 6 & 7
	case slices.Contains(a.groups, n.group):
		return n.perm >> 3 & 7
	default:
		return n.perm & 7
	}
}

// installed is the tree the package leaves: its files as dpkg-deb -c lists
// them, then what postinst changes (dpkg-statoverride, which dpkg applies
// again on every upgrade) or makes (install -d).
func installed(t *testing.T, deb, postinst string) map[string]node {
	t.Helper()
	tree := map[string]node{}
	for p, e := range listing(t, deb) {
		owner, group, _ := strings.Cut(e.owner, "/")
		tree[p] = node{owner: owner, group: group, perm: permBits(e.mode[1:]), dir: e.mode[0] == 'd'}
	}
	override := regexp.MustCompile(`dpkg-statoverride --update --add (\S+) (\S+) ([0-7]+) (\S+)`)
	for _, m := range override.FindAllStringSubmatch(postinst, -1) {
		n, ok := tree[m[4]]
		if !ok {
			t.Errorf("postinst overrides %s, which the package does not ship", m[4])
		}
		n.owner, n.group, n.perm = m[1], m[2], octal(t, m[3])
		tree[m[4]] = n
	}
	mkdir := regexp.MustCompile(`install -d -o (\S+) -g (\S+) -m ([0-7]+) (\S+)`)
	for _, m := range mkdir.FindAllStringSubmatch(postinst, -1) {
		tree[m[4]] = node{owner: m[1], group: m[2], perm: octal(t, m[3]), dir: true}
	}
	return tree
}

// permBits turns "rwxr-x---" into 0o750.
func permBits(s string) uint32 {
	var p uint32
	for i, c := range s[:9] {
		if c != '-' {
			p |= 1 << (8 - i)
		}
	}
	return p
}

func octal(t *testing.T, s string) uint32 {
	t.Helper()
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(n) & 0o777
}

// unitSetting is the value of key= in unit (the last one).
func unitSetting(unit, key string) string {
	var v string
	for _, line := range strings.Split(unit, "\n") {
		if rest, ok := strings.CutPrefix(line, key+"="); ok {
			v = strings.TrimSpace(rest)
		}
	}
	return v
}

// TestServiceUserAccess: installed, the package lets the unit's user read
// what it must (its binary, its config, named in the unit) and write its
// state folder, and nothing more; the config is its group's and root's
// only, not asterisk's nor anybody else's. The user is the one sysusers.d
// (or postinst's adduser) makes, whose home is the state folder.
func TestServiceUserAccess(t *testing.T) {
	deb, root, control := buildDeb(t)
	postinst, err := os.ReadFile(filepath.Join(control, "postinst"))
	if err != nil {
		t.Fatal(err)
	}
	unitBytes, err := os.ReadFile(filepath.Join(root, "lib/systemd/system/coocenterd.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(unitBytes)
	tree := installed(t, deb, string(postinst))

	user, group := unitSetting(unit, "User"), unitSetting(unit, "Group")
	state := "/var/lib/" + unitSetting(unit, "StateDirectory")
	bin, _, _ := strings.Cut(unitSetting(unit, "ExecStart"), " ")
	m := regexp.MustCompile(`-config (\S+)`).FindStringSubmatch(unitSetting(unit, "ExecStart"))
	if user == "" || group == "" || m == nil || state == "/var/lib/" {
		t.Fatalf("the unit lacks User=, Group=, StateDirectory= or ExecStart=… -config:\n%s", unit)
	}
	config := m[1]
	if !strings.Contains(string(postinst), "usermod -a -G asterisk "+user) {
		t.Errorf("postinst does not add %s to the group asterisk (manager.conf, recordings)", user)
	}
	daemon := account{user, []string{group, "asterisk"}}

	for _, must := range []struct {
		path string
		what uint32
	}{{bin, read | execute}, {config, read}, {state, read | write | execute}} {
		if !may(tree, daemon, must.path, must.what) {
			t.Errorf("%s cannot %s %s (%v)", user, verb(must.what), must.path, tree[must.path])
		}
	}
	for p, n := range tree {
		if p != state && may(tree, daemon, p, write) {
			t.Errorf("%s may write %s (%v)", user, p, n)
		}
	}
	if n := tree[state]; n.owner != user || n.group != group || n.perm != octal(t, unitSetting(unit, "StateDirectoryMode")) {
		t.Errorf("postinst makes %s %v; systemd's StateDirectory= makes it %s:%s %s", state, n, user, group, unitSetting(unit, "StateDirectoryMode"))
	}
	for _, other := range []account{{"asterisk", []string{"asterisk"}}, {"nobody", []string{"nogroup"}}} {
		if may(tree, other, config, read) || bits(tree[config], other)&read != 0 { // not even were its folder opened
			t.Errorf("%s may read %s (%v), which holds WEBKEY and maybe AMI and push secrets", other.name, config, tree[config])
		}
		if may(tree, other, state, read) {
			t.Errorf("%s may list %s", other.name, state)
		}
	}

	sysusers, err := os.ReadFile(filepath.Join(root, "usr/lib/sysusers.d/coocenterd.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^u ` + regexp.QuoteMeta(user) + ` - ".+" ` + regexp.QuoteMeta(state) + `$`).Match(sysusers) {
		t.Errorf("sysusers.d does not make the user %s with home %s:\n%s", user, state, sysusers)
	}
	if user != group {
		t.Errorf("User=%s Group=%s: sysusers' u line makes a group named as the user", user, group)
	}
}

func verb(what uint32) string {
	var v []string
	for _, b := range []struct {
		bit  uint32
		name string
	}{{read, "read"}, {write, "write"}, {execute, "execute"}} {
		if what&b.bit != 0 {
			v = append(v, b.name)
		}
	}
	return strings.Join(v, "+")
}
