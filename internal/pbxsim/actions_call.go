package pbxsim

import (
	"cmp"
	"regexp"
	"strconv"
	"strings"

	"github.com/coocenter/coocenterd/internal/ami"
)

func (s *Server) actionHangup(sess *session, req ami.Message) {
	name := req.Get("Channel")
	if name == "" {
		sess.send(response(req, "Error", "No channel specified")...)
		return
	}
	cause := 16
	if c, err := strconv.Atoi(req.Get("Cause")); err == nil && c >= 0 && c <= 127 {
		cause = c
	}
	if len(name) > 2 && name[0] == '/' && name[len(name)-1] == '/' {
		re, err := regexp.Compile(name[1 : len(name)-1])
		if err != nil {
			sess.send(response(req, "Error", "Regex compile failed on: "+name)...)
			return
		}
		var hits []*channel
		for _, ch := range s.pbx.channels {
			if !ch.gone && re.MatchString(ch.name) {
				hits = append(hits, ch)
			}
		}
		sess.send(listStart(req, "Channels hung up will follow")...)
		for _, ch := range hits {
			sess.send(listItem(req, "ChannelHungup", hdrs("Channel", ch.name)...)...)
		}
		sess.send(listComplete(req, "ChannelsHungupListComplete", len(hits))...)
		s.hangupAll(hits, cause)
		return
	}
	ch := s.findChannel(name)
	if ch == nil {
		sess.send(response(req, "Error", "No such channel")...)
		return
	}
	sess.send(response(req, "Success", "Channel Hungup")...)
	s.amiHangup(ch, cause)
}

func (s *Server) actionRedirect(sess *session, req ami.Message) {
	name, exten, context, prio := req.Get("Channel"), req.Get("Exten"), req.Get("Context"), req.Get("Priority")
	var msg string
	switch {
	case name == "":
		msg = "Channel not specified"
	case context == "":
		msg = "Context not specified"
	case exten == "":
		msg = "Exten not specified"
	case prio == "":
		msg = "Priority not specified"
	}
	if msg != "" {
		sess.send(response(req, "Error", msg)...)
		return
	}
	ch := s.findChannel(name)
	if ch == nil {
		sess.send(response(req, "Error", "Channel does not exist: "+name)...)
		return
	}
	var extra *channel
	if en := req.Get("ExtraChannel"); en != "" {
		if extra = s.findChannel(en); extra == nil {
			sess.send(response(req, "Error", "ExtraChannel does not exist: "+en)...)
			return
		}
	}
	if extra == nil {
		sess.send(response(req, "Success", "Redirect successful")...)
		s.redirect(ch, context, exten)
		return
	}
	sess.send(response(req, "Success", "Dual Redirect successful")...)
	ectx, eexten := cmp.Or(req.Get("ExtraContext"), context), cmp.Or(req.Get("ExtraExten"), exten)
	// When the two are bridged together, ch leaving dissolves the bridge
	// and kicks extra out: redirectTo moves it instead of hanging it up,
	// and is consumed. Otherwise extra is redirected on its own.
	extra.redirectTo = &place{ectx, eexten}
	s.redirect(ch, context, exten)
	if extra.redirectTo != nil {
		s.redirect(extra, ectx, eexten)
	}
}

// redirect is an async goto: ch leaves what it does (a bridge dissolves,
// ending the other party) and runs the dialplan at exten@context.
func (s *Server) redirect(ch *channel, context, exten string) {
	if ch.bridge != nil {
		ch.redirectTo = nil
		s.leaveBridge(ch)
	}
	s.moveTo(ch, context, exten)
}

// moveTo restarts ch at exten@context with no role left from before.
func (s *Server) moveTo(ch *channel, context, exten string) {
	if ch.gone {
		return
	}
	ch.epoch++
	if qc := ch.qc; qc != nil && qc.connected == nil {
		// The redirected caller reads as gone to wait_for_answer, which
		// cancels the members before hangupcalls does.
		s.cancelLegs(qc, nil, true)
		s.leaveQueue(qc)
		ch.qc = nil
	}
	ch.role, ch.orig, ch.redirectTo = rolePlain, nil, nil
	ch.dialed = false
	ch.gotoExten(context, exten)
	s.runDialplan(ch)
}

func (s *Server) actionBlindTransfer(sess *session, req ami.Message) {
	name, exten := req.Get("Channel"), req.Get("Exten")
	switch {
	case name == "":
		sess.send(response(req, "Error", "No channel specified")...)
		return
	case exten == "":
		sess.send(response(req, "Error", "No extension specified")...)
		return
	}
	ch := s.findChannel(name)
	if ch == nil {
		sess.send(response(req, "Error", "Channel specified does not exist")...)
		return
	}
	if err := s.blindTransfer(ch, cmp.Or(req.Get("Context"), ch.context), exten, false); err != nil {
		sess.send(response(req, "Error", "Transfer invalid")...)
		return
	}
	sess.send(response(req, "Success", "Transfer succeeded")...)
}

// blindTransfer sends transferer's bridge peer to exten@context and hangs
// the transferer up: the AMI BlindTransfer action, or a SIP phone's REFER
// (refer). As recorded (ami-19: 804 REFERs a queue caller to 802; the
// AMI action in TestTransferLeavesPeerRingingDst): chan_sip's REFER
// variables on the transferee, Unhold and BLINDTRANSFER on the
// transferer, BLINDTRANSFER on the transferee, BlindTransfer; the
// transferee's snapshot moves to exten@context (Newexten still naming its
// application) before it leaves the bridge, and its dialplan starts there
// without a Newexten for priority 1, which the snapshot already showed. A
// REFERring phone's channel goes without RTP statistics.
func (s *Server) blindTransfer(transferer *channel, context, exten string, refer bool) error {
	peer := transferer.peerOf()
	if peer == nil {
		return errNotFound
	}
	b := transferer.bridge
	referredBy := ""
	if refer && transferer.dev != nil && transferer.dev.tech == "SIP" {
		referredBy = "<sip:" + transferer.dev.name + "@127.0.0.1>"
		s.setVar(peer, "SIPREFERRINGCONTEXT", context)
		s.setVar(peer, "__SIPREFERREDBYHDR", referredBy)
	}
	s.chanEvent(classCall, "Unhold", transferer)
	s.setVar(transferer, "BLINDTRANSFER", peer.name)
	s.setVar(peer, "BLINDTRANSFER", transferer.name)
	if referredBy != "" {
		s.setVars(peer, "SIPTRANSFER", "yes", "SIPTRANSFER_REFERER", referredBy, "SIPDOMAIN", "127.0.0.1")
	}
	s.emit(classCall, "BlindTransfer", join(hdrs("Result", "Success"), transferer.snapshot("Transferer"),
		b.snapshot(), peer.snapshot("Transferee"), hdrs("IsExternal", "Yes", "Context", context, "Extension", exten))...)
	afterBridge := func() {}
	if peer.role == roleDialCallerBridged {
		// Dial returns when its caller leaves the bridge: DIALSTATUS
		// again, nothing else (ami-20).
		afterBridge = func() { s.setVar(peer, "DIALSTATUS", "ANSWER") }
	}
	if qc := transferer.qc; qc != nil && qc.connected != nil {
		s.queueTransferred(qc)
	}
	if qc := peer.qc; qc != nil && qc.connected != nil {
		afterBridge = s.queueTransferred(qc)
	}
	transferer.epoch++
	s.setBridgePeers(b.members[0], b.members[len(b.members)-1], true)
	peer.epoch++
	peer.gotoExten(context, exten)
	s.newexten(peer, 1, peer.app, peer.appData)
	s.removeFromBridge(b, transferer)
	if referredBy != "" {
		transferer.rtp = rtpBye
	}
	s.rtpQoSVars(transferer)
	s.destroy(transferer, 16)
	if !peer.gone && peer.bridge == b {
		s.removeFromBridge(b, peer)
		s.emit(classCall, "BridgeDestroy", b.snapshot()...)
		s.dropBridge(b)
		afterBridge()
		peer.shownAt = true
		s.moveTo(peer, context, exten)
	}
	return nil
}

// chanSpy is ChanSpy(<prefix>[,options]) on spy: it spies on the first
// channel whose name starts with prefix (option u: exact name or uniqueid).
func (s *Server) chanSpy(spy *channel, data string) {
	prefix, opts, _ := strings.Cut(data, ",")
	spy.spyOpts = opts
	var target *channel
	for _, ch := range s.pbx.channels {
		if ch == spy || ch.gone {
			continue
		}
		if strings.Contains(opts, "u") {
			if equalFoldASCII(ch.name, prefix) || ch.uniqueid == prefix {
				target = ch
				break
			}
		} else if len(ch.name) >= len(prefix) && equalFoldASCII(ch.name[:len(prefix)], prefix) {
			target = ch
			break
		}
	}
	if target == nil {
		if strings.Contains(opts, "S") {
			s.destroy(spy, 16)
		}
		return
	}
	spy.spying = target
	s.emit(classCall, "ChanSpyStart", join(spy.snapshot("Spyer"), target.snapshot("Spyee"))...)
	s.spiedBridgeChanged(target)
}

// spiedBridgeChanged: the audiohook ChanSpy attaches to its target makes
// the target's bridge re-evaluate itself, and a two-party bridge sets its
// peer variables again (ami-12: BRIDGEPEER and BRIDGEPVTCALLID on SIP/802
// and SIP/801 once more after ChanSpyStart).
func (s *Server) spiedBridgeChanged(target *channel) {
	if b := target.bridge; b != nil && len(b.members) == 2 {
		s.setBridgePeers(b.members[0], b.members[1], false)
	}
}

// spyStop ends spy's session (ChanSpyStop); called when either side goes.
func (s *Server) spyStop(spy *channel) {
	target := spy.spying
	if target == nil {
		return
	}
	spy.spying = nil
	s.emit(classCall, "ChanSpyStop", join(spy.snapshot("Spyer"), target.snapshot("Spyee"))...)
}

// spiesGone ends the spying on target, which hangs up. With E or S ChanSpy
// returns and the spy channel hangs up: nobody asked it to, so there is no
// HangupRequest (ami-12: SIP/805 ends with its RTP statistics and Hangup).
func (s *Server) spiesGone(target *channel) {
	for _, spy := range append([]*channel(nil), s.pbx.channels...) {
		if spy.spying != target || spy.gone {
			continue
		}
		s.spyStop(spy)
		if strings.ContainsAny(spy.spyOpts, "ES") {
			s.hangupChannel(spy, 16, false)
		}
	}
}

// actionPlayDTMF is app_senddtmf's PlayDTMF. With Receive the key is
// queued on the channel as if its far end sent it: DTMFEnd Direction
// Received (no DTMFBegin: only an end frame is queued), and an application
// reading keys takes it (ami-22). Without, it goes to the far end, which
// Asterisk publishes no event for.
func (s *Server) actionPlayDTMF(sess *session, req ami.Message) {
	ch := s.findChannel(req.Get("Channel"))
	if ch == nil {
		sess.send(response(req, "Error", "Channel not found")...)
		return
	}
	digit := req.Get("Digit")
	if digit == "" {
		sess.send(response(req, "Error", "No digit specified")...)
		return
	}
	ms := 0
	if d := req.Get("Duration"); d != "" {
		// sscanf("%30u"): leading digits count, the rest is ignored.
		n := len(d) - len(strings.TrimLeft(d, "0123456789"))
		v, err := strconv.Atoi(d[:n])
		if err != nil {
			sess.send(response(req, "Error", "Could not convert Duration parameter")...)
			return
		}
		ms = v
	}
	sess.send(response(req, "Success", "DTMF successfully queued")...)
	if !astTrue(req.Get("Receive")) {
		return
	}
	s.dtmfReceived(ch, digit[0], ms)
}
