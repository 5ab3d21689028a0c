package bar

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// The bar must load in a CRM iframe without a build step or a CDN: the pages stay small
// and name only files that are embedded here.
func TestStaticIsSmallAndSelfContained(t *testing.T) {
	total := 0
	err := fs.WalkDir(Static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Static, path)
		total += len(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if total > 100*1024 {
		t.Errorf("static files are %d bytes; the budget is 100 KB", total)
	}
	ref := regexp.MustCompile(`(?:src|href)="([^"#]+)"`)
	for _, page := range []string{"static/bar.html", "static/wall.html"} {
		b, err := fs.ReadFile(Static, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			if strings.HasPrefix(m[1], "data:") {
				continue // the empty favicon, so the browser asks for none
			}
			name, ok := strings.CutPrefix(m[1], "/bar/static/")
			if !ok {
				t.Errorf("%s loads %q: only /bar/static/ files (no CDN, no relative paths)", page, m[1])
				continue
			}
			if _, err := fs.Stat(Static, "static/"+name); err != nil {
				t.Errorf("%s loads %q, which is not embedded", page, m[1])
			}
		}
	}
}

// Tests and the CRM find the bar's controls by these ids; a rename breaks them.
func TestBarHasItsHooks(t *testing.T) {
	b, err := fs.ReadFile(Static, "static/bar.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"state", "call-peer", "btn-hold", "btn-unhold", "btn-mute",
		"btn-unmute", "btn-hangup", "btn-transfer", "btn-consult", "btn-consult-transfer",
		"btn-three-way", "btn-consult-cancel", "btn-pause", "btn-unpause", "btn-wrapup-end",
		"dial-number", "btn-dial", "message", "banner", "lang", "pop-link"} {
		if !strings.Contains(string(b), `id="`+id+`"`) {
			t.Errorf("bar.html has no #%s", id)
		}
	}
}
