package managerconf

import (
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"strconv"
	"strings"
)

// DefaultPort is Asterisk's AMI port without [general] port.
const DefaultPort = 5038

// ShippedSecret is the placeholder secret of asterisk/manager_coocenter.conf.
// A user that still has it does not fit: any local user could log in with
// it, and write = system runs shell commands through Originate.
const ShippedSecret = "change-me-to-a-long-random-secret"

// Manager is what Asterisk makes of a manager.conf.
type Manager struct {
	Path     string     // the main file, absolute
	Enabled  bool       // [general] enabled; Asterisk's default is no
	Port     int        // [general] port; DefaultPort
	BindAddr netip.Addr // [general] bindaddr; invalid (zero) when not set or not an address
	Users    []*Account // in the order of their first section
	Execs    []string   // "file:line" of #exec lines, whose users are not seen
}

// Account is one AMI user as Asterisk would load it.
type Account struct {
	Name   string // the section's name as first written; logins match it in any case
	Secret string // the last secret; never logged or put in an error
	File   string // where its first section is
	Line   int
	Read   Class
	Write  Class

	acl acl
	bad string // why Asterisk drops the user (an ACL it cannot parse); "" = kept
}

// Read reads the manager.conf at the absolute path file (in fsys, where
// it is named without the leading "/"; os.DirFS("/") for the real one),
// with its includes and the acl.conf beside it when a user names an ACL.
func Read(fsys fs.FS, file string) (*Manager, error) {
	file = path.Clean(file)
	if !path.IsAbs(file) {
		return nil, fmt.Errorf("%s: manager.conf must be given as an absolute path", file)
	}
	cfg, err := readConfig(fsys, file)
	if err != nil {
		return nil, err
	}
	m := &Manager{Path: file, Port: DefaultPort, Execs: cfg.execs}
	if err := m.general(cfg); err != nil {
		return nil, err
	}
	named := &namedACLs{fsys: fsys, file: path.Join(path.Dir(file), "acl.conf")}
	byName := map[string]*Account{}
	for _, s := range cfg.sections {
		if s.template || strings.EqualFold(s.name, "general") {
			continue
		}
		a := byName[strings.ToLower(s.name)]
		if a == nil {
			a = &Account{Name: s.name, File: s.file, Line: s.line}
			byName[strings.ToLower(s.name)] = a
			m.Users = append(m.Users, a)
		}
		a.apply(s, named)
	}
	return m, nil
}

// general reads the first [general] section, as manager.c does.
func (m *Manager) general(cfg *config) error {
	for _, s := range cfg.sections {
		if s.template || !strings.EqualFold(s.name, "general") {
			continue
		}
		for _, v := range s.vars {
			switch strings.ToLower(v.name) {
			case "enabled":
				m.Enabled = isTrue(v.value)
			case "port":
				p, err := strconv.Atoi(v.value)
				if err != nil || p < 1024 || p > 65535 {
					return fmt.Errorf("%s:%d: [general] port: %q is not a port number from 1024 to 65535", v.file, v.line, v.value)
				}
				m.Port = p
			case "bindaddr":
				// An address Asterisk cannot read leaves its default, "::".
				m.BindAddr = bindAddr(v.value)
			}
		}
		return nil
	}
	return nil
}

// bindAddr reads bindaddr as Asterisk does (a numeric address; a port,
// if any, is ignored); the zero Addr if it is not one.
func bindAddr(v string) netip.Addr {
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr().Unmap()
	}
	a, err := parseAddr(v)
	if err != nil {
		return netip.Addr{}
	}
	return a
}

// isTrue is ast_true.
func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "yes", "true", "y", "t", "1", "on":
		return true
	}
	return false
}

// apply is one section of the user's, as manager.c's loop over its
// variables: the ACL starts afresh in each section, the rest accumulates.
func (a *Account) apply(s *section, named *namedACLs) {
	a.acl, a.bad = acl{}, ""
	for _, v := range s.vars {
		switch key := strings.ToLower(v.name); key {
		case "secret":
			a.Secret = v.value
		case "permit", "deny":
			var err error
			if a.acl.rules, err = appendRules(a.acl.rules, key, v.value); err != nil && a.bad == "" {
				a.bad = fmt.Sprintf("%s on line %d: %v", key, v.line, err)
			}
		case "acl":
			if err := named.append(&a.acl, v.value); err != nil && a.bad == "" {
				a.bad = fmt.Sprintf("acl on line %d: %v", v.line, err)
			}
		case "read":
			a.Read = parseClasses(v.value)
		case "write":
			a.Write = parseClasses(v.value)
		}
	}
}

// Allows reports whether the user's ACL lets a login from addr through.
func (a *Account) Allows(addr netip.Addr) bool {
	ok, _ := a.acl.allows(addr)
	return ok
}

// refusal says briefly why the user does not fit a login from addr, or "".
func (a *Account) refusal(from netip.Addr) string {
	var why []string
	if a.bad != "" {
		return "dropped by Asterisk: invalid " + a.bad
	}
	switch a.Secret {
	case "":
		why = append(why, "no secret")
	case ShippedSecret:
		why = append(why, "its secret is still the one asterisk/manager_coocenter.conf ships: change it")
	}
	if ok, by := a.acl.allows(from); !ok {
		why = append(why, "not permitted from "+from.String()+" ("+by+")")
	}
	if lack := NeedRead &^ a.Read; lack != 0 {
		why = append(why, "read lacks "+lack.String())
	}
	if lack := NeedWrite &^ a.Write; lack != 0 {
		why = append(why, "write lacks "+lack.String())
	}
	return strings.Join(why, ", ")
}

// Address is where coocenterd connects to this AMI: bindaddr, unless it
// is unset or a wildcard (0.0.0.0, ::), then 127.0.0.1; and the port.
func (m *Manager) Address() (host string, port int) {
	if !m.BindAddr.IsValid() || m.BindAddr.IsUnspecified() {
		return "127.0.0.1", m.Port
	}
	return m.BindAddr.String(), m.Port
}

// Choose picks the user coocenterd logs in as from the address from:
// username if it is given (and it must fit), else the user named
// coocenter if it fits, else the first that fits. A user fits when
// Asterisk keeps it, it has a secret (not ShippedSecret), its ACL permits
// from, its read has NeedRead and its write NeedWrite. The error is one line naming the file
// and, for each user, why it does not fit; it never holds a secret.
func (m *Manager) Choose(username string, from netip.Addr) (*Account, error) {
	if username != "" {
		for _, a := range m.Users {
			if strings.EqualFold(a.Name, username) {
				if why := a.refusal(from); why != "" {
					return nil, fmt.Errorf("%s: AMI user %s does not fit coocenterd: %s", m.Path, m.where(a), why)
				}
				return a, nil
			}
		}
		return nil, fmt.Errorf("%s: has no AMI user [%s]%s", m.Path, username, m.execNote())
	}
	var fit []*Account
	var refused []string
	for _, a := range m.Users {
		if why := a.refusal(from); why != "" {
			refused = append(refused, m.where(a)+": "+why)
		} else {
			fit = append(fit, a)
		}
	}
	for _, a := range fit {
		if strings.EqualFold(a.Name, "coocenter") {
			return a, nil
		}
	}
	if len(fit) > 0 {
		return fit[0], nil
	}
	if len(refused) == 0 {
		return nil, fmt.Errorf("%s: has no AMI users%s", m.Path, m.execNote())
	}
	return nil, fmt.Errorf("%s: no AMI user fits coocenterd (read needs %s, write needs %s, login from %s): %s%s",
		m.Path, NeedRead, NeedWrite, from, strings.Join(refused, "; "), m.execNote())
}

// where names a user for a message: its section, and its file and line
// if that is not the main file.
func (m *Manager) where(a *Account) string {
	if a.File == m.Path {
		return fmt.Sprintf("[%s] (line %d)", a.Name, a.Line)
	}
	return fmt.Sprintf("[%s] (%s:%d)", a.Name, a.File, a.Line)
}

// execNote says that #exec lines were not run, when there were any.
func (m *Manager) execNote() string {
	if len(m.Execs) == 0 {
		return ""
	}
	return " (#exec is not run: " + strings.Join(m.Execs, ", ") + ")"
}
