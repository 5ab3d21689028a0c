package managerconf

import (
	"net/netip"
	"strings"
	"testing"
)

// permit/deny as ast_append_ha builds them and ast_apply_ha applies them:
// in order, the last matching rule decides, no match allows.
func TestACL(t *testing.T) {
	tests := []struct {
		name  string
		lines string // "permit=..." or "deny=..." separated by "|"
		allow []string
		deny  []string
	}{
		{"nothing", "", []string{"127.0.0.1", "192.0.2.1", "::1"}, nil},
		{"the usual loopback", "deny=0.0.0.0/0.0.0.0|permit=127.0.0.0/255.0.0.0",
			[]string{"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}, []string{"192.0.2.1", "::ffff:192.0.2.1"}},
		{"IPv6 rules do not touch IPv4", "deny=::/0|permit=::1/128", []string{"::1", "127.0.0.1", "192.0.2.1"}, []string{"2001:db8::1"}},
		{"CIDR masks", "deny=0.0.0.0/0|permit=192.0.2.0/24", []string{"192.0.2.200"}, []string{"192.0.3.1", "127.0.0.1"}},
		{"no mask is one host", "deny=0.0.0.0/0|permit=127.0.0.1", []string{"127.0.0.1"}, []string{"127.0.0.2"}},
		{"the address is masked first", "deny=0.0.0.0/0|permit=127.0.0.1/255.255.255.0", []string{"127.0.0.9"}, []string{"127.0.1.1"}},
		{"last match wins", "permit=127.0.0.1|deny=0.0.0.0/0", nil, []string{"127.0.0.1"}},
		{"a list in one line, negated entries", "deny=0.0.0.0/0,!127.0.0.0/8", []string{"127.0.0.1"}, []string{"10.0.0.1"}},
		{"permit with !", "permit=!10.0.0.0/8", []string{"127.0.0.1"}, []string{"10.1.1.1"}},
		{"non-contiguous mask", "deny=0.0.0.0/0|permit=10.0.0.5/255.0.0.255", []string{"10.7.7.5"}, []string{"10.7.7.6"}},
		{"IPv4-mapped rule is IPv4", "deny=0.0.0.0/0|permit=::ffff:127.0.0.1", []string{"127.0.0.1"}, []string{"127.0.0.2"}},
		{"bracketed IPv6", "deny=::/0|permit=[::1]", []string{"::1"}, []string{"::2"}},
		{"CIDR like sscanf", "deny=0.0.0.0/0|permit=127.0.0.0/8junk", []string{"127.0.0.1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rules []rule
			var err error
			for _, l := range strings.Split(tt.lines, "|") {
				if key, value, ok := strings.Cut(l, "="); ok {
					if rules, err = appendRules(rules, key, value); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, a := range tt.allow {
				if !allows(rules, netip.MustParseAddr(a)) {
					t.Errorf("%s denied", a)
				}
			}
			for _, a := range tt.deny {
				if allows(rules, netip.MustParseAddr(a)) {
					t.Errorf("%s allowed", a)
				}
			}
		})
	}
}

// Entries Asterisk cannot parse: the user is then dropped.
func TestACLErrors(t *testing.T) {
	for _, v := range []string{"localhost", "127.0.0.1:5038", "127.0.0.1/33", "127.0.0.1/x", "127.0.0.1/ffff::",
		"::1/129", "10.0.0.1/255.0.0.0.0", "fe80::1%eth0", ""} {
		if _, err := appendRules(nil, "permit", v); err == nil {
			t.Errorf("permit = %s accepted", v)
		}
	}
}

// Named ACLs come from acl.conf beside manager.conf; an unknown one denies.
func TestNamedACL(t *testing.T) {
	files := tree(
		"etc/asterisk/manager.conf", "[general]\nenabled=yes\n"+
			"[a]\nacl = local\n[b]\nacl = lan, local\n[c]\nacl = nosuch\n[d]\nacl = local,local\n[e]\nacl = Local\n"+
			"[f]\nacl = local\ndeny = 127.0.0.5\n",
		"etc/asterisk/acl.conf", "[local]\ndeny = 0.0.0.0/0\npermit = 127.0.0.0/8\n[lan]\ndeny = 0.0.0.0/0\npermit = 10.0.0.0/8\n")
	m, err := Read(files, mainFile)
	if err != nil {
		t.Fatal(err)
	}
	lo := netip.MustParseAddr("127.0.0.1")
	want := map[string]bool{"a": true, "b": false, "c": false, "e": false, "f": true}
	for _, u := range m.Users {
		if u.Name == "d" {
			if u.bad == "" {
				t.Error("an ACL named twice was accepted")
			}
			continue
		}
		if got := u.Allows(lo); got != want[u.Name] {
			t.Errorf("[%s] allows 127.0.0.1: %v", u.Name, got)
		}
	}
	if m.Users[5].Allows(netip.MustParseAddr("127.0.0.5")) {
		t.Error("[f]: its own deny was not applied beside the named ACL")
	}
	// Without acl.conf every named ACL is unknown.
	delete(files, "etc/asterisk/acl.conf")
	if m, err = Read(files, mainFile); err != nil || m.Users[0].Allows(lo) {
		t.Errorf("without acl.conf: %v, allows %v", err, m.Users[0].Allows(lo))
	}
}
