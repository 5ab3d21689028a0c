package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	testMAC = "02:00:00:00:00:01"
	minimal = "[ami]\nusername = u\nsecret = s\n"
)

// parseT parses text as "test.conf" with a fixed default MAC.
func parseT(text string) (*Config, error) {
	return parse("test.conf", []byte(text), func() string { return testMAC })
}

func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	c, err := parseT(text)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return c
}

func TestDefaults(t *testing.T) {
	got := mustParse(t, minimal)
	want := &Config{
		Path:    "test.conf",
		General: General{BindAddr: "", BindPort: 8000, MAC: testMAC, LogLevel: "info", LogFormat: "text"},
		AMI: AMI{Host: "127.0.0.1", Port: 5038, Username: "u", Secret: "s", ManagerConf: "/etc/asterisk/manager.conf",
			AuthType: "md5", OriginateContext: "internal", ChannelTech: "auto", Events: "on",
			PingInterval: 20 * time.Second, ActionTimeout: 10 * time.Second, ReconnectMax: 30 * time.Second},
		PauseTime: PauseTime{Seconds: 30, Reason: "after-call", After: "answered"},
		Storage:   Storage{Dir: "/var/lib/coocenterd"},
		Monitor:   Monitor{Dir: "/var/spool/asterisk/monitor", LinkTTL: 168 * time.Hour},
		Blacklist: Blacklist{Family: "blacklist"},
		// The original box names the event "dialbegein" and its clients match on it.
		Push:   Push{InFlight: 4, Timeout: 15 * time.Second, MaxAge: 72 * time.Hour, MaxInterval: 2 * time.Hour, LegacyDialBegin: true},
		Stream: Stream{Window: time.Hour, WindowEvents: 10000},
		Bar:    Bar{PauseReasons: []string{"rest", "lunch", "training", "meeting"}, SLA: 20 * time.Second},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if a := got.AMIAddr(); a != "127.0.0.1:5038" {
		t.Errorf("AMIAddr = %q", a)
	}
	if a := got.HTTPAddr(); a != ":8000" {
		t.Errorf("HTTPAddr = %q", a)
	}
}

// An empty value is the default, as "WEBKEY =" is no auth in the original.
func TestEmptyValueMeansDefault(t *testing.T) {
	c := mustParse(t, "[general]\nBINDPORT=\nURL=\nWEBKEY=\nmac=\npop_url=\n[enable]\npausetime=\n"+minimal)
	if c.General.BindPort != 8000 || c.General.URLs != nil || c.General.WebKey != "" ||
		c.General.MAC != testMAC || c.Enable.PauseTime {
		t.Errorf("got %+v %+v", c.General, c.Enable)
	}
}

func TestCaseInsensitiveNames(t *testing.T) {
	c := mustParse(t, `[GENERAL]
bindport = 9000
Url = http://a.example
webKey = k
MAC = AA-BB-CC-DD-EE-FF
POP_URL = https://crm.example/pop
BindAddr = ::1
[Enable]
PAUSETIME = YES
[AMI]
USERNAME = u
Secret = s
Channel_Tech = pjsip
Auth_Type = PLAIN
Manager_Conf = /srv/asterisk/etc/manager.conf
[PauseTime]
After = QUEUE
[PUSH]
Legacy_DialBegin = No
`)
	g := c.General
	if g.BindPort != 9000 || len(g.URLs) != 1 || g.WebKey != "k" || g.MAC != "aa:bb:cc:dd:ee:ff" ||
		g.PopURL != "https://crm.example/pop" || g.BindAddr != "::1" {
		t.Errorf("general: %+v", g)
	}
	if !c.Enable.PauseTime || c.AMI.ChannelTech != "PJSIP" || c.AMI.AuthType != "plain" ||
		c.AMI.ManagerConf != "/srv/asterisk/etc/manager.conf" || c.PauseTime.After != "queue" || c.Push.LegacyDialBegin {
		t.Errorf("enable %+v ami %+v pausetime %+v push %+v", c.Enable, c.AMI, c.PauseTime, c.Push)
	}
	if a := c.HTTPAddr(); a != "[::1]:9000" {
		t.Errorf("HTTPAddr = %q", a)
	}
}

func TestSyntax(t *testing.T) {
	tests := []struct{ name, text, webkey string }{
		{"inline comment needs a space", "[general]\nWEBKEY = ab#cd;ef ; the key\n", "ab#cd;ef"},
		{"hash comment", "[general] # header comment\nWEBKEY = k # comment\n", "k"},
		{"double quotes", "[general]\nWEBKEY = \"a key ; with spaces\"\n", "a key ; with spaces"},
		{"single quotes", "[general]\nWEBKEY = 'k'\n", "k"},
		{"no continuation", "[general]\nWEBKEY = k\\\n", "k\\"},
		{"CRLF", "[general]\r\nWEBKEY = k\r\n", "k"},
		{"BOM", "\xef\xbb\xbf[general]\nWEBKEY = k\n", "k"},
		{"spaces in header", "[ general ]\nWEBKEY = k\n", "k"},
		{"section in two blocks", "[general]\nWEBKEY = k\n[ami]\n[general]\nBINDPORT = 1\n", "k"},
		{"commented out", "[general]\n;WEBKEY = k\n#WEBKEY = k\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.text+minimal)
			if c.General.WebKey != tt.webkey {
				t.Errorf("WebKey = %q, want %q", c.General.WebKey, tt.webkey)
			}
		})
	}
}

func TestExampleFileLoads(t *testing.T) {
	c, err := Load("../../api.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	want := defaults()
	want.Path = "../../api.conf.example"
	want.General.MAC = c.General.MAC // no AMI login: it comes from manager.conf
	if !reflect.DeepEqual(c, want) {
		t.Errorf("example:\n got %+v\nwant %+v", c, want)
	}
}

// The defaults the example shows in ";key=value" lines are the real ones:
// uncommenting them all changes nothing.
func TestExampleShowsTheDefaults(t *testing.T) {
	data, err := os.ReadFile("../../api.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	// host and port show the default of a login set in api.conf; set, they
	// also keep manager.conf's bindaddr and port from applying.
	examplesOnly := map[string]bool{"WEBKEY": true, "mac": true, "BINDADDR": true, "secrets": true,
		"host": true, "port": true, "username": true, "secret": true}
	defaultRE := regexp.MustCompile(`^;([A-Za-z_]+)=`)
	var lines []string
	for _, line := range strings.Split(string(data), "\n") {
		if m := defaultRE.FindStringSubmatch(line); m != nil && !examplesOnly[m[1]] {
			line = line[1:]
		}
		lines = append(lines, line)
	}
	got := mustParse(t, strings.Join(lines, "\n"))
	want := mustParse(t, string(data))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("uncommented defaults differ:\n got %+v\nwant %+v", got, want)
	}
}

// Every key is documented in the example, in its section, as spelled in
// fields; the original's keys come first in [general], in its order.
func TestExampleDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../../api.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	keyRE := regexp.MustCompile(`^;?([A-Za-z_]+)=`)
	section, keysIn := "", map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
		} else if m := keyRE.FindStringSubmatch(line); m != nil {
			keysIn[section] = append(keysIn[section], m[1])
		}
	}
	for _, sec := range sections {
		if got, want := keysIn[sec], keysOf(sec); !reflect.DeepEqual(got, want) {
			t.Errorf("[%s] keys in example %v, want %v", sec, got, want)
		}
	}
	if got := strings.Join(keysIn["general"][:5], " "); got != "BINDPORT URL WEBKEY mac pop_url" {
		t.Errorf("[general] starts with %s", got)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "api.conf")
	if err := os.WriteFile(path, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil || c.Path != path || c.AMI.Username != "u" {
		t.Fatalf("Load = %+v, %v", c, err)
	}

	missing := filepath.Join(dir, "nope.conf")
	_, err = Load(missing)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(missing) = %v, want *Error wrapping fs.ErrNotExist", err)
	}
	if want := missing + ": cannot be read: no such file or directory"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestDemo(t *testing.T) {
	c := Demo()
	if c.Path != "" || c.General.BindAddr != "127.0.0.1" || c.General.BindPort != 8000 || c.General.WebKey != "" {
		t.Errorf("general: %+v", c.General)
	}
	if c.Storage.Dir != "" || c.AMI.Host != "" || c.AMI.Port != 0 || c.AMI.Username != "" || c.AMI.Secret != "" {
		t.Errorf("storage %+v ami %+v", c.Storage, c.AMI)
	}
	if _, err := parseMAC(c.General.MAC); err != nil || c.General.MAC != strings.ToLower(c.General.MAC) {
		t.Errorf("MAC %q: %v", c.General.MAC, err)
	}
	if c.AMI.PingInterval != 20*time.Second || c.AMI.OriginateContext != "internal" {
		t.Errorf("ami defaults lost: %+v", c.AMI)
	}
	c.AMI.Host, c.AMI.Port = "127.0.0.1", 41234
	if a := c.AMIAddr(); a != "127.0.0.1:41234" {
		t.Errorf("AMIAddr = %q", a)
	}
}

// Secrets must not leak into messages, whatever is wrong around them.
func TestSecretNeverInError(t *testing.T) {
	const s = "SEKRIT"
	tests := []struct{ name, text string }{
		{"webkey line break", "[general]\nWEBKEY = \"" + s + "\r" + s + "\"\n" + minimal},
		{"webkey control char", "[general]\nWEBKEY = " + s + "\x01\n" + minimal},
		{"secret NUL", "[ami]\nusername = u\nsecret = " + s + "\x00\n"},
		{"secret multi-line", "[ami]\nusername = u\nsecret = \"\"\"" + s + "\nport=1\"\"\"\n"},
		{"secret unterminated quote", "[ami]\nusername = u\nsecret = \"\"\"" + s + "\n"},
		{"secret without =", "[ami]\nusername = u\nsecret: " + s + "\n"},
		{"space in key", "[general]\nWEBKEY " + s + " = x\n" + minimal},
		{"secrets prefix", "[push]\nsecrets = " + s + "\n" + minimal},
		{"secrets base64", "[push]\nsecrets = whsec_" + s + "!!\n" + minimal},
		{"secrets length", "[push]\nsecrets = whsec_" + s + "AA\n" + minimal},
		{"URL password, bad port", "[general]\nURL = http://u:" + s + "@h:99999/\n" + minimal},
		{"URL password, unparsable", "[general]\nURL = http://u:" + s + "@[h/\n" + minimal},
		{"URL password, bad scheme", "[general]\nURL = ftp://u:" + s + "@h/\n" + minimal},
		{"link_secret too short", "[monitor]\nlink_secret = " + s + "\n" + minimal},
		{"link_secret control char", "[monitor]\nlink_secret = " + s + s + s + "\x01\n" + minimal},
		{"link_base password", "[monitor]\nlink_base = http://u:" + s + "@h/\n" + minimal},
		{"link_base password, bad port", "[monitor]\nlink_base = http://u:" + s + "@h:0/\n" + minimal},
		{"metrics token too short", "[metrics]\ntoken = " + s + "\n" + minimal},
		{"metrics token with a space", "[metrics]\ntoken = " + s + " " + s + "\n" + minimal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseT(tt.text)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), s) {
				t.Errorf("secret in %q", err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%T is not *Error", err)
			}
		})
	}
}
