package managerconf

import (
	"net/netip"
	"os"
	"strings"
	"testing"
)

// A user that fits coocenterd, and pieces to spoil it.
const (
	fits     = "secret = SEKRIT\ndeny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.0/255.0.0.0\nread = system,call,agent,user,cdr,dialplan\nwrite = system,call,agent,originate\n"
	fitsAll  = "secret = SEKRIT\nread = all\nwrite = all\n"
	enabled  = "[general]\nenabled = yes\n"
	loopback = "127.0.0.1"
)

// Choose: the user named in api.conf, else coocenter, else the first that
// fits; every refusal explained, no secret in the error.
func TestChoose(t *testing.T) {
	tests := []struct {
		name, text, username, from string
		want                       string   // the user chosen; "" = an error
		errHas                     []string // parts of the error
	}{
		{"the only one", enabled + "[admin]\n" + fitsAll, "", loopback, "admin", nil},
		{"coocenter first", enabled + "[admin]\n" + fitsAll + "[CooCenter]\n" + fits, "", loopback, "CooCenter", nil},
		{"else the first that fits", enabled + "[web]\nsecret = SEKRIT\n[b]\n" + fits + "[a]\n" + fitsAll, "", loopback, "b", nil},
		{"coocenter only if it fits", enabled + "[coocenter]\nsecret = SEKRIT\nread = all\n[a]\n" + fitsAll, "", loopback, "a", nil},
		{"named in api.conf", enabled + "[coocenter]\n" + fits + "[admin]\n" + fitsAll, "ADMIN", loopback, "admin", nil},
		{"from ::1", enabled + "[v4only]\n" + fits + "[v6]\n" + fitsAll + "deny = ::/0\npermit = ::1\n", "", "::1", "v4only", nil},
		{"from bindaddr", enabled + "[lo]\n" + fits + "[lan]\n" + fitsAll + "deny=0.0.0.0/0\npermit=192.0.2.0/24\n", "", "192.0.2.7", "lan", nil},

		{"named, not there", enabled + "[admin]\n" + fitsAll, "coocenter", loopback, "",
			[]string{"/etc/asterisk/manager.conf: has no AMI user [coocenter]"}},
		{"named, does not fit", enabled + "[admin]\nsecret = SEKRIT\nread = call\nwrite = all\n", "admin", loopback, "",
			[]string{"/etc/asterisk/manager.conf: AMI user [admin] (line 3) does not fit coocenterd: read lacks system,agent,user,cdr,dialplan"}},
		{"no users", enabled, "", loopback, "", []string{"/etc/asterisk/manager.conf: has no AMI users"}},
		{"none fits: each reason", enabled +
			"[nosecret]\nread = all\nwrite = all\n" +
			"[remote]\n" + fitsAll + "deny = 0.0.0.0/0\npermit = 192.0.2.0/24\n" +
			"[reader]\nsecret = SEKRIT\nread = system,call\nwrite = all\n" +
			"[writer]\nsecret = SEKRIT\nread = all\nwrite = call,reporting\n" +
			"[broken]\n" + fitsAll + "permit = nowhere\n" +
			"[unnamed]\n" + fitsAll + "acl = office\n" +
			"[shipped]\nsecret = change-me-to-a-long-random-secret\nread = all\nwrite = all\n",
			"", loopback, "", []string{
				"/etc/asterisk/manager.conf: no AMI user fits coocenterd (read needs system,call,agent,user,cdr,dialplan, write needs system,call,agent,originate, login from 127.0.0.1): ",
				"[nosecret] (line 3): no secret; ",
				"[remote] (line 6): not permitted from 127.0.0.1 (permit/deny); ",
				"[reader] (line 12): read lacks agent,user,cdr,dialplan; ",
				"[writer] (line 16): write lacks system,agent,originate; ",
				`[broken] (line 20): dropped by Asterisk: invalid permit on line 24: "nowhere" is not an IP address; `,
				"[unnamed] (line 25): not permitted from 127.0.0.1 (acl office is not defined in acl.conf); ",
				"[shipped] (line 30): its secret is still the one asterisk/manager_coocenter.conf ships: change it",
			}},
		{"exec not run", enabled + "#exec /usr/local/bin/make-users\n", "", loopback, "",
			[]string{"has no AMI users (#exec is not run: /etc/asterisk/manager.conf:3)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Read(tree("etc/asterisk/manager.conf", tt.text), mainFile)
			if err != nil {
				t.Fatal(err)
			}
			u, err := m.Choose(tt.username, netip.MustParseAddr(tt.from))
			if tt.want != "" {
				if err != nil || u.Name != tt.want || u.Secret != "SEKRIT" {
					t.Fatalf("got %v, %v; want [%s]", u, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("chose [%s]", u.Name)
			}
			msg := err.Error()
			for _, part := range tt.errHas {
				if !strings.Contains(msg, part) {
					t.Errorf("error %q\nlacks %q", msg, part)
				}
			}
			if strings.Contains(msg, "SEKRIT") || strings.Contains(msg, "\n") {
				t.Errorf("error is not one line without secrets: %q", msg)
			}
		})
	}
}

// A user found in an included file is named with its file and line.
func TestChooseNamesIncludedFiles(t *testing.T) {
	m, err := Read(tree("etc/asterisk/manager.conf", enabled+"#include users.conf\n",
		"etc/asterisk/users.conf", "\n[web]\nsecret = SEKRIT\n"), mainFile)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Choose("", netip.MustParseAddr(loopback))
	if err == nil || !strings.Contains(err.Error(), "[web] (/etc/asterisk/users.conf:2): read lacks") {
		t.Fatalf("error %v", err)
	}
}

// The shipped snippet, included as its comment says, gives a user that
// fits once its secret is changed, and only from the loopback addresses.
func TestShippedSnippetFits(t *testing.T) {
	snippet, err := os.ReadFile("../../asterisk/manager_coocenter.conf")
	if err != nil {
		t.Fatal(err)
	}
	files := tree("etc/asterisk/manager.conf", "[general]\nenabled = yes\nbindaddr = 127.0.0.1\n#include manager_coocenter.conf\n",
		"etc/asterisk/manager_coocenter.conf", string(snippet))
	m, err := Read(files, mainFile)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Choose("", netip.MustParseAddr(loopback))
	if err == nil || !strings.Contains(err.Error(), "its secret is still the one") {
		t.Fatalf("the shipped secret was accepted: %v", err)
	}

	changed := strings.Replace(string(snippet), ShippedSecret, "a-real-secret", 1)
	files["etc/asterisk/manager_coocenter.conf"].Data = []byte(changed)
	if m, err = Read(files, mainFile); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{"127.0.0.1", "::1"} {
		u, err := m.Choose("", netip.MustParseAddr(from))
		if err != nil || u.Name != "coocenter" || u.File != "/etc/asterisk/manager_coocenter.conf" || u.Write&Command == 0 {
			t.Errorf("from %s: %+v, %v", from, u, err)
		}
	}
	for _, from := range []string{"192.0.2.1", "2001:db8::1"} {
		if m.Users[0].Allows(netip.MustParseAddr(from)) {
			t.Errorf("the shipped user is permitted from %s", from)
		}
	}
}
