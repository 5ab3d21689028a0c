package blacklist

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/coocenter/coocenterd/internal/testkit"
)

// The dialplan side is checked by running [coocenter-blacklist] from
// asterisk/extensions_coocenter.conf in a small model of Asterisk's dialplan
// — just the applications and functions the subroutine uses — against the
// AstDB the Store wrote. It checks the logic (exact and prefix keys, loop
// bounds, the UserEvent), not Asterisk's own parser.

const confPath = "../../asterisk/extensions_coocenter.conf"

type priority struct{ app, data string }

// loadSubroutine reads the priorities and labels of one context.
func loadSubroutine(t *testing.T, context string) ([]priority, map[string]int) {
	t.Helper()
	text, err := os.ReadFile(confPath)
	if err != nil {
		t.Fatal(err)
	}
	var prios []priority
	labels := map[string]int{}
	in := false
	for _, line := range strings.Split(string(text), "\n") {
		line, _, _ = strings.Cut(line, ";")
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "["):
			in = line == "["+context+"]"
			continue
		case !in || line == "":
			continue
		}
		_, rest, ok := strings.Cut(line, "=>")
		if !ok {
			t.Fatalf("unexpected line %q", line)
		}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(line, "exten") {
			_, rest, _ = strings.Cut(rest, ",") // extension
		}
		prio, rest, _ := strings.Cut(rest, ",")
		if _, label, ok := strings.Cut(prio, "("); ok {
			labels[strings.TrimSuffix(label, ")")] = len(prios)
		}
		app, data, _ := strings.Cut(rest, "(")
		prios = append(prios, priority{app, data[:strings.LastIndex(data, ")")]})
	}
	if len(prios) == 0 {
		t.Fatalf("no context [%s] in %s", context, confPath)
	}
	return prios, labels
}

// call is one channel running the subroutine.
type call struct {
	t      *testing.T
	vars   map[string]string
	astdb  map[string]map[string]string
	events []string
	hangup string // cause, once hung up
}

func (c *call) run(prios []priority, labels map[string]int) {
	for pc, steps := 0, 0; pc < len(prios); steps++ {
		if steps > 1000 {
			c.t.Fatal("the subroutine does not end")
		}
		p := prios[pc]
		data := c.subst(p.data)
		pc++
		switch p.app {
		case "NoOp":
		case "Set":
			name, value, _ := strings.Cut(data, "=")
			name = strings.TrimSuffix(strings.TrimPrefix(name, "LOCAL("), ")")
			c.vars[name] = value
		case "GotoIf":
			cond, dest, _ := strings.Cut(data, "?")
			if dest, _, _ = strings.Cut(dest, ":"); truthy(cond) {
				pc = labels[dest]
			}
		case "UserEvent":
			c.events = append(c.events, data)
		case "Hangup":
			c.hangup = data
			return
		case "Return":
			return
		default:
			c.t.Fatalf("application %s is not modelled", p.app)
		}
	}
	c.t.Fatal("the subroutine ran off its end")
}

// subst expands ${...} and $[...] innermost first, as Asterisk does.
func (c *call) subst(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "${") || strings.HasPrefix(s[i:], "$[") {
			open, closing := s[i+1], map[byte]byte{'{': '}', '[': ']'}[s[i+1]]
			j, depth := i+2, 1
			for ; depth > 0; j++ {
				switch s[j] {
				case open:
					depth++
				case closing:
					depth--
				}
			}
			inner := c.subst(s[i+2 : j-1])
			if open == '{' {
				b.WriteString(c.value(inner))
			} else {
				b.WriteString(c.expr(inner))
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// value reads a variable or function, with an optional :offset:length.
func (c *call) value(name string) string {
	parens, cut := 0, len(name)
	for i := 0; i < len(name) && cut == len(name); i++ {
		switch name[i] {
		case '(':
			parens++
		case ')':
			parens--
		case ':':
			if parens == 0 {
				cut = i
			}
		}
	}
	name, sub := name[:cut], strings.Split(strings.TrimPrefix(name[cut:], ":"), ":")
	var v string
	if fn, args, ok := strings.Cut(name, "("); ok {
		v = c.function(fn, args[:strings.LastIndex(args, ")")])
	} else {
		v = c.vars[name]
	}
	if sub[0] != "" {
		off, _ := strconv.Atoi(sub[0])
		v = v[min(off, len(v)):]
		if len(sub) > 1 {
			n, _ := strconv.Atoi(sub[1])
			v = v[:min(n, len(v))]
		}
	}
	return v
}

func (c *call) function(fn, args string) string {
	switch fn {
	case "CALLERID":
		return c.vars["CALLERID("+args+")"]
	case "LEN":
		return strconv.Itoa(len(args))
	case "IF":
		cond, rest, _ := strings.Cut(args, "?")
		yes, no, _ := strings.Cut(rest, ":")
		if truthy(cond) {
			return yes
		}
		return no
	case "DB_EXISTS":
		family, key, _ := strings.Cut(args, "/")
		if _, ok := c.astdb[family][key]; ok {
			return "1"
		}
		return "0"
	case "FILTER":
		allowed, s, _ := strings.Cut(args, ",")
		return strings.Map(func(r rune) rune {
			if '0' <= r && r <= '9' && strings.Contains(allowed, "0-9") || strings.ContainsRune(strings.ReplaceAll(allowed, "0-9", ""), r) {
				return r
			}
			return -1
		}, s)
	}
	c.t.Fatalf("function %s is not modelled", fn)
	return ""
}

// expr evaluates the integer expressions the subroutine uses: a op b.
func (c *call) expr(s string) string {
	f := strings.Fields(s)
	if len(f) != 3 {
		c.t.Fatalf("expression %q is not modelled", s)
	}
	a, err1 := strconv.Atoi(f[0])
	b, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		c.t.Fatalf("expression %q: not integers", s)
	}
	r := map[string]bool{">": a > b, "<": a < b, "=": a == b}
	switch f[1] {
	case "-":
		return strconv.Itoa(a - b)
	case ">", "<", "=":
		if r[f[1]] {
			return "1"
		}
		return "0"
	}
	c.t.Fatalf("operator %q is not modelled", f[1])
	return ""
}

func truthy(s string) bool { s = strings.TrimSpace(s); return s != "" && s != "0" }

func TestDialplanSubroutine(t *testing.T) {
	prios, labels := loadSubroutine(t, "coocenter-blacklist")
	long := strings.Repeat("1234567890", 3) + "1" // 31 characters
	const hostile = "400,Evil: header"            // a forged caller ID
	for _, family := range []string{"blacklist", "myfamily"} {
		ctx := context.Background()
		f := newFake()
		s, err := Open(testkit.TempDB(t), family, f, Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		mustAdd(t, s, "0509999999", "400*", "12**", "*72#", "7*", long+"*", strings.Repeat("9", 32))
		arg := ""
		if family != "blacklist" {
			arg = family
		}
		for _, caller := range []string{
			"0509999999", "050999999", "05099999990", "400", "4001234", "40", "5400", "", "12*9",
			"129", "*72#", "*72", long, long + "999999999", long[:30], strings.Repeat("9", 32),
			strings.Repeat("9", 31), "7", "70", "87", hostile,
		} {
			c := &call{t: t, astdb: f.keys, vars: map[string]string{
				"CALLERID(num)": caller, "UNIQUEID": "1795280653.19", "ARG1": arg,
			}}
			c.run(prios, labels)
			_, blocked, _ := s.Lookup(ctx, caller)
			if got := c.hangup != ""; got != blocked {
				t.Errorf("family %s, caller %q: dialplan blocks = %v, Lookup = %v", family, caller, got, blocked)
				continue
			}
			if !blocked {
				continue
			}
			shown := caller
			if caller == hostile {
				shown = "400" // filtered: no header can be smuggled in
			}
			want := "Blacklisted,CallerIDNum: " + shown + ",Uniq: 1795280653.19"
			if c.hangup != "21" || len(c.events) != 1 || c.events[0] != want {
				t.Errorf("caller %q: events %q, hangup %q; want [%q], 21", caller, c.events, c.hangup, want)
			}
		}
		s.Close()
	}
}
