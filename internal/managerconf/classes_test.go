package managerconf

import "testing"

// read and write as get_perm reads them, quirks included.
func TestParseClasses(t *testing.T) {
	tests := []struct {
		in   string
		want Class
	}{
		{"system,call", System | Call},
		{"all", All},
		{"none", 0},
		{"", 0},
		{"system, call", System},    // " call" is not "call"
		{"System,call", Call},       // case counts
		{"call,system ", Call},      // the last element must be exact
		{"sys,call", System | Call}, // an element before a comma matches as a prefix
		{"c,none", Call | Command | CDR | Config | CC}, // every class starting with "c"
		{"system,,x", All}, // an empty element matches every name, "all" too
		{"all,", All},
		{"system,call,agent,user,cdr,dialplan", NeedRead},
		{"system,call,log,verbose,command,agent,user,config,dtmf,reporting,cdr,dialplan,originate,message",
			System | Call | Log | Verbose | Command | Agent | User | Config | DTMF | Reporting | CDR | Dialplan | Originate | Message},
	}
	for _, tt := range tests {
		if got := parseClasses(tt.in); got != tt.want {
			t.Errorf("parseClasses(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestClassString(t *testing.T) {
	for c, want := range map[Class]string{0: "none", All: "all", System | Call: "system,call",
		NeedRead: "system,call,agent,user,cdr,dialplan", NeedWrite: "system,call,agent,originate"} {
		if got := c.String(); got != want {
			t.Errorf("%d: %q, want %q", c, got, want)
		}
	}
}

// NeedWrite is exactly what the action table asks: a write grants every
// action iff it has all of NeedWrite. Checked over every combination of
// the classes the actions name.
func TestNeedWriteMatchesActions(t *testing.T) {
	var named []Class
	var seen Class
	for _, a := range actions {
		for _, p := range perms {
			if p.class != All && p.class != 0 && a.any&p.class != 0 && seen&p.class == 0 {
				seen |= p.class
				named = append(named, p.class)
			}
		}
	}
	for set := 0; set < 1<<len(named); set++ {
		var w Class
		for i, c := range named {
			if set&(1<<i) != 0 {
				w |= c
			}
		}
		all := true
		for _, a := range actions {
			if a.any != 0 && w&a.any == 0 {
				all = false
			}
		}
		if has := w&NeedWrite == NeedWrite; has != all {
			t.Errorf("write %s: has NeedWrite %v, allows every action %v", w, has, all)
		}
	}
}

// NeedRead is the union of the events' classes.
func TestNeedReadMatchesEvents(t *testing.T) {
	var union Class
	for _, e := range events {
		union |= e.class
	}
	if union != NeedRead {
		t.Errorf("events need %s, NeedRead is %s", union, NeedRead)
	}
}
