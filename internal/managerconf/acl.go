package managerconf

import (
	"fmt"
	"io/fs"
	"net/netip"
	"strings"
)

// rule is one entry of a permit or deny list (main/acl.c's ast_ha): the
// address already masked, and the mask, which need not be contiguous.
type rule struct {
	allow      bool
	v4         bool
	addr, mask [16]byte
}

// matches is ast_apply_ha's test for one rule: an IPv4 rule applies to IPv4
// (and IPv4-mapped IPv6) addresses, an IPv6 rule to the other IPv6 ones.
func (r rule) matches(a netip.Addr) bool {
	a = a.Unmap()
	if r.v4 != a.Is4() {
		return false
	}
	b := a.As16()
	if r.v4 {
		b = netip.AddrFrom4(a.As4()).As16()
	}
	for i := range b {
		if b[i]&r.mask[i] != r.addr[i] {
			return false
		}
	}
	return true
}

// allows is ast_apply_ha: the last rule that matches decides; no match allows.
func allows(rules []rule, a netip.Addr) bool {
	ok := true
	for _, r := range rules {
		if r.matches(a) {
			ok = r.allow
		}
	}
	return ok
}

// appendRules is append_ha_core for "permit" and "deny" (the sense is
// the key's first letter): a comma-separated list of address[/mask], each
// optionally negated by "!", the mask dotted, IPv6 or a bit count. Like
// Asterisk it stops at the first bad entry and reports it.
func appendRules(rules []rule, key, value string) ([]rule, error) {
	allow := strings.HasPrefix(strings.ToLower(key), "p")
	for _, item := range strings.Split(value, ",") {
		address, mask, hasMask := strings.Cut(item, "/")
		r := rule{allow: allow}
		if strings.HasPrefix(address, "!") {
			r.allow = !allow
			address = address[1:]
		}
		a, err := parseAddr(address)
		if err != nil {
			return rules, fmt.Errorf("%q is not an IP address", address)
		}
		r.v4 = a.Is4()
		bits := 32
		if !r.v4 {
			bits = 128
		}
		switch {
		case !hasMask:
			r.mask = maskOf(bits, r.v4)
		case strings.ContainsAny(mask, ":."):
			m, err := parseAddr(mask)
			if err != nil || m.Is4() != r.v4 {
				return rules, fmt.Errorf("%q is not a netmask for %s", mask, address)
			}
			r.mask = m.As16()
			if r.v4 {
				r.mask = netip.AddrFrom4(m.As4()).As16()
			}
		default:
			n, ok := leadingInt(mask)
			if !ok || n < 0 || n > bits {
				return rules, fmt.Errorf("%q is not a netmask for %s", mask, address)
			}
			r.mask = maskOf(n, r.v4)
		}
		r.addr = a.As16()
		if r.v4 {
			r.addr = netip.AddrFrom4(a.As4()).As16()
		}
		for i := range r.addr {
			r.addr[i] &= r.mask[i]
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// parseAddr reads a numeric address as ast_sockaddr_parse does without a
// port: IPv6 may be bracketed; an IPv4-mapped one counts as IPv4.
func parseAddr(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("not an IP address")
	}
	return a.Unmap(), nil
}

// maskOf is a mask of n leading ones in the 16-byte form rules keep: an
// IPv4 mask as an IPv4-mapped address, so that it also keeps the ::ffff:
// of the IPv4 addresses it is applied to.
func maskOf(n int, v4 bool) [16]byte {
	var m [16]byte
	start := 0
	if v4 {
		m = netip.AddrFrom4([4]byte{}).As16() // ::ffff:0.0.0.0
		start = 12
	}
	for i := start; n > 0; i++ {
		bits := min(n, 8)
		m[i] = byte(0xff << (8 - bits))
		n -= bits
	}
	return m
}

// leadingInt is sscanf("%d"): optional blanks and sign, then digits; what
// follows them is ignored.
func leadingInt(s string) (int, bool) {
	s = strings.TrimLeft(s, " \t")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	n, digits := 0, 0
	for ; digits < len(s) && digits < 30 && s[digits] >= '0' && s[digits] <= '9'; digits++ {
		n = n*10 + int(s[digits]-'0')
		if n > 1<<20 {
			n = 1 << 20 // far out of range either way
		}
	}
	if digits == 0 {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// namedACL is one "acl = name" of a user: the rules of [name] in acl.conf,
// or invalid when there is no such ACL (Asterisk then denies every address).
type namedACL struct {
	name    string
	rules   []rule
	invalid bool
}

// acl is a user's ACL: its own permit/deny rules and its named ACLs. Every
// part must allow an address (ast_apply_acl).
type acl struct {
	rules []rule
	named []namedACL
}

// allows reports whether a login from a is let through, and if not, by which part.
func (c acl) allows(a netip.Addr) (ok bool, by string) {
	for _, n := range c.named {
		if n.invalid {
			return false, fmt.Sprintf("acl %s is not defined in acl.conf", n.name)
		}
		if !allows(n.rules, a) {
			return false, "acl " + n.name
		}
	}
	if !allows(c.rules, a) {
		return false, "permit/deny"
	}
	return true, ""
}

// namedACLs are the ACLs of acl.conf (main/named_acl.c), read the first
// time a user names one.
type namedACLs struct {
	fsys  fs.FS
	file  string
	read  bool
	rules map[string][]rule // by name, exactly as written; a bad one is left out
}

// append is ast_append_acl for an "acl" line: a comma-separated list of
// names. A name already in the user's ACL is an error, as in Asterisk; an
// unknown one makes an ACL that denies everyone.
func (n *namedACLs) append(to *acl, value string) error {
	for _, name := range strings.Split(value, ",") {
		name = strings.TrimLeft(name, " \t")
		for _, have := range to.named {
			if strings.EqualFold(have.name, name) {
				return fmt.Errorf("acl %s is named twice", name)
			}
		}
		rules, ok := n.lookup(name)
		to.named = append(to.named, namedACL{name: name, rules: rules, invalid: !ok})
	}
	return nil
}

func (n *namedACLs) lookup(name string) ([]rule, bool) {
	if !n.read {
		n.read, n.rules = true, map[string][]rule{}
		cfg, err := readConfig(n.fsys, n.file)
		if err != nil {
			return nil, false // no acl.conf: every named ACL is unknown
		}
		for _, s := range cfg.sections {
			if s.template || strings.EqualFold(s.name, "general") {
				continue
			}
			if _, dup := n.rules[s.name]; dup {
				continue
			}
			var rules []rule
			var bad error
			for _, v := range s.vars {
				if key := strings.ToLower(v.name); (key == "permit" || key == "deny") && bad == nil {
					rules, bad = appendRules(rules, key, v.value)
				}
			}
			if bad == nil {
				n.rules[s.name] = rules
			}
		}
	}
	rules, ok := n.rules[name]
	return rules, ok
}
