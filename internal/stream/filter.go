package stream

import (
	"encoding/json"
	"slices"
	"strings"
)

// Filter selects events. Within a field the values are alternatives; the
// fields are all required. An empty field selects everything.
type Filter struct {
	Extensions []string // an extension the event names (see parties)
	Queues     []string // a queue the event names
	Events     []string // event names
}

// Match reports whether the event called name, naming the extensions exts
// and the queues queues, passes f.
func (f Filter) Match(name string, exts, queues []string) bool {
	if len(f.Events) > 0 && !slices.Contains(f.Events, name) {
		return false
	}
	if len(f.Extensions) > 0 && !anyIn(f.Extensions, exts) {
		return false
	}
	if len(f.Queues) > 0 && !anyIn(f.Queues, queues) {
		return false
	}
	return true
}

// MatchName reports whether an event called name passes f's Events; the
// snapshots, which are not about one extension or queue, are filtered so.
func (f Filter) MatchName(name string) bool {
	return len(f.Events) == 0 || slices.Contains(f.Events, name)
}

func anyIn(want, have []string) bool {
	for _, h := range have {
		if slices.Contains(want, h) {
			return true
		}
	}
	return false
}

// parties are the keys of the push bodies (api.md §4.7, §5.3) that name
// an extension or a number taking part: an extension filter matches an
// event when one of them is that extension.
type parties struct {
	Exten           string `json:"exten"`           // extensionstatus, hold, mute
	CallerIDNum     string `json:"calleridnum"`     // dialbegein, dialend, hangup
	DestCallerIDNum string `json:"destcalleridnum"` // dialbegein, dialend
	ConnectedLine   string `json:"connectedlinenum"`
	Caller          string `json:"caller"` // ivr, cc_cdr
	Called          string `json:"called"`
	Source          string `json:"source"` // cdr
	Destination     string `json:"destination"`
	AgentCode       string `json:"agentCode"` // cc_cdr, wrapup*
	From            string `json:"from"`      // transfer
	To              string `json:"to"`
	QueueCode       string `json:"queueCode"` // ivr, cc_cdr
	Queues          string `json:"queues"`    // wrapup*: comma-separated
}

// tags reads from a push body the extensions and queues it names. A body
// that does not parse names none, and passes only filters without them; a
// key of another type than ours is skipped, the others read.
func tags(body []byte) (exts, queues []string) {
	var p parties
	_ = json.Unmarshal(body, &p)
	for _, v := range []string{p.Exten, p.CallerIDNum, p.DestCallerIDNum, p.ConnectedLine, p.Caller, p.Called,
		p.Source, p.Destination, p.AgentCode, p.From, p.To} {
		if v != "" && !slices.Contains(exts, v) {
			exts = append(exts, v)
		}
	}
	if p.QueueCode != "" {
		queues = append(queues, p.QueueCode)
	}
	for q := range strings.SplitSeq(p.Queues, ",") {
		if q = strings.TrimSpace(q); q != "" && !slices.Contains(queues, q) {
			queues = append(queues, q)
		}
	}
	return exts, queues
}
