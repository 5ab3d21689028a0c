package pbx

import (
	"testing"

	"github.com/coocenter/coocenterd/internal/ami"
)

func event(t *testing.T, kv ...string) ami.Message {
	t.Helper()
	var hs []ami.Header
	for i := 0; i+1 < len(kv); i += 2 {
		hs = append(hs, ami.Header{Key: kv[i], Value: kv[i+1]})
	}
	m, err := ami.NewMessage(hs...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A phone's own attended transfer (REFER) joins its consultation, a call
// of its own, to the customer's: the model writes the call's userData
// into the legs that lack it, so what they dial later inherits it; a leg
// that has it of its own is left alone.
func TestAttendedTransferCarriesUserData(t *testing.T) {
	p := bareModel()
	p.chores = make(chan ami.Action, 8)
	for _, c := range [][2]string{{"PJSIP/trunk-00000001", "1.1"}, {"PJSIP/802-00000002", "1.2"}, {"PJSIP/802-00000003", "2.3"}, {"PJSIP/803-00000004", "2.4"}} {
		linked := "1.1"
		if c[1][0] == '2' {
			linked = "2.3"
		}
		p.apply(event(t, "Event", "Newchannel", "Channel", c[0], "Uniqueid", c[1], "Linkedid", linked))
	}
	ud := encodeUserData("ticket 7")
	p.apply(event(t, "Event", "VarSet", "Channel", "PJSIP/trunk-00000001", "Uniqueid", "1.1", "Linkedid", "1.1", "Variable", "__COOCENTER_USERDATA", "Value", ud))
	p.apply(event(t, "Event", "VarSet", "Channel", "PJSIP/803-00000004", "Uniqueid", "2.4", "Linkedid", "2.3", "Variable", "__COOCENTER_USERDATA", "Value", ud))
	var got []Event
	p.subs = []func(Event){func(e Event) { got = append(got, e) }}
	p.apply(event(t, "Event", "AttendedTransfer", "Result", "Success", "DestType", "Bridge",
		"OrigTransfererChannel", "PJSIP/802-00000002", "OrigTransfererUniqueid", "1.2",
		"SecondTransfererChannel", "PJSIP/802-00000003", "SecondTransfererUniqueid", "2.3",
		"TransfereeChannel", "PJSIP/trunk-00000001", "TransfereeUniqueid", "1.1", "TransfereeLinkedid", "1.1",
		"TransferTargetChannel", "PJSIP/803-00000004", "TransferTargetUniqueid", "2.4", "TransferTargetCallerIDNum", "803"))
	if len(got) != 1 {
		t.Fatalf("events: %+v", got)
	}
	if e, ok := got[0].(Transferred); !ok || e.Kind != "attended" || e.From != "802" || e.To != "803" || e.Transferee.UserData != "ticket 7" {
		t.Errorf("transfer: %+v", got[0])
	}
	select {
	case a := <-p.chores:
		if a.Name != "Setvar" || len(a.Headers) != 3 || a.Headers[0].Value != "2.3" || a.Headers[1].Value != "__COOCENTER_USERDATA" || a.Headers[2].Value != ud {
			t.Errorf("chore: %+v", a)
		}
	default:
		t.Fatal("no Setvar for the consultation's leg without userData")
	}
	select {
	case a := <-p.chores:
		t.Errorf("a second chore (803 has the userData already): %+v", a)
	default:
	}
}
