package pusher_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/pusher"
	"github.com/coocenter/coocenterd/internal/testbed"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const testMAC = "68:69:2e:05:0f:9a"

// The golden files (testdata/golden/<asterisk>/<test>.json) hold every
// push of a recorded scenario, as its replay makes them (replay_test.go).
// A live run (pbxsim, or a real Asterisk) is compared with them where it
// can be: its shape, and a cc_cdr with what changes from run to run
// replaced: Uniqueids and Linkedids by <id1>, <id2>, ... in order of
// appearance, times by <time>, second counts by <secs>.
var (
	idPattern   = regexp.MustCompile(`^\d{9,}\.\d+$`)
	timeKeys    = map[string]bool{"timestamp": true, "starttime": true, "answertime": true, "endtime": true, "startTime": true, "endTime": true}
	secondsKeys = map[string]bool{"duration": true, "billableseconds": true}
)

func TestGoldenInternalCall(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802"}}, func(t *testing.T, b *testbed.Bed) {
		sim := b.Stage()
		caller, err := sim.Dial("801", "802")
		if err != nil {
			t.Fatal(err)
		}
		b.Eventually("802 ringing", func() bool { return len(b.PhoneChannels("802")) == 1 })
		if err := sim.Answer(b.PhoneChannels("802")[0].Name); err != nil {
			t.Fatal(err)
		}
		b.Eventually("answered", func() bool { return b.PhoneChannels("802")[0].State == 6 })
		if err := sim.Hangup(caller, 16); err != nil {
			t.Fatal(err)
		}
		golden(t, b)
	})
}

func TestGoldenInboundQueueCall(t *testing.T) {
	testbed.Each(t, testbed.Options{}, func(t *testing.T, b *testbed.Bed) {
		sim := b.Stage()
		caller, err := sim.InboundCall("0501234567", "630") // members are Local fake phones: they answer
		if err != nil {
			t.Fatal(err)
		}
		waitBridged(b, caller)
		if err := sim.Hangup(caller, 16); err != nil {
			t.Fatal(err)
		}
		golden(t, b)
	})
}

// TestGoldenShippedInboundCall: a call through the dialplan README tells
// users to write (real Asterisk only): the ivr push carries the IVR's id,
// name and key from the shipped [coocenter-ivr] Gosub.
func TestGoldenShippedInboundCall(t *testing.T) {
	testbed.Each(t, testbed.Options{}, func(t *testing.T, b *testbed.Bed) {
		caller, err := b.ShippedInboundCall("0501234567", "630")
		if err != nil {
			t.Fatal(err)
		}
		waitBridged(b, caller)
		if err := b.Stage().Hangup(caller, 16); err != nil {
			t.Fatal(err)
		}
		var ivr []push
		for _, m := range golden(t, b) {
			if m["event"] == "ivr" {
				ivr = append(ivr, m)
			}
		}
		if len(ivr) != 1 || ivr[0]["ivrId"] != "610" || ivr[0]["ivrName"] != "welcome" || ivr[0]["ivrDtmf"] != "1" || ivr[0]["queueCode"] != "630" ||
			ivr[0]["caller"] != "0501234567" {
			t.Errorf("ivr pushes: %v", ivr)
		}
	})
}

func TestGoldenClickToCall(t *testing.T) {
	testbed.Each(t, testbed.Options{Registered: []string{"801", "802"}}, func(t *testing.T, b *testbed.Bed) {
		sim := b.Stage()
		if _, err := b.Model.ClickToCall(testbed.Ctx(t), "801", "802", ""); err != nil {
			t.Fatal(err)
		}
		b.Eventually("801 ringing", func() bool { return len(b.PhoneChannels("801")) == 1 })
		if err := sim.Answer(b.PhoneChannels("801")[0].Name); err != nil {
			t.Fatal(err)
		}
		b.Eventually("802 ringing", func() bool { return len(b.PhoneChannels("802")) == 1 })
		if err := sim.Answer(b.PhoneChannels("802")[0].Name); err != nil {
			t.Fatal(err)
		}
		b.Eventually("802 answered", func() bool { return b.PhoneChannels("802")[0].State == 6 })
		if err := sim.Hangup(b.PhoneChannels("802")[0].Name, 16); err != nil {
			t.Fatal(err)
		}
		golden(t, b)
	})
}

// golden collects the pushes of the model's events until every channel is
// gone and, the model having gone quiet, compares their shape with the
// pushes of the test's recording on a real Asterisk (recordedGolden); it
// returns them.
func golden(t *testing.T, b *testbed.Bed) []push {
	t.Helper()
	if b.IsReplay() {
		return exactGolden(t, b)
	}
	got := livePushes(t, b)
	path, want := recordedGolden(t, b)
	var pushes []push // the recording's, less the cc_cdr, which only the pusher adds
	for _, m := range want {
		if m["event"] != "cc_cdr" {
			pushes = append(pushes, m)
		}
	}
	sameShape(t, b, path, got, pushes)
	return got
}

// livePushes collects the pushes of the model's events until every
// channel is gone and the model has gone quiet.
func livePushes(t *testing.T, b *testbed.Bed) []push {
	t.Helper()
	tr := pusher.Translator{MAC: testMAC, Location: time.UTC, LegacyDialBegin: true}
	var got []push
	quietSince := time.Now()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case e := <-b.Events:
			quietSince = time.Now()
			if ev, ok := tr.Translate(e); ok {
				got = append(got, decode(t, ev))
			}
			continue
		case <-time.After(10 * time.Millisecond):
		}
		if len(b.Model.Channels()) == 0 && time.Since(quietSince) > 300*time.Millisecond {
			break
		}
	}
	return got
}

// exactGolden collects every push of a replay, a cc_cdr where the queue
// call ends (pauseTime 0: the pause is the pause timer's), and compares
// them exactly with the golden file, which -update writes. It returns them.
func exactGolden(t *testing.T, b *testbed.Bed) []push {
	t.Helper()
	tr := pusher.Translator{MAC: testMAC, Location: time.UTC, LegacyDialBegin: true, Now: b.Clock().Now}
	var got []push
	b.UntilEnd(func(e pbx.Event) {
		if q, ok := e.(pbx.QueueCallEnded); ok {
			got = append(got, decode(t, tr.QueueCall(q.Call, 0)))
		} else if ev, ok := tr.Translate(e); ok {
			got = append(got, decode(t, ev))
		}
	})
	path, out, want := goldenFile(t, goldenName(b), got)
	if !bytes.Equal(out, want) {
		t.Errorf("pushes differ from %s (run with -update after checking):\n%s", path, out)
	}
	return got
}

// goldenName is the golden file of the test on b's Asterisk: Asterisk 22
// when its phones are PJSIP, else Asterisk 20, which pbxsim stands for.
func goldenName(b *testbed.Bed) string {
	label := "asterisk20"
	if strings.HasPrefix(b.Device("801"), "PJSIP/") {
		label = "asterisk22"
	}
	test, _, _ := strings.Cut(b.T.Name(), "/") // TestGoldenX/live, TestGoldenX/asterisk22: the recording of TestGoldenX
	return label + "/" + test
}

// recordedGolden returns the golden pushes of the test on the bed's
// Asterisk (goldenName).
func recordedGolden(t *testing.T, b *testbed.Bed) (string, []push) {
	t.Helper()
	path := filepath.Join("testdata", "golden", goldenName(b)+".json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (record the test: test/asterisk/record)", err)
	}
	var want []push
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return path, want
}

// goldenFile encodes v as the golden files hold it and reads the golden
// file name; with -update it writes v there instead, so what it returns as
// the file's content is v's.
func goldenFile(t *testing.T, name string, v any) (path string, got, want []byte) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path, buf.Bytes(), buf.Bytes()
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	return path, buf.Bytes(), want
}

// push is a push body read back: its values are strings, save the
// numbers the original sends as numbers (float64 here).
type push = map[string]any

// numberKeys are the keys whose values the original sends as JSON numbers
// (api.md §4); every other value is a string.
var numberKeys = map[string]map[string]bool{"cc_cdr": {"holdTime": true, "pauseTime": true}, "wrapupend": {"pauseTime": true}}

// decode reads a push body back and checks it is one flat JSON object of
// strings, but numberKeys as numbers, carrying mac and a well-formed
// timestamp.
func decode(t *testing.T, ev pusher.Event) push {
	t.Helper()
	var m push
	if err := json.Unmarshal(ev.Body, &m); err != nil {
		t.Fatalf("%s: %v: %s", ev.Name, err, ev.Body)
	}
	for k, v := range m {
		_, isString := v.(string)
		_, isNumber := v.(float64)
		if numberKeys[ev.Name][k] && !isNumber || !numberKeys[ev.Name][k] && !isString {
			t.Fatalf("%s: %s is %T, want the original's type: %s", ev.Name, k, v, ev.Body)
		}
	}
	if m["event"] != ev.Name || m["mac"] != testMAC {
		t.Fatalf("%s: event or mac wrong: %s", ev.Name, ev.Body)
	}
	if !regexp.MustCompile(`^\d{10}\.\d{6}$`).MatchString(str(m, "timestamp")) {
		t.Fatalf("%s: timestamp %q is not unix seconds with microseconds", ev.Name, m["timestamp"])
	}
	if len(ev.Keys) == 0 {
		t.Fatalf("%s: no ordering key", ev.Name)
	}
	m["(keys)"] = strings.Join(ev.Keys, " ")
	return m
}

// str is a push's string value of k, "" when it has none.
func str(m push, k string) string {
	s, _ := m[k].(string)
	return s
}

var channelCounter = regexp.MustCompile(`-[0-9a-f]{8}(;[12])?$`)

// sameShape compares a live run's pushes with a recording's where a PBX
// is not deterministic: which of two Local members that answer at once
// wins, and the interleaving of different channels' events, vary from run
// to run. What must match: the same kinds of event, each with exactly the
// golden's keys, and every channel's own events in the golden's order. A
// phone's SIP channel is compared as the bed's device of that phone
// (PJSIP on an Asterisk without chan_sip).
func sameShape(t *testing.T, b *testbed.Bed, path string, got, want []push) {
	t.Helper()
	shape := func(events []push) (map[string]string, map[string][]string) {
		keys, order := map[string]string{}, map[string][]string{}
		for _, m := range events {
			keys[str(m, "event")] = strings.Join(slices.Sorted(maps.Keys(m)), ",")
			ch := channelCounter.ReplaceAllString(str(m, "channel"), "$1")
			if ext, ok := strings.CutPrefix(ch, "SIP/"); ok {
				ch = b.Device(ext)
			}
			// Fake-phone legs are the race: they answer at once, and their
			// dials' ends come or not as app_queue finds them already up
			// (no DialEnd ANSWER then, seen on 22 both ways).
			fake := strings.HasPrefix(ch, "Local/80") || strings.HasPrefix(str(m, "destchannel"), "Local/80")
			if ch != "" && !fake {
				order[ch] = append(order[ch], str(m, "event"))
			}
		}
		return keys, order
	}
	gotKeys, gotOrder := shape(got)
	wantKeys, wantOrder := shape(want)
	if !maps.Equal(gotKeys, wantKeys) {
		t.Errorf("the pushes have other events or keys than %s:\ngot  %v\nwant %v", path, gotKeys, wantKeys)
	}
	if !maps.EqualFunc(gotOrder, wantOrder, slices.Equal) {
		t.Errorf("the pushes per channel differ from %s:\ngot  %v\nwant %v", path, gotOrder, wantOrder)
	}
}

// recordingName blanks what varies in a recording's name: pbxsim names
// them like the lab's dialplan, with date, time and uniqueid.
func recordingName(file string) string {
	file = regexp.MustCompile(`\d{8}-\d{6}`).ReplaceAllString(file, "<date>")
	return regexp.MustCompile(`\d{9,}\.\d+`).ReplaceAllString(file, "<id>")
}

// normalise replaces what changes from run to run in the string values;
// numbers are kept.
func normalise(events []push) {
	ids := map[string]string{}
	id := func(v string) string {
		if _, ok := ids[v]; !ok {
			ids[v] = fmt.Sprintf("<id%d>", len(ids)+1)
		}
		return ids[v]
	}
	for _, m := range events {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v, ok := m[k].(string)
			switch {
			case !ok:
			case timeKeys[k] && v != "":
				m[k] = "<time>"
			case secondsKeys[k]:
				m[k] = "<secs>"
			case idPattern.MatchString(v):
				m[k] = id(v)
			case k == "recordfile" || k == "filePath":
				m[k] = recordingName(v)
			case k == "(keys)":
				m[k] = regexp.MustCompile(`\d{9,}\.\d+`).ReplaceAllStringFunc(v, id)
			}
		}
	}
}

func TestTranslateKeysInContractOrder(t *testing.T) {
	tr := pusher.Translator{MAC: testMAC, Location: time.UTC}
	at := time.Unix(1534993059, 785012000)
	caller := pbx.Channel{Name: "DAHDI/i1/18782985586-51", Uniqueid: "1534993030.626", Linkedid: "1534993030.626", CallerIDNum: "18782985586"}
	dest := pbx.Channel{Name: "SIP/886-00000065", Uniqueid: "1534993059.630", Linkedid: "1534993030.626", CallerIDNum: "886"}
	for _, tc := range []struct {
		e    pbx.Event
		want string
	}{
		{pbx.DialBegin{At: at, Caller: caller, Dest: dest, DialString: "886"},
			`{"event":"dialbegin","timestamp":"1534993059.785012","channel":"DAHDI/i1/18782985586-51","calleridnum":"18782985586","destchannel":"SIP/886-00000065","destcalleridnum":"886","destuniqueid":"1534993059.630","dialstring":"SIP/886","uniqueid":"1534993030.626","mac":"68:69:2e:05:0f:9a"}`},
		{pbx.DialEnd{At: at, Caller: caller, Dest: dest, DialStatus: "ANSWER"},
			`{"event":"dialend","timestamp":"1534993059.785012","channel":"DAHDI/i1/18782985586-51","calleridnum":"18782985586","destchannel":"SIP/886-00000065","destcalleridnum":"886","uniqueid":"1534993030.626","dialstatus":"ANSWER","destuniqueid":"1534993059.630","mac":"68:69:2e:05:0f:9a"}`},
		{pbx.ChannelHangup{At: at, Channel: pbx.Channel{Name: "SIP/808-0000000c", Uniqueid: "1325747409.260", Linkedid: "1325747409.259", CallerIDNum: "808", CallerIDName: `Li "Lei"`, ConnectedLineNum: "809", ConnectedLineName: "809"}, Cause: 16, CauseText: "Normal Clearing"},
			`{"event":"hangup","calleridnum":"808","calleridname":"Li \"Lei\"","connectedlinenum":"809","connectedlinename":"809","uniqueid":"1325747409.260","channel":"SIP/808-0000000c","cause":"16","causetxt":"Normal Clearing","linkedid":"1325747409.259","timestamp":"1534993059.785012","mac":"68:69:2e:05:0f:9a"}`},
		{pbx.HintChanged{At: at, Hint: pbx.Hint{Exten: "808", Context: "internal", Status: 0, StatusText: "Idle"}},
			`{"event":"extensionstatus","exten":"808","status":"0","statustext":"Idle","context":"internal","timestamp":"1534993059.785012","mac":"68:69:2e:05:0f:9a"}`},
		{pbx.CDR{At: at, CallerID: `"808" <808>`, Source: "808", Destination: "809", StartTime: "2012-01-05 15:10:09", AnswerTime: "2012-01-05 15:10:10", EndTime: "2012-01-05 15:10:11", Disposition: "ANSWERED", Duration: 2, BillableSeconds: 1, UniqueID: "1325747409.260", Linkedid: "1325747409.260", RecordFile: "x.wav"},
			`{"event":"cdr","callerid":"\"808\" <808>","source":"808","destination":"809","starttime":"2012-01-05 15:10:09","answertime":"2012-01-05 15:10:10","endtime":"2012-01-05 15:10:11","disposition":"ANSWERED","duration":"2","billableseconds":"1","calltype":"","recordfile":"x.wav","uniqueid":"1325747409.260","linkedid":"1325747409.260","timestamp":"1534993059.785012","mac":"68:69:2e:05:0f:9a"}`},
		{pbx.UserEvent{At: at, Name: "CoocenterIVR", Direction: pbx.Inbound, Channel: pbx.Channel{Uniqueid: "1541643689.15", Linkedid: "1541643689.15", CallerIDNum: "810"},
			Fields: map[string]string{"ivrId": "610", "ivrName": "workingtime", "ivrDtmf": "0", "queueCode": "630", "startTime": "1534993056", "trunkNumber": "123456"}},
			`{"event":"ivr","uuid":"1541643689.15","caller":"810","called":"","callType":"IN","queueCode":"630","startTime":"2018-08-23 02:57:36","endTime":"2018-08-23 02:57:39","duration":"3","ivrId":"610","ivrName":"workingtime","ivrDtmf":"0","trunkNumber":"123456","mac":"68:69:2e:05:0f:9a","timestamp":"1534993059.785012"}`},
	} {
		ev, ok := tr.Translate(tc.e)
		if !ok || string(ev.Body) != tc.want {
			t.Errorf("%T:\n got %s\nwant %s", tc.e, ev.Body, tc.want)
		}
	}
	if ev, _ := tr.Translate(pbx.ChannelHangup{At: at, Cause: 21, CauseText: "Call Rejected", Blacklisted: true}); !bytes.Contains(ev.Body, []byte(`"cause":"21","causetxt":"blacklisted"`)) {
		t.Errorf("blacklisted hangup: %s", ev.Body)
	}
	// An Originate's first leg has no dialling channel: the originated
	// channel and the caller ID it was given (click-number: the agent) stand in.
	agent := pbx.Channel{Name: "SIP/808-00000001", Uniqueid: "1796223761.0001", Linkedid: "1796223761.0001", CallerIDNum: "808"}
	for _, e := range []pbx.Event{pbx.DialBegin{At: at, Dest: agent, DialString: "808"}, pbx.DialEnd{At: at, Dest: agent, DialStatus: "ANSWER"}} {
		ev, _ := tr.Translate(e)
		if !bytes.Contains(ev.Body, []byte(`"channel":"SIP/808-00000001","calleridnum":"808","destchannel":"SIP/808-00000001","destcalleridnum":"808"`)) ||
			!bytes.Contains(ev.Body, []byte(`"uniqueid":"1796223761.0001"`)) {
			t.Errorf("originated leg's %s: %s", ev.Name, ev.Body)
		}
	}
	legacy := pusher.Translator{LegacyDialBegin: true}
	if ev, _ := legacy.Translate(pbx.DialBegin{At: at}); ev.Name != "dialbegein" || !bytes.Contains(ev.Body, []byte(`"event":"dialbegein"`)) {
		t.Errorf("legacy name: %s", ev.Body)
	}
	if _, ok := tr.Translate(pbx.UserEvent{Name: "Blacklisted"}); ok {
		t.Error("a UserEvent other than the IVR ones was pushed")
	}
}

func TestCallType(t *testing.T) {
	tr := pusher.Translator{}
	for _, tc := range []struct {
		dir   pbx.Direction
		extra map[string]string
		want  string
	}{
		{pbx.Internal, nil, ""},
		{pbx.Inbound, nil, "inbound"},
		{pbx.Outbound, nil, "outbound"},
		{pbx.Internal, map[string]string{"CallType": "outbound"}, "outbound"},
		{pbx.Outbound, map[string]string{"calltype": "Internal"}, ""},
		{pbx.Inbound, map[string]string{"CallType": "bogus"}, "inbound"},
	} {
		ev, _ := tr.Translate(pbx.CDR{Direction: tc.dir, Extra: tc.extra, UniqueID: "1.1"})
		var m map[string]string
		if err := json.Unmarshal(ev.Body, &m); err != nil || m["calltype"] != tc.want {
			t.Errorf("%v %v: calltype %q, want %q", tc.dir, tc.extra, m["calltype"], tc.want)
		}
	}
}

func FuzzObjectIsJSON(f *testing.F) {
	f.Add("plain", "\"quoted\" \\ \n\t\x01 \u2028 \xff")
	f.Fuzz(func(t *testing.T, a, b string) {
		ev, _ := (&pusher.Translator{MAC: a}).Translate(pbx.HintChanged{Hint: pbx.Hint{Exten: b, StatusText: a + b}})
		var m map[string]string
		if err := json.Unmarshal(ev.Body, &m); err != nil {
			t.Fatalf("%v: %q", err, ev.Body)
		}
		if !strings.ContainsRune(a, 0xfffd) && !strings.ContainsRune(b, 0xfffd) && isValid(a) && isValid(b) && (m["mac"] != a || m["exten"] != b) {
			t.Fatalf("round trip: %q %q → %q", a, b, ev.Body)
		}
	})
}

func isValid(s string) bool { return strings.ToValidUTF8(s, "") == s }

// TestShippedIVRSnippet checks that every field the shipped dialplan puts
// into its CoocenterIVR UserEvent lands in the ivr push under its own name.
func TestShippedIVRSnippet(t *testing.T) {
	conf, err := os.ReadFile("../../asterisk/extensions_coocenter.conf")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ same => n,UserEvent\(CoocenterIVR,(.*)\)$`).FindSubmatch(conf)
	if m == nil {
		t.Fatal("no UserEvent(CoocenterIVR,...) in [coocenter-ivr]")
	}
	fields := map[string]string{}
	for item := range strings.SplitSeq(string(m[1]), ",") {
		k, _, ok := strings.Cut(item, ":")
		if !ok {
			t.Fatalf("item %q has no key", item)
		}
		fields[k] = "v-" + k
	}
	fields["startTime"] = "1534993050"
	at := time.Unix(1534993059, 0)
	ev, _ := (&pusher.Translator{Location: time.UTC}).Translate(pbx.UserEvent{At: at, Name: "CoocenterIVR", Fields: fields,
		Channel: pbx.Channel{Uniqueid: "1534993000.1", Linkedid: "1534993000.1", CallerIDNum: "0501234567"}, Direction: pbx.Inbound})
	var got map[string]string
	if err := json.Unmarshal(ev.Body, &got); err != nil {
		t.Fatal(err)
	}
	for k, v := range fields {
		if k == "startTime" {
			if got[k] != "2018-08-23 02:57:30" || got["duration"] != "9" {
				t.Errorf("startTime %q, duration %q", got[k], got["duration"])
			}
			continue
		}
		if got[k] != v {
			t.Errorf("field %s: push has %q, want %q", k, got[k], v)
		}
	}
	if len(fields) != 7 || got["uuid"] != "1534993000.1" || got["caller"] != "0501234567" || got["callType"] != "IN" {
		t.Errorf("fields %v, push %s", fields, ev.Body)
	}
}
