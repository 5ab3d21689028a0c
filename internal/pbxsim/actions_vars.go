package pbxsim

import (
	"strings"

	"github.com/coocenter/coocenterd/internal/ami"
)

// The channel-variable actions of main/manager.c (Getvar, Setvar) and
// res_mutestream's MuteAudio, with the messages Asterisk 22.9.0 answered
// in the lab (docs/design/agent-verbs.md).

// actionGetvar is action_getvar: the value of a channel variable (leading
// "_"/"__" ignored), empty when unset; without Channel, a global.
func (s *Server) actionGetvar(sess *session, req ami.Message) {
	name := req.Get("Variable")
	if name == "" {
		sess.send(response(req, "Error", "No variable specified")...)
		return
	}
	value := s.pbx.globals[varTail(name)]
	if cn := req.Get("Channel"); cn != "" {
		ch := s.findChannel(cn)
		if ch == nil {
			sess.send(response(req, "Error", "No such channel")...)
			return
		}
		value, _ = ch.varValue(varTail(name))
	}
	sess.send(join(hdrs("Response", "Success"), actionID(req), hdrs("Variable", name, "Value", value))...)
}

// actionSetvar is action_setvar: VarSet on the channel; the dialplan of
// the channel sees the new value (a hold waiting for COOCENTER_HOLD to
// change ends, see dynhold.go). Without Channel the variable is a global:
// pbxsim keeps it for Getvar and Status but publishes nothing.
func (s *Server) actionSetvar(sess *session, req ami.Message) {
	name, value := req.Get("Variable"), req.Get("Value")
	if name == "" {
		sess.send(response(req, "Error", "No variable specified")...)
		return
	}
	cn := req.Get("Channel")
	if cn == "" {
		s.pbx.globals[varTail(name)] = value
		sess.send(response(req, "Success", "Variable Set")...)
		return
	}
	ch := s.findChannel(cn)
	if ch == nil {
		sess.send(response(req, "Error", "No such channel")...)
		return
	}
	sess.send(response(req, "Success", "Variable Set")...)
	s.setVar(ch, name, value)
	s.varChanged(ch, varTail(name))
}

// actionMuteAudio is res_mutestream's MuteAudio: it suppresses voice
// frames on the channel and publishes nothing. Success carries no
// Message. Direction is in, out or all; State is read with ast_true, so
// anything but a true word unmutes.
func (s *Server) actionMuteAudio(sess *session, req ami.Message) {
	cn, dir, state := req.Get("Channel"), req.Get("Direction"), req.Get("State")
	var msg string
	switch {
	case cn == "":
		msg = "Channel not specified"
	case dir == "":
		msg = "Direction not specified"
	case state == "":
		msg = "State not specified"
	}
	if msg != "" {
		sess.send(response(req, "Error", msg)...)
		return
	}
	ch := s.findChannel(cn)
	if ch == nil {
		sess.send(response(req, "Error", "No such channel")...)
		return
	}
	var bits int
	switch strings.ToLower(dir) {
	case "in":
		bits = 1
	case "out":
		bits = 2
	case "all":
		bits = 3
	default:
		sess.send(response(req, "Error", "Failed to mute/unmute stream")...)
		return
	}
	if astTrue(state) {
		ch.muted |= bits
	} else {
		ch.muted &^= bits
	}
	sess.send(join(hdrs("Response", "Success"), actionID(req))...)
}

// statusVariables is the Variable lines of a Status item for the names of
// its Variables header: each as pbx_builtin_getvar_helper finds it (the
// channel's, else a global), "(null)" when unset (glibc's %s of NULL).
func (s *Server) statusVariables(ch *channel, names string) []ami.Header {
	if names == "" {
		return nil
	}
	var out []ami.Header
	for _, name := range strings.Split(names, ",") {
		v, ok := ch.varValue(varTail(name))
		if !ok {
			v, ok = s.pbx.globals[varTail(name)]
		}
		if !ok {
			v = "(null)"
		}
		out = append(out, ami.Header{Key: "Variable", Value: name + "=" + v})
	}
	return out
}
