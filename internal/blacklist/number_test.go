package blacklist

import (
	"errors"
	"strings"
	"testing"
)

func TestValidNumber(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string // "" = valid; else a fragment of the message
	}{
		{"0509999999", ""},
		{"+4930123456", ""},
		{"*72#", ""},
		{"400*", ""}, // prefix pattern
		{"+*", ""},
		{"12**", ""}, // pattern with prefix "12*"
		{"7", ""},
		{strings.Repeat("9", 32), ""},
		{strings.Repeat("9", 31) + "*", ""},
		{"", "number is empty"},
		{strings.Repeat("9", 33), "is 33 characters long: at most 32"},
		{"*", "needs at least one character before the '*'"},
		{"050 999", `contains ' ': only digits 0-9, '*', '#' and '+'`},
		{"12a4", `contains 'a'`},
		{"123\r\nAction: Logoff", `contains '\r'`},
		{"123:4", `contains ':'`},
		{"12-34", `contains '-'`},
		{"١٢٣", `contains '١'`}, // Arabic-Indic digits are not ASCII digits
		{"12/34", `contains '/'`},
	}
	for _, tt := range tests {
		err := ValidNumber(tt.in)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ValidNumber(%q) = %v, want nil", tt.in, err)
		case tt.wantErr != "" && err == nil:
			t.Errorf("ValidNumber(%q) = nil, want an error", tt.in)
		case err != nil && !strings.Contains(err.Error(), tt.wantErr):
			t.Errorf("ValidNumber(%q) = %q, want it to contain %q", tt.in, err, tt.wantErr)
		case err != nil && !errors.Is(err, ErrInvalid):
			t.Errorf("ValidNumber(%q) does not match ErrInvalid", tt.in)
		}
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		entry, caller string
		want          bool
	}{
		{"0509999999", "0509999999", true},
		{"0509999999", "050999999", false},
		{"0509999999", "05099999990", false},
		{"400*", "400", true},
		{"400*", "4001234", true},
		{"400*", "40", false},
		{"400*", "5400", false},
		{"400*", "400*", true},
		{"12**", "12*9", true},
		{"12**", "129", false},
		{"*72#", "*72#", true},
		{"*72#", "*72", false},
	}
	for _, tt := range tests {
		if got := Matches(tt.entry, tt.caller); got != tt.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tt.entry, tt.caller, got, tt.want)
		}
	}
}

func TestValidReason(t *testing.T) {
	for _, ok := range []string{"", "spam calls", "Werbung, \"aggressiv\"", strings.Repeat("é", MaxReasonLen)} {
		if err := validReason(ok); err != nil {
			t.Errorf("validReason(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"a\nb", "tab\there", "\x00", "\xff", strings.Repeat("x", MaxReasonLen+1)} {
		if err := validReason(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("validReason(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestMirrorValueRoundTrip(t *testing.T) {
	now := newClock().Now()
	for _, r := range []record{
		{Added: now},
		{Added: now, Reason: "spam, twice: until=never"},
		{Added: now, Expires: now.Add(48 * 3600e9), Reason: "temporary"},
	} {
		if got := parseMirrorValue(mirrorValue(r), now.Add(1e9)); got != r {
			t.Errorf("parseMirrorValue(mirrorValue(%+v)) = %+v", r, got)
		}
	}
	// An old box's values: "1" means nothing, anything else is the reason.
	if got := parseMirrorValue("1", now); got != (record{Added: now}) {
		t.Errorf("parseMirrorValue(1) = %+v", got)
	}
	if got := parseMirrorValue("spam", now); got != (record{Added: now, Reason: "spam"}) {
		t.Errorf("parseMirrorValue(spam) = %+v", got)
	}
}
