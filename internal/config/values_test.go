package config

import (
	"net/netip"
	"reflect"
	"regexp"
	"testing"
	"time"
)

func TestURLList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"http://192.168.12.185:8090", []string{"http://192.168.12.185:8090"}},
		{"HTTPS://crm.example/hook?x=1#frag", []string{"HTTPS://crm.example/hook?x=1#frag"}},
		{"http://a, https://b:8443/p ,http://[::1]:9/", []string{"http://a", "https://b:8443/p", "http://[::1]:9/"}},
		{"http://a,,http://b,", []string{"http://a", "http://b"}},
		{"http://user:pw@a/", []string{"http://user:pw@a/"}},
	}
	for _, tt := range tests {
		c := mustParse(t, "[general]\nURL = "+tt.in+"\n"+minimal)
		if !reflect.DeepEqual(c.General.URLs, tt.want) {
			t.Errorf("URL = %s: got %q, want %q", tt.in, c.General.URLs, tt.want)
		}
	}
}

func TestMAC(t *testing.T) {
	tests := []struct{ in, want string }{
		{"68:69:2e:03:8b:3e", "68:69:2e:03:8b:3e"},
		{"68:69:2E:03:8B:3E", "68:69:2e:03:8b:3e"},
		{"68-69-2E-03-8B-3E", "68:69:2e:03:8b:3e"},
		{"6869.2e03.8b3e", "68:69:2e:03:8b:3e"},
		{"68692E038B3E", "68:69:2e:03:8b:3e"},
		{"", testMAC}, // default
	}
	for _, tt := range tests {
		c := mustParse(t, "[general]\nmac = "+tt.in+"\n"+minimal)
		if c.General.MAC != tt.want {
			t.Errorf("mac = %s: got %q, want %q", tt.in, c.General.MAC, tt.want)
		}
	}
	for _, bad := range []string{"68:69:2e:03:8b", "68:69:2e:03:8b:3e:01:02", "zz:69:2e:03:8b:3e", "6:9:2e:3:8b:3e", "68692E038B3"} {
		if _, err := parseMAC(bad); err == nil {
			t.Errorf("parseMAC(%q) accepted", bad)
		}
	}
	if mac := systemMAC(); !regexp.MustCompile(`^([0-9a-f]{2}:){5}[0-9a-f]{2}$`).MatchString(mac) {
		t.Errorf("systemMAC() = %q", mac)
	}
}

func TestDurations(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"15s", 15 * time.Second, true},
		{"15", 15 * time.Second, true},
		{"2m", 2 * time.Minute, true},
		{"1m30s", 90 * time.Second, true},
		{"600", 10 * time.Minute, true}, // the upper bound
		{"10m1s", 0, false},
		{"0", 0, false},
		{"-5", 0, false},
		{"500ms", 0, false},
		{"1.5", 0, false},
		{"15 s", 0, false},
		{"99999999999999999999", 0, false},
		{"fast", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in, time.Second, 10*time.Minute)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	c := mustParse(t, "[ami]\nusername=u\nsecret=s\nping_interval=5\naction_timeout=3s\nreconnect_max=1m\n"+
		"[push]\ntimeout=30\nmax_age=168h\nmax_interval=3600\n[stream]\nwindow=90m\nwindow_events=500\n")
	if c.AMI.PingInterval != 5*time.Second || c.AMI.ActionTimeout != 3*time.Second || c.AMI.ReconnectMax != time.Minute ||
		c.Push.Timeout != 30*time.Second || c.Push.MaxAge != 168*time.Hour || c.Push.MaxInterval != time.Hour {
		t.Errorf("ami %+v push %+v", c.AMI, c.Push)
	}
	if c.Stream != (Stream{Window: 90 * time.Minute, WindowEvents: 500}) {
		t.Errorf("stream %+v", c.Stream)
	}
	for d, want := range map[time.Duration]string{time.Second: "1s", time.Hour: "1h", 90 * time.Minute: "1h30m",
		10 * time.Minute: "10m", 8760 * time.Hour: "8760h", 61 * time.Second: "1m1s"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestChoicesAreCanonical(t *testing.T) {
	tests := []struct{ key, in, want string }{
		{"channel_tech", "sip", "SIP"},
		{"channel_tech", "Pjsip", "PJSIP"},
		{"channel_tech", "AUTO", "auto"},
		{"auth_type", "MD5", "md5"},
		{"events", "System, Call,AGENT", "system,call,agent"},
		{"events", "ON", "on"},
	}
	for _, tt := range tests {
		c := mustParse(t, "[ami]\nusername=u\nsecret=s\n"+tt.key+" = "+tt.in+"\n")
		got := map[string]string{"channel_tech": c.AMI.ChannelTech, "auth_type": c.AMI.AuthType, "events": c.AMI.Events}[tt.key]
		if got != tt.want {
			t.Errorf("%s = %s: got %q, want %q", tt.key, tt.in, got, tt.want)
		}
	}
	for in, want := range map[string]string{"DEBUG": "debug", "Warning": "warn", "error": "error"} {
		if c := mustParse(t, "[general]\nlog_level="+in+"\n"+minimal); c.General.LogLevel != want {
			t.Errorf("log_level = %s: got %q", in, c.General.LogLevel)
		}
	}
}

func TestHostsAndDirs(t *testing.T) {
	for _, h := range []string{"127.0.0.1", "::1", "fe80::1%eth0", "pbx", "pbx.example.com", "my_pbx.local."} {
		if c := mustParse(t, "[ami]\nusername=u\nsecret=s\nhost="+h+"\n"); c.AMI.Host != h {
			t.Errorf("host = %s: got %q", h, c.AMI.Host)
		}
	}
	c := mustParse(t, "[storage]\ndir=/srv/coo/../db/\n[monitor]\ndir=/rec\n"+minimal)
	if c.Storage.Dir != "/srv/db" || c.Monitor.Dir != "/rec" {
		t.Errorf("dirs %q %q", c.Storage.Dir, c.Monitor.Dir)
	}
}

func TestSecrets(t *testing.T) {
	c := mustParse(t, "[push]\nsecrets = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw  whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"+minimal)
	want := []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
	if !reflect.DeepEqual(c.Push.Secrets, want) {
		t.Errorf("secrets %q", c.Push.Secrets)
	}
	for _, bad := range []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_MfKQ9r8G*YqrTwjUPD8ILPZIo2LaLaSw", "whsec_AAAA",
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_"} {
		if _, err := parseSecrets(bad); err == nil {
			t.Errorf("parseSecrets(%q) accepted", bad)
		}
	}
}

func TestMonitorLinks(t *testing.T) {
	tests := []struct {
		text string
		want Monitor
	}{
		{"", Monitor{Dir: "/var/spool/asterisk/monitor", LinkTTL: 168 * time.Hour}},
		{"link_base = http://192.0.2.10:8000\nlink_ttl = 3600\nlink_secret = 0123456789abcdef",
			Monitor{Dir: "/var/spool/asterisk/monitor", LinkSecret: "0123456789abcdef", LinkBase: "http://192.0.2.10:8000", LinkTTL: time.Hour}},
		{"dir = /rec\nLINK_BASE = https://pbx.example/box1/\nlink_ttl = 2160h",
			Monitor{Dir: "/rec", LinkBase: "https://pbx.example/box1", LinkTTL: 2160 * time.Hour}},
		{"link_base = http://[2001:db8::1]:8000/\nlink_ttl = 1m\nlink_secret = \"a secret ; with # in it\"",
			Monitor{Dir: "/var/spool/asterisk/monitor", LinkSecret: "a secret ; with # in it", LinkBase: "http://[2001:db8::1]:8000", LinkTTL: time.Minute}},
		{"link_base =\nlink_ttl =\nlink_secret =", Monitor{Dir: "/var/spool/asterisk/monitor", LinkTTL: 168 * time.Hour}},
	}
	for _, tt := range tests {
		c := mustParse(t, "[monitor]\n"+tt.text+"\n"+minimal)
		if c.Monitor != tt.want {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.text, c.Monitor, tt.want)
		}
	}
}

func TestMetricsSection(t *testing.T) {
	c := mustParse(t, "[metrics]\ntoken = 0123456789abcdef0123\nallow = 127.0.0.1, 10.1.2.0/24 ::1,192.168.7.9/16 ::ffff:172.16.0.1\n"+minimal)
	want := Metrics{Token: "0123456789abcdef0123", Allow: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.1.2.0/24"), netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("172.16.0.1/32")}}
	if !reflect.DeepEqual(c.Metrics, want) {
		t.Errorf("got %+v, want %+v", c.Metrics, want)
	}
	if c := mustParse(t, minimal); c.Metrics.Token != "" || c.Metrics.Allow != nil {
		t.Errorf("default %+v: want no token, no networks", c.Metrics)
	}
}
