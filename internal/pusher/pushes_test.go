package pusher

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pausetimer"
	"github.com/coocenter/coocenterd/internal/pbx"
)

// TestPushTableMatchesContract holds the push table against api.md, as the
// contract is written: §4.7's list of events is the table's names, in its
// order, each sending the reader to the entry's section; that section names
// the event; every JSON example of the event there has the keys the builder
// writes, in the same order, numbers where it writes numbers, for a call
// with userData or without; and a key table there lists them all (userData
// included), its rows in the builder's order.
// TestTranslateKeysInContractOrder checks whole bodies; this checks that
// api.md and the table have not drifted apart.
func TestPushTableMatchesContract(t *testing.T) {
	md, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := apiSections(string(md))

	// §4.7's table: | `dialbegein` | a Dial starts: ... (§4.7.1) |
	var listed, names []string
	for _, row := range tableRows(sections["4.7"]) {
		sec := ""
		if m := regexp.MustCompile(`\(§([\d.]+)\)\s*\|\s*$`).FindStringSubmatch(row.line); m != nil {
			sec = m[1]
		}
		for _, name := range row.names {
			listed = append(listed, name)
			if i := slices.IndexFunc(pushes, func(p pushEntry) bool { return p.name == name }); i >= 0 && sec != pushes[i].section {
				t.Errorf("api.md §4.7 sends %s to §%s; the table says §%s", name, sec, pushes[i].section)
			}
		}
	}
	for _, p := range pushes {
		names = append(names, p.name)
	}
	if !slices.Equal(listed, names) {
		t.Errorf("api.md §4.7 lists the pushes\n%v\nthe push table has\n%v", listed, names)
	}

	tr := Translator{MAC: "68:69:2e:05:0f:9a", Location: time.UTC, LegacyDialBegin: true, Now: func() time.Time { return time.Unix(1795234100, 0) }}
	samples, withUserData := pushSamples(), userDataSamples()
	for _, p := range pushes {
		src, ok := samples[p.name]
		if !ok {
			t.Errorf("%s: no sample source to build it from", p.name)
			continue
		}
		var builds [][]string // without userData, then with it when the push has one
		for _, src := range []any{src, withUserData[p.name]} {
			if src == nil {
				continue
			}
			ev, ok := p.build(&tr, p.name, src)
			if !ok || ev.Name != p.name {
				t.Errorf("%s: the builder made %q (%v): %s", p.name, ev.Name, ok, ev.Body)
				continue
			}
			builds = append(builds, jsonFields(t, ev.Body))
		}
		if len(builds) == 0 {
			continue
		}
		got := builds[len(builds)-1]
		text, ok := sections[p.section]
		if !ok {
			t.Errorf("%s: api.md has no §%s", p.name, p.section)
			continue
		}
		if !strings.Contains(text, "`"+p.name+"`") {
			t.Errorf("%s: api.md §%s does not name it", p.name, p.section)
		}
		examples := 0
		for _, body := range jsonExamples(text) {
			want := jsonFields(t, body)
			if len(want) == 0 || want[0] != "event="+p.name {
				continue
			}
			examples++
			if !slices.ContainsFunc(builds, func(b []string) bool { return slices.Equal(b, want) }) {
				t.Errorf("%s: api.md §%s's example has the keys\n%v\nthe builder writes\n%v", p.name, p.section, want, builds)
			}
		}
		if examples == 0 && p.name != "wrapupextend" { // §5.3 shows wrapupstart's keys for both
			t.Errorf("%s: api.md §%s has no JSON example of it", p.name, p.section)
		}
		checkKeyTable(t, p.name, p.section, tableRows(text), got)
	}

	// An example of an event the table lacks, or in another's section, is drift too.
	for sec, text := range sections {
		if !strings.HasPrefix(sec, "4.7") && sec != "5.3" {
			continue
		}
		for _, body := range jsonExamples(text) {
			var m struct{ Event string }
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("api.md §%s: %v: %s", sec, err, body)
			}
			if i := slices.Index(names, m.Event); i < 0 || pushes[i].section != sec {
				t.Errorf("api.md §%s shows an example of %q, which the table does not document there", sec, m.Event)
			}
		}
	}
}

// checkKeyTable: a section's key table (| `channel`, `calleridnum` | ... |)
// names every key the builder writes and no other; its rows follow the
// builder's order. A row may group keys that sit apart (cc_cdr's fwType,
// forwardNumber): its first key gives its place.
func checkKeyTable(t *testing.T, name, sec string, rows []tableRow, got []string) {
	t.Helper()
	if len(rows) == 0 {
		return
	}
	var keys []string
	for _, f := range got {
		k, _, _ := strings.Cut(f, "=")
		keys = append(keys, strings.TrimSuffix(k, " (number)"))
	}
	var tabled []string
	last := -1
	for _, row := range rows {
		i := slices.Index(keys, row.names[0])
		if i < last {
			t.Errorf("%s: api.md §%s lists %s out of the builder's order %v", name, sec, row.names[0], keys)
		}
		last = i
		tabled = append(tabled, row.names...)
	}
	if !slices.Equal(slices.Sorted(slices.Values(tabled)), slices.Sorted(slices.Values(keys))) {
		t.Errorf("%s: api.md §%s's table has the keys\n%v\nthe builder writes\n%v", name, sec, tabled, keys)
	}
}

// pushSamples is a source for every push of the table, as its dispatcher
// passes it.
func pushSamples() map[string]any {
	at := time.Unix(1534993059, 785012000)
	caller := pbx.Channel{Name: "DAHDI/i1/18782985586-51", Uniqueid: "1534993030.626", Linkedid: "1534993030.626", CallerIDNum: "18782985586"}
	dest := pbx.Channel{Name: "SIP/886-00000065", Uniqueid: "1534993059.630", Linkedid: "1534993030.626", CallerIDNum: "886"}
	start := time.Date(2026, 11, 21, 12, 8, 15, 0, time.UTC)
	wrapUp := func(kind string) pausetimer.WrapUp {
		return pausetimer.WrapUp{Kind: kind, Exten: "801", Interface: "SIP/801", Queues: []string{"630", "631"},
			Uniqueid: "1795233962.36", Linkedid: "1795233962.36", Start: start, Until: start.Add(30 * time.Second),
			End: start.Add(30 * time.Second), Ended: "timer", Pause: 30 * time.Second}
	}
	return map[string]any{
		"dialbegein": pbx.DialBegin{At: at, Caller: caller, Dest: dest, DialString: "886"},
		"dialend":    pbx.DialEnd{At: at, Caller: caller, Dest: dest, DialStatus: "ANSWER"},
		"hangup": pbx.ChannelHangup{At: at, Cause: 16, CauseText: "Normal Clearing",
			Channel: pbx.Channel{Name: "SIP/808-0000000c", Uniqueid: "1325747409.260", Linkedid: "1325747409.259", CallerIDNum: "808"}},
		"extensionstatus": pbx.HintChanged{At: at, Hint: pbx.Hint{Exten: "808", Context: "internal", StatusText: "Idle"}},
		"ivr": pbx.UserEvent{At: at, Name: "CoocenterIVR", Direction: pbx.Inbound,
			Channel: pbx.Channel{Uniqueid: "1541643689.15", Linkedid: "1541643689.15", CallerIDNum: "810"},
			Fields:  map[string]string{"ivrId": "610", "ivrName": "workingtime", "ivrDtmf": "0", "queueCode": "630"}},
		"cdr": pbx.CDR{At: at, Source: "808", Destination: "809", Disposition: "ANSWERED", UniqueID: "1325747409.260", Linkedid: "1325747409.260"},
		"cc_cdr": queueCall{call: pbx.QueueCall{Uniqueid: "1795233962.36", Linkedid: "1795233962.36", Caller: "0501234567",
			Queue: "630", Agent: "801", Start: start.Add(-2 * time.Minute), End: start}, pause: 30 * time.Second},
		"wrapupstart":  wrapUp("start"),
		"wrapupextend": wrapUp("extend"),
		"wrapupend":    wrapUp("end"),
		"hold":         pbx.HoldChanged{At: at, Exten: "801", Channel: agentLeg, Held: true},
		"unhold":       pbx.HoldChanged{At: at, Exten: "801", Channel: agentLeg},
		"mute":         pbx.MuteChanged{At: at, Exten: "801", Channel: agentLeg, Muted: true},
		"unmute":       pbx.MuteChanged{At: at, Exten: "801", Channel: agentLeg},
		"transfer": pbx.Transferred{At: at, Kind: "blind", From: "801", To: "802",
			Transferer: agentLeg, Transferee: pbx.Channel{Name: "SIP/trunk-00000007", Uniqueid: "1795233962.36", Linkedid: "1795233962.36"}},
	}
}

// agentLeg is an agent's channel in a queue call, for the samples.
var agentLeg = pbx.Channel{Name: "SIP/801-00000008", Uniqueid: "1795233969.38", Linkedid: "1795233962.36", CallerIDNum: "801"}

// userDataSamples are the sources of pushSamples with the call's userData
// set, for every push that carries it (all but extensionstatus).
func userDataSamples() map[string]any {
	const data = `{"order":"A-1042"}`
	out := map[string]any{}
	for name, src := range pushSamples() {
		switch s := src.(type) {
		case pbx.DialBegin:
			s.Caller.UserData = data
			out[name] = s
		case pbx.DialEnd:
			s.Caller.UserData = data
			out[name] = s
		case pbx.ChannelHangup:
			s.Channel.UserData = data
			out[name] = s
		case pbx.UserEvent:
			s.Channel.UserData = data
			out[name] = s
		case pbx.CDR:
			s.UserData = data
			out[name] = s
		case queueCall:
			s.call.UserData = data
			out[name] = s
		case pausetimer.WrapUp:
			s.UserData = data
			out[name] = s
		case pbx.HoldChanged:
			s.Channel.UserData = data
			out[name] = s
		case pbx.MuteChanged:
			s.Channel.UserData = data
			out[name] = s
		case pbx.Transferred:
			s.Transferee.UserData = data
			out[name] = s
		}
	}
	return out
}

// apiSections splits api.md at its headings: the text of each numbered
// section ("4.7.1"), its heading included, up to the next heading. A line
// starting with # inside a code block (a shell comment) is no heading.
func apiSections(md string) map[string]string {
	heading := regexp.MustCompile(`^#{2,4} (\d+(?:\.\d+)*)\.? `)
	out := map[string]string{}
	sec, fenced := "", false
	for line := range strings.Lines(md) {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(line, "#") {
			sec = ""
			if m := heading.FindStringSubmatch(line); m != nil {
				sec = m[1]
			}
		}
		if sec != "" {
			out[sec] += line
		}
	}
	return out
}

// A tableRow is a row of a markdown table whose first cell names keys or
// events in backquotes; names are those, in order.
type tableRow struct {
	line  string
	names []string
}

func tableRows(text string) []tableRow {
	var rows []tableRow
	for line := range strings.Lines(text) {
		cells := strings.Split(line, "|")
		if !strings.HasPrefix(line, "|") || len(cells) < 3 {
			continue
		}
		var names []string
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cells[1], -1) {
			names = append(names, m[1])
		}
		if len(names) > 0 {
			rows = append(rows, tableRow{line: strings.TrimSpace(line), names: names})
		}
	}
	return rows
}

// jsonExamples are the lines of a section's ```json blocks: one push each.
func jsonExamples(text string) [][]byte {
	var out [][]byte
	for _, block := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(text, -1) {
		for line := range strings.Lines(block[1]) {
			if line = strings.TrimSpace(line); line != "" {
				out = append(out, []byte(line))
			}
		}
	}
	return out
}

// jsonFields reads a flat JSON object's keys in their order: "event=cdr"
// for the event, "holdTime (number)" for a number, else the key.
func jsonFields(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object (%v): %s", err, body)
	}
	var out []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		v, err := dec.Token()
		if err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		switch v := v.(type) {
		case string:
			if k == "event" {
				out = append(out, "event="+v)
				continue
			}
			out = append(out, k.(string))
		case float64:
			out = append(out, k.(string)+" (number)")
		default:
			t.Fatalf("%s is %T, neither a string nor a number: %s", k, v, body)
		}
	}
	return out
}
