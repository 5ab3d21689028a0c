package testbed

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Phones on a real Asterisk are sipp processes (Debian package sip-tester)
// running test/asterisk/sipp/register.xml with ooc-answer.xml: registered,
// answering qualify OPTIONS, and answering every INVITE after about one
// second of ringing. They use the test PBX's ports: chan_sip on
// 127.0.0.1:5060 for 800–809, chan_pjsip on 127.0.0.1:5160 for 900–909.

// sippDir is test/asterisk/sipp of this repository.
func sippDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "test", "asterisk", "sipp")
}

// phoneAddrs returns the PBX address a phone registers with and its own
// local port, unique per extension.
func phoneAddrs(ext string) (pbxAddr string, localPort int, err error) {
	n, err := strconv.Atoi(ext)
	switch {
	case err == nil && n >= 800 && n <= 809:
		return "127.0.0.1:5060", 5070 + n - 800, nil
	case err == nil && n >= 900 && n <= 909:
		return "127.0.0.1:5160", 5170 + n - 900, nil
	}
	return "", 0, fmt.Errorf("testbed: no phone %q on the test PBX (800–809, 900–909)", ext)
}

// startPhone registers ext with sipp until the test ends, then unregisters it.
func (b *Bed) startPhone(ext string) {
	b.T.Helper()
	addr, port, err := phoneAddrs(ext)
	if err != nil {
		b.T.Fatal(err)
	}
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		b.T.Fatalf("a registered phone on a real Asterisk needs sipp (Debian: apt install sip-tester): %v", err)
	}
	dir := sippDir()
	args := func(scenario string) []string {
		return []string{addr, "-sf", filepath.Join(dir, scenario), "-s", ext, "-au", ext, "-ap", ext,
			"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-m", "1", "-nostdin"}
	}
	cmd := exec.Command(sipp, append(args("register.xml"), "-oocsf", filepath.Join(dir, "ooc-answer.xml"), "-d", "110000")...)
	cmd.Dir = b.T.TempDir() // sipp writes its error and trace files beside it
	if err := cmd.Start(); err != nil {
		b.T.Fatalf("start sipp as %s: %v", ext, err)
	}
	b.T.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		un := exec.CommandContext(ctx, sipp, args("unregister.xml")...)
		un.Dir = cmd.Dir
		if out, err := un.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "testbed: unregister %s: %v\n%s", ext, err, out)
		}
	})
}

// waitRegistered waits until the model sees ext registered and, for a
// chan_sip peer (qualify=yes), answering its first qualify: until then a
// real Asterisk says UNKNOWN beside the address.
func (b *Bed) waitRegistered(ext string) {
	b.T.Helper()
	b.Eventually("phone "+ext+" registered and qualified", func() bool {
		for _, p := range b.Model.Peers() {
			if p.Name == ext {
				return p.Addr != "" && p.Addr != "-none-" && (p.Tech != "SIP" || strings.HasPrefix(p.Status, "OK ("))
			}
		}
		return false
	})
}
