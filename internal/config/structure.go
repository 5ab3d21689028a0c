package config

import (
	"fmt"
	"slices"
	"strings"
)

// checkStructure walks the lines before ini.v1 sees them and refuses what
// ini.v1 would accept silently or report without a line number: lines that
// are neither comment, section header nor "key = value"; quoted values that
// would run on to the next lines; keys before any section; a known key set
// twice, in any case, even in two blocks of one section. Unknown sections
// and keys are returned as warnings, one per key and one per section. It
// never quotes a line, which could hold a secret.
func checkStructure(file string, data []byte) ([]Warning, error) {
	w := walk{file: file, seen: make(map[string]int), warned: make(map[string]bool)}
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		var err error
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			err = w.header(i+1, line)
		default:
			err = w.keyLine(i+1, line)
		}
		if err != nil {
			return nil, err
		}
	}
	return w.warnings, nil
}

// walk is the state of checkStructure.
type walk struct {
	file    string
	section string         // lower case; "" before the first header
	unknown bool           // the section is not one of ours: its keys are ignored
	seen    map[string]int // "section\x00key" -> line it was set on

	warnings []Warning
	warned   map[string]bool // unknown sections already warned about
}

func (w *walk) header(n int, line string) error {
	name, err := sectionName(line, n)
	if err != nil {
		return &Error{File: w.file, Problem: err.Error()}
	}
	w.section = canonicalSection(name)
	w.unknown = !slices.Contains(sections, w.section)
	if w.unknown && !w.warned[w.section] {
		w.warned[w.section] = true
		w.warnings = append(w.warnings, Warning{File: w.file, Line: n, Section: name,
			Suggestion: suggest(w.section, sections, "sections")})
	}
	return nil
}

func (w *walk) keyLine(n int, line string) error {
	key, val, ok := strings.Cut(line, "=")
	key = strings.TrimSpace(key)
	fail := func(key, format string, args ...any) error {
		return &Error{File: w.file, Section: w.section, Key: key, Problem: fmt.Sprintf(format, args...)}
	}
	switch {
	case !ok:
		return fail("", `line %d: expected "key = value", a [section] header or a comment`, n)
	case key == "":
		return fail("", `line %d: "=" without a key name before it`, n)
	case strings.ContainsAny(key, " \t"):
		// Not echoed: "WEBKEY abc = x" would show part of a key.
		return fail("", "line %d: a key name cannot contain spaces", n)
	case w.section == "":
		return fail(key, "is outside any [section] (line %d); put it where api.conf.example has it", n)
	}
	if unclosedQuote(strings.TrimSpace(val)) {
		return fail(key, "the quoted value has no closing quote on its line %d (values cannot span lines)", n)
	}
	if w.unknown {
		return nil // warned about with its section
	}
	if _, known := lookupField(w.section, key); !known {
		w.warnings = append(w.warnings, Warning{File: w.file, Line: n, Section: w.section, Key: key,
			Suggestion: suggestKey(key, w.section)})
		return nil
	}
	id := w.section + "\x00" + canonicalKey(key)
	if first, dup := w.seen[id]; dup {
		return fail(key, "is set twice (lines %d and %d); keep one", first, n)
	}
	w.seen[id] = n
	return nil
}

// sectionName is the name in a "[name]" line, which may end in a comment.
func sectionName(line string, n int) (string, error) {
	end := strings.LastIndexByte(line, ']')
	if end < 0 {
		return "", fmt.Errorf("line %d: section header without a closing ]", n)
	}
	if rest := strings.TrimSpace(line[end+1:]); rest != "" && rest[0] != '#' && rest[0] != ';' {
		return "", fmt.Errorf("line %d: unexpected text after the section header", n)
	}
	name := strings.TrimSpace(line[1:end])
	if name == "" {
		return "", fmt.Errorf("line %d: section header without a name", n)
	}
	return name, nil
}

// unclosedQuote reports a value that ini.v1 would continue on the next
// lines, looking for the quote that closes it.
func unclosedQuote(v string) bool {
	for _, q := range []string{`"""`, "`", `"`} {
		if strings.HasPrefix(v, q) {
			return !strings.Contains(v[len(q):], q)
		}
	}
	return false
}

// suggest is "did you mean ..." when one known name is close to name
// (in any case), otherwise the list of known names.
func suggest(name string, known []string, what string) string {
	best, bestDist := "", 3 // only suggest within two edits
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return "known " + what + ": " + strings.Join(known, ", ")
}

// suggestKey is suggest for a key of section; a key that is closer to one
// of another section (BINDPORT under [enable]) is named with its section.
func suggestKey(key, section string) string {
	own := suggest(key, keysOf(section), "keys in ["+section+"]")
	if strings.HasPrefix(own, "did you mean") {
		return own
	}
	best, bestDist := field{}, 3
	for _, f := range fields {
		if d := editDistance(strings.ToLower(key), strings.ToLower(f.key)); f.section != section && d < bestDist {
			best, bestDist = f, d
		}
	}
	if best.key != "" {
		return fmt.Sprintf("did you mean %q in [%s]?", best.key, best.section)
	}
	return own
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
