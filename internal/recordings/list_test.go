package recordings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

func names(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

// listAll follows the pages of q and returns every page's names.
func listAll(t *testing.T, f *Folder, q Query) [][]string {
	t.Helper()
	var pages [][]string
	for range 100 {
		p, err := f.List(q)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, names(p.Files))
		if p.Next == "" {
			return pages
		}
		q.After = p.Next
	}
	t.Fatal("the pages never end")
	return nil
}

func TestListPages(t *testing.T) {
	mon := t.TempDir()
	// Written out of order, two with the same time (ordered by name).
	write(t, mon, "d/5.wav", "55555", noon.Add(5*time.Minute))
	write(t, mon, "1.wav", "1", noon.Add(1*time.Minute))
	write(t, mon, "3b.wav", "3", noon.Add(3*time.Minute))
	write(t, mon, "3a.wav", "3", noon.Add(3*time.Minute))
	write(t, mon, "d/e/2.WAV", "22", noon.Add(2*time.Minute))
	write(t, mon, "4.gsm", "4444", noon.Add(4*time.Minute))
	write(t, mon, ".hidden.wav", "h", noon)
	write(t, mon, ".d/x.wav", "h", noon)
	write(t, mon, "bad%name.wav", "b", noon)
	symlink(t, "1.wav", filepath.Join(mon, "link.wav"))
	if err := syscall.Mkfifo(filepath.Join(mon, "fifo.wav"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := NewFolder(mon)
	got := listAll(t, f, Query{Limit: 2})
	want := [][]string{{"1.wav", "d/e/2.WAV"}, {"3a.wav", "3b.wav"}, {"4.gsm", "d/5.wav"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pages %v, want %v", got, want)
	}
	p, _ := f.List(Query{})
	if len(p.Files) != 6 || p.Next != "" || p.Files[5].Size != 5 || !p.Files[5].ModTime.Equal(noon.Add(5*time.Minute)) {
		t.Fatalf("one page: %+v", p)
	}

	// [From, To): 2 to 4 minutes past noon, 4 excluded.
	got = listAll(t, f, Query{From: noon.Add(2 * time.Minute), To: noon.Add(4 * time.Minute), Limit: 2})
	if fmt.Sprint(got) != "[[d/e/2.WAV 3a.wav] [3b.wav]]" {
		t.Fatalf("time range: %v", got)
	}

	// A file added behind the cursor does not shift the next page.
	first, _ := f.List(Query{Limit: 3})
	write(t, mon, "0.wav", "0", noon)
	second, _ := f.List(Query{Limit: 3, After: first.Next})
	if fmt.Sprint(names(second.Files)) != "[3b.wav 4.gsm d/5.wav]" || second.Next != "" {
		t.Fatalf("after adding a file: %v %q", names(second.Files), second.Next)
	}
}

func TestListRefusesBadKeys(t *testing.T) {
	f := NewFolder(t.TempDir())
	for _, key := range []string{"!!", "bm9zbGFzaA", "eC9hLndhdg", "MDEvYS53YXY", "MS8uLi94", "MS8", "MS9hLndhdg=="} {
		if _, err := f.List(Query{After: key}); !errors.Is(err, ErrBadKey) {
			t.Errorf("List(After %q) = %v, want ErrBadKey", key, err)
		}
	}
	if _, err := f.List(Query{After: cursor{1, "a.wav"}.encode()}); err != nil {
		t.Errorf("a good key: %v", err)
	}
}

func TestListMissingOrUnreadableFolder(t *testing.T) {
	p, err := NewFolder(filepath.Join(t.TempDir(), "not-yet")).List(Query{})
	if err != nil || p.Files == nil || len(p.Files) != 0 || p.Next != "" {
		t.Fatalf("missing folder: %+v, %v", p, err)
	}
	if os.Geteuid() == 0 {
		return // root reads everything
	}
	mon := t.TempDir()
	write(t, mon, "a.wav", "a", noon)
	write(t, mon, "locked/b.wav", "b", noon)
	if err := os.Chmod(filepath.Join(mon, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(mon, "locked"), 0o755) })
	p, err = NewFolder(mon).List(Query{})
	if err != nil || !slices.Equal(names(p.Files), []string{"a.wav"}) {
		t.Fatalf("an unreadable sub-folder is skipped: %v, %v", names(p.Files), err)
	}
}

func TestWalkStopsAtTheCap(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := range 10 {
		fsys[fmt.Sprintf("d/%d.wav", i)] = &fstest.MapFile{Data: []byte("x"), ModTime: noon}
	}
	n := 0
	count := func(File) { n++ }
	if err := walk(fsys, Query{}, nil, 12, count); err != nil || n != 10 { // ".", "d" and 10 files
		t.Fatalf("under the cap: %d files, %v", n, err)
	}
	if err := walk(fsys, Query{}, nil, 11, count); !errors.Is(err, ErrTooMany) {
		t.Fatalf("over the cap: %v", err)
	}
}
