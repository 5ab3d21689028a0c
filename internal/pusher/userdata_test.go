package pusher_test

import (
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pausetimer"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/pusher"
)

// TestUserDataInCallPushes: every push of a call that has userData carries
// it, the last of our keys before mac (after all of them in ivr and
// cc_cdr); TestTranslateKeysInContractOrder and the golden files hold the
// same pushes without it, as the original wrote them.
func TestUserDataInCallPushes(t *testing.T) {
	tr := pusher.Translator{MAC: testMAC, Location: time.UTC}
	at := time.Unix(1534993059, 785012000)
	const data = `{"order":"A-1042"}`
	const wantData = `"userData":"{\"order\":\"A-1042\"}"`
	caller := pbx.Channel{Name: "DAHDI/i1/18782985586-51", Uniqueid: "1534993030.626", Linkedid: "1534993030.626", CallerIDNum: "18782985586", UserData: data}
	dest := pbx.Channel{Name: "SIP/886-00000065", Uniqueid: "1534993059.630", Linkedid: "1534993030.626", CallerIDNum: "886"}
	for _, tc := range []struct {
		e    pbx.Event
		want string
	}{
		{pbx.DialBegin{At: at, Caller: caller, Dest: dest, DialString: "886"},
			`{"event":"dialbegin","timestamp":"1534993059.785012","channel":"DAHDI/i1/18782985586-51","calleridnum":"18782985586","destchannel":"SIP/886-00000065","destcalleridnum":"886","destuniqueid":"1534993059.630","dialstring":"SIP/886","uniqueid":"1534993030.626",` + wantData + `,"mac":"68:69:2e:05:0f:9a"}`},
		{pbx.DialEnd{At: at, Caller: caller, Dest: dest, DialStatus: "ANSWER"},
			`{"event":"dialend","timestamp":"1534993059.785012","channel":"DAHDI/i1/18782985586-51","calleridnum":"18782985586","destchannel":"SIP/886-00000065","destcalleridnum":"886","uniqueid":"1534993030.626","dialstatus":"ANSWER","destuniqueid":"1534993059.630",` + wantData + `,"mac":"68:69:2e:05:0f:9a"}`},
		{pbx.ChannelHangup{At: at, Channel: pbx.Channel{Name: "SIP/808-0000000c", Uniqueid: "1325747409.260", Linkedid: "1325747409.259", CallerIDNum: "808", UserData: data}, Cause: 16, CauseText: "Normal Clearing", Reconstructed: true},
			`{"event":"hangup","calleridnum":"808","calleridname":"","connectedlinenum":"","connectedlinename":"","uniqueid":"1325747409.260","channel":"SIP/808-0000000c","cause":"16","causetxt":"Normal Clearing","linkedid":"1325747409.259","timestamp":"1534993059.785012",` + wantData + `,"mac":"68:69:2e:05:0f:9a","reconstructed":"yes"}`},
		{pbx.CDR{At: at, Source: "808", Destination: "809", Disposition: "ANSWERED", UniqueID: "1325747409.260", Linkedid: "1325747409.260", UserData: data},
			`{"event":"cdr","callerid":"","source":"808","destination":"809","starttime":"","answertime":"","endtime":"","disposition":"ANSWERED","duration":"0","billableseconds":"0","calltype":"","recordfile":"","uniqueid":"1325747409.260","linkedid":"1325747409.260","timestamp":"1534993059.785012",` + wantData + `,"mac":"68:69:2e:05:0f:9a"}`},
		{pbx.UserEvent{At: at, Name: "CoocenterIVR", Direction: pbx.Inbound, Channel: pbx.Channel{Uniqueid: "1541643689.15", Linkedid: "1541643689.15", CallerIDNum: "810", UserData: data},
			Fields: map[string]string{"ivrId": "610", "ivrName": "workingtime", "ivrDtmf": "0", "queueCode": "630", "startTime": "1534993056", "trunkNumber": "123456"}},
			`{"event":"ivr","uuid":"1541643689.15","caller":"810","called":"","callType":"IN","queueCode":"630","startTime":"2018-08-23 02:57:36","endTime":"2018-08-23 02:57:39","duration":"3","ivrId":"610","ivrName":"workingtime","ivrDtmf":"0","trunkNumber":"123456","mac":"68:69:2e:05:0f:9a","timestamp":"1534993059.785012",` + wantData + `}`},
	} {
		ev, ok := tr.Translate(tc.e)
		if !ok || string(ev.Body) != tc.want {
			t.Errorf("%T:\n got %s\nwant %s", tc.e, ev.Body, tc.want)
		}
	}

	start := time.Date(2026, 11, 21, 12, 6, 2, 0, time.UTC)
	cc := tr.QueueCall(pbx.QueueCall{Uniqueid: "1795233962.36", Linkedid: "1795233962.36", Queue: "630", Start: start, End: start.Add(time.Minute), UserData: data}, 0)
	if !strings.HasSuffix(string(cc.Body), `"timestamp":"1795262822.000000",`+wantData+`}`) {
		t.Errorf("cc_cdr: userData is not the last key: %s", cc.Body)
	}
	for _, kind := range []string{"start", "extend", "end"} {
		w, _ := tr.WrapUp(pausetimer.WrapUp{Kind: kind, Exten: "801", Uniqueid: "1795233962.36", Start: start, UserData: data})
		if !strings.Contains(string(w.Body), `,`+wantData+`,"mac":"68:69:2e:05:0f:9a"}`) {
			t.Errorf("wrapup%s: no userData before mac: %s", kind, w.Body)
		}
	}
}

// TestDialUserData: a dial push carries the calling channel's userData,
// else the rung channel's (an Originate's first leg has no caller), and
// none when neither has any.
func TestDialUserData(t *testing.T) {
	tr := pusher.Translator{MAC: testMAC}
	caller := pbx.Channel{Name: "SIP/801-00000001", Uniqueid: "1.1", Linkedid: "1.1"}
	dest := pbx.Channel{Name: "SIP/802-00000002", Uniqueid: "1.2", Linkedid: "1.1"}
	with := func(c pbx.Channel, d string) pbx.Channel { c.UserData = d; return c }
	for _, tc := range []struct {
		name         string
		caller, dest pbx.Channel
		want         string // the userData pushed; "" for none
	}{
		{"neither", caller, dest, ""},
		{"the caller's", with(caller, "a"), with(dest, "b"), "a"},
		{"else the dest's", caller, with(dest, "b"), "b"},
		{"originated leg", pbx.Channel{}, with(dest, "b"), "b"},
	} {
		for _, e := range []pbx.Event{pbx.DialBegin{Caller: tc.caller, Dest: tc.dest}, pbx.DialEnd{Caller: tc.caller, Dest: tc.dest, DialStatus: "ANSWER"}} {
			ev, _ := tr.Translate(e)
			got := field(t, ev, "userData")
			if has := strings.Contains(string(ev.Body), `"userData"`); got != tc.want || has != (tc.want != "") {
				t.Errorf("%s: %s has userData %q, want %q: %s", tc.name, ev.Name, got, tc.want, ev.Body)
			}
		}
	}
}
