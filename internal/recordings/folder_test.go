package recordings

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// write creates dir/name with body and modification time mt.
func write(t *testing.T, dir, name, body string, mt time.Time) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, mt, mt); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestOpen(t *testing.T) {
	base := t.TempDir()
	mon := filepath.Join(base, "monitor")
	write(t, base, "secret.txt", "SECRET", noon)
	write(t, mon, "a.wav", "RIFF a", noon)
	write(t, mon, "sub/b.gsm", "gsm b", noon)
	symlink(t, "sub/b.gsm", filepath.Join(mon, "inside.gsm"))
	symlink(t, filepath.Join(base, "secret.txt"), filepath.Join(mon, "out.wav"))
	symlink(t, "../secret.txt", filepath.Join(mon, "rel-out.wav"))
	symlink(t, base, filepath.Join(mon, "outdir"))
	symlink(t, "loop.wav", filepath.Join(mon, "loop.wav"))
	symlink(t, "/dev/null", filepath.Join(mon, "null.wav"))
	if err := syscall.Mkfifo(filepath.Join(mon, "fifo.wav"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := NewFolder(mon)
	for name, want := range map[string]string{"a.wav": "RIFF a", "sub/b.gsm": "gsm b", "inside.gsm": "gsm b"} {
		file, info, err := f.Open(name)
		if err != nil {
			t.Errorf("Open(%q): %v", name, err)
			continue
		}
		body, _ := io.ReadAll(file)
		file.Close()
		if string(body) != want || info.Size() != int64(len(want)) || !info.ModTime().Equal(noon) {
			t.Errorf("Open(%q) = %q, %d bytes, %v", name, body, info.Size(), info.ModTime())
		}
	}
	for _, name := range []string{"missing.wav", "out.wav", "rel-out.wav", "outdir/secret.txt", "loop.wav",
		"null.wav", "fifo.wav", "sub", "sub/missing.wav", "a.wav/x"} {
		file, _, err := f.Open(name)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", name, err)
		}
		if file != nil {
			t.Errorf("Open(%q) returned a file", name)
		}
	}
	for _, name := range []string{"../secret.txt", "/etc/passwd", "sub/../a.wav", ".hidden", ""} {
		if _, _, err := f.Open(name); !errors.Is(err, ErrBadPath) {
			t.Errorf("Open(%q) = %v, want ErrBadPath", name, err)
		}
	}
	if _, _, err := NewFolder(filepath.Join(base, "not-yet")).Open("a.wav"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open in a missing folder = %v, want ErrNotFound", err)
	}
}
