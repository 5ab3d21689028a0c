package board

import (
	"net/url"
	"strings"
	"time"
)

// View holds how rows are shown: the box's time zone, the screen-pop URL
// and the service-level threshold.
type View struct {
	Location *time.Location // the box's time zone (default time.Local)
	// PopURL is api.conf's pop_url: "" for none.
	PopURL string
	// SLA is the service-level threshold: a call answered within it
	// counts as answered in time (DefaultSLA when 0).
	SLA time.Duration
}

// DefaultSLA is the service-level threshold when none is configured: the
// "80 % within 20 seconds" that call centers commonly aim for.
const DefaultSLA = 20 * time.Second

func (v View) loc() *time.Location {
	if v.Location == nil {
		return time.Local
	}
	return v.Location
}

// Threshold is the service-level threshold in use.
func (v View) Threshold() time.Duration {
	if v.SLA <= 0 {
		return DefaultSLA
	}
	return v.SLA
}

// The placeholders of pop_url, each replaced by its value URL-encoded.
var popFields = []struct {
	name  string
	value func(exten string, c *AgentCall) string
}{
	{"{caller}", func(_ string, c *AgentCall) string { return c.Peer }},
	{"{called}", func(exten string, _ *AgentCall) string { return exten }}, // the called party, as cc_cdr's called
	{"{uniqueid}", func(_ string, c *AgentCall) string { return c.callID() }},
	{"{queue}", func(_ string, c *AgentCall) string { return c.Queue }},
	{"{userData}", func(_ string, c *AgentCall) string { return c.UserData }},
}

// callID is the call's id as the pushes name it: the caller's channel,
// which started the call (its Linkedid).
func (c *AgentCall) callID() string {
	if c.Linkedid != "" {
		return c.Linkedid
	}
	return c.Uniqueid
}

// Pop is the screen-pop URL of call, which rings agent exten: tmpl with
// its placeholders filled in, or, when it has none, tmpl with caller and
// uniqueid added to its query (before any #fragment).
func Pop(tmpl, exten string, call *AgentCall) string {
	out, found := tmpl, false
	for _, f := range popFields {
		if strings.Contains(out, f.name) {
			out, found = strings.ReplaceAll(out, f.name, escape(f.value(exten, call))), true
		}
	}
	if found {
		return out
	}
	base, frag, hasFrag := strings.Cut(tmpl, "#")
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			sep = ""
		}
	}
	out = base + sep + "caller=" + escape(call.Peer) + "&uniqueid=" + escape(call.callID())
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// escape encodes s for any part of a URL: a query's escaping, with a
// space as %20 rather than "+" (which a path would keep as a plus).
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
