package sipphone

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxMessage bounds a datagram. SIP over UDP never needs more, and reading
// into a fixed buffer keeps a broken peer from making us allocate freely.
const maxMessage = 65535

// message is a SIP request (method set) or response (status set).
type message struct {
	method, uri string
	status      int
	reason      string
	headers     []header
	body        []byte
}

type header struct{ name, value string }

// compactNames maps the one-letter header forms (RFC 3261 7.3.3, RFC 3515,
// RFC 3892) to the full names we look headers up by.
var compactNames = map[string]string{
	"i": "Call-ID", "f": "From", "t": "To", "v": "Via", "m": "Contact",
	"l": "Content-Length", "c": "Content-Type", "k": "Supported",
	"o": "Event", "r": "Refer-To", "b": "Referred-By",
}

// parse reads one datagram: start line, headers (folded lines joined,
// compact names expanded) and a body cut to Content-Length.
func parse(b []byte) (*message, error) {
	head, body, found := bytes.Cut(b, []byte("\r\n\r\n"))
	if !found {
		head, body, _ = bytes.Cut(b, []byte("\n\n"))
	}
	lines := strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n")
	m := &message{}
	if rest, ok := strings.CutPrefix(lines[0], "SIP/2.0 "); ok {
		code, reason, _ := strings.Cut(rest, " ")
		n, err := strconv.Atoi(code)
		if err != nil || n < 100 || n > 699 {
			return nil, fmt.Errorf("bad status line %q", lines[0])
		}
		m.status, m.reason = n, reason
	} else {
		f := strings.Fields(lines[0])
		if len(f) != 3 || f[2] != "SIP/2.0" {
			return nil, fmt.Errorf("bad request line %q", lines[0])
		}
		m.method, m.uri = f[0], f[1]
	}
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && len(m.headers) > 0 {
			m.headers[len(m.headers)-1].value += " " + strings.TrimSpace(l)
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("bad header line %q", l)
		}
		name = strings.TrimSpace(name)
		if full, ok := compactNames[strings.ToLower(name)]; ok {
			name = full
		}
		m.headers = append(m.headers, header{name, strings.TrimSpace(value)})
	}
	if cl := m.get("Content-Length"); cl != "" {
		n, err := strconv.Atoi(cl)
		if err != nil || n < 0 || n > len(body) {
			return nil, fmt.Errorf("bad Content-Length %q for %d bytes of body", cl, len(body))
		}
		body = body[:n]
	}
	m.body = bytes.Clone(body)
	if m.get("Call-ID") == "" || m.get("CSeq") == "" || m.get("Via") == "" {
		return nil, errors.New("no Call-ID, CSeq or Via")
	}
	return m, nil
}

// bytes formats the message, with Content-Length computed from the body.
func (m *message) bytes() []byte {
	var b bytes.Buffer
	if m.method != "" {
		fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", m.method, m.uri)
	} else {
		fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", m.status, m.reason)
	}
	for _, h := range m.headers {
		if !strings.EqualFold(h.name, "Content-Length") {
			fmt.Fprintf(&b, "%s: %s\r\n", h.name, h.value)
		}
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(m.body))
	b.Write(m.body)
	return b.Bytes()
}

// get returns the first value of the named header, "" if there is none.
func (m *message) get(name string) string {
	for _, h := range m.headers {
		if strings.EqualFold(h.name, name) {
			return h.value
		}
	}
	return ""
}

// values returns every value of the named header, comma lists split, in order.
func (m *message) values(name string) []string {
	var vs []string
	for _, h := range m.headers {
		if strings.EqualFold(h.name, name) {
			vs = append(vs, splitList(h.value)...)
		}
	}
	return vs
}

func (m *message) add(name, value string) { m.headers = append(m.headers, header{name, value}) }

// copyHeaders adds every value of the named headers from src, in order.
func (m *message) copyHeaders(src *message, names ...string) {
	for _, name := range names {
		for _, h := range src.headers {
			if strings.EqualFold(h.name, name) {
				m.add(name, h.value)
			}
		}
	}
}

// cseq returns the sequence number and method of the CSeq header.
func (m *message) cseq() (int, string) {
	num, method, _ := strings.Cut(m.get("CSeq"), " ")
	n, _ := strconv.Atoi(num)
	return n, strings.TrimSpace(method)
}

// branch is the transaction id: the branch of the top Via.
func (m *message) branch() string { return param(m.get("Via"), "branch") }

// splitList splits a header value at the commas that are outside quotes
// and angle brackets, so that a Record-Route list yields one route each.
func splitList(v string) []string {
	var out []string
	quoted, angle, start := false, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			quoted = !quoted
		case c == '<' && !quoted:
			angle = true
		case c == '>' && !quoted:
			angle = false
		case c == ',' && !quoted && !angle:
			out = append(out, strings.TrimSpace(v[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(v[start:]))
}

// addrURI returns the URI of a name-addr or addr-spec header value.
func addrURI(v string) string {
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return v[i+1 : i+j]
		}
	}
	uri, _, _ := strings.Cut(v, ";")
	return strings.TrimSpace(uri)
}

// headerParams returns the header parameters of a value: what follows
// the '>' of a name-addr, or the first ';' otherwise (Via, addr-spec).
func headerParams(v string) (before, params string) {
	i := strings.LastIndexByte(v, '>') + 1
	if j := strings.IndexByte(v[i:], ';'); j >= 0 {
		return v[:i+j], v[i+j:]
	}
	return v, ""
}

// param returns a header parameter (tag, branch, expires), "" if absent.
func param(v, name string) string {
	_, params := headerParams(v)
	for p := range strings.SplitSeq(params, ";") {
		k, val, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.Trim(strings.TrimSpace(val), `"`)
		}
	}
	return ""
}

// withoutTag returns a From or To value with its tag parameter removed.
func withoutTag(v string) string {
	before, params := headerParams(v)
	for p := range strings.SplitSeq(params, ";") {
		k, _, _ := strings.Cut(p, "=")
		if p != "" && !strings.EqualFold(strings.TrimSpace(k), "tag") {
			before += ";" + p
		}
	}
	return before
}

// uriHostPort returns the host:port a SIP URI points at, 5060 by default.
func uriHostPort(uri string) string {
	hp := strings.TrimPrefix(strings.TrimPrefix(uri, "sips:"), "sip:")
	if i := strings.LastIndexByte(hp, '@'); i >= 0 {
		hp = hp[i+1:]
	}
	hp, _, _ = strings.Cut(hp, ";")
	hp, _, _ = strings.Cut(hp, "?")
	if !strings.Contains(hp, ":") {
		hp += ":5060"
	}
	return hp
}
