package pbxsim

import (
	"fmt"
	"strings"
	"time"
)

// route is one extension pattern of extensions.conf and the Go function
// that plays its priorities.
type route struct {
	context, pattern string
	run              func(s *Server, ch *channel)
}

// dialplan is extensions.conf as a table, first match wins (patterns are
// Asterisk's: X, Z, N, [..], '.', '!').
var dialplan []route

func init() {
	dialplan = []route{
		{"internal", "_8XX", (*Server).planDialPhone},
		{"internal", "_9XX", (*Server).planDialPhone},
		{"internal", "_63[0-2]", (*Server).planQueue},
		{"internal", "_0X.", (*Server).planOutbound},
		{"fake-phone", "_noanswer-.", (*Server).planFakeNoAnswer},
		{"fake-phone", "_slow-.", (*Server).planFakeSlow},
		{"fake-phone", "_busy-.", (*Server).planFakeBusy},
		{"fake-phone", "_[0-9a-zA-Z+*#]!", (*Server).planFakeAnswer},
		{"from-trunk", "_in-X.", (*Server).planFromTrunk},
		{"from-trunk", "_inq-63[0-2]-X.", (*Server).planFromTrunk},
		{"from-trunk", "_cin-X.", (*Server).planFromTrunk},
		{"from-trunk", "_cinq-63[0-2]-X.", (*Server).planFromTrunk},
		{"inbound", "s", (*Server).planInbound},
		{"coocenter-inbound", "s", (*Server).planShippedInbound},
		{"coocenter-xfer", "0", (*Server).planXfer},
		{"coocenter-webcall", "s", (*Server).planWebcall},
	}
}

func lookupRoute(context, exten string) *route {
	for i := range dialplan {
		r := &dialplan[i]
		if r.context == context && matchExten(r.pattern, exten) {
			return r
		}
	}
	return nil
}

// extenExists is what Originate checks before it queues a call.
func extenExists(context, exten string) bool { return lookupRoute(context, exten) != nil }

// runDialplan starts ch at its context/exten, priority 1. A channel with
// nowhere to go hangs up, as Asterisk's pbx does.
func (s *Server) runDialplan(ch *channel) {
	r := lookupRoute(ch.context, ch.exten)
	if r == nil {
		s.destroy(ch, 1)
		return
	}
	ch.prio = 1
	r.run(s, ch)
}

// matchExten matches an extension against an Asterisk pattern.
func matchExten(pattern, exten string) bool {
	if !strings.HasPrefix(pattern, "_") {
		return pattern == exten
	}
	p := pattern[1:]
	i := 0
	for j := 0; j < len(p); j++ {
		c := p[j]
		switch c {
		case '.':
			return i < len(exten)
		case '!':
			return true
		}
		if i >= len(exten) {
			return false
		}
		e := exten[i]
		switch {
		case c == 'X':
			if e < '0' || e > '9' {
				return false
			}
		case c == 'Z':
			if e < '1' || e > '9' {
				return false
			}
		case c == 'N':
			if e < '2' || e > '9' {
				return false
			}
		case c == '[':
			end := strings.IndexByte(p[j:], ']')
			if end < 0 || !inClass(p[j+1:j+end], e) {
				return false
			}
			j += end
		default:
			if c != e {
				return false
			}
		}
		i++
	}
	return i == len(exten)
}

func inClass(class string, e byte) bool {
	for k := 0; k < len(class); k++ {
		if k+2 < len(class) && class[k+1] == '-' {
			if class[k] <= e && e <= class[k+2] {
				return true
			}
			k += 2
			continue
		}
		if class[k] == e {
			return true
		}
	}
	return false
}

// --- fake-phone: Local channels that answer --------------------------------

// fakePhoneHangup is a fake phone (roleFakePhone) hung up: its dialplan
// stops and runs the h extension.
func (s *Server) fakePhoneHangup(ch *channel, cause int, requested bool) {
	if requested {
		s.hangupRequested(ch, cause)
	}
	s.chanEvent(classCall, "SoftHangupRequest", ch, hdrs("Cause", "16")...)
	s.fakePhoneH(ch, cmpCause(cause))
}

// fakePhoneH runs "exten => h" of fake-phone, then the channel is gone.
func (s *Server) fakePhoneH(ch *channel, cause int) {
	ch.exten = "h"
	s.newexten(ch, 1, "NoOp", "fake phone "+ch.name+" hung up")
	s.newexten(ch, 2, "Hangup", "")
	s.destroy(ch, cause)
}

// holdThenHangUp is "Wait(600), Hangup()" of a fake phone.
func (s *Server) holdThenHangUp(ch *channel, prio int) {
	s.newexten(ch, prio, "Wait", "600")
	s.later(ch, s.opts.Timing.FakePhoneHold, func() {
		s.newexten(ch, prio+1, "Hangup", "")
		ch.epoch++
		s.fakePhoneH(ch, 16)
	})
}

func (s *Server) planFakeAnswer(ch *channel) {
	ch.role = roleFakePhone
	s.fakeAnswer(ch, 1)
}

// fakeAnswer is a fake phone's Answer() at priority prio, then Wait(600).
// Like any Answer of a Local ;2 it waits for media first (see answer): a
// fake phone hung up soon after it answered never shows the Wait (ami-18,
// and ami-03 where CoreShowChannels finds it still in Answer).
func (s *Server) fakeAnswer(ch *channel, prio int) {
	s.answer(ch, prio, func() { s.holdThenHangUp(ch, prio+1) })
}

func (s *Server) planFakeNoAnswer(ch *channel) {
	ch.role = roleFakePhone
	s.newexten(ch, 1, "Ringing", "")
	s.localRinging(ch)
	s.holdThenHangUp(ch, 2)
}

func (s *Server) planFakeSlow(ch *channel) {
	ch.role = roleFakePhone
	s.newexten(ch, 1, "Ringing", "")
	s.localRinging(ch)
	s.newexten(ch, 2, "Wait", "5")
	s.later(ch, s.opts.Timing.SlowAnswer, func() {
		s.fakeAnswer(ch, 3)
	})
}

func (s *Server) planFakeBusy(ch *channel) {
	ch.role = roleFakePhone
	s.newexten(ch, 1, "Busy", "10")
	s.setState(ch, stateBusy)
	if one := ch.other; one != nil {
		s.onProgress(one, progBusy)
	}
	s.later(ch, s.opts.Timing.BusyHold, func() { ch.epoch++; s.fakePhoneH(ch, 17) })
}

// localRinging is ;2 indicating ringing to ;1's dialer.
func (s *Server) localRinging(two *channel) {
	if one := two.other; one != nil {
		s.onProgress(one, progRinging)
	}
}

// --- from-trunk / inbound: the simulated external caller --------------------

// planFromTrunk is "in-<number>" (queue 630) and "inq-<queue>-<number>"
// into [inbound]; "cin-" and "cinq-" the same into [coocenter-inbound].
func (s *Server) planFromTrunk(ch *channel) {
	context, route := "inbound", ch.exten
	if strings.HasPrefix(route, "c") {
		context, route = "coocenter-inbound", route[1:]
	}
	number, queue := strings.TrimPrefix(route, "in-"), "630"
	if strings.HasPrefix(route, "inq-") {
		queue, number = route[4:7], route[8:]
	}
	s.newexten(ch, 1, "Set", "CALLERID(num)="+number)
	if ch.cidNum != number {
		s.setCallerID(ch, number, ch.cidName)
	}
	s.newexten(ch, 2, "Set", "CALLERID(name)=External "+number)
	s.setCallerID(ch, number, "External "+number)
	s.newexten(ch, 3, "Set", "TARGETQ="+queue)
	s.setVar(ch, "TARGETQ", queue)
	s.newexten(ch, 4, "Goto", context+",s,1")
	ch.gotoExten(context, "s")
	ch.targetQueue = queue
	s.runDialplan(ch)
}

// planInbound is [inbound] s: blacklist check, IVR events, queue.
func (s *Server) planInbound(ch *channel) {
	num, q := ch.cidNum, ch.targetQueue
	s.newexten(ch, 1, "NoOp", fmt.Sprintf("Inbound call from %s for queue %s", num, q))
	if s.gotoIfInDB(ch, 2, "blacklist", num, "blacklisted") {
		s.userEvent(ch, 9, "Blacklisted", "CallerIDNum", num, "Uniq", ch.uniqueid)
		s.newexten(ch, 10, "Hangup", "21")
		s.endDialplan(ch, 21)
		return
	}
	ch.role = roleDialplan
	ivr := func(prio int, step string) {
		s.userEvent(ch, prio, "IVRStep", "Step", step, "CallerIDNum", num, "Queue", q, "Uniq", ch.uniqueid)
	}
	s.answer(ch, 3, func() {
		ivr(4, "welcome")
		s.newexten(ch, 5, "Wait", "1")
		s.later(ch, s.opts.Timing.IVRWait, func() {
			ivr(6, "to-queue")
			s.newexten(ch, 7, "Queue", q+","+s.queueOptions("r")+",,,20")
			s.enterQueue(ch, s.findQueue(q), "r", func() { s.dialplanHangup(ch, 8) })
		})
	})
}

// gotoIfInDB is GotoIf(${DB_EXISTS(<family>/<key>)}?<label>) at priority
// prio; it reports whether the key exists. func_db sets DB_RESULT while
// the priority's arguments are substituted, so its VarSet comes before
// the Newexten (ami-04, ami-18).
func (s *Server) gotoIfInDB(ch *channel, prio int, family, key, label string) bool {
	found := s.dbExists(family, key)
	if found {
		s.setVar(ch, "DB_RESULT", s.db[dbPath(family, key)])
	}
	s.newexten(ch, prio, "GotoIf", gotoIf(found, label))
	return found
}

// answer is Answer() of a Local ;2 at priority prio; next is the priority
// after it. Answer of a ringing channel waits up to 500 ms for media
// (channel.c: __ast_answer), and a Local ;2 gets none: a call hung up or
// stopped soon after it was answered never shows the next priority
// (ami-18's fake phone, ami-21's inbound call).
func (s *Server) answer(ch *channel, prio int, next func()) {
	s.newexten(ch, prio, "Answer", "")
	s.localAnswer(ch)
	s.later(ch, s.opts.Timing.AnswerWait, next)
}

// appHangup is a hangup ending ch's dialplan where an application waits
// (roleDialplan, roleReading; pbx.c: __ast_pbx_run): the application
// returns (a Read with READSTATUS HANGUP), then SoftHangupRequest Cause 16
// and Hangup follow (ami-21: the inbound ;2 hung up in Answer; ami-24: in
// the survey's Read).
func (s *Server) appHangup(ch *channel, cause int, requested bool) {
	if requested {
		s.hangupRequested(ch, cause)
	}
	if ch.role == roleReading {
		s.readEnd(ch, "", "HANGUP")
	}
	s.endDialplan(ch, cmpCause(cause))
}

// dialplanHangup is "same => n,Hangup()": the dialplan ends.
func (s *Server) dialplanHangup(ch *channel, prio int) {
	s.newexten(ch, prio, "Hangup", "")
	s.endDialplan(ch, 16)
}

// endDialplan is the end of a channel's dialplan (__ast_pbx_run) once an
// application returned -1 (Hangup(), or Dial and Queue of a channel that
// was hung up): Asterisk soft-hangs the channel up with
// AST_SOFTHANGUP_APPUNLOAD, published as SoftHangupRequest Cause 16 (ami-04
// after Hangup(21); ami-11 after the Dial of SIP/801, hung up by AMI), then
// a SIP channel's RTP statistics and Hangup with cause.
func (s *Server) endDialplan(ch *channel, cause int) {
	ch.epoch++
	s.chanEvent(classCall, "SoftHangupRequest", ch, hdrs("Cause", "16")...)
	s.rtpQoSVars(ch)
	s.destroy(ch, cause)
}

// --- internal: phones, queues, the outbound trunk ---------------------------

// planDialPhone is _8XX / _9XX: NoOp, MixMonitor, Dial(TECH/${EXTEN},30),
// Hangup; with ArmAgents, a phone caller is armed first and the phone
// rung with tTb(coocenter-agent^s^1).
func (s *Server) planDialPhone(ch *channel) {
	tech := "SIP"
	if ch.exten[0] == '9' {
		tech = "PJSIP"
	}
	s.newexten(ch, 1, "NoOp", fmt.Sprintf("Internal call %s -> %s/%s", ch.cidNum, tech, ch.exten))
	s.mixMonitor(ch, 2)
	dial, options := s.armCaller(ch, 3)
	s.newexten(ch, dial, "Dial", tech+"/"+ch.exten+",30"+options)
	s.dialWith(ch, tech+"/"+ch.exten, s.opts.Timing.DialTimeout, s.opts.ArmAgents, func() { s.dialplanHangup(ch, dial+1) })
}

// armCaller is, with ArmAgents, the test dialplan's steps from priority
// prio before a Dial: GotoIf($["${CHANNEL(channeltype)}" = "Local"]?dial),
// then Gosub(coocenter-agent,s,1) for a phone's channel. It returns the
// Dial's priority and its options (",tTb(coocenter-agent^s^1)").
func (s *Server) armCaller(ch *channel, prio int) (int, string) {
	if !s.opts.ArmAgents {
		return prio, ""
	}
	local := strings.HasPrefix(ch.name, "Local/")
	s.newexten(ch, prio, "GotoIf", gotoIf(local, "dial"))
	if !local {
		context, exten := ch.context, ch.exten
		s.newexten(ch, prio+1, "Gosub", "coocenter-agent,s,1")
		s.agentSub(ch)
		ch.gotoExten(context, exten)
	}
	return prio + 2, ",tTb(coocenter-agent^s^1)"
}

// planOutbound is _0X.: the "trunk" is a Local fake phone that answers.
func (s *Server) planOutbound(ch *channel) {
	s.newexten(ch, 1, "NoOp", fmt.Sprintf("Outbound call %s -> %s", ch.cidNum, ch.exten))
	s.mixMonitor(ch, 2)
	dial, options := s.armCaller(ch, 3)
	if options != "" {
		options = ",T"
	}
	s.newexten(ch, dial, "Dial", "Local/"+ch.exten+"@fake-phone/n,60"+options)
	s.dialApp(ch, "Local/"+ch.exten+"@fake-phone/n", 2*s.opts.Timing.DialTimeout, func() { s.dialplanHangup(ch, dial+1) })
}

// planQueue is _63[0-2]: Queue(${EXTEN},r,,,300), Hangup().
func (s *Server) planQueue(ch *channel) {
	s.newexten(ch, 1, "NoOp", fmt.Sprintf("Queue %s from %s", ch.exten, ch.cidNum))
	s.newexten(ch, 2, "Queue", ch.exten+","+s.queueOptions("r")+",,,300")
	if ch.state != stateUp {
		s.setState(ch, stateUp)
	}
	s.enterQueue(ch, s.findQueue(ch.exten), "r", func() { s.dialplanHangup(ch, 3) })
}

// mixMonitor is MixMonitor(<file>,b). Option b makes it write only while
// the channel is bridged, but the monitor starts at once: MixMonitorStart
// follows MIXMONITOR_FILENAME, before Dial (ami-11, ami-12).
func (s *Server) mixMonitor(ch *channel, prio int) {
	file := fmt.Sprintf("%s-%s-%s-%s.wav", time.Now().Format("20060102-150405"), ch.cidNum, ch.exten, ch.uniqueid)
	s.newexten(ch, prio, "MixMonitor", file+",b")
	s.setVar(ch, "MIXMONITOR_FILENAME", "/var/spool/asterisk/monitor/"+file)
	s.chanEvent(classCall, "MixMonitorStart", ch)
}

// queueOptions are the test dialplan's Queue options: with ArmAgents
// also tb(coocenter-agent^s^1), as README tells users to arm agents.
func (s *Server) queueOptions(options string) string {
	if s.opts.ArmAgents {
		return options + "tb(coocenter-agent^s^1)"
	}
	return options
}
