package config

import (
	"errors"
	"strings"
	"testing"
)

func TestErrorMessage(t *testing.T) {
	_, err := parse("/etc/coocenterd/api.conf", []byte("[general]\nBINDPORT=80a\n"), nil)
	want := `/etc/coocenterd/api.conf: [general] BINDPORT: "80a" is not a port number (1-65535)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// Every check, each reported as one *Error naming section and key as written.
func TestValidationErrors(t *testing.T) {
	gen := func(kv string) string { return "[general]\n" + kv + "\n" + minimal }
	ami := func(kv string) string { return "[ami]\nusername = u\nsecret = s\n" + kv + "\n" }
	in := func(sec, kv string) string { return "[" + sec + "]\n" + kv + "\n" + minimal }
	tests := []struct {
		name, text, section, key, problem string
	}{
		{"port letters", gen("BINDPORT = 80a"), "general", "BINDPORT", `"80a" is not a port number (1-65535)`},
		{"port zero", gen("bindport = 0"), "general", "bindport", "is not a port number"},
		{"port too big", gen("BINDPORT = 65536"), "general", "BINDPORT", "is not a port number"},
		{"URL scheme", gen("URL = ftp://h/x"), "general", "URL", `"ftp://h/x" is not an http:// or https:// URL`},
		{"URL relative", gen("URL = /push"), "general", "URL", "is not an http:// or https:// URL"},
		{"URL no host", gen("URL = http:///push"), "general", "URL", "has no host"},
		{"URL bad port", gen("URL = http://h:0/"), "general", "URL", "has a bad port"},
		{"URL second entry", gen("URL = http://a, b"), "general", "URL", `entry 2: "b" is not`},
		{"URL twice", gen("URL = http://a,http://a"), "general", "URL", "entry 2: \"http://a\" is listed twice"},
		{"mac", gen("mac = 68:69:2e:03:8b"), "general", "mac", "is not a MAC address"},
		{"pop_url", gen("pop_url = www.baidu.com"), "general", "pop_url", "is not an http:// or https:// URL"},
		{"bindaddr port", gen("BINDADDR = 0.0.0.0:80"), "general", "BINDADDR", "has a port"},
		{"bindaddr junk", gen("BINDADDR = a b"), "general", "BINDADDR", "is not an IP address or host name"},
		{"log_level", gen("log_level = verbose"), "general", "log_level", `"verbose" is not debug, info, warn or error`},
		{"log_format", gen("log_format = syslog"), "general", "log_format", `"syslog" is not text or json`},
		{"pausetime", in("enable", "pausetime = true"), "enable", "pausetime", `"true" is not yes or no`},
		{"ami host brackets", ami("host = [::1]"), "ami", "host", "without brackets"},
		{"ami host with port", ami("host = pbx:5038"), "ami", "host", "has a port"},
		{"ami port", ami("port = five"), "ami", "port", "is not a port number"},
		{"auth_type", ami("auth_type = sha1"), "ami", "auth_type", "is not plain or md5"},
		{"originate_context", ami("originate_context = from internal"), "ami", "originate_context", "may only contain letters"},
		{"channel_tech", ami("channel_tech = IAX2"), "ami", "channel_tech", "is not auto, SIP or PJSIP"},
		{"events off", ami("events = off"), "ami", "events", "blind"},
		{"events class", ami("events = call,bogus"), "ami", "events", "is not on or a comma-separated list"},
		{"ping_interval zero", ami("ping_interval = 0"), "ami", "ping_interval", `"0" is out of range (1s to 1h)`},
		{"action_timeout syntax", ami("action_timeout = 10 s"), "ami", "action_timeout", "is not a duration"},
		{"reconnect_max", ami("reconnect_max = 2h"), "ami", "reconnect_max", "out of range"},
		{"secret without username", "[ami]\nSecret = s\n", "ami", "Secret", "is set without username: set username too, or neither"},
		{"manager_conf relative", ami("manager_conf = manager.conf"), "ami", "manager_conf", `"manager.conf" is not an absolute path`},
		{"seconds zero", in("pausetime", "seconds = 0"), "pausetime", "seconds", "is not a whole number from 1 to 86400"},
		{"seconds too big", in("pausetime", "seconds = 86401"), "pausetime", "seconds", "from 1 to 86400"},
		{"reason control", in("pausetime", "reason = a\x01b"), "pausetime", "reason", "contains a control character"},
		{"reason CR", in("pausetime", "reason = a\rb"), "pausetime", "reason", "contains a line break"},
		{"reason NUL", in("pausetime", "reason = a\x00b"), "pausetime", "reason", "contains a NUL byte"},
		{"after", in("pausetime", "after = hangup"), "pausetime", "after", `"hangup" is not queue, answered or all`},
		{"multi-line value", in("pausetime", "reason = \"\"\"a\nseconds=5\"\"\""), "pausetime", "reason", "no closing quote on its line 2"},
		{"open double quote", in("general", "WEBKEY = \"a"), "general", "WEBKEY", "no closing quote"},
		{"open backquote", in("general", "WEBKEY = `a"), "general", "WEBKEY", "no closing quote"},
		{"storage dir", in("storage", "dir = var/lib"), "storage", "dir", `"var/lib" is not an absolute path`},
		{"monitor dir", in("monitor", "DIR = ./rec"), "monitor", "DIR", "is not an absolute path"},
		{"link_secret short", in("monitor", "link_secret = 123456789012345"), "monitor", "link_secret", "is shorter than 16 characters"},
		{"pause reason not ASCII", in("pausetime", "reason = 话后整理"), "pausetime", "reason", `"话后整理" must be printable ASCII`},
		{"pause reason too long", in("pausetime", "reason = "+strings.Repeat("x", 65)), "pausetime", "reason", "is longer than 64 characters"},
		{"metrics token short", in("metrics", "token = abc"), "metrics", "token", "is shorter than 16 characters"},
		{"metrics allow", in("metrics", "allow = 10.0.0.0/8, prometheus"), "metrics", "allow", `"prometheus" is not an IP address or a network like 192.0.2.0/24`},
		{"metrics allow mask", in("metrics", "allow = 10.0.0.0/33"), "metrics", "allow", `"10.0.0.0/33" is not an IP address`},
		{"metrics allow empty", in("metrics", "allow = ,"), "metrics", "allow", "is empty"},
		{"link_base scheme", in("monitor", "link_base = ftp://pbx"), "monitor", "link_base", `"ftp://pbx" is not an http:// or https:// URL; write it like http://`},
		{"link_base no scheme", in("monitor", "link_base = 192.0.2.10:8000"), "monitor", "link_base", "is not a valid URL; write it like http://192.0.2.10:8000"},
		{"link_base query", in("monitor", "link_base = http://pbx/?a=1"), "monitor", "link_base", `"http://pbx/?a=1" has a query`},
		{"link_base empty query", in("monitor", "link_base = http://pbx?"), "monitor", "link_base", "has a query"},
		{"link_base fragment", in("monitor", "link_base = http://pbx/#top"), "monitor", "link_base", "has a fragment"},
		{"link_base user", in("monitor", "link_base = http://admin@pbx/"), "monitor", "link_base", "has a user name or password"},
		{"link_base space", in("monitor", "link_base = http://pbx/a b"), "monitor", "link_base", "contains a space"},
		{"link_ttl short", in("monitor", "Link_TTL = 30s"), "monitor", "Link_TTL", `"30s" is out of range (1m to 2160h)`},
		{"link_ttl long", in("monitor", "link_ttl = 91d"), "monitor", "link_ttl", "is not a duration"},
		{"link_ttl seconds", in("monitor", "link_ttl = 7776001"), "monitor", "link_ttl", "out of range (1m to 2160h)"},
		{"family", in("blacklist", "family = black/list"), "blacklist", "family", "may only contain"},
		{"in_flight", in("push", "in_flight = 65"), "push", "in_flight", "from 1 to 64"},
		{"timeout", in("push", "timeout = 1ms"), "push", "timeout", "out of range (1s to 10m)"},
		{"max_age", in("push", "max_age = -1"), "push", "max_age", "out of range (1m to 8760h)"},
		{"max_interval", in("push", "max_interval = 25h"), "push", "max_interval", "out of range"},
		{"max_interval > max_age", in("push", "max_age = 1h\nmax_interval = 90m"), "push", "max_interval", "is 1h30m, longer than max_age (1h)"},
		{"secrets", in("push", "secrets = abc"), "push", "secrets", `entry 1 does not start with "whsec_"`},
		{"legacy_dialbegin", in("push", "legacy_dialbegin = 1"), "push", "legacy_dialbegin", "is not yes or no"},
		{"stream window", in("stream", "window = 30s"), "stream", "window", "out of range (1m to 24h)"},
		{"stream window_events", in("stream", "window_events = 99"), "stream", "window_events", "from 100 to 1000000"},

		// Structure.
		{"set twice, unknown keys beside", gen("x = 1\nURL = http://a\nx = 2\nurl = http://b"), "general", "url", "is set twice (lines 3 and 5)"},
		{"unclosed quote, unknown key", gen("WEBKY = \"a"), "general", "WEBKY", "no closing quote"},
		{"no =, unknown section", "[webhooks]\nurl http://a\n" + minimal, "webhooks", "", `line 2: expected "key = value"`},
		{"outside any section", "BINDPORT = 1\n" + minimal, "", "BINDPORT", "is outside any [section] (line 1)"},
		{"set twice", gen("URL = http://a\nURL = http://b"), "general", "URL", "is set twice (lines 2 and 3)"},
		{"set twice, other case", gen("BINDPORT = 1\nbindport = 1"), "general", "bindport", "is set twice"},
		{"set twice, two blocks", "[general]\nmac=\n[General]\nMAC=\n" + minimal, "general", "MAC", "(lines 2 and 4)"},
		{"no =", gen("BINDPORT 8000"), "general", "", `line 2: expected "key = value"`},
		{"no key", gen("= 8000"), "general", "", "line 2: \"=\" without a key name"},
		{"unclosed header", "[general\n", "", "", "line 1: section header without a closing ]"},
		{"empty header", "[ ]\n", "", "", "line 1: section header without a name"},
		{"text after header", "[general] x\n", "", "", "line 1: unexpected text after the section header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseT(tt.text)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %+v, %v; want an *Error", c, err)
			}
			msg := err.Error()
			if e.File != "test.conf" || e.Section != tt.section || e.Key != tt.key {
				t.Errorf("file/section/key = %q/%q/%q, want test.conf/%q/%q", e.File, e.Section, e.Key, tt.section, tt.key)
			}
			if !strings.HasPrefix(msg, "test.conf: ") || strings.ContainsAny(msg, "\r\n") {
				t.Errorf("not one line starting with the file: %q", msg)
			}
			if tt.section != "" && !strings.Contains(msg, "["+tt.section+"]") {
				t.Errorf("%q does not name the section", msg)
			}
			if tt.key != "" && !strings.Contains(msg, " "+tt.key+": ") {
				t.Errorf("%q does not name the key", msg)
			}
			if !strings.Contains(e.Problem, tt.problem) {
				t.Errorf("problem %q does not contain %q", e.Problem, tt.problem)
			}
		})
	}
}
