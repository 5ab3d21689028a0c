package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sections are the section numbers of api.md's headings: "3.12.1" of
// "#### 3.12.1 Signed links".
func sections(t *testing.T) map[string]bool {
	t.Helper()
	md, err := os.ReadFile("api.md")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#{2,4} (\d+(?:\.\d+)*)\.? `).FindAllStringSubmatch(string(md), -1) {
		found[m[1]] = true
	}
	return found
}

// TestAPISectionsCited: every "api.md §N" in the source, and every "§N" of
// openapi.yaml, names a section api.md has. The numbers are the
// original contract's; code and tools cite them.
func TestAPISectionsCited(t *testing.T) {
	have := sections(t)
	for _, want := range []string{"1", "2", "3", "4", "5", "6", "3.1", "3.12", "3.15", "4.7", "6.4"} {
		if !have[want] {
			t.Errorf("api.md has no section %s", want)
		}
	}
	cite := regexp.MustCompile(`api\.md §(\d+(?:\.\d+)*)`)
	cited := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && d.Name() != ".." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range cite.FindAllStringSubmatch(string(src), -1) {
			cited++
			if !have[m[1]] {
				t.Errorf("%s cites api.md §%s, which api.md lacks", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cited < 10 {
		t.Errorf("only %d citations of api.md found in the source: the walk misses files", cited)
	}
	for _, m := range regexp.MustCompile(`§(\d+(?:\.\d+)*)`).FindAllStringSubmatch(string(OpenAPI), -1) {
		if !have[m[1]] {
			t.Errorf("openapi.yaml cites §%s, which api.md lacks", m[1])
		}
	}
}

// TestAPISelfContained: api.md is installed on its own
// (/usr/share/doc/coocenterd/), so it names nothing outside the
// repository, and its links within the repository lead somewhere.
func TestAPISelfContained(t *testing.T) {
	md, err := os.ReadFile("api.md")
	if err != nil {
		t.Fatal(err)
	}
	if i := strings.Index(string(md), "../"); i >= 0 {
		t.Errorf("api.md refers outside the repository: %q", string(md[i:min(i+60, len(md))]))
	}
	// Links outside code: `[user](t)` is manager.conf's syntax, not a link.
	prose := regexp.MustCompile("(?s)```.*?```|`[^`]*`").ReplaceAllString(string(md), "")
	for _, m := range regexp.MustCompile(`\]\(([^)#]+)(?:#[^)]*)?\)`).FindAllStringSubmatch(prose, -1) {
		if strings.Contains(m[1], "://") {
			continue
		}
		if _, err := os.Stat(m[1]); err != nil {
			t.Errorf("api.md links to %s: %v", m[1], err)
		}
	}
}
