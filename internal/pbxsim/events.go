package pbxsim

import (
	"strings"

	"github.com/coocenter/coocenterd/internal/ami"
)

// classMask is a set of AMI event classes (ami-mapping.md §2.7).
type classMask uint16

const (
	classSystem classMask = 1 << iota
	classCall
	classAgent
	classUser
	classCDR
	classDialplan
	classSecurity
	classDTMF
	classAll classMask = 1<<iota - 1
)

var classNames = []struct {
	name string
	bit  classMask
}{
	{"system", classSystem},
	{"call", classCall},
	{"agent", classAgent},
	{"user", classUser},
	{"cdr", classCDR},
	{"dialplan", classDialplan},
	{"security", classSecurity},
	{"dtmf", classDTMF},
}

// privilege is the Privilege header of an event of class c.
func (c classMask) privilege() string {
	for _, n := range classNames {
		if n.bit == c {
			return n.name + ",all"
		}
	}
	return "all"
}

// parseEventMask reads an Events / EventMask value: on, off, or a list of
// classes. ok is false for a value Asterisk would reject.
func parseEventMask(v string) (m classMask, ok bool) {
	v = strings.TrimSpace(strings.ToLower(v))
	switch v {
	case "on", "yes", "true", "all", "1":
		return classAll, true
	case "off", "no", "false", "0", "":
		return 0, true
	}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		found := false
		for _, n := range classNames {
			if part == n.name {
				m |= n.bit
				found = true
			}
		}
		if part == "all" {
			m, found = classAll, true
		}
		if !found && part != "" && part != "reporting" && part != "log" && part != "verbose" {
			return 0, false
		}
	}
	return m, true
}

// emit broadcasts an event to every logged-in session whose event mask
// admits its class. Every event starts Event, Privilege as in Asterisk.
// The caller holds s.mu; emitting under the lock keeps one global order.
func (s *Server) emit(class classMask, name string, body ...ami.Header) {
	headers := make([]ami.Header, 0, len(body)+2)
	headers = append(headers, ami.Header{Key: "Event", Value: name}, ami.Header{Key: "Privilege", Value: class.privilege()})
	headers = append(headers, body...)
	b, err := ami.AppendMessage(nil, headers)
	if err != nil {
		s.opts.Logger.Error("pbxsim: unwritable event", "event", name, "err", err)
		return
	}
	for sess := range s.sessions {
		if sess.authed && sess.mask&class != 0 {
			sess.enqueue(b)
		}
	}
}

// hdrs builds headers from alternating keys and values.
func hdrs(kv ...string) []ami.Header {
	out := make([]ami.Header, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, ami.Header{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// join concatenates header lists.
func join(parts ...[]ami.Header) []ami.Header {
	var n int
	for _, p := range parts {
		n += len(p)
	}
	out := make([]ami.Header, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// response builds "Response: <status>", the request's ActionID if any, and
// Message, in Asterisk's order.
func response(req ami.Message, status, message string, extra ...ami.Header) []ami.Header {
	h := []ami.Header{{Key: "Response", Value: status}}
	if id, ok := req.Lookup("ActionID"); ok {
		h = append(h, ami.Header{Key: "ActionID", Value: id})
	}
	if message != "" {
		h = append(h, ami.Header{Key: "Message", Value: message})
	}
	return append(h, extra...)
}

// listStart is the first response of an event-list action.
func listStart(req ami.Message, message string) []ami.Header {
	h := []ami.Header{{Key: "Response", Value: "Success"}}
	if id, ok := req.Lookup("ActionID"); ok {
		h = append(h, ami.Header{Key: "ActionID", Value: id})
	}
	return append(h, ami.Header{Key: "EventList", Value: "start"}, ami.Header{Key: "Message", Value: message})
}

// actionID is the ActionID header of req, as a header list (empty if none).
func actionID(req ami.Message) []ami.Header {
	if id, ok := req.Lookup("ActionID"); ok {
		return []ami.Header{{Key: "ActionID", Value: id}}
	}
	return nil
}

// listComplete is the closing event of an event-list action.
func listComplete(req ami.Message, event string, n int, extra ...ami.Header) []ami.Header {
	h := []ami.Header{{Key: "Event", Value: event}}
	h = append(h, actionID(req)...)
	h = append(h, ami.Header{Key: "EventList", Value: "Complete"}, ami.Header{Key: "ListItems", Value: itoa(n)})
	return append(h, extra...)
}

// listItem prefixes an item with Event and ActionID (item headers follow).
func listItem(req ami.Message, event string, body ...ami.Header) []ami.Header {
	return join(hdrs("Event", event), actionID(req), body)
}

// listItemIDLast is listItem with ActionID last, as app_queue and main/db.c
// write their items.
func listItemIDLast(req ami.Message, event string, body ...ami.Header) []ami.Header {
	return join(hdrs("Event", event), body, actionID(req))
}
