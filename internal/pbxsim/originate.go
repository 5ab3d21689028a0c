package pbxsim

import (
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// originate is one Originate request in flight.
type originate struct {
	sess             *session
	req              ami.Message
	channel          string // as requested
	app, data        string
	context, exten   string
	prio             string
	cidNum, cidName  string
	timeout          time.Duration
	async, responded bool
}

func (s *Server) actionOriginate(sess *session, req ami.Message) {
	o := &originate{sess: sess, req: req, channel: req.Get("Channel"), app: req.Get("Application"),
		data: req.Get("Data"), context: req.Get("Context"), exten: req.Get("Exten"), prio: req.Get("Priority"),
		async: astTrue(req.Get("Async")), timeout: 30 * time.Second}
	if ms, err := strconv.Atoi(req.Get("Timeout")); err == nil && ms > 0 {
		o.timeout = time.Duration(ms) * time.Millisecond
	}
	o.cidName, o.cidNum = parseCallerID(req.Get("CallerID"))
	switch {
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

// parseCallerID splits `"Name" <num>` (or a bare number).
func parseCallerID(v string) (name, num string) {
	v = strings.TrimSpace(v)
	if i := strings.LastIndexByte(v, '<'); i >= 0 && strings.HasSuffix(v, ">") {
		return strings.Trim(strings.TrimSpace(v[:i]), `"`), v[i+1 : len(v)-1]
	}
	return "", v
}

// startOriginate places the call; it returns the originated channel.
func (s *Server) startOriginate(o *originate) (*channel, error) {
	t, err := s.parseTarget(o.channel)
	if err != nil || (t.dev != nil && !t.dev.registered) {
		return nil, errNotFound
	}
	if t.tech == "Local" {
		return s.originateLocal(o, t), nil
	}
	ch := s.newPhoneChannel(t.dev, nil)
	ch.dialed = false
	if o.cidNum != "" || o.cidName != "" {
		ch.cidNum, ch.cidName = o.cidNum, o.cidName
	}
	s.dialEvent("DialBegin", nil, ch, "DialString", t.dev.name)
	s.originateLeg(o, ch)
	s.ringPhone(ch)
	return ch, nil
}

func (s *Server) originateLocal(o *originate, t dialTarget) *channel {
	one, two := s.newLocalPair(t.exten, t.context, nil)
	s.newexten(one, 1, "AppDial2", "(Outgoing Line)")
	if o.cidNum != "" || o.cidName != "" {
		s.setCallerID(one, o.cidNum, o.cidName)
		s.setConnected(one, o.cidNum, o.cidName)
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

// originateLeg wires the originated channel's progress and hangup.
func (s *Server) originateLeg(o *originate, ch *channel) {
	answered := false
	ch.progress = func(p progress) {
		switch p {
		case progRinging:
			if ch.state != stateRinging {
				ch.state = stateRinging
			}
			s.dialEvent("DialState", nil, ch, "DialStatus", "RINGING")
		case progBusy:
			ch.epoch++
			s.dialEvent("DialEnd", nil, ch, "DialStatus", "BUSY")
			s.originateDone(o, nil, 5)
			s.destroy(ch, 17)
		case progAnswer:
			if answered {
				return
			}
			answered = true
			ch.epoch++
			if ch.half == 1 {
				s.upLocalOne(ch)
			}
			s.dialEvent("DialEnd", nil, ch, "DialStatus", "ANSWER")
			s.originateDone(o, ch, 4)
			s.originateRun(o, ch)
			s.continueAfterAnswer(ch)
		}
	}
	ch.hangup = func(cause int, requested bool) {
		if requested {
			s.chanEvent(classCall, "HangupRequest", ch, hdrs("Cause", itoa(cause))...)
		}
		if !answered {
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
		s.destroy(ch, cause)
	}
	s.later(ch, o.timeout, func() {
		if answered {
			return
		}
		answered = true // no second DialEnd from the hangup below
		s.dialEvent("DialEnd", nil, ch, "DialStatus", "NOANSWER")
		s.originateDone(o, nil, 3)
		ch.epoch++
		s.destroy(ch, 19)
	})
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
	status, name, uniq := "Failure", o.channel, "<unknown>"
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
			s.destroy(ch, 0)
		})
	case "chanspy":
		s.chanSpy(ch, o.data)
	}
}
