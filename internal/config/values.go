package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The parsers below take a non-empty value already trimmed by ini.v1 and
// return the problem as an error whose text completes
// "file: [section] key: ". Values of WEBKEY and secrets never reach a
// parser that quotes its input.

// checkChars refuses what no value may hold. A line break in an AMI
// username, pause reason or channel name would inject a header; elsewhere
// it can only be a mistake. The value is not quoted: it may be a secret.
func checkChars(v string) error {
	for _, r := range v {
		switch {
		case r == '\r' || r == '\n':
			return errors.New("contains a line break")
		case r == 0:
			return errors.New("contains a NUL byte")
		case r < 0x20 && r != '\t' || r == 0x7f:
			return errors.New("contains a control character")
		}
	}
	return nil
}

// show quotes a value for a message, shortened if long.
func show(v string) string {
	if r := []rune(v); len(r) > 64 {
		v = string(r[:60]) + "..."
	}
	return strconv.Quote(v)
}

func parsePort(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s is not a port number (1-65535)", show(v))
	}
	return n, nil
}

func parseInt(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s is not a whole number from %d to %d", show(v), lo, hi)
	}
	return n, nil
}

func parseYesNo(v string) (bool, error) {
	switch {
	case strings.EqualFold(v, "yes"):
		return true, nil
	case strings.EqualFold(v, "no"):
		return false, nil
	}
	return false, fmt.Errorf("%s is not yes or no", show(v))
}

// parseChoice matches v in any case and returns the choice as spelled here.
func parseChoice(v string, choices ...string) (string, error) {
	for _, c := range choices {
		if strings.EqualFold(v, c) {
			return c, nil
		}
	}
	last := len(choices) - 1
	return "", fmt.Errorf("%s is not %s or %s", show(v), strings.Join(choices[:last], ", "), choices[last])
}

func parseLogLevel(v string) (string, error) {
	if strings.EqualFold(v, "warning") {
		return "warn", nil
	}
	return parseChoice(v, "debug", "info", "warn", "error")
}

// nameRE is an Asterisk context or AstDB family: safe in a dialplan, an
// AstDB key path and an AMI header. 79 is Asterisk's context length limit.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,79}$`)

func parseName(v string) (string, error) {
	if !nameRE.MatchString(v) {
		return "", fmt.Errorf("%s may only contain letters, digits, '_' and '-' (at most 79)", show(v))
	}
	return v, nil
}

// parsePath reads an absolute path (a directory or a file), cleaned.
func parsePath(v string) (string, error) {
	if !filepath.IsAbs(v) {
		return "", fmt.Errorf("%s is not an absolute path", show(v))
	}
	return filepath.Clean(v), nil
}

var hostnameRE = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?$`)

// parseHost accepts an IP address (IPv6 without brackets, a zone allowed)
// or a host name, and no port.
func parseHost(v string) (string, error) {
	if _, err := netip.ParseAddr(v); err == nil {
		return v, nil
	}
	if len(v) <= 253 && hostnameRE.MatchString(v) {
		return v, nil
	}
	if _, port, err := net.SplitHostPort(v); err == nil && port != "" {
		return "", fmt.Errorf("%s has a port; give the host only, the port has its own key", show(v))
	}
	if strings.HasPrefix(v, "[") {
		return "", fmt.Errorf("%s: write an IPv6 address without brackets", show(v))
	}
	return "", fmt.Errorf("%s is not an IP address or host name", show(v))
}

// parseMAC normalises a 6-byte MAC written with ':', '-' or '.' (as
// net.ParseMAC reads them) or as 12 bare hex digits, in any case.
func parseMAC(v string) (string, error) {
	s := v
	if len(s) == 12 && !strings.ContainsAny(s, ":-.") {
		s = s[0:2] + ":" + s[2:4] + ":" + s[4:6] + ":" + s[6:8] + ":" + s[8:10] + ":" + s[10:12]
	}
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return "", fmt.Errorf("%s is not a MAC address like 68:69:2e:03:8b:3e", show(v))
	}
	return hw.String(), nil
}

// systemMAC is the MAC of the first non-loopback interface that has one
// (in the kernel's interface order), or all zeros.
func systemMAC() string {
	const none = "00:00:00:00:00:00"
	ifaces, err := net.Interfaces()
	if err != nil {
		return none
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback != 0 || len(ifc.HardwareAddr) != 6 {
			continue
		}
		if mac := ifc.HardwareAddr.String(); mac != none {
			return mac
		}
	}
	return none
}

// parseHTTPURL checks one absolute http or https URL and returns it as
// written. A URL with a password is not quoted back.
func parseHTTPURL(v string) (string, error) {
	shown := show(v)
	u, err := url.Parse(v)
	if err == nil {
		shown = show(u.Redacted())
	} else if strings.Contains(v, "@") {
		shown = "the URL"
	}
	switch {
	case err != nil:
		return "", fmt.Errorf("%s is not a valid URL", shown)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%s is not an http:// or https:// URL", shown)
	case u.Hostname() == "":
		return "", fmt.Errorf("%s has no host", shown)
	}
	if p := u.Port(); p != "" {
		if _, err := parsePort(p); err != nil {
			return "", fmt.Errorf("%s has a bad port (1-65535)", shown)
		}
	}
	return v, nil
}

// parseLinkBase checks link_base: the http(s) URL of this box that a
// recording's path is appended to, so without query, fragment or
// credentials (the links are handed to browsers and stored by business
// systems). A trailing "/" is dropped.
func parseLinkBase(v string) (string, error) {
	if _, err := parseHTTPURL(v); err != nil {
		return "", fmt.Errorf("%w; write it like http://192.0.2.10:8000", err)
	}
	u, _ := url.Parse(v) // parseHTTPURL has parsed it
	switch {
	case u.User != nil: // not quoted: it holds a password
		return "", errors.New("has a user name or password: links go to browsers, give the URL without them")
	case strings.ContainsAny(v, " \t"):
		return "", fmt.Errorf("%s contains a space", show(v))
	case strings.ContainsRune(v, '?'):
		return "", fmt.Errorf("%s has a query (?...): links add their own, give the base URL only", show(v))
	case strings.ContainsRune(v, '#'):
		return "", fmt.Errorf("%s has a fragment (#...): give the base URL only", show(v))
	}
	return strings.TrimRight(v, "/"), nil
}

// minLinkSecret is the shortest link_secret: a guessable one would let
// anyone sign links to every recording.
const minLinkSecret = 16

// parseLinkSecret checks link_secret without ever quoting it.
func parseLinkSecret(v string) (string, error) {
	if len(v) < minLinkSecret {
		return "", fmt.Errorf("is shorter than %d characters: use a long random string (openssl rand -hex 32)", minLinkSecret)
	}
	return v, nil
}

// parseReason checks [pausetime] reason: what the daemon sends as
// QueuePause's Reason, which it limits to printable ASCII (an AMI header).
func parseReason(v string) (string, error) {
	if len(v) > 64 {
		return "", fmt.Errorf("%s is longer than 64 characters", show(v))
	}
	for _, r := range v {
		if r < 0x20 || r > 0x7e {
			return "", fmt.Errorf("%s must be printable ASCII (letters, digits, punctuation, spaces): the pause reason goes to Asterisk's QueuePause", show(v))
		}
	}
	return v, nil
}

// minToken is the shortest [metrics] token: a bearer credential.
const minToken = 16

// parseToken checks [metrics] token without quoting it.
func parseToken(v string) (string, error) {
	if len(v) < minToken {
		return "", fmt.Errorf("is shorter than %d characters: use a long random string (openssl rand -hex 32)", minToken)
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f {
			return "", errors.New("has a space or control character: use letters, digits and punctuation only")
		}
	}
	return v, nil
}

// parseNetworks reads [metrics] allow: IP addresses and CIDR networks,
// separated by commas or spaces.
func parseNetworks(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%s is not an IP address or a network like 192.0.2.0/24", show(f))
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	if len(out) == 0 {
		return nil, errors.New("is empty: give addresses or networks, or leave the key out")
	}
	return out, nil
}

// parseURLList reads URL: one or more URLs separated by commas. Empty
// entries ("a,,b", a trailing comma) are skipped; a repeated one is an error,
// since every event would be delivered twice to it.
func parseURLList(v string) ([]string, error) {
	parts := strings.Split(v, ",")
	var urls []string
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		u, err := parseHTTPURL(p)
		if err != nil {
			if len(parts) > 1 {
				err = fmt.Errorf("entry %d: %w", i+1, err)
			}
			return nil, err
		}
		if slices.Contains(urls, u) {
			return nil, fmt.Errorf("entry %d: %s is listed twice", i+1, show(p))
		}
		urls = append(urls, u)
	}
	return urls, nil
}

// eventClasses are the classes an AMI Events action accepts (manager.c).
var eventClasses = []string{"system", "call", "log", "verbose", "command", "agent", "user", "config",
	"dtmf", "reporting", "cdr", "dialplan", "originate", "agi", "cc", "aoc", "test", "security", "message", "all"}

// parseEvents reads the event mask: "on" or a comma-separated list of
// classes, stored in lower case without spaces. "off" is refused: the daemon
// is blind without events.
func parseEvents(v string) (string, error) {
	mask := strings.ToLower(strings.Join(strings.Fields(v), ""))
	if mask == "on" {
		return mask, nil
	}
	if mask == "off" {
		return "", errors.New(`"off" would leave the daemon blind; use on or a list of event classes`)
	}
	for _, class := range strings.Split(mask, ",") {
		if !slices.Contains(eventClasses, class) {
			return "", fmt.Errorf("%s is not on or a comma-separated list of event classes (%s)", show(v), strings.Join(eventClasses, ","))
		}
	}
	return mask, nil
}

// parseDuration reads Go syntax ("15s", "2h30m") or a whole number of seconds.
func parseDuration(v string, lo, hi time.Duration) (time.Duration, error) {
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n > int64(hi/time.Second) || n < 0 {
			return 0, fmt.Errorf("%s is out of range (%s to %s)", show(v), formatDuration(lo), formatDuration(hi))
		}
		d = time.Duration(n) * time.Second
	} else if d, err = time.ParseDuration(v); err != nil {
		return 0, fmt.Errorf(`%s is not a duration (such as "15s", "2h" or a number of seconds)`, show(v))
	}
	if d < lo || d > hi {
		return 0, fmt.Errorf("%s is out of range (%s to %s)", show(v), formatDuration(lo), formatDuration(hi))
	}
	return d, nil
}

// formatDuration is time.Duration.String without zero tails: "72h", not "72h0m0s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// parseSecrets reads Standard Webhooks signing keys separated by spaces:
// "whsec_" and the base64 of 24 to 64 bytes, as the specification asks.
// Several keys let a receiver rotate them. No key is ever quoted back.
func parseSecrets(v string) ([]string, error) {
	var secrets []string
	for i, s := range strings.Fields(v) {
		b64, ok := strings.CutPrefix(s, "whsec_")
		if !ok {
			return nil, fmt.Errorf(`entry %d does not start with "whsec_"`, i+1)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf(`entry %d: the part after "whsec_" is not valid base64`, i+1)
		}
		if len(key) < 24 || len(key) > 64 {
			return nil, fmt.Errorf("entry %d is a key of %d bytes; Standard Webhooks keys have 24 to 64", i+1, len(key))
		}
		secrets = append(secrets, s)
	}
	return secrets, nil
}

// parseReasons reads [bar] pause_reasons: pause reasons separated by
// commas, each as parseReason wants it; "" offers none.
func parseReasons(v string) ([]string, error) {
	var out []string
	for r := range strings.SplitSeq(v, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if _, err := parseReason(r); err != nil {
			return nil, err
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) > 32 {
		return nil, fmt.Errorf("%d pause reasons: at most 32", len(out))
	}
	return out, nil
}
