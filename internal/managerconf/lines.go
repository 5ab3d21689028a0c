package managerconf

import (
	"bytes"
	"fmt"
	"strings"
)

// readFile parses one file's lines into l.cfg; cat is the section its
// first lines belong to. It returns the section its last lines were in.
func (l *loader) readFile(name string, data []byte, cat *section) (*section, error) {
	l.stack = append(l.stack, name)
	defer func() { l.stack = l.stack[:len(l.stack)-1] }()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	depth := 0 // ";--" blocks open
	lines := strings.Split(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, raw := range lines {
		text, ok, err := stripComments(raw, &depth)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
		}
		if !ok || text == "" {
			continue
		}
		if cat, err = l.line(name, i+1, text, cat); err != nil {
			return nil, err
		}
	}
	return cat, nil
}

// stripComments is the comment loop of config_text_file_load, kept close
// to the C so that it agrees with Asterisk on odd lines: ';' starts a
// comment unless escaped as "\;" (the backslash goes), ";--" opens a block
// (not ";---"), "--;" closes one, and the text around a block on one line
// is joined. depth carries open blocks to the next line; ok is false when
// the whole line is inside a block. The result is trimmed.
func stripComments(line string, depth *int) (text string, ok bool, err error) {
	b := append([]byte(line), 0) // NUL-terminated, as in C
	strlen := func(i int) int { return bytes.IndexByte(b[i:], 0) }
	process, next := 0, 0 // process_buf and new_buf; process < 0 is NULL
	if *depth != 0 {
		process = -1
	}
	for {
		j := bytes.IndexByte(b[next:next+strlen(next)], ';')
		if j < 0 {
			break
		}
		p := next + j
		switch {
		case p > next && b[p-1] == '\\': // an escaped ';' is text
			copy(b[p-1:], b[p:])
			next = p
		case b[p+1] == '-' && b[p+2] == '-' && b[p+3] != '-': // ";--" opens a block
			if *depth >= maxCommentDepth {
				return "", false, fmt.Errorf(";-- comments nested deeper than %d", maxCommentDepth)
			}
			b[p] = 0
			next = p + 3
			*depth++
		case p >= next+2 && b[p-1] == '-' && b[p-2] == '-': // "--;" closes one
			*depth--
			next = p + 1
			if *depth == 0 {
				if process >= 0 {
					end := process + strlen(process)
					copy(b[end:], b[next:next+strlen(next)+1])
					next = end
				} else {
					process = next
				}
			}
		default: // a plain ';': the rest of the line is a comment
			if *depth == 0 {
				b[p] = 0
				next = p
			} else {
				next = p + 1
			}
		}
	}
	if process < 0 {
		return "", false, nil
	}
	return strings.TrimSpace(string(b[process : process+strlen(process)])), true, nil
}

// line is process_text_line: a header, a directive or a variable. It
// returns the section the next line belongs to.
func (l *loader) line(file string, n int, text string, cat *section) (*section, error) {
	switch text[0] {
	case '[':
		return l.header(file, n, text)
	case '#':
		return cat, l.directive(file, n, text)
	}
	if cat == nil {
		return nil, fmt.Errorf("%s:%d: a line outside any [section]", file, n)
	}
	return cat, addVariable(cat, file, n, text)
}

// header starts a section: "[name]", "[name](!)", "[name](base,...)" or
// "[name](+)", options applied in order as Asterisk does.
func (l *loader) header(file string, n int, text string) (*section, error) {
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return nil, fmt.Errorf("%s:%d: no closing ] in a section header", file, n)
	}
	name, rest := text[1:end], text[end+1:]
	newcat := &section{name: name, file: file, line: n}
	cat := newcat
	if strings.HasPrefix(rest, "(") {
		close := strings.IndexByte(rest, ')')
		if close < 0 {
			return nil, fmt.Errorf("%s:%d: no closing ) after [%s]", file, n, name)
		}
		for _, opt := range strings.Split(rest[1:close], ",") {
			switch {
			case strings.EqualFold(opt, "!"):
				cat.template = true
			case strings.HasPrefix(opt, "+"):
				// A filter after "+" (+name=regex) is not applied: the
				// first section of that name is taken.
				existing := l.find(name, false)
				if existing == nil {
					return nil, fmt.Errorf("%s:%d: [%s](+) adds to a section that is not defined before it", file, n, name)
				}
				if newcat != nil {
					l.current = existing
					existing.template = existing.template || newcat.template
					existing.vars = append(existing.vars, newcat.vars...)
					newcat = nil
				}
				cat = existing
			default:
				base := l.find(opt, true)
				if base == nil {
					return nil, fmt.Errorf("%s:%d: [%s](%s) inherits from a section that is not defined before it", file, n, name, opt)
				}
				cat.vars = append(cat.vars, base.vars...)
			}
		}
	}
	if newcat != nil {
		l.cfg.sections = append(l.cfg.sections, newcat)
		l.current = newcat
	}
	return cat, nil
}

// find is the first section named name, in any case; templates only if
// asked. An empty name matches any section, as in category_get_sep.
func (l *loader) find(name string, templates bool) *section {
	for _, s := range l.cfg.sections {
		if (name == "" || strings.EqualFold(s.name, name)) && (templates || !s.template) {
			return s
		}
	}
	return nil
}

// directive handles "#include", "#tryinclude" and "#exec"; others are
// ignored, as Asterisk only warns about them.
func (l *loader) directive(file string, n int, text string) error {
	rest := text[1:]
	i := 0
	for i < len(rest) && rest[i] > ' ' {
		i++
	}
	name, arg := rest[:i], strings.TrimSpace(rest[i:])
	if arg != "" { // "file", <file> or file
		if q := map[byte]byte{'"': '"', '<': '>'}[arg[0]]; q != 0 && arg[len(arg)-1] == q {
			arg = strings.TrimSuffix(arg[1:], string(q))
		}
	}
	switch strings.ToLower(name) {
	case "include":
		return l.include(file, n, arg, false)
	case "tryinclude":
		return l.include(file, n, arg, true)
	case "exec":
		l.cfg.execs = append(l.cfg.execs, fmt.Sprintf("%s:%d", file, n))
	}
	return nil
}

// addVariable adds "key = value", "key => value" or "key += more" to cat.
// A line without "=" or without a key is skipped, as Asterisk warns and
// goes on.
func addVariable(cat *section, file string, n int, text string) error {
	from := 0
	if text[0] == '\\' { // an escaped first character is part of the key
		text = text[1:]
		if text == "" || text[0] < 33 {
			return fmt.Errorf("%s:%d: invalid escape at the start of the line", file, n)
		}
		from = 1
	}
	eq := strings.IndexByte(text[from:], '=')
	if eq < 0 {
		return nil
	}
	eq += from
	var name, value string
	if eq > from && text[eq-1] == '+' {
		name, value = strings.TrimSpace(text[:eq-1]), text[eq+1:]
		for i := len(cat.vars) - 1; i >= 0; i-- {
			if cat.vars[i].name == name {
				cat.vars[i].value = strings.TrimSpace(cat.vars[i].value + value)
				return nil
			}
		}
		// Nothing to add to: a plain "key = value".
	} else {
		name, value = strings.TrimSpace(text[:eq]), strings.TrimPrefix(text[eq+1:], ">")
	}
	if name == "" {
		return nil
	}
	value = strings.TrimSpace(value)
	cat.vars = append(cat.vars, variable{name: name, value: value, file: file, line: n})
	return nil
}
