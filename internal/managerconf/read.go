package managerconf

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// maxIncludeDepth is Asterisk's MAX_INCLUDE_LEVEL: the main file and ten
// levels of #include below it.
const maxIncludeDepth = 10

// maxCommentDepth is Asterisk's MAX_NESTED_COMMENTS for ";--" blocks.
const maxCommentDepth = 128

// section is one [section] as Asterisk's loader leaves it: inherited
// variables first, then its own, then those appended by "(+)".
type section struct {
	name     string // as written between the brackets (not trimmed, as Asterisk)
	template bool   // "(!)": not a user, only inherited from
	file     string
	line     int
	vars     []variable
}

// variable is one "key = value" line.
type variable struct {
	name, value string
	file        string
	line        int
}

// config is a whole file with its includes.
type config struct {
	sections []*section
	execs    []string // "file:line" of #exec lines, not run
}

// loader reads a file and its includes into one config, as main/config.c's
// ast_config_internal_load and config_text_file_load do.
type loader struct {
	fsys    fs.FS
	dir     string // relative includes resolve against it: Asterisk's config dir
	cfg     *config
	current *section // cfg->current: where an included file without a header goes
	stack   []string // files being read, to find include loops
}

// readConfig reads the file at the absolute path file from fsys.
func readConfig(fsys fs.FS, file string) (*config, error) {
	l := &loader{fsys: fsys, dir: path.Dir(file), cfg: &config{}}
	data, err := fs.ReadFile(fsys, fsName(file))
	if err != nil {
		return nil, readError(file, err)
	}
	if _, err := l.readFile(file, data, nil); err != nil {
		return nil, err
	}
	return l.cfg, nil
}

// fsName turns an absolute path into a name for fs.FS, which has no leading "/".
func fsName(p string) string {
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "" {
		return "."
	}
	return name
}

// readError says why a file cannot be read, without Go's "open" prefix.
func readError(file string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	msg := fmt.Sprintf("%s: cannot be read: %v", file, err)
	if errors.Is(err, fs.ErrPermission) {
		// The usual case: the file is the asterisk group's and the daemon
		// runs as a user of its own.
		msg += " (give coocenterd's user read access, e.g. SupplementaryGroups=asterisk in its systemd unit)"
	}
	return errors.New(msg)
}

// include reads the files an #include or #tryinclude names (try: a missing
// file is no error). They start in the config's current section (the last
// one started anywhere), and each goes on where the one before it ended,
// as they share one call of config_text_file_load.
func (l *loader) include(from string, line int, arg string, try bool) error {
	directive := "#include"
	if try {
		directive = "#tryinclude"
	}
	if arg == "" {
		return nil // Asterisk warns and goes on
	}
	p := arg
	if !path.IsAbs(p) {
		p = path.Join(l.dir, p)
	}
	if len(l.stack) > maxIncludeDepth {
		if try {
			return nil // Asterisk gives up on it silently
		}
		return fmt.Errorf("%s:%d: %s %s: includes nest deeper than %d levels", from, line, directive, arg, maxIncludeDepth)
	}
	files, err := l.expand(p)
	if err != nil {
		return fmt.Errorf("%s:%d: %s %s: %w", from, line, directive, arg, err)
	}
	if len(files) == 0 {
		if try {
			return nil
		}
		return fmt.Errorf("%s:%d: %s %s: no such file", from, line, directive, arg)
	}
	cat := l.current
	for _, f := range files {
		if slices.Contains(l.stack, f.name) {
			if try {
				continue // Asterisk reads it again until the depth limit: nothing new
			}
			return fmt.Errorf("%s:%d: %s %s: %s includes itself", from, line, directive, arg, f.name)
		}
		if cat, err = l.readFile(f.name, f.data, cat); err != nil {
			return err
		}
	}
	return nil
}

// file is one file an include names, read.
type file struct {
	name string
	data []byte
}

// expand resolves an include's path the way glob(3) with GLOB_NOMAGIC |
// GLOB_BRACE does: braces first, then each pattern with * ? [ is matched
// (in sorted order, hidden names only by a pattern starting with "."),
// one without is taken as is. Missing files and non-regular ones are left
// out, as Asterisk skips them.
func (l *loader) expand(pattern string) ([]file, error) {
	var out []file
	for _, p := range expandBraces(pattern) {
		names := []string{p}
		if strings.ContainsAny(p, "*?[") {
			matches, err := fs.Glob(l.fsys, fsName(p))
			if err != nil {
				continue // a bad pattern matches nothing
			}
			names = names[:0]
			for _, m := range matches {
				if !hiddenMatch(fsName(p), m) {
					names = append(names, "/"+m)
				}
			}
		}
		for _, n := range names {
			info, err := fs.Stat(l.fsys, fsName(n))
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return nil, readError(n, err)
			}
			if !info.Mode().IsRegular() {
				continue
			}
			data, err := fs.ReadFile(l.fsys, fsName(n))
			if err != nil {
				return nil, readError(n, err)
			}
			out = append(out, file{name: path.Clean(n), data: data})
		}
	}
	return out, nil
}

// hiddenMatch reports a match that glob(3) would not make: a name starting
// with "." matched by a pattern element that does not start with one.
func hiddenMatch(pattern, match string) bool {
	pe, me := strings.Split(pattern, "/"), strings.Split(match, "/")
	for i := range me {
		if i < len(pe) && strings.HasPrefix(me[i], ".") && !strings.HasPrefix(pe[i], ".") {
			return true
		}
	}
	return false
}

// expandBraces expands the first {a,b} group of p (recursively), as
// GLOB_BRACE does; an unbalanced brace is left as is.
func expandBraces(p string) []string {
	open := strings.IndexByte(p, '{')
	if open < 0 {
		return []string{p}
	}
	depth, start := 0, open+1
	var alts []string
	for i := open; i < len(p); i++ {
		switch p[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				alts = append(alts, p[start:i])
				var out []string
				for _, a := range alts {
					out = append(out, expandBraces(p[:open]+a+p[i+1:])...)
				}
				return out
			}
		case ',':
			if depth == 1 {
				alts = append(alts, p[start:i])
				start = i + 1
			}
		}
	}
	return []string{p}
}
