package board

import (
	"testing"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// ringing is 804 rung by a caller from the trunk; edit shapes the moment.
func ringing(edit func(caller, leg *pbx.Channel)) *pbx.Snapshot {
	caller := &pbx.Channel{Name: "PJSIP/trunk-00000001", Uniqueid: "1.0", Linkedid: "1.0", State: 6, CallerIDNum: "0555123", Created: at}
	leg := &pbx.Channel{Name: "PJSIP/804-00000002", Uniqueid: "1.1", Linkedid: "1.0", State: 5, ConnectedLineNum: "0555123", Created: at}
	edit(caller, leg)
	return &pbx.Snapshot{Connected: true, Channels: []*pbx.Channel{caller, leg},
		Peers: []pbx.Peer{{Name: "804", Tech: pbx.PJSIP, Addr: "127.0.0.1"}},
		Hints: []pbx.Hint{{Exten: "804", Device: "PJSIP/804", Status: 1}}} // PJSIP's hint may say in use while it rings
}

func TestAgentRowsOfARingingCall(t *testing.T) {
	view := View{Location: shanghai, PopURL: "https://crm.example/pop?c={caller}&q={queue}"}
	for _, tc := range []struct {
		name string
		edit func(caller, leg *pbx.Channel)
		pop  string
	}{
		{"a direct call", func(_, _ *pbx.Channel) {}, "https://crm.example/pop?c=0555123&q="},
		{"the caller's number not yet known", func(_, leg *pbx.Channel) { leg.ConnectedLineNum = "" }, ""},
		{"a queue call before the leg knows its queue", func(caller, _ *pbx.Channel) { caller.Queue = "632" }, ""},
		{"a queue call", func(caller, leg *pbx.Channel) { caller.Queue, leg.Queue = "632", "632" }, "https://crm.example/pop?c=0555123&q=632"},
		{"an answered call pops too (a pop missed while ringing)", func(caller, leg *pbx.Channel) {
			leg.State, leg.BridgeID, caller.BridgeID = 6, "b", "b"
		}, "https://crm.example/pop?c=0555123&q="},
	} {
		rows := view.Agents(ringing(tc.edit), nil)
		if len(rows) != 1 || rows[0].Call == nil {
			t.Fatalf("%s: %+v", tc.name, rows)
		}
		r := rows[0]
		if r.Call.PopURL != tc.pop {
			t.Errorf("%s: popUrl %q, want %q", tc.name, r.Call.PopURL, tc.pop)
		}
		want := "ringing"
		if tc.name == "an answered call pops too (a pop missed while ringing)" {
			want = "inuse"
		}
		if r.Device != want {
			t.Errorf("%s: device %q, want %q", tc.name, r.Device, want)
		}
	}
	// A colleague's phone calls: internal, no pop, while it rings too.
	snap := ringing(func(caller, _ *pbx.Channel) { caller.Name = "PJSIP/805-00000001" })
	snap.Hints = append(snap.Hints, pbx.Hint{Exten: "805", Device: "PJSIP/805"})
	rows := view.Agents(snap, nil)
	snapPeers := rows[0]
	if snapPeers.Call.Direction != "internal" || snapPeers.Call.PopURL != "" {
		t.Errorf("a phone of the box calls: %+v", snapPeers.Call)
	}
}
