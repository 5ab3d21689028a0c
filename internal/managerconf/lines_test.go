package managerconf

import (
	"reflect"
	"testing"
)

// Comments as config_text_file_load strips them, line by line.
func TestStripComments(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []string // "" for a line that yields nothing
	}{
		{"plain", []string{"secret = abc"}, []string{"secret = abc"}},
		{"comment", []string{"secret = abc ; the secret", "; a whole line"}, []string{"secret = abc", ""}},
		{"no space needed", []string{"secret=abc;def"}, []string{"secret=abc"}},
		{"escaped", []string{`secret = a\;b\;c ; comment`}, []string{"secret = a;b;c"}},
		{"rule line", []string{";-----------------;", "; ---- x ---- ;"}, []string{"", ""}},
		{"block on one line", []string{";-- note --; read = all"}, []string{"read = all"}},
		{"block inside a line", []string{"read = system ;-- and --; ,call"}, []string{"read = system  ,call"}},
		{"block over lines", []string{"[u] ;-- from here", "secret = hidden", "to here --; secret = shown"},
			[]string{"[u]", "", "secret = shown"}},
		{"nested blocks", []string{";-- a ;-- b --; c", "d --; e = 1"}, []string{"", "e = 1"}},
		{"a plain ; inside a block", []string{";-- a ; b", "c --; x = 1 ; y"}, []string{"", "x = 1"}},
		// Asterisk's counter goes below zero on a stray "--;": the line is
		// kept whole and the next ones are comments until a ";--".
		{"stray block end", []string{"secret = a--;b", "read = all", ";-- x", "write = all"},
			[]string{"secret = a--;b", "", "", "write = all"}},
		{"spaces and CR", []string{"  read = all \r"}, []string{"read = all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			depth := 0
			var got []string
			for _, l := range tt.lines {
				text, ok, err := stripComments(l, &depth)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					text = ""
				}
				got = append(got, text)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestStripCommentsNestingLimit(t *testing.T) {
	depth := maxCommentDepth
	if _, _, err := stripComments(";-- one more", &depth); err == nil {
		t.Error("no error past the nesting limit")
	}
}

func TestExpandBraces(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"/a/b.conf", []string{"/a/b.conf"}},
		{"/a/{x,y}.conf", []string{"/a/x.conf", "/a/y.conf"}},
		{"/a/{x,{y,z}w}.conf", []string{"/a/x.conf", "/a/yw.conf", "/a/zw.conf"}},
		{"/a/{x,y}/{1,2}", []string{"/a/x/1", "/a/x/2", "/a/y/1", "/a/y/2"}},
		{"/a/{x.conf", []string{"/a/{x.conf"}},
	}
	for _, tt := range tests {
		if got := expandBraces(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("expandBraces(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
