package pbx

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// deviceLeg matches the channel of a phone: TECH/name-8hex (ami-mapping §3.2).
var deviceLeg = regexp.MustCompile(`^(SIP|PJSIP)/(.+)-[0-9a-fA-F]{8}$`)

// deviceOf returns the tech and extension of a phone's channel, if it is one.
func deviceOf(channel string) (Tech, string, bool) {
	m := deviceLeg.FindStringSubmatch(channel)
	if m == nil {
		return "", "", false
	}
	return Tech(strings.ToUpper(m[1])), m[2], true
}

// InterfaceExten returns the extension a queue member interface stands for:
// SIP/801, PJSIP/801, Local/801@ctx/n and hint:801@ctx all give 801.
func InterfaceExten(iface string) string {
	tech, rest, ok := strings.Cut(iface, "/")
	if !ok {
		tech, rest, ok = strings.Cut(iface, ":")
		if !ok || !strings.EqualFold(tech, "hint") {
			return ""
		}
	}
	if strings.EqualFold(tech, "Local") || strings.EqualFold(tech, "hint") {
		rest, _, _ = strings.Cut(rest, "@")
	}
	return rest
}

// parseDuration reads CoreShowChannel's HH:MM:SS (hours may exceed 99).
func parseDuration(s string) time.Duration {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0
	}
	var total int
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return 0
		}
		total = total*60 + n
	}
	return time.Duration(total) * time.Second
}

// FormatDuration writes d as HH:MM:SS, as Asterisk does for channels
// (hours may exceed two digits).
func FormatDuration(d time.Duration) string { return string(AppendDuration(nil, d)) }

// AppendDuration appends d as FormatDuration writes it.
func AppendDuration(b []byte, d time.Duration) []byte {
	s := int(max(d, 0) / time.Second)
	b = appendPad2(b, s/3600)
	b = append(b, ':')
	b = appendPad2(b, s/60%60)
	b = append(b, ':')
	return appendPad2(b, s%60)
}

func appendPad2(b []byte, n int) []byte {
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// unknown turns Asterisk's placeholders for an empty value into "".
func unknown(s string) string {
	if s == "<unknown>" || s == "unknown" {
		return ""
	}
	return s
}

// unescape undoes the C-escaping Asterisk 13.5+ applies to caller names
// (ami-mapping §2.11).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "yes", "true", "y", "t", "on":
		return true
	}
	return false
}
