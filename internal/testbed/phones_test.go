package testbed

import (
	"testing"

	"github.com/coocenter/coocenterd/internal/testbed/sipphone"
)

// TestPhoneOf: a key press reaches the phone behind a device channel, and
// only that; any other channel is an error naming it.
func TestPhoneOf(t *testing.T) {
	p804, p904 := &sipphone.Phone{}, &sipphone.Phone{}
	b := &Bed{phones: map[string]*sipphone.Phone{"804": p804, "904": p904}}
	for channel, want := range map[string]*sipphone.Phone{
		"SIP/804-0000001a":              p804,
		"PJSIP/904-00000003":            p904,
		"SIP/804":                       p804,
		"SIP/8040-0000001b":             nil,
		"SIP/805-0000001c":              nil,
		"Local/804@fake-phone-0000;1":   nil,
		"Local/in-0501@from-trunk-00;2": nil,
		"804":                           nil,
		"":                              nil,
	} {
		got, err := b.phoneOf(channel)
		if got != want || (err == nil) != (want != nil) {
			t.Errorf("phoneOf(%q) = %p, %v; want %p", channel, got, err, want)
		}
	}
	if _, err := b.phone("805"); err == nil {
		t.Error("phone(805) of a bed without 805: no error")
	}
	if p, err := b.phone("904"); p != p904 || err != nil {
		t.Errorf("phone(904) = %p, %v", p, err)
	}
}

func TestInboundExten(t *testing.T) {
	for _, tt := range []struct{ route, number, queue, want string }{
		{"in", "0501234567", "", "in-0501234567"},
		{"in", "0501234567", "630", "in-0501234567"},
		{"in", "0501234567", "631", "inq-631-0501234567"},
		{"cin", "0501234567", "632", "cinq-632-0501234567"},
	} {
		if got, err := inboundExten(tt.route, tt.number, tt.queue); got != tt.want || err != nil {
			t.Errorf("inboundExten(%q, %q, %q) = %q, %v; want %q", tt.route, tt.number, tt.queue, got, err, tt.want)
		}
	}
	if _, err := inboundExten("in", "0501234567", "633"); err == nil {
		t.Error("inboundExten into queue 633: no error")
	}
}

// TestPhoneAddrs: a phone registers with chan_sip or chan_pjsip by its
// device's technology, from a local address of its own number.
func TestPhoneAddrs(t *testing.T) {
	for _, tt := range []struct{ device, pbx, local string }{
		{"SIP/804", "127.0.0.1:5060", "127.0.0.1:5074"},
		{"PJSIP/804", "127.0.0.1:5160", "127.0.0.1:5074"},
		{"PJSIP/904", "127.0.0.1:5160", "127.0.0.1:5174"},
	} {
		if pbx, local, err := phoneAddrs(tt.device); pbx != tt.pbx || local != tt.local || err != nil {
			t.Errorf("phoneAddrs(%q) = %q, %q, %v; want %q, %q", tt.device, pbx, local, err, tt.pbx, tt.local)
		}
	}
	for _, device := range []string{"SIP/810", "PJSIP/899", "IAX2/804", "804", ""} {
		if _, _, err := phoneAddrs(device); err == nil {
			t.Errorf("phoneAddrs(%q): no error", device)
		}
	}
}
