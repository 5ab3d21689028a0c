package pbxsim

import (
	"cmp"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// maxPublicUniqueid is AST_MAX_PUBLIC_UNIQUEID (channel.h): the longest
// ChannelId / OtherChannelId Originate accepts.
const maxPublicUniqueid = 149

// originate is one Originate request in flight.
type originate struct {
	sess             *session
	req              ami.Message
	channel          string // as requested
	app, data        string
	context, exten   string
	prio             string
	cidNum, cidName  string
	ids              assignedIDs // ChannelId, OtherChannelId
	vars             []chanVar   // Variable headers, in the order they are set
	timeout          time.Duration
	async, responded bool
	// answered: the channel answered, or the timeout ended the attempt
	// (no second DialEnd from the hangup that follows).
	answered bool
}

func (s *Server) actionOriginate(sess *session, req ami.Message) {
	o := &originate{sess: sess, req: req, channel: req.Get("Channel"), app: req.Get("Application"),
		data: req.Get("Data"), context: req.Get("Context"), exten: req.Get("Exten"), prio: req.Get("Priority"),
		ids:   assignedIDs{req.Get("ChannelId"), req.Get("OtherChannelId")},
		vars:  originateVars(req.Values("Variable")),
		async: astTrue(req.Get("Async")), timeout: 30 * time.Second}
	if ms, err := strconv.Atoi(req.Get("Timeout")); err == nil && ms > 0 {
		o.timeout = time.Duration(ms) * time.Millisecond
	}
	o.cidName, o.cidNum = parseCallerID(req.Get("CallerID"))
	switch {
	case len(o.ids.one) > maxPublicUniqueid || len(o.ids.two) > maxPublicUniqueid:
		// Asterisk's message ends in a stray "\n" inside the Message value
		// (astman_send_error_va with "...%d\n"); it is left out here.
		sess.send(response(req, "Error", "Uniqueid length exceeds maximum of "+itoa(maxPublicUniqueid))...)
		return
	case o.channel == "":
		sess.send(response(req, "Error", "Channel not specified")...)
		return
	case !strings.Contains(o.channel, "/"):
		sess.send(response(req, "Error", "Invalid channel")...)
		return
	case o.app == "" && (o.exten == "" || o.context == "" || o.prio == ""):
		sess.send(response(req, "Error", "Originate with 'Exten' requires 'Context' and 'Priority'")...)
		return
	case o.app == "" && !extenExists(o.context, o.exten):
		sess.send(response(req, "Error", "Extension does not exist.")...)
		return
	}
	if o.async {
		sess.send(response(req, "Success", "Originate successfully queued")...)
	}
	if _, err := s.startOriginate(o); err != nil {
		s.originateDone(o, nil, 0)
	}
}

// originateVars reads the Variable headers as astman_get_variables does:
// each value is a comma-separated list of NAME=value items (quotes and
// backslashes as in dialplan arguments); items without "=" or with an
// empty name are dropped. The list comes out reversed (every item is
// prepended), and that is the order ast_set_variables sets them in.
// Dialplan functions ("CALLERID(num)=...") are not evaluated: pbxsim drops
// them.
func originateVars(values []string) []chanVar {
	var out []chanVar
	for _, v := range values {
		for _, item := range splitAppArgs(strings.TrimLeft(v, " \t")) {
			name, value, ok := strings.Cut(item, "=")
			if !ok || name == "" || strings.HasSuffix(name, ")") {
				continue
			}
			out = append([]chanVar{{name, value}}, out...)
		}
	}
	return out
}

// splitAppArgs is AST_STANDARD_APP_ARGS (__ast_app_separate_args): split
// at commas outside quotes, parentheses and brackets; quotes and
// backslashes are removed (a backslash keeps the next character).
func splitAppArgs(s string) []string {
	var (
		out          []string
		cur          strings.Builder
		paren, brack int
		quoted       bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			continue
		case c == '"':
			quoted = !quoted
			continue
		case c == '(':
			paren++
		case c == ')' && paren > 0:
			paren--
		case c == '[':
			brack++
		case c == ']' && brack > 0:
			brack--
		case c == ',' && paren == 0 && brack == 0 && !quoted:
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(out, cur.String())
}

// parseCallerID splits `"Name" <num>` (or a bare number).
func parseCallerID(v string) (name, num string) {
	v = strings.TrimSpace(v)
	if i := strings.LastIndexByte(v, '<'); i >= 0 && strings.HasSuffix(v, ">") {
		return strings.Trim(strings.TrimSpace(v[:i]), `"`), v[i+1 : len(v)-1]
	}
	return "", v
}

// errIDInUse: an assigned uniqueid is taken; the channel cannot be
// allocated and the originate fails (Reason 0).
var errIDInUse = errors.New("uniqueid in use")

// startOriginate places the call; it returns the originated channel.
func (s *Server) startOriginate(o *originate) (*channel, error) {
	t, err := s.parseTarget(o.channel)
	if err != nil || (t.dev != nil && !t.dev.registered) {
		return nil, errNotFound
	}
	if t.tech == "Local" {
		// core_unreal.c allocates ;1 and ;2 each with its own id.
		ids := localIDs(o.ids)
		if s.uniqueidInUse(ids.one) || s.uniqueidInUse(ids.two, ids.one) {
			return nil, errIDInUse
		}
		return s.originateLocal(o, t, ids), nil
	}
	// chan_sip and chan_pjsip hand both ids to the channel allocation,
	// which checks both; OtherChannelId is otherwise unused.
	if s.uniqueidInUse(o.ids.one) || s.uniqueidInUse(o.ids.two) {
		return nil, errIDInUse
	}
	ch := s.newPhoneChannel(t.dev, nil, o.ids.one)
	ch.dialed = false
	ch.exten = "" // a phone's Newexten AppDial2 has no extension (ami-11), a Local ;1's has its own (ami-02)
	s.originateSetup(o, ch)
	s.dialEvent("DialBegin", nil, ch, "DialString", t.dev.name)
	s.originateLeg(o, ch)
	s.ringPhone(ch)
	s.onProgress(ch, progRinging)
	return ch, nil
}

// originateSetup is what pbx_outgoing_attempt does to the channel it
// dials before calling it: Newexten AppDial2, the Variable headers, then
// the caller ID and the connected line of the CallerID header (ami-02 on a
// Local ;1; ami-11 on SIP/801 after Newchannel and SIPCALLID; ami-12 on
// SIP/805, without Variable headers).
func (s *Server) originateSetup(o *originate, ch *channel) {
	s.newexten(ch, 1, "AppDial2", "(Outgoing Line)")
	s.originateVarsOn(ch, o)
	if o.cidNum != "" || o.cidName != "" {
		s.setCallerID(ch, o.cidNum, o.cidName)
		s.setConnected(ch, o.cidNum, o.cidName)
	}
}

// originateVarsOn sets the Variable headers on the originated channel
// (ast_set_variables in pbx_outgoing_attempt, before the caller ID).
func (s *Server) originateVarsOn(ch *channel, o *originate) {
	for _, v := range o.vars {
		s.setVar(ch, v.name, v.value)
	}
}

func (s *Server) originateLocal(o *originate, t dialTarget, ids assignedIDs) *channel {
	one, two := s.newLocalPair(t.exten, t.context, nil, ids)
	s.originateSetup(o, one)
	s.copyLocalVars(one, two)
	if o.cidNum != "" || o.cidName != "" {
		two.connNum, two.connName = o.cidNum, o.cidName
		s.setCallerID(two, o.cidNum, o.cidName)
		s.setConnected(two, o.cidNum, o.cidName)
	}
	s.localBridgeEvent(one, two, !strings.HasSuffix(o.channel, "/n"))
	s.dialEvent("DialBegin", nil, one, "DialString", t.exten+"@"+t.context)
	s.originateLeg(o, one)
	s.runDialplan(two)
	return one
}

// originateLeg makes ch the originated channel of o: it tells o its
// progress (originateProgress), its hangup is originateHangup, and o gives
// up after its timeout.
func (s *Server) originateLeg(o *originate, ch *channel) {
	ch.orig, ch.role = o, roleOriginated
	s.later(ch, o.timeout, func() {
		if o.answered {
			return
		}
		o.answered = true
		s.dialEvent("DialEnd", nil, ch, "DialStatus", "NOANSWER")
		s.originateDone(o, nil, 3)
		ch.epoch++
		s.destroy(ch, 19)
	})
}

// originateProgress is the originated channel ringing, busy or answering.
// Once it answered, it runs the application or the dialplan asked for.
func (s *Server) originateProgress(ch *channel, p progress) {
	o := ch.orig
	switch p {
	case progRinging:
		ch.state = stateRinging
		s.dialEvent("DialState", nil, ch, "DialStatus", "RINGING")
	case progBusy:
		ch.epoch++
		s.dialEvent("DialEnd", nil, ch, "DialStatus", "BUSY")
		s.originateDone(o, nil, 5)
		s.destroy(ch, 17)
	case progAnswer:
		if o.answered {
			return
		}
		o.answered = true
		ch.epoch++
		if ch.half == 1 {
			s.upLocalOne(ch)
		}
		s.dialEvent("DialEnd", nil, ch, "DialStatus", "ANSWER")
		s.originateDone(o, ch, 4)
		s.originateRun(o, ch)
	}
}

// originateHangup is the originated channel hanging up: a spy stops
// spying first (ChanSpyStop); unanswered, the originate fails with the
// reason of the cause.
func (s *Server) originateHangup(ch *channel, cause int, requested bool) {
	s.spyStop(ch)
	if requested {
		s.hangupRequested(ch, cause)
	}
	if o := ch.orig; !o.answered {
		status, reason := "NOANSWER", 0
		if cause == 17 {
			status, reason = "BUSY", 5
		} else if ch.half == 0 {
			status, reason = "CANCEL", 1
		}
		s.dialEvent("DialEnd", nil, ch, "DialStatus", status)
		s.originateDone(o, nil, reason)
	}
	if ch.bridge != nil {
		s.leaveBridge(ch)
	}
	s.appDone(ch, cause)
}

// originateDone publishes OriginateResponse (async) or answers the
// waiting session (sync). ch is nil on failure.
func (s *Server) originateDone(o *originate, ch *channel, reason int) {
	if o.responded {
		return
	}
	o.responded = true
	if !o.async {
		if ch != nil {
			o.sess.send(response(o.req, "Success", "Originate successfully queued")...)
		} else {
			o.sess.send(response(o.req, "Error", "Originate failed")...)
		}
		return
	}
	// fast_originate: a failed originate reports the requested channel and
	// the ChannelId asked for, else <unknown>.
	status, name, uniq := "Failure", o.channel, cmp.Or(o.ids.one, "<unknown>")
	if ch != nil {
		status, name, uniq = "Success", ch.name, ch.uniqueid
	}
	h := join(actionID(o.req), hdrs("Response", status, "Channel", name))
	if o.app != "" {
		h = append(h, hdrs("Application", o.app, "Data", o.data)...)
	} else {
		h = append(h, hdrs("Context", o.context, "Exten", o.exten)...)
	}
	h = append(h, hdrs("Reason", itoa(reason), "Uniqueid", uniq, "CallerIDNum", orUnknown(o.cidNum),
		"CallerIDName", orUnknown(o.cidName))...)
	s.emit(classCall, "OriginateResponse", h...)
}

// originateRun is what the answered channel does: an application or the
// dialplan at Context/Exten/Priority.
func (s *Server) originateRun(o *originate, ch *channel) {
	if o.app == "" {
		ch.gotoExten(o.context, o.exten)
		ch.dialed = false
		s.runDialplan(ch)
		return
	}
	ch.app, ch.appData = o.app, o.data
	switch strings.ToLower(o.app) {
	case "wait":
		secs, _ := strconv.ParseFloat(strings.TrimSpace(o.data), 64)
		d := time.Duration(secs * s.opts.Timing.WaitScale * float64(time.Second))
		s.later(ch, d, func() {
			ch.epoch++
			if ch.bridge != nil {
				s.leaveBridge(ch)
			}
			s.appDone(ch, 0)
		})
	case "chanspy":
		s.chanSpy(ch, o.data)
	}
}

// appDone hangs up an originated channel whose application returned
// (pbx_outgoing_exec runs it without a dialplan, so no SoftHangupRequest):
// an answered SIP phone's RTP statistics, then Hangup (ami-12: SIP/805
// after ChanSpy).
func (s *Server) appDone(ch *channel, cause int) {
	if ch.state == stateUp {
		s.rtpQoSVars(ch)
	}
	s.destroy(ch, cause)
}
