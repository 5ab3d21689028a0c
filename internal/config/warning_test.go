package config

import (
	"reflect"
	"strings"
	"testing"
)

// Unknown keys and sections are warnings naming file, line, section, key and
// the closest known name; the rest of the file still applies.
func TestWarnings(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // Warning.String of each
	}{
		{"none", "[general]\nBINDPORT = 1\n" + minimal, nil},
		{"unknown key, close to one", "[general]\nBINDPRT = 1\n" + minimal,
			[]string{`test.conf: [general] BINDPRT: unknown key (line 2), ignored; did you mean "BINDPORT"?`}},
		{"unknown key, in any case", "[General]\nwebkye = k\n" + minimal,
			[]string{`test.conf: [general] webkye: unknown key (line 2), ignored; did you mean "WEBKEY"?`}},
		{"unknown key, nothing close", "[ami]\nusername = u\nsecret = s\npassword = x\n",
			[]string{"test.conf: [ami] password: unknown key (line 4), ignored; known keys in [ami]: host, port, username, secret, manager_conf, " +
				"auth_type, originate_context, channel_tech, events, ping_interval, action_timeout, reconnect_max"}},
		{"key of another section", "[general]\nlog_level = info\nsecret = x\n" + minimal,
			[]string{`test.conf: [general] secret: unknown key (line 3), ignored; did you mean "secret" in [ami]?`}},
		{"close to a key of another section", "[enable]\nBINDPROT = 8001\n" + minimal,
			[]string{`test.conf: [enable] BINDPROT: unknown key (line 2), ignored; did you mean "BINDPORT" in [general]?`}},
		{"the same unknown key twice", "[enable]\ncallback = yes\ncallback = no\n" + minimal, []string{
			"test.conf: [enable] callback: unknown key (line 2), ignored; known keys in [enable]: pausetime",
			"test.conf: [enable] callback: unknown key (line 3), ignored; known keys in [enable]: pausetime"}},
		{"unknown section, once, its keys ignored", "[genral]\nBINDPORT = 1\nBINDPORT = 2\n[ami]\nusername=u\nsecret=s\n[GENRAL]\nfoo = 1\n",
			[]string{`test.conf: [genral]: unknown section (line 1), its keys are ignored; did you mean "general"?`}},
		{"unknown section, nothing close", "[webhooks]\nurl = http://a\n" + minimal,
			[]string{"test.conf: [webhooks]: unknown section (line 1), its keys are ignored; known sections: general, enable, ami, pausetime, storage, monitor, blacklist, push, metrics, stream, bar"}},
		{"several, in file order", "[general]\nBINDPORT = 9000\nlanguage = zh\n[record]\nformat = wav\n[push]\nretries = 3\n" + minimal, []string{
			"test.conf: [general] language: unknown key (line 3), ignored; known keys in [general]: BINDPORT, URL, WEBKEY, mac, pop_url, BINDADDR, log_level, log_format",
			"test.conf: [record]: unknown section (line 4), its keys are ignored; known sections: general, enable, ami, pausetime, storage, monitor, blacklist, push, metrics, stream, bar",
			"test.conf: [push] retries: unknown key (line 7), ignored; known keys in [push]: in_flight, timeout, max_age, max_interval, secrets, legacy_dialbegin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.text)
			var got []string
			for _, w := range c.Warnings {
				got = append(got, w.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("warnings:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// The fields of a warning, for the log, and its form as an *Error for -strict.
func TestWarningFields(t *testing.T) {
	c := mustParse(t, "[general]\nBINDPORT = 9000\nBINDPRT = 1\n[webhooks]\n"+minimal)
	want := []Warning{
		{File: "test.conf", Line: 3, Section: "general", Key: "BINDPRT", Suggestion: `did you mean "BINDPORT"?`},
		{File: "test.conf", Line: 4, Section: "webhooks", Suggestion: "known sections: general, enable, ami, pausetime, storage, monitor, blacklist, push, metrics, stream, bar"},
	}
	if !reflect.DeepEqual(c.Warnings, want) {
		t.Fatalf("warnings:\n got %+v\nwant %+v", c.Warnings, want)
	}
	if c.General.BindPort != 9000 {
		t.Errorf("BINDPORT = %d: the known key beside an unknown one was lost", c.General.BindPort)
	}
	e := c.Warnings[0].Err()
	if e.File != "test.conf" || e.Section != "general" || e.Key != "BINDPRT" || e.Error() != c.Warnings[0].String() {
		t.Errorf("Err() = %+v", e)
	}
}

// A warning quotes no value: an unknown key may hold a secret.
func TestWarningQuotesNoValue(t *testing.T) {
	const s = "SEKRIT"
	c := mustParse(t, "[general]\nWEBKEY2 = "+s+"\n[vendor]\npassword = "+s+"\n"+minimal)
	if len(c.Warnings) != 2 {
		t.Fatalf("warnings %v", c.Warnings)
	}
	for _, w := range c.Warnings {
		if strings.Contains(w.String(), s) {
			t.Errorf("value in %q", w)
		}
	}
}

// The original MyComm api.conf, byte for byte: no warnings, no [ami], so
// the login is left to manager.conf.
func TestOriginalFileLoads(t *testing.T) {
	c, err := Load("../../cmd/coocenterd/testdata/mycomm-api.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings %v", c.Warnings)
	}
	g := c.General
	if g.BindPort != 8000 || !reflect.DeepEqual(g.URLs, []string{"http://192.168.12.185:8090"}) || g.WebKey != "asjdfjklkasdf" ||
		g.MAC != "68:69:2e:03:8b:3e" || g.PopURL != "http://www.baidu.com" || c.Enable.PauseTime {
		t.Errorf("general %+v enable %+v", g, c.Enable)
	}
	if !c.AMI.NeedsManagerConf() || c.AMI.ManagerConf != DefaultManagerConf {
		t.Errorf("ami %+v", c.AMI)
	}
}
