package ami_test

import (
	"errors"
	"testing"

	"github.com/coocenter/coocenterd/internal/ami"
)

func TestAppendMessageRefusesInjection(t *testing.T) {
	bad := []ami.Header{
		{"Channel", "SIP/801\r\nAction: Originate"},
		{"Channel", "SIP/801\nAction: Command"},
		{"Channel", "SIP/801\rX"},
		{"Exten", "801\x00"},
		{"", "x"},
		{"Bad Key", "x"},
		{"Key:", "x"},
		{"Key\r\nAction", "x"},
		{"Tab\tKey", "x"},
		{"Del\x7f", "x"},
	}
	for _, h := range bad {
		dst := []byte("keep")
		out, err := ami.AppendMessage(dst, []ami.Header{{"Action", "Hangup"}, h})
		if !errors.Is(err, ami.ErrInvalidHeader) {
			t.Errorf("%q: got %v, want ErrInvalidHeader", h, err)
		}
		if string(out) != "keep" {
			t.Errorf("%q: dst changed to %q", h, out)
		}
		var he *ami.HeaderError
		if !errors.As(err, &he) || he.Reason == "" {
			t.Errorf("%q: error %v is not a HeaderError with a reason", h, err)
		}
	}
}

func TestAppendMessageWire(t *testing.T) {
	out, err := ami.AppendMessage(nil, []ami.Header{{"Action", "Originate"}, {"Variable", "a=b:c"}, {"Variable", "d=e"}, {"Data", ""}})
	if err != nil {
		t.Fatal(err)
	}
	want := "Action: Originate\r\nVariable: a=b:c\r\nVariable: d=e\r\nData: \r\n\r\n"
	if string(out) != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}
