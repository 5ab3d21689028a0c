package config

import (
	"fmt"
	"io/fs"
	"net/netip"

	"github.com/coocenter/coocenterd/internal/managerconf"
)

// NeedsManagerConf reports whether [ami] leaves the login to Asterisk's
// manager.conf: it gives no username, or no secret.
func (a *AMI) NeedsManagerConf() bool { return a.Username == "" || a.Secret == "" }

// CompleteAMI fills in what [ami] leaves to Asterisk's manager.conf on the
// same host (AMI.ManagerConf, read from fsys, where "/etc/x" is named
// "etc/x": os.DirFS("/") in production): the user (username, if set, else
// the one managerconf.Manager.Choose picks) and its secret, and the host
// and port from its [general] unless api.conf sets them. It returns the
// user taken, for the log. The error is one line saying what to change; it
// never holds a secret. Without NeedsManagerConf it does nothing.
func (c *Config) CompleteAMI(fsys fs.FS) (*managerconf.Account, error) {
	if !c.AMI.NeedsManagerConf() {
		return nil, nil
	}
	m, err := managerconf.Read(fsys, c.AMI.ManagerConf)
	if err != nil {
		return nil, fmt.Errorf("%w (read for the AMI login: [ami] in %s has no username or secret)", err, c.file())
	}
	if !m.Enabled {
		return nil, fmt.Errorf("%s: the AMI is not enabled: set enabled = yes in its [general] section and run asterisk -rx 'manager reload'", m.Path)
	}
	host, port := m.Address()
	if !c.AMI.hostSet {
		c.AMI.Host = host
	}
	if !c.AMI.portSet {
		c.AMI.Port = port
	}
	u, err := m.Choose(c.AMI.Username, loginAddr(c.AMI.Host))
	switch {
	case err != nil && c.AMI.Username != "":
		return nil, fmt.Errorf("%w; add or fix that user in manager.conf, or set [ami] secret too in %s", err, c.file())
	case err != nil:
		return nil, fmt.Errorf("%w; add asterisk/manager_coocenter.conf (in /usr/share/coocenterd/asterisk/, /usr/local/share/coocenterd/asterisk/ "+
			"or the source tree) to manager.conf and run asterisk -rx 'manager reload', or set [ami] username and secret in %s", err, c.file())
	}
	c.AMI.Username, c.AMI.Secret = u.Name, u.Secret
	return u, nil
}

// loginAddr is the address Asterisk sees a login to host come from: host
// itself when it is an IP address (a loopback one, or this host's own
// bindaddr), else 127.0.0.1 (names are not resolved here).
func loginAddr(host string) netip.Addr {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.WithZone("").Unmap()
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

// file names api.conf in messages.
func (c *Config) file() string {
	if c.Path == "" {
		return "api.conf"
	}
	return c.Path
}
