package pusher_test

import (
	"slices"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/pusher"
)

// TestAgentVerbPushes: hold, unhold, mute, unmute and transfer, each as
// the whole body api.md §4.7.8 to §4.7.10 writes, with the call's userData
// and without, and ordered with the pushes of their call.
func TestAgentVerbPushes(t *testing.T) {
	tr := pusher.Translator{MAC: testMAC, Location: time.UTC}
	at := time.Unix(1795234010, 412118000)
	agent := pbx.Channel{Name: "SIP/801-00000008", Uniqueid: "1795233969.38", Linkedid: "1795233962.36", CallerIDNum: "801"}
	caller := pbx.Channel{Name: "SIP/trunk-00000007", Uniqueid: "1795233962.36", Linkedid: "1795233962.36", CallerIDNum: "0501234567"}
	marked := func(c pbx.Channel) pbx.Channel { c.UserData = "order=A-1042"; return c }
	const tail = `"timestamp":"1795234010.412118","mac":"68:69:2e:05:0f:9a"}`
	const markedTail = `"timestamp":"1795234010.412118","userData":"order=A-1042","mac":"68:69:2e:05:0f:9a"}`
	const legKeys = `"exten":"801","uniqueid":"1795233969.38","linkedid":"1795233962.36",`
	for _, tc := range []struct {
		name string
		e    pbx.Event
		want string
	}{
		{"hold", pbx.HoldChanged{At: at, Exten: "801", Channel: agent, Held: true},
			`{"event":"hold",` + legKeys + tail},
		{"unhold", pbx.HoldChanged{At: at, Exten: "801", Channel: agent},
			`{"event":"unhold",` + legKeys + tail},
		{"hold", pbx.HoldChanged{At: at, Exten: "801", Channel: marked(agent), Held: true},
			`{"event":"hold",` + legKeys + markedTail},
		{"mute", pbx.MuteChanged{At: at, Exten: "801", Channel: agent, Muted: true},
			`{"event":"mute",` + legKeys + tail},
		{"unmute", pbx.MuteChanged{At: at, Exten: "801", Channel: marked(agent)},
			`{"event":"unmute",` + legKeys + markedTail},
		{"transfer", pbx.Transferred{At: at, Kind: "blind", From: "801", To: "802", Transferer: agent, Transferee: caller},
			`{"event":"transfer","from":"801","to":"802","uniqueid":"1795233962.36","linkedid":"1795233962.36",` +
				`"timestamp":"1795234010.412118","kind":"blind","mac":"68:69:2e:05:0f:9a"}`},
		{"transfer", pbx.Transferred{At: at, Kind: "attended", From: "801", To: "802", Transferer: agent, Transferee: marked(caller)},
			`{"event":"transfer","from":"801","to":"802","uniqueid":"1795233962.36","linkedid":"1795233962.36",` +
				`"timestamp":"1795234010.412118","kind":"attended","userData":"order=A-1042","mac":"68:69:2e:05:0f:9a"}`},
		// A consult's leg is a call of its own: the push goes with the
		// transferred party's call, not with the consult.
		{"transfer", pbx.Transferred{At: at, Kind: "attended", From: "801", To: "802", Transferee: caller,
			Transferer: pbx.Channel{Name: "SIP/801-00000009", Uniqueid: "1795234001.40", Linkedid: "1795234001.40"}},
			`{"event":"transfer","from":"801","to":"802","uniqueid":"1795233962.36","linkedid":"1795233962.36",` +
				`"timestamp":"1795234010.412118","kind":"attended","mac":"68:69:2e:05:0f:9a"}`},
		// The transferred party not marked (yet): the agent's leg has the call's data.
		{"transfer", pbx.Transferred{At: at, Kind: "attended", From: "801", To: "802", Transferer: marked(agent), Transferee: caller},
			`{"event":"transfer","from":"801","to":"802","uniqueid":"1795233962.36","linkedid":"1795233962.36",` +
				`"timestamp":"1795234010.412118","kind":"attended","userData":"order=A-1042","mac":"68:69:2e:05:0f:9a"}`},
	} {
		ev, ok := tr.Translate(tc.e)
		if !ok || ev.Name != tc.name || string(ev.Body) != tc.want || !ev.At.Equal(at) {
			t.Errorf("%s (%v):\n got %s %s\nwant %s", tc.name, ok, ev.Name, ev.Body, tc.want)
		}
		if want := []string{"call:1795233962.36"}; !slices.Equal(ev.Keys, want) {
			t.Errorf("%s: ordering keys %v, want %v: with the pushes of its call", tc.name, ev.Keys, want)
		}
	}
}
