package pbxsim

import (
	"fmt"
	"net"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// The faults real deployments suffer, for tests to inject: restarts of
// Asterisk, dropped connections, slow or stalled actions, malformed bytes.

// Restart simulates an Asterisk restart: every AMI connection drops, the
// listener closes (connections are refused) and channels, bridges,
// registrations, dynamic queue members, pauses and queue statistics are
// forgotten, and channel numbering starts again; AstDB survives. After
// downFor the PBX listens again on the same address and boots for
// Timing.Boot (see bootDone). Restart returns at once; IsUp reports when
// the PBX listens again.
func (s *Server) Restart(downFor time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restart(downFor, (*session).kill)
}

// coreRestartNow is the CLI's "core restart now" (asterisk.c:
// handle_restart_now, quit_handler with SHUTDOWN_NORMAL and restart). The
// command runs on the manager thread of the session that sent it, which
// never comes back to write its response or any later event; Asterisk
// hangs up every channel and execs itself, which closes every AMI
// connection (ami-21-restart-mid-call-1: the events queued before the
// Command, no response, the cut). The new process starts with nothing of
// the old one but AstDB, listens after Timing.CoreRestart and boots. The
// caller holds s.mu.
func (s *Server) coreRestartNow() {
	s.restart(s.opts.Timing.CoreRestart, (*session).cut)
}

// restart takes the PBX down, ending every session with drop, and brings
// it back after downFor. The caller holds s.mu.
func (s *Server) restart(downFor time.Duration, drop func(*session)) {
	if s.closed || s.down {
		return
	}
	s.down, s.booting = true, false
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for sess := range s.sessions {
		drop(sess)
	}
	s.cancelTimers()
	s.resetState()
	s.seq.restart()
	s.opts.Logger.Info("pbxsim restarting", "down_for", downFor)
	s.goOwned(func() { s.comeBack(downFor) })
}

func (s *Server) comeBack(downFor time.Duration) {
	if !s.sleep(downFor, nil) {
		return
	}
	for {
		ln, err := net.Listen("tcp", s.addr)
		if err == nil {
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				ln.Close()
				return
			}
			s.ln, s.down = ln, false
			s.boot()
			s.mu.Unlock()
			s.serve(ln)
			return
		}
		if !s.sleep(10*time.Millisecond, nil) {
			return
		}
	}
}

// boot opens the boot window of a restarted Asterisk: the manager accepts
// logins while the modules still load, and FullyBooted comes at the end of
// it (bootDone). The caller holds s.mu.
func (s *Server) boot() {
	s.booted = nextBoot(s.booted, time.Now())
	s.booting = true
	s.after(s.opts.Timing.Boot, s.bootDone)
}

// nextBoot is the start time of a new Asterisk process: now, but in a later
// second than the previous start, as a real restart (which takes seconds)
// is, so that the <epoch>.<n> uniqueids of the new process never repeat
// those of the old one.
func nextBoot(prev, now time.Time) time.Time {
	if now.Unix() <= prev.Unix() {
		return time.Unix(prev.Unix()+1, 0)
	}
	return now
}

// bootDone is the end of the boot window, in the order a client logged in
// during it sees (ami-21-restart-mid-call-2). Loading pbx_config adds the
// hints of extensions.conf in its order (800–809, 900–909: pbxsim's device
// list), and pbx.c's ast_add_hint runs the global
// extension state callbacks for each, among them the manager's
// (manager.c: manager_state_cb): an ExtensionStatus with the hint's state
// (4, Unavailable: nobody registered yet) but an empty Hint, because
// ast_get_hint looks in the dialplan the new contexts are not merged into
// yet. Then asterisk.c's publish_fully_booted broadcasts FullyBooted,
// Status first. The caller holds s.mu.
func (s *Server) bootDone() {
	for _, d := range s.pbx.deviceList {
		d.hintState = s.deviceState(d).extState()
		s.emit(classCall, "ExtensionStatus", hdrs("Exten", d.name, "Context", "internal", "Hint", "",
			"Status", itoa(d.hintState), "StatusText", extStateText(d.hintState))...)
	}
	s.booting = false
	up := itoa(int(s.uptime() / time.Second))
	s.emit(classSystem, "FullyBooted", hdrs("Status", "Fully Booted", "Uptime", up, "LastReload", up)...)
}

// IsUp reports whether the PBX accepts connections (false during Restart).
func (s *Server) IsUp() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.down && !s.closed
}

// DropConnections closes every AMI connection at once, as a network
// failure would; the PBX itself keeps running.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sess := range s.sessions {
		sess.kill()
	}
}

// Sessions is the number of open AMI connections.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// SetResponseDelay delays the answer to every action by d (events keep
// flowing meanwhile).
func (s *Server) SetResponseDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respDelay = d
}

// Stall(true) stops answering actions — connections stay open and the
// requests wait — until Stall(false).
func (s *Server) Stall(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case on && s.stall == nil:
		s.stall = make(chan struct{})
	case !on && s.stall != nil:
		close(s.stall)
		s.stall = nil
	}
}

// InjectRaw writes b as it is to every connection, for malformed-message
// tests.
func (s *Server) InjectRaw(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sess := range s.sessions {
		sess.enqueue(append([]byte(nil), b...))
	}
}

// Emit broadcasts an arbitrary event of class ("call", "agent", "system",
// "user", "cdr", "dialplan", "security") to the logged-in sessions.
func (s *Server) Emit(class, event string, body ...ami.Header) error {
	c, ok := parseEventMask(class)
	if !ok || c == 0 || c == classAll {
		return fmt.Errorf("pbxsim: bad event class %q", class)
	}
	if _, err := ami.AppendMessage(nil, body); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emit(c, event, body...)
	return nil
}
