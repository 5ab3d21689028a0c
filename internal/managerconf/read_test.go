package managerconf

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// tree is a file system of name, content pairs, names without the leading "/".
func tree(pairs ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = &fstest.MapFile{Data: []byte(pairs[i+1]), Mode: 0o644}
	}
	return m
}

const mainFile = "/etc/asterisk/manager.conf"

// users describes what Read made of the users, one string each.
func users(m *Manager) []string {
	var out []string
	for _, a := range m.Users {
		s := fmt.Sprintf("%s secret=%s read=%s write=%s at %s:%d", a.Name, a.Secret, a.Read, a.Write, a.File, a.Line)
		if a.bad != "" {
			s += " bad"
		}
		out = append(out, s)
	}
	return out
}

// The file format of main/config.c: includes, templates, appends, odd lines.
func TestRead(t *testing.T) {
	const gen = "[general]\nenabled = yes\n"
	tests := []struct {
		name  string
		files fstest.MapFS
		want  []string
	}{
		{"plain", tree("etc/asterisk/manager.conf", gen+"[admin]\nsecret = s1\nread = all\nwrite => system,call\n"),
			[]string{"admin secret=s1 read=all write=system,call at /etc/asterisk/manager.conf:3"}},
		{"include forms, relative to the main file's directory", tree(
			"etc/asterisk/manager.conf", gen+"#include a.conf\n#include \"sub/b.conf\"\n#include <c.conf>\n#include /opt/d.conf\n",
			"etc/asterisk/a.conf", "[a]\nsecret = 1\n",
			"etc/asterisk/sub/b.conf", "[b]\nsecret = 2\n#include c2.conf ; relative to /etc/asterisk, not sub/\n",
			"etc/asterisk/c2.conf", "[c2]\nsecret = 3\n",
			"etc/asterisk/c.conf", "[c]\nsecret = 4\n",
			"opt/d.conf", "[d]\nsecret = 5\n"),
			[]string{"a secret=1 read=none write=none at /etc/asterisk/a.conf:1",
				"b secret=2 read=none write=none at /etc/asterisk/sub/b.conf:1",
				"c2 secret=3 read=none write=none at /etc/asterisk/c2.conf:1",
				"c secret=4 read=none write=none at /etc/asterisk/c.conf:1",
				"d secret=5 read=none write=none at /opt/d.conf:1"}},
		{"tryinclude of a missing file", tree("etc/asterisk/manager.conf", gen+"#tryinclude nope.conf\n#tryinclude nope.d/*.conf\n[u]\nsecret = s\n"),
			[]string{"u secret=s read=none write=none at /etc/asterisk/manager.conf:5"}},
		{"glob: sorted, hidden names and directories left out", tree(
			"etc/asterisk/manager.conf", gen+"#include manager.d/*.conf\n",
			"etc/asterisk/manager.d/20-b.conf", "[b]\nsecret = 2\n",
			"etc/asterisk/manager.d/10-a.conf", "[a]\nsecret = 1\n",
			"etc/asterisk/manager.d/.hidden.conf", "[hidden]\nsecret = 0\n",
			"etc/asterisk/manager.d/dir.conf/x", "",
			"etc/asterisk/manager.d/readme.txt", "[txt]\n"),
			[]string{"a secret=1 read=none write=none at /etc/asterisk/manager.d/10-a.conf:1",
				"b secret=2 read=none write=none at /etc/asterisk/manager.d/20-b.conf:1"}},
		{"braces", tree(
			"etc/asterisk/manager.conf", gen+"#include {y,x}.conf\n",
			"etc/asterisk/x.conf", "[x]\nsecret = 1\n",
			"etc/asterisk/y.conf", "[y]\nsecret = 2\n"),
			[]string{"y secret=2 read=none write=none at /etc/asterisk/y.conf:1",
				"x secret=1 read=none write=none at /etc/asterisk/x.conf:1"}},
		{"an included file continues its includer's section, which goes on after it", tree(
			"etc/asterisk/manager.conf", gen+"[u]\nsecret = s\n#include more.conf\nwrite = all\n",
			"etc/asterisk/more.conf", "read = call\n[v]\nsecret = t\n"),
			[]string{"u secret=s read=call write=all at /etc/asterisk/manager.conf:3",
				"v secret=t read=none write=none at /etc/asterisk/more.conf:2"}},
		{"an included file starts in the section started last, wherever", tree(
			"etc/asterisk/manager.conf", gen+"[a]\n#include x.conf\n#include y.conf\nread = all\n",
			"etc/asterisk/x.conf", "[b]\n",
			"etc/asterisk/y.conf", "secret = s\n"),
			[]string{"a secret= read=all write=none at /etc/asterisk/manager.conf:3",
				"b secret=s read=none write=none at /etc/asterisk/x.conf:1"}},
		{"a #tryinclude loop is read once", tree(
			"etc/asterisk/manager.conf", gen+"#tryinclude manager.conf\n[u]\nsecret = s\n"),
			[]string{"u secret=s read=none write=none at /etc/asterisk/manager.conf:4"}},
		{"templates, inheritance, last value wins", tree("etc/asterisk/manager.conf", gen+
			"[full](!)\nread = all\nwrite = all\nsecret = template\n"+
			"[u](full)\nsecret = own\nwrite = call\n"+
			"[v](full,u)\n"),
			[]string{"u secret=own read=all write=call at /etc/asterisk/manager.conf:7",
				"v secret=own read=all write=call at /etc/asterisk/manager.conf:10"}},
		{"(+) appends, also from an included file", tree(
			"etc/asterisk/manager.conf", gen+"[u]\nsecret = s\n#include extra.conf\n",
			"etc/asterisk/extra.conf", "[u](+)\nread = system\n[general](+)\nport = 5039\n"),
			[]string{"u secret=s read=system write=none at /etc/asterisk/manager.conf:3"}},
		{"sections of one name are one user", tree("etc/asterisk/manager.conf", gen+
			"[U]\nsecret = a\nread = call\n[u]\nsecret = b\n"),
			[]string{"U secret=b read=call write=none at /etc/asterisk/manager.conf:3"}},
		{"+= adds to the value, spaces and all", tree("etc/asterisk/manager.conf", gen+"[u]\nread = system,\nread +=call\nwrite += agent\n"),
			[]string{"u secret= read=system,call write=agent at /etc/asterisk/manager.conf:3"}},
		{"BOM, CRLF, comments, odd lines skipped", tree("etc/asterisk/manager.conf",
			"\xef\xbb\xbf[general]\r\nenabled = yes\r\n[u] ; a user\r\nsecret = s\\;t ; note\r\nno equals sign\r\n = no key\r\n#bogus directive\r\n#include\r\n"),
			[]string{"u secret=s;t read=none write=none at /etc/asterisk/manager.conf:3"}},
		{"general and templates are not users", tree("etc/asterisk/manager.conf", "[General]\nenabled = yes\n[t](!)\nsecret = x\n"),
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Read(tt.files, mainFile)
			if err != nil {
				t.Fatal(err)
			}
			if got := users(m); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("users:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// What makes Asterisk refuse the whole file is an error naming the file
// and line.
func TestReadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		file  string
		want  string
	}{
		{"missing", tree(), mainFile, "/etc/asterisk/manager.conf: cannot be read: file does not exist"},
		{"relative", tree(), "manager.conf", "must be given as an absolute path"},
		{"missing include", tree("etc/asterisk/manager.conf", "[general]\n#include nope.conf\n"), mainFile,
			"/etc/asterisk/manager.conf:2: #include nope.conf: no such file"},
		{"include glob without match", tree("etc/asterisk/manager.conf", "[general]\n#include manager.d/*.conf\n"), mainFile,
			"/etc/asterisk/manager.conf:2: #include manager.d/*.conf: no such file"},
		{"include loop", tree("etc/asterisk/manager.conf", "[general]\n#include a.conf\n", "etc/asterisk/a.conf", "#include manager.conf\n"), mainFile,
			"/etc/asterisk/a.conf:1: #include manager.conf: /etc/asterisk/manager.conf includes itself"},
		{"too deep", deepIncludes(12), mainFile, "/etc/asterisk/f10.conf:1: #include f11.conf: includes nest deeper than 10 levels"},
		{"line outside a section", tree("etc/asterisk/manager.conf", "enabled = yes\n"), mainFile,
			"/etc/asterisk/manager.conf:1: a line outside any [section]"},
		{"no ]", tree("etc/asterisk/manager.conf", "[general\n"), mainFile, "/etc/asterisk/manager.conf:1: no closing ]"},
		{"no )", tree("etc/asterisk/manager.conf", "[u](!\n"), mainFile, "/etc/asterisk/manager.conf:1: no closing ) after [u]"},
		{"(+) of nothing", tree("etc/asterisk/manager.conf", "[u](+)\n"), mainFile,
			"/etc/asterisk/manager.conf:1: [u](+) adds to a section that is not defined before it"},
		{"(+) of a template", tree("etc/asterisk/manager.conf", "[t](!)\n[t](+)\n"), mainFile, "[t](+) adds to a section"},
		{"inherit from nothing", tree("etc/asterisk/manager.conf", "[u](base)\n[base](!)\n"), mainFile,
			"/etc/asterisk/manager.conf:1: [u](base) inherits from a section that is not defined before it"},
		{"bad port", tree("etc/asterisk/manager.conf", "[general]\nport = 80\n"), mainFile,
			`/etc/asterisk/manager.conf:2: [general] port: "80" is not a port number from 1024 to 65535`},
		{"bad escape", tree("etc/asterisk/manager.conf", "[u]\n\\ x = 1\n"), mainFile, "manager.conf:2: invalid escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Read(tt.files, tt.file)
			if err == nil {
				t.Fatalf("no error; users %q", users(m))
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line with %q", err, tt.want)
			}
		})
	}
}

// deepIncludes is manager.conf including f1.conf including f2.conf ... fn.conf.
func deepIncludes(n int) fstest.MapFS {
	m := tree("etc/asterisk/manager.conf", "[general]\n#include f1.conf\n")
	for i := 1; i <= n; i++ {
		m[fmt.Sprintf("etc/asterisk/f%d.conf", i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf("#include f%d.conf\n", i+1))}
	}
	return m
}

// Ten levels below the main file are read, as Asterisk reads them.
func TestReadTenLevels(t *testing.T) {
	m := deepIncludes(9)
	m["etc/asterisk/f10.conf"] = &fstest.MapFile{Data: []byte("[deep]\nsecret = s\n")}
	got, err := Read(m, mainFile)
	if err != nil || len(got.Users) != 1 || got.Users[0].File != "/etc/asterisk/f10.conf" {
		t.Fatalf("%v %v", err, got)
	}
}

func TestReadGeneral(t *testing.T) {
	tests := []struct {
		text     string
		enabled  bool
		port     int
		bindaddr string // "invalid IP" for none
		host     string // Address
	}{
		{"", false, 5038, "invalid IP", "127.0.0.1"},
		{"[general]\nenabled = yes\n", true, 5038, "invalid IP", "127.0.0.1"},
		{"[general]\nenabled = no\n", false, 5038, "invalid IP", "127.0.0.1"},
		{"[general]\nEnabled = ON\nport = 5039\nbindaddr = 0.0.0.0\n", true, 5039, "0.0.0.0", "127.0.0.1"},
		{"[general]\nenabled = 1\nbindaddr = ::\n", true, 5038, "::", "127.0.0.1"},
		{"[general]\nenabled = y\nbindaddr = 127.0.0.1\n", true, 5038, "127.0.0.1", "127.0.0.1"},
		{"[general]\nenabled = t\nbindaddr = 192.0.2.7:5040\n", true, 5038, "192.0.2.7", "192.0.2.7"},
		{"[general]\nenabled = true\nbindaddr = [::1]\n", true, 5038, "::1", "::1"},
		{"[general]\nenabled = yes\nbindaddr = pbx.example\n", true, 5038, "invalid IP", "127.0.0.1"},               // Asterisk keeps its default
		{"[general]\nenabled = yes\n[general]\nenabled = no\nport = 6000\n", true, 5038, "invalid IP", "127.0.0.1"}, // the first [general] only
	}
	for _, tt := range tests {
		m, err := Read(tree("etc/asterisk/manager.conf", tt.text), mainFile)
		if err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		host, port := m.Address()
		if m.Enabled != tt.enabled || m.Port != tt.port || m.BindAddr.String() != tt.bindaddr || host != tt.host || port != tt.port {
			t.Errorf("%q: enabled %v port %d bindaddr %s address %s:%d", tt.text, m.Enabled, m.Port, m.BindAddr, host, port)
		}
	}
}

// A realistic tree in testdata: FreePBX's layout, users in included files.
func TestReadTestdata(t *testing.T) {
	m, err := Read(os.DirFS("testdata/freepbx"), "/manager.conf")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"admin secret=amp111 read=all write=all at /manager.conf:11",
		"monitor secret=m read=call,cdr write=none at /manager_additional.conf:2",
		"coocenter secret=s3cret-from-custom read=system,call,agent,user,cdr,dialplan write=system,call,agent,originate at /manager_custom.conf:3",
	}
	if got := users(m); !reflect.DeepEqual(got, want) {
		t.Errorf("users:\n got %q\nwant %q", got, want)
	}
	if !m.Enabled || m.Port != 5038 {
		t.Errorf("enabled %v port %d", m.Enabled, m.Port)
	}
}
