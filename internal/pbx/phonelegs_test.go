package pbx

import (
	"fmt"
	"slices"
	"testing"
)

// TestExtensionCallEnded replays real Asterisk 20 sessions: a phone's
// channel ends with an ExtensionCallEnded when it picked up a call someone
// placed (answered) or placed a call that was answered; an Originate's
// first leg, a spy's leg and a phone that only rang have none.
func TestExtensionCallEnded(t *testing.T) {
	for _, tc := range []struct {
		transcript string
		want       []string // exten answered/placed queue, call: "caller" = the dialling channel's, "own"
	}{
		{"ami-14-internal-call-801-802.txt", []string{"802 answered  call=caller", "801 placed  call=own"}},
		{"ami-11-click-to-call-hangup.txt", []string{"802 answered  call=caller", "801 placed  call=own"}},
		{"ami-06-inbound-queue-632-sip-phone-804.txt", []string{"804 answered 632 call=caller"}},
		// 802, rung after the transfer, never answered (CANCEL).
		{"ami-19-queue-632-transfer-804-to-802.txt", []string{"804 answered 632 call=caller"}},
		// 802, transferred away, had answered; 803 never did.
		{"ami-20-transfer-by-ami-802-to-803.txt", []string{"802 answered  call=caller", "801 placed  call=own"}},
		// Click-to-call 801 → 802, then 805 spies: the spy leg dials nobody.
		{"ami-12-chanspy.txt", []string{"801 placed  call=own", "802 answered  call=caller"}},
		{"ami-16-queue-632-abandoned-804-ringing.txt", nil},
	} {
		t.Run(tc.transcript, func(t *testing.T) {
			p := bareModel()
			dialledBy := map[string]string{} // phone leg → the channel that dialled it
			var got []string
			p.subs = []func(Event){func(e Event) {
				switch e := e.(type) {
				case DialBegin:
					dialledBy[e.Dest.Uniqueid] = e.Caller.Uniqueid
				case ExtensionCallEnded:
					how := "answered"
					if e.Placed {
						how = "placed"
					}
					if e.Answered && e.Placed {
						how = "answered+placed"
					}
					call := "?"
					switch e.CallUniqueid {
					case e.Channel.Uniqueid:
						call = "own"
					case dialledBy[e.Channel.Uniqueid]:
						call = "caller"
					}
					if e.Interface != "SIP/"+e.Exten {
						t.Errorf("interface %q of %s", e.Interface, e.Exten)
					}
					got = append(got, fmt.Sprintf("%s %s %s call=%s", e.Exten, how, e.Queue, call))
				}
			}}
			replayInto(t, tc.transcript, p)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestExtensionCallEndedLocalMember: a queue member Local/805@agents/n
// rings the phone from a Local channel of the queue call (same Linkedid):
// the phone's call is still the queue's.
func TestExtensionCallEndedLocalMember(t *testing.T) {
	p := bareModel()
	var got []ExtensionCallEnded
	p.subs = []func(Event){func(e Event) {
		if e, ok := e.(ExtensionCallEnded); ok {
			got = append(got, e)
		}
	}}
	const call = "1796223761.10"
	ch := func(prefix, name, uid string) []string {
		return []string{prefix + "Channel", name, prefix + "Uniqueid", uid, prefix + "Linkedid", call}
	}
	caller := ch("", "PJSIP/trunk-00000001", call)
	local2 := ch("", "Local/805@agents-00000002;2", "1796223761.12")
	phone := ch("Dest", "SIP/805-00000003", "1796223761.13")
	for _, m := range [][]string{
		append([]string{"Event", "Newchannel"}, caller...),
		append([]string{"Event", "QueueCallerJoin", "Queue", "630"}, caller...),
		append([]string{"Event", "Newchannel"}, ch("", "SIP/805-00000003", "1796223761.13")...),
		append(append([]string{"Event", "DialBegin"}, local2...), phone...),
		append(append([]string{"Event", "DialEnd", "DialStatus", "ANSWER"}, local2...), phone...),
		append([]string{"Event", "Hangup"}, ch("", "SIP/805-00000003", "1796223761.13")...),
	} {
		p.apply(msg(m...))
	}
	if len(got) != 1 || got[0].Exten != "805" || got[0].Queue != "630" || !got[0].Answered || got[0].CallUniqueid != "1796223761.12" {
		t.Fatalf("got %+v", got)
	}
}

// TestCDRRecordFile: without a RecordFile mapping in cdr_manager.conf, a
// CDR names the file MixMonitor recorded its channel into (ami-11: the
// click-to-call's first leg ran MixMonitor, then hung up before its Cdr).
func TestCDRRecordFile(t *testing.T) {
	p := bareModel()
	var files []string
	for _, e := range replay(t, "ami-11-click-to-call-hangup.txt", p) {
		if c, ok := e.(CDR); ok {
			files = append(files, c.RecordFile)
		}
	}
	want := "/tmp/coocenter-asterisk/spool/monitor/20261121-183520-801-802-1795286119.coof83880dd16af.wav"
	if len(files) != 1 || files[0] != want {
		t.Fatalf("CDR recordings %q, want [%s]", files, want)
	}
}
