package recordings

import (
	"errors"
	"strings"
	"testing"
)

func TestCleanNameAccepts(t *testing.T) {
	for _, name := range []string{
		"a.wav", "q630-801-20261121-120000-1732176000.42.WAV", "2026/11/21/out-808-809.wav",
		"中文录音.wav", "with space.gsm", "a..b.wav", "a.", "trailing~", strings.Repeat("x", 255),
		strings.Repeat(strings.Repeat("d", 255)+"/", 3) + "end",
		"a\u0085b", // a C1 control is valid UTF-8 text, not a path trick
	} {
		got, err := CleanName(name)
		if err != nil || got != name {
			t.Errorf("CleanName(%q) = %q, %v; want it unchanged", name, got, err)
		}
	}
}

func TestCleanNameRefuses(t *testing.T) {
	for _, tc := range []struct{ name, why string }{
		{"", "is empty"},
		{strings.Repeat("a/", 512) + "b", "longer than 1024"},
		{strings.Repeat("x", 256), "longer than 255"},
		{"\xff.wav", "UTF-8"},
		{"\xc0\xae\xc0\xae/x", "UTF-8"},
		{"a\x00.wav", "control"},
		{"a\n.wav", "control"},
		{"a\x7f.wav", "control"},
		{`..\x`, "backslash"},
		{`a\b.wav`, "backslash"},
		{"%2e%2e/x", "%"},
		{"a%00.wav", "%"},
		{"c:x.wav", ":"},
		{"/etc/passwd", "absolute"},
		{"//etc/passwd", "absolute"},
		{"a//b", "empty component"},
		{"a/", "empty component"},
		{".", `"." or ".."`},
		{"..", `"." or ".."`},
		{"../x", `"." or ".."`},
		{"sub/../../x", `"." or ".."`},
		{"sub/./x", `"." or ".."`},
		{".hidden", "hidden"},
		{"sub/.git/config", "hidden"},
		{"...", "hidden"},
	} {
		_, err := CleanName(tc.name)
		if !errors.Is(err, ErrBadPath) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("CleanName(%.40q) = %v; want ErrBadPath saying %q", tc.name, err, tc.why)
			continue
		}
		if len(tc.name) > 3 && strings.Contains(err.Error(), tc.name) {
			t.Errorf("the error %q repeats the name", err)
		}
	}
}

func TestRel(t *testing.T) {
	const outside, empty = "outside the monitor folder", "empty component"
	for _, tc := range []struct {
		dir, in, want, why string
	}{
		{"/x/monitor", "/x/monitor/2026/12/02/x.wav", "2026/12/02/x.wav", ""},
		{"/x/monitor/", "/x/monitor/a.wav", "a.wav", ""},
		{"/x//monitor/", "/x/monitor/a.wav", "a.wav", ""},
		{"/x/./monitor", "/x/monitor/a.wav", "a.wav", ""},
		{"/x/y/../monitor", "/x/monitor/a.wav", "a.wav", ""},
		{"/", "/a.wav", "a.wav", ""},
		{"/x/monitor", "/x/monitor", "", ""},  // the folder itself
		{"/x/monitor", "/x/monitor/", "", ""}, // the folder itself
		{"/x/monitor/", "/x/monitor", "", ""}, // the folder itself
		{"/", "/", "", ""},                    // the folder itself
		{"/x/monitor", "/x/monitor/sub/", "sub/", ""},
		// Relative names, and what follows the folder, are CleanName's to refuse.
		{"/x/monitor", "a.wav", "a.wav", ""},
		{"/x/monitor", "../secret", "../secret", ""},
		{"/x/monitor", "/x/monitor/../secret", "../secret", ""},
		{"/x/monitor", "/x/monitor/sub/../../secret", "sub/../../secret", ""},
		{"/x/monitor", "file:///x/monitor/a.wav", "file:///x/monitor/a.wav", ""},
		{"/x/monitor", `C:\x\monitor\a.wav`, `C:\x\monitor\a.wav`, ""},
		{"/x/monitor", "", "", ""},
		// Outside: only the literal folder's path, never cleaned, is inside.
		{"/x/monitor", "/x/monitor2/a.wav", "", outside},
		{"/x/monitor", "/x/monitor.wav", "", outside},
		{"/x/monitor", "/x//monitor/a.wav", "", outside},
		{"/x/monitor", "//x/monitor/a.wav", "", outside},
		{"/x/monitor", "/x/./monitor/a.wav", "", outside},
		{"/x/monitor", "/x/y/../monitor/a.wav", "", outside},
		{"/x/monitor", "/x/MONITOR/a.wav", "", outside},
		{"/x/monitor", "/etc/passwd", "", outside},
		{"/x/monitor", "/", "", outside},
		{"/x/monitor", "/x", "", outside},
		{"/x/monitor", `/x/monitor\a.wav`, "", outside},
		{"/x/monitor", "/x/monitor\x00/a.wav", "", outside},
		{"/x/monitor", "/x/monitor//a.wav", "", empty},
		{"/x/monitor", "/x/monitor///", "", empty},
		{"/", "//a.wav", "", empty},
	} {
		got, err := Rel(tc.dir, tc.in)
		switch {
		case tc.why == "" && (err != nil || got != tc.want):
			t.Errorf("Rel(%q, %q) = %q, %v; want %q", tc.dir, tc.in, got, err, tc.want)
		case tc.why != "" && (!errors.Is(err, ErrBadPath) || !strings.Contains(err.Error(), tc.why) || got != ""):
			t.Errorf("Rel(%q, %q) = %q, %v; want ErrBadPath saying %q", tc.dir, tc.in, got, err, tc.why)
		case err != nil && strings.Contains(err.Error(), "/x"):
			t.Errorf("the error %q repeats the path", err)
		}
	}
}

func TestRelName(t *testing.T) {
	const dir = "/var/spool/asterisk/monitor"
	for _, tc := range []struct {
		dir, in, want string
		ok            bool
	}{
		{dir, "/var/spool/asterisk/monitor/2026/11/21/a.wav", "2026/11/21/a.wav", true},
		{dir + "/", "/var/spool/asterisk/monitor/a.wav", "a.wav", true},
		{dir, "a.wav", "a.wav", true},
		{dir, "sub/a.WAV", "sub/a.WAV", true},
		{"/", "/a.wav", "a.wav", true},
		{dir, "/var/spool/asterisk/monitor", "", false},
		{dir, "/var/spool/asterisk/monitor/", "", false},
		{dir, "/var/spool/asterisk/monitorX/a.wav", "", false},
		{dir, "/var/spool/asterisk/monitor/../../../etc/passwd", "", false},
		{dir, "/var/spool/asterisk/monitor//a.wav", "", false},
		{dir + "/", "/var/spool/asterisk/monitor/", "", false},
		{"/var/spool//asterisk/./monitor/", "/var/spool/asterisk/monitor/a.wav", "a.wav", true},
		{dir, "/var/spool//asterisk/monitor/a.wav", "", false},
		{dir, "/var/spool/asterisk/monitor/sub/", "", false},
		{dir, "file:///var/spool/asterisk/monitor/a.wav", "", false},
		{dir, "/etc/passwd", "", false},
		{dir, "../a.wav", "", false},
		{dir, "", "", false},
		{dir, ".a.wav", "", false},
	} {
		got, ok := RelName(tc.dir, tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RelName(%q, %q) = %q, %v; want %q, %v", tc.dir, tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestContentType(t *testing.T) {
	for name, want := range map[string]string{
		"a.wav": "audio/wav", "a.WAV": "audio/wav", "d/a.Wav": "audio/wav", "a.gsm": "audio/x-gsm",
		"a.mp3": "audio/mpeg", "a.ogg": "audio/ogg", "a.opus": "audio/opus", "a.flac": "audio/flac",
		"a.g722": "audio/G722", "a.ulaw": "audio/basic", "a.ul": "audio/basic", "a.pcm": "audio/basic",
		"a.mu": "audio/basic", "a.alaw": "audio/x-alaw-basic", "a.al": "audio/x-alaw-basic",
		"a.sln": "audio/L16;rate=8000", "a.raw": "audio/L16;rate=8000", "a.sln16": "audio/L16;rate=16000",
		"a.g729": "audio/G729", "a.m4a": "audio/mp4", "a.html": "application/octet-stream",
		"a": "application/octet-stream", "a.wav.exe": "application/octet-stream", "wav": "application/octet-stream",
	} {
		if got := ContentType(name); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", name, got, want)
		}
	}
}
