package config

import (
	"strings"
	"testing"
	"testing/fstest"
)

// managerConf is a file system holding /etc/asterisk/manager.conf.
func managerConf(text string) fstest.MapFS {
	return fstest.MapFS{"etc/asterisk/manager.conf": {Data: []byte(text)}}
}

const (
	amiUser = "[coocenter]\nsecret = SEKRIT\ndeny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.0/255.0.0.0\n" +
		"read = system,call,agent,user,cdr,dialplan\nwrite = system,call,agent,originate\n"
	amiGeneral = "[general]\nenabled = yes\nport = 5039\nbindaddr = 0.0.0.0\n"
)

// CompleteAMI: what [ami] leaves out comes from manager.conf; what it
// sets wins.
func TestCompleteAMI(t *testing.T) {
	tests := []struct {
		name, apiConf, managerConf string
		user, secret, addr         string // the login afterwards
		fromManagerConf            bool
	}{
		{"no [ami]: all from manager.conf", "[enable]\npausetime=no\n", amiGeneral + amiUser,
			"coocenter", "SEKRIT", "127.0.0.1:5039", true},
		{"bindaddr is where to connect", "", "[general]\nenabled = yes\nbindaddr = 127.0.0.2\n" + strings.Replace(amiUser, "permit = 127.0.0.0/255.0.0.0", "permit = 127.0.0.2", 1),
			"coocenter", "SEKRIT", "127.0.0.2:5038", true},
		{"host and port of api.conf win", "[ami]\nhost = 127.0.0.1\nport = 6000\n", "[general]\nenabled = yes\nport = 5039\nbindaddr = 127.0.0.2\n" + amiUser,
			"coocenter", "SEKRIT", "127.0.0.1:6000", true},
		{"username only: its secret", "[ami]\nusername = admin\n", amiGeneral + "[admin]\nsecret = ADMINSEKRIT\nread = all\nwrite = all\n" + amiUser,
			"admin", "ADMINSEKRIT", "127.0.0.1:5039", true},
		{"both set: manager.conf is not read", "[ami]\nusername = u\nsecret = s\n", "this is not read",
			"u", "s", "127.0.0.1:5038", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.apiConf)
			acct, err := c.CompleteAMI(managerConf(tt.managerConf))
			if err != nil {
				t.Fatal(err)
			}
			if (acct != nil) != tt.fromManagerConf || c.AMI.Username != tt.user || c.AMI.Secret != tt.secret || c.AMIAddr() != tt.addr {
				t.Errorf("account %+v; login %s/%s at %s", acct, c.AMI.Username, c.AMI.Secret, c.AMIAddr())
			}
			if acct != nil && (acct.Name != tt.user || acct.File != "/etc/asterisk/manager.conf") {
				t.Errorf("account %s from %s", acct.Name, acct.File)
			}
		})
	}
}

// Each way it can fail is one line saying what to do, without a secret.
func TestCompleteAMIErrors(t *testing.T) {
	tests := []struct {
		name, apiConf string
		files         fstest.MapFS
		want          []string
	}{
		{"no manager.conf", "", fstest.MapFS{}, []string{
			"/etc/asterisk/manager.conf: cannot be read: file does not exist (read for the AMI login: [ami] in test.conf has no username or secret)"}},
		{"manager_conf elsewhere", "[ami]\nmanager_conf = /srv/pbx/manager.conf\n", managerConf(amiGeneral + amiUser), []string{
			"/srv/pbx/manager.conf: cannot be read"}},
		{"not enabled", "", managerConf("[general]\nenabled = no\n" + amiUser), []string{
			"/etc/asterisk/manager.conf: the AMI is not enabled: set enabled = yes in its [general] section and run asterisk -rx 'manager reload'"}},
		{"none fits", "", managerConf(amiGeneral + strings.Replace(amiUser, ",dialplan", "", 1)), []string{
			"/etc/asterisk/manager.conf: no AMI user fits coocenterd", "[coocenter] (line 5): read lacks dialplan",
			"; add asterisk/manager_coocenter.conf (in /usr/share/coocenterd/asterisk/, /usr/local/share/coocenterd/asterisk/ or the source tree) to manager.conf " +
				"and run asterisk -rx 'manager reload', or set [ami] username and secret in test.conf"}},
		{"the named user does not fit", "[ami]\nusername = coocenter\n", managerConf(amiGeneral + strings.Replace(amiUser, "permit = 127.0.0.0/255.0.0.0", "permit = 192.0.2.1", 1)), []string{
			"AMI user [coocenter] (line 5) does not fit coocenterd: not permitted from 127.0.0.1 (permit/deny); add or fix that user in manager.conf, or set [ami] secret too in test.conf"}},
		{"not permitted from the host of api.conf", "[ami]\nhost = 192.0.2.9\n", managerConf(amiGeneral + amiUser), []string{
			"not permitted from 192.0.2.9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.apiConf)
			_, err := c.CompleteAMI(tt.files)
			if err == nil {
				t.Fatalf("no error; login %s at %s", c.AMI.Username, c.AMIAddr())
			}
			for _, part := range tt.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q\nlacks %q", err, part)
				}
			}
			if strings.Contains(err.Error(), "SEKRIT") || strings.Contains(err.Error(), "\n") {
				t.Errorf("not one line without secrets: %q", err)
			}
		})
	}
}
