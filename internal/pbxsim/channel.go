package pbxsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// Channel states (channelstate.h).
const (
	stateDown    = 0
	stateRing    = 4
	stateRinging = 5
	stateUp      = 6
	stateBusy    = 7
)

func stateDesc(st int) string {
	switch st {
	case stateDown:
		return "Down"
	case stateRing:
		return "Ring"
	case stateRinging:
		return "Ringing"
	case stateUp:
		return "Up"
	case stateBusy:
		return "Busy"
	}
	return "Unknown (" + strconv.Itoa(st) + ")"
}

// causeText is Cause-txt of a Hangup (ast_cause2str).
func causeText(c int) string {
	switch c {
	case 16:
		return "Normal Clearing"
	case 17:
		return "User busy"
	case 18:
		return "No user responding"
	case 19:
		return "User alerting, no answer"
	case 21:
		return "Call Rejected"
	case 26:
		return "Answered elsewhere"
	case 34:
		return "Circuit/channel congestion"
	}
	return "Unknown"
}

// channel is one Asterisk channel.
type channel struct {
	name, uniqueid, linkedid string
	// linkedSeq is the creation number of the channel whose uniqueid is
	// linkedid: Asterisk finds the oldest linkedid of a bridge by the
	// creation time and counter kept with the id (struct ast_channel_id),
	// not by its text, which Originate ChannelId makes arbitrary.
	linkedSeq int

	state             int
	cidNum, cidName   string
	connNum, connName string
	context, exten    string
	prio              int
	app, appData      string
	created, answered time.Time

	dev      *device  // the phone behind a SIP/PJSIP channel
	localDev string   // "Local/800@fake-phone" for a Local half
	half     int      // 1 or 2 for Local halves
	other    *channel // the other Local half
	bridge   *bridge
	gone     bool
	epoch    int // bumped when the channel changes activity; stale timers drop
	// rtp is how far chan_sip got with the RTP statistics of a SIP channel.
	rtp rtpStage

	// role is what the channel does now, which decides how it reacts to a
	// hangup, its bridge dissolving, a dialled leg's progress and keys
	// (role.go). dial, call and leg are the activity of the role.
	role role
	dial *dialCall    // roleDial*
	call *queueCaller // roleQueue*: the queue call of the caller or member leg; outlives qc
	leg  *queueLeg    // roleQueueLeg, roleQueueMemberBridged
	// orig is the Originate that made the channel; the channel tells it
	// its progress until a redirect sends it elsewhere.
	orig *originate
	// read is the Read() taking the next key the channel receives.
	read *keyRead
	// redirectTo is where a dual Redirect sends the channel when its
	// bridge dissolves, instead of hanging it up.
	redirectTo *place
	// dialed is set on channels created by Dial or Queue: their calls are
	// recorded in the dialer's CDRs, not their own.
	dialed bool
	cdrs   []*cdrRecord
	// cdrPending: the last CDR ended with a dial nobody answered; the CDR
	// engine opens a new record if the channel goes on in the dialplan
	// (ami-15: after Queue times out, Hangup() gets its own record).
	cdrPending bool
	// shownAt: an async goto (blind transfer) published the channel's new
	// place with a Newexten already; the dialplan's first step there
	// brings no second one (ami-19).
	shownAt bool
	// hangingUp: an AMI Hangup of several channels (hangupAll) has
	// soft-hung it up and will end it in its turn. requestShown: its
	// HangupRequest was published already.
	hangingUp, requestShown bool
	// cdrContext, cdrExten: the place in the dialplan a CDR of the channel
	// names, the last one outside a Gosub and the h extension (the CDR
	// engine ignores those: ami-18's blocked caller is at s@coocenter-
	// inbound, its fake phone at 800, not h). subDepth counts Gosubs.
	cdrContext, cdrExten string
	subDepth             int
	// moh: music on hold plays to the channel (a queue without r).
	moh bool
	// cidDirty: a connected-line update crossed this Local pair; Asterisk
	// then publishes a late NewCallerid on ;1 after its Hangup.
	cidDirty bool
	// targetQueue is TARGETQ of the inbound dialplan.
	targetQueue string
	// qc is set while the channel is a caller inside a queue.
	qc *queueCaller
	// spying is the target of a ChanSpy spy, spyOpts its options.
	spying  *channel
	spyOpts string
	// vars are the channel variables, most recently set first (the order
	// of Asterisk's varshead), with their full names ("__CORR").
	vars []chanVar
	// held: the phone on this channel put the call on hold (Hold event
	// sent, no Unhold yet). holdPeers are the channels that got the hold
	// indication through the bridge; heldByPeer marks such a channel.
	held       bool
	holdPeers  []*channel
	heldByPeer bool
	// muted is MuteAudio's direction bits (1 in, 2 out); nothing reads
	// them, as nothing in Asterisk publishes them.
	muted int
	// keys are the DTMF digits a bridge's feature hooks collect (dynhold.go).
	keys string
	// dynHold is the hold feature running on the channel (dynhold.go).
	dynHold *dynHold
	// xfer is the attended transfer the channel takes part in (atxfer.go).
	xfer *atxfer
}

// chanVar is one channel variable.
type chanVar struct{ name, value string }

func orUnknown(v string) string {
	if v == "" {
		return "<unknown>"
	}
	return v
}

// snapshot is the channel snapshot block of every channel event
// (ast_manager_build_channel_state_string_prefix).
func (ch *channel) snapshot(prefix string) []ami.Header {
	return []ami.Header{
		{Key: prefix + "Channel", Value: ch.name},
		{Key: prefix + "ChannelState", Value: strconv.Itoa(ch.state)},
		{Key: prefix + "ChannelStateDesc", Value: stateDesc(ch.state)},
		{Key: prefix + "CallerIDNum", Value: orUnknown(ch.cidNum)},
		{Key: prefix + "CallerIDName", Value: orUnknown(ch.cidName)},
		{Key: prefix + "ConnectedLineNum", Value: orUnknown(ch.connNum)},
		{Key: prefix + "ConnectedLineName", Value: orUnknown(ch.connName)},
		{Key: prefix + "Language", Value: "en"},
		{Key: prefix + "AccountCode", Value: ""},
		{Key: prefix + "Context", Value: ch.context},
		{Key: prefix + "Exten", Value: ch.exten},
		{Key: prefix + "Priority", Value: strconv.Itoa(ch.prio)},
		{Key: prefix + "Uniqueid", Value: ch.uniqueid},
		{Key: prefix + "Linkedid", Value: ch.linkedid},
	}
}

// newChannel allocates a channel; Newchannel is published by the caller
// once the name is complete. id is the uniqueid assigned by Originate
// ChannelId/OtherChannelId, "" for the usual <epoch>.<n> (the counter
// advances either way, as in channel_internal_api.c). The caller holds s.mu.
func (s *Server) newChannel(name string, state int, context, exten string, requestor *channel, id string) *channel {
	n := s.seq.uniq
	s.seq.uniq++
	if id == "" {
		id = fmt.Sprintf("%d.%d", s.booted.Unix(), n)
	}
	ch := &channel{
		name:     name,
		uniqueid: id,
		state:    state,
		context:  context,
		exten:    exten,
		prio:     1,
		created:  time.Now(),
	}
	ch.linkedid, ch.linkedSeq = ch.uniqueid, n
	if requestor != nil {
		ch.linkedid, ch.linkedSeq = requestor.linkedid, requestor.linkedSeq
	}
	s.pbx.channels = append(s.pbx.channels, ch)
	return ch
}

// nextSuffix is the next 8-hex-digit channel suffix.
func (s *Server) nextSuffix() string {
	n := s.seq.chanID
	s.seq.chanID++
	return fmt.Sprintf("%08x", n)
}

func (s *Server) chanEvent(class classMask, name string, ch *channel, extra ...ami.Header) {
	s.emit(class, name, join(ch.snapshot(""), extra)...)
}

func (s *Server) newchannelEvent(ch *channel) { s.chanEvent(classCall, "Newchannel", ch) }

// newexten runs one dialplan priority: Newexten, and the app becomes current.
func (s *Server) newexten(ch *channel, prio int, app, data string) {
	if ch.cdrPending {
		// The new record of a channel that is up is answered as it
		// begins (ami-15, ami-22: AnswerTime = StartTime).
		ch.cdrPending = false
		r := &cdrRecord{dst: ch.exten, dstContext: ch.context, start: time.Now()}
		if ch.state == stateUp {
			r.answer = r.start
		}
		ch.cdrs = append(ch.cdrs, r)
	}
	if ch.shownAt {
		ch.shownAt = false
		if prio == 1 {
			ch.prio, ch.app, ch.appData = prio, app, data
			return
		}
	}
	ch.prio, ch.app, ch.appData = prio, app, data
	if ch.subDepth == 0 && ch.exten != "h" {
		ch.cdrContext, ch.cdrExten = ch.context, ch.exten
	}
	s.chanEvent(classDialplan, "Newexten", ch, hdrs("Extension", ch.exten, "Application", app, "AppData", data)...)
}

// gotoExten moves the channel to another place in the dialplan.
func (ch *channel) gotoExten(context, exten string) {
	ch.context, ch.exten, ch.prio = context, exten, 1
}

// mohStart is music on hold starting on ch (class default).
func (s *Server) mohStart(ch *channel) {
	ch.moh = true
	s.chanEvent(classCall, "MusicOnHoldStart", ch, hdrs("Class", "default")...)
}

// mohStop stops ch's music on hold, if it plays.
func (s *Server) mohStop(ch *channel) {
	if ch.moh {
		ch.moh = false
		s.chanEvent(classCall, "MusicOnHoldStop", ch)
	}
}

// uniqueidInUse is the conflict check of an assigned uniqueid
// (do_ids_conflict, main/channel.c @ 20.20.1). Its lookup, get_by_uniqueid
// of the default ao2_legacy channel storage, compares with strncasecmp over
// the length of the id asked for: a live channel whose uniqueid merely
// starts with id (any case) is a conflict too.
func (s *Server) uniqueidInUse(id string, also ...string) bool {
	if id == "" {
		return false
	}
	hit := func(uid string) bool { return len(uid) >= len(id) && strings.EqualFold(uid[:len(id)], id) }
	for _, ch := range s.pbx.channels {
		if !ch.gone && hit(ch.uniqueid) {
			return true
		}
	}
	for _, uid := range also {
		if hit(uid) {
			return true
		}
	}
	return false
}

// setState publishes Newstate and the device state that follows from it.
func (s *Server) setState(ch *channel, st int) {
	ch.state = st
	if st == stateUp && ch.answered.IsZero() {
		ch.answered = time.Now()
	}
	s.chanEvent(classCall, "Newstate", ch)
	if ch.dev != nil {
		s.deviceChanged(ch.dev)
	}
}

func (s *Server) setCallerID(ch *channel, num, name string) {
	ch.cidNum, ch.cidName = num, name
	s.chanEvent(classCall, "NewCallerid", ch, hdrs("CID-CallingPres", "0 (Presentation Allowed, Not Screened)")...)
}

func (s *Server) setConnected(ch *channel, num, name string) {
	ch.connNum, ch.connName = num, name
	s.chanEvent(classCall, "NewConnectedLine", ch)
}

// later runs fn after d if ch is still alive and doing the same thing.
func (s *Server) later(ch *channel, d time.Duration, fn func()) {
	epoch := ch.epoch
	s.after(d, func() {
		if !ch.gone && ch.epoch == epoch {
			fn()
		}
	})
}

// findChannel finds a live channel by exact name (any case) or uniqueid.
func (s *Server) findChannel(name string) *channel {
	for _, ch := range s.pbx.channels {
		if !ch.gone && equalFoldASCII(ch.name, name) {
			return ch
		}
	}
	for _, ch := range s.pbx.channels {
		if !ch.gone && ch.uniqueid == name {
			return ch
		}
	}
	return nil
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }
