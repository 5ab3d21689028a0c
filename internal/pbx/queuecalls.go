package pbx

import (
	"cmp"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// SurveyUserEvent is the UserEvent the shipped satisfaction survey
// (asterisk/extensions_coocenter.conf) sends with the caller's Score, and
// SurveyContext the survey's context: a call whose caller reaches it ends
// in the survey (cdrState feedback), with a score or without.
const (
	SurveyUserEvent = "CoocenterSurvey"
	SurveyContext   = "coocenter-survey"
)

// abandonGrace: a caller who gives up within it is MEMBER_CANCEL (api.md §4).
const abandonGrace = 10 * time.Second

// queueTrack follows one call from its first IVR step or its queue entry
// to the caller's hangup (ami-mapping §5.7).
type queueTrack struct {
	call       QueueCall
	created    time.Time
	joined     time.Time
	left       time.Time
	connected  bool
	completed  time.Time // AgentComplete
	abandoned  bool
	abandonFor time.Duration
	// queueEnded: Queue set QUEUESTATUS (TIMEOUT, LEAVEEMPTY...): the
	// queue ended the wait, not the caller, though app_queue reports
	// QueueCallerAbandon for it too (ami-15: the 20 s wait runs out).
	queueEnded bool
	rang       bool      // AgentCalled: some member was offered the call
	ringMs     int       // AgentRingNoAnswer RingTime, summed
	nobody     bool      // nobody logged in to the queue when the caller joined
	reason     string    // AgentComplete Reason: caller, agent, transfer
	answered   time.Time // AgentConnect
	firstLeft  string    // "caller" or "agent": who left the talk's bridge first
	talkEnd    time.Time // when that side left it
	agentChan  string    // the answering member's channel (Uniqueid)
	holds      map[string]time.Time
	ivrFirst   time.Time
	ivrLast    time.Time
	survey     time.Time // the survey's first step or its score, whichever came first
}

// track returns the queue call whose caller is the channel c, creating it.
func (p *PBX) track(c Channel) *queueTrack {
	t, ok := p.st.queueCalls[c.Uniqueid]
	if !ok {
		t = &queueTrack{created: c.Created, holds: map[string]time.Time{}}
		t.call.Uniqueid, t.call.Linkedid = c.Uniqueid, c.Linkedid
		if !p.st.isPhone(c.Name) {
			t.call.Direction = Inbound
		}
		p.st.queueCalls[c.Uniqueid] = t
	}
	if c.CallerIDNum != "" {
		t.call.Caller = c.CallerIDNum
	}
	if c.Linkedid != "" {
		t.call.Linkedid = c.Linkedid
	}
	return t
}

// trackOf returns the queue call a channel takes part in, as caller or as
// answering agent.
func (p *PBX) trackOf(uniqueid string) *queueTrack {
	if t, ok := p.st.queueCalls[uniqueid]; ok {
		return t
	}
	return p.st.queueCalls[p.st.agentOf[uniqueid]]
}

// leftBridge notes who left a queue call's bridge first, and when: the
// side that ended the talk. AgentComplete cannot always tell: it may come
// after the caller's Hangup, and when Queue's c option sends the caller on
// (the survey) a real Asterisk sends it only at the caller's hangup, with
// Reason "caller" and the time after the talk counted as talk.
func (p *PBX) leftBridge(uniqueid string, at time.Time) {
	t := p.trackOf(uniqueid)
	if t == nil || !t.connected || t.firstLeft != "" {
		return
	}
	switch uniqueid {
	case t.call.Uniqueid:
		t.firstLeft, t.talkEnd = "caller", at
	case t.agentChan:
		t.firstLeft, t.talkEnd = "agent", at
	}
}

// The queue events of a call (appliers): each follows the call's
// queueTrack and may end in a domain event.

func (p *PBX) queueCallerJoin(m ami.Message, at time.Time) []Event {
	caller := p.party(m, "")
	t := p.track(caller)
	t.call.Queue, t.joined = m.Get("Queue"), at
	t.nobody = !p.st.anyoneLoggedIn(t.call.Queue)
	if caller.Uniqueid != "" {
		if c := p.st.channels[caller.Uniqueid]; c != nil && c.Queue != t.call.Queue {
			c.Queue = t.call.Queue
			p.pub.touch(c.Uniqueid)
		}
		p.wait(t.call.Queue, Waiting{Uniqueid: caller.Uniqueid, Linkedid: caller.Linkedid,
			CallerIDNum: caller.CallerIDNum, CallerIDName: caller.CallerIDName,
			Position: atoi(m.Get("Position")), Since: at})
	}
	return nil
}

func (p *PBX) queueCallerLeave(m ami.Message, at time.Time) []Event {
	if t, ok := p.st.queueCalls[m.Get("Uniqueid")]; ok {
		t.left = at
	}
	p.unwait(m.Get("Uniqueid"))
	return nil
}

func (p *PBX) queueCallerAbandon(m ami.Message, _ time.Time) []Event {
	if t, ok := p.st.queueCalls[m.Get("Uniqueid")]; ok {
		t.abandoned, t.abandonFor = true, seconds(m.Get("HoldTime"))
	}
	return nil
}

func (p *PBX) agentCalled(m ami.Message, _ time.Time) []Event {
	if t, ok := p.st.queueCalls[m.Get("Uniqueid")]; ok {
		t.rang = true
	}
	p.markQueue(m.Get("DestUniqueid"), m.Get("Queue"))
	return nil
}

// markQueue notes on the channel uniqueid, if the model has it, the queue
// its call came through (Channel.Queue).
func (p *PBX) markQueue(uniqueid, queue string) {
	c := p.st.channels[uniqueid]
	if c == nil || c.Queue == queue {
		return
	}
	c.Queue = queue
	p.pub.touch(uniqueid)
}

func (p *PBX) agentRingNoAnswer(m ami.Message, _ time.Time) []Event {
	if t, ok := p.st.queueCalls[m.Get("Uniqueid")]; ok {
		t.ringMs += atoi(m.Get("RingTime"))
	}
	return nil
}

func (p *PBX) agentConnect(m ami.Message, at time.Time) []Event {
	if t, ok := p.st.queueCalls[m.Get("Uniqueid")]; ok {
		t.connected, t.answered = true, at
		t.call.QueueTime, t.call.RingTime = seconds(m.Get("HoldTime")), seconds(m.Get("RingTime"))
		t.call.AgentInterface, t.call.AgentName = m.Get("Interface"), m.Get("MemberName")
		t.call.Agent = InterfaceExten(t.call.AgentInterface)
		if t.agentChan = m.Get("DestUniqueid"); t.agentChan != "" {
			p.st.agentOf[t.agentChan] = t.call.Uniqueid
			p.markQueue(t.agentChan, m.Get("Queue"))
		}
	}
	return nil
}

func (p *PBX) agentComplete(m ami.Message, at time.Time) []Event {
	iface := m.Get("Interface")
	done := AgentCompleted{At: at, Queue: m.Get("Queue"), Interface: iface, Member: m.Get("MemberName"),
		Exten: InterfaceExten(iface), Uniqueid: m.Get("Uniqueid"), Reason: m.Get("Reason")}
	// After its caller and agent channels are gone, a real Asterisk
	// sends AgentComplete without either snapshot (ami-09): the call
	// is the member's that ended waiting for it or, when the caller's
	// Hangup has not arrived yet (seen on Asterisk 22), the member's
	// call still going on in that queue.
	key := memberKey{done.Queue, iface}
	if due, ok := p.st.completeDue[key]; ok && (done.Uniqueid == "" || done.Uniqueid == due) {
		done.Uniqueid = due
		delete(p.st.completeDue, key)
	} else if done.Uniqueid == "" {
		done.Uniqueid = p.st.talkingWith(key)
	}
	if t, ok := p.st.queueCalls[done.Uniqueid]; ok {
		t.completed, t.reason = at, done.Reason
		t.call.TalkTime = seconds(m.Get("TalkTime"))
		done.Linkedid = t.call.Linkedid
	} else {
		done.Linkedid = cmp.Or(m.Get("Linkedid"), p.st.ended.linkedid[done.Uniqueid])
	}
	done.UserData = p.st.userDataOf(done.Uniqueid, done.Linkedid)
	return []Event{done}
}

func (p *PBX) hold(m ami.Message, at time.Time) []Event {
	if t := p.trackOf(m.Get("Uniqueid")); t != nil {
		if _, on := t.holds[m.Get("Uniqueid")]; !on {
			t.holds[m.Get("Uniqueid")] = at
		}
	}
	return p.holdChanged(p.st.channels[m.Get("Uniqueid")], true, at)
}

func (p *PBX) unhold(m ami.Message, at time.Time) []Event {
	if t := p.trackOf(m.Get("Uniqueid")); t != nil {
		t.unhold(m.Get("Uniqueid"), at)
	}
	c := p.st.channels[m.Get("Uniqueid")]
	if c != nil {
		p.endConsult(c) // an Unhold of a consulting agent: the consult was cancelled
	}
	return p.holdChanged(c, false, at)
}

func (p *PBX) blindTransfer(m ami.Message, at time.Time) []Event {
	if t := p.trackOf(m.Get("TransfererUniqueid")); t != nil {
		t.call.ForwardNumber = m.Get("Extension")
	}
	return p.blindTransferred(m, at)
}

func (p *PBX) varSet(m ami.Message, at time.Time) []Event {
	if c := p.st.channels[m.Get("Uniqueid")]; c != nil {
		if out := p.agentVarSet(c, m.Get("Variable"), m.Get("Value"), at); out != nil {
			return out
		}
	}
	switch v := m.Get("Variable"); {
	case strings.EqualFold(v, "QUEUESTATUS"):
		if t, ok := p.st.queueCalls[m.Get("Uniqueid")]; ok && m.Get("Value") != "" {
			t.queueEnded = true
		}
	case strings.EqualFold(v, "MIXMONITOR_FILENAME"):
		// The channel's first recording is its CDR's (a transfer's is
		// another's).
		if id := m.Get("Uniqueid"); p.st.recordings[id] == "" && p.st.channels[id] != nil {
			p.st.recordings[id] = m.Get("Value")
		}
		// The queue call's own recording; a transfer's is another's.
		if t := p.trackOf(m.Get("Uniqueid")); t != nil && t.call.RecordFile == "" {
			t.call.RecordFile = m.Get("Value")
		}
	}
	return nil
}

// noteUserEvent lets the IVR and survey UserEvents of a channel shape its
// queue call.
func (p *PBX) noteUserEvent(e UserEvent) {
	if e.Channel.Uniqueid == "" {
		return
	}
	if step, ok := e.IVR(); ok {
		t := p.track(e.Channel)
		if t.ivrFirst.IsZero() {
			t.ivrFirst = step.Start
		}
		t.ivrLast = step.End
		t.call.IVRID = cmp.Or(step.ID, t.call.IVRID)
		t.call.IVRName = cmp.Or(step.Name, t.call.IVRName)
		t.call.IVRDtmf = cmp.Or(step.Dtmf, t.call.IVRDtmf)
		t.call.TrunkNumber = cmp.Or(step.TrunkNumber, t.call.TrunkNumber)
		return
	}
	if strings.EqualFold(e.Name, SurveyUserEvent) {
		if t, ok := p.st.queueCalls[e.Channel.Uniqueid]; ok {
			t.enterSurvey(e.At)
			t.call.Score = FieldOf(e.Fields, "score")
		}
	}
}

// noteDialplan follows a queue call's caller into the survey.
// Newexten is the most frequent event: the context is compared first.
func (p *PBX) noteDialplan(uniqueid, context string, at time.Time) {
	if context != SurveyContext {
		return
	}
	if t, ok := p.st.queueCalls[uniqueid]; ok {
		t.enterSurvey(at)
	}
}

func (t *queueTrack) enterSurvey(at time.Time) {
	if t.survey.IsZero() {
		t.survey = at
	}
}

// talkingWith is the caller's Uniqueid of the queue call that member key
// answered and that has not completed, "" if there is none or several.
func (s *state) talkingWith(key memberKey) string {
	uid := ""
	for id, t := range s.queueCalls {
		if t.connected && t.completed.IsZero() && t.call.Queue == key.queue && t.call.AgentInterface == key.iface {
			if uid != "" {
				return ""
			}
			uid = id
		}
	}
	return uid
}

// endQueueCall finishes the queue call of a caller that hung up.
func (p *PBX) endQueueCall(c *Channel, at time.Time, cause string) (Event, bool) {
	t, ok := p.st.queueCalls[c.Uniqueid]
	if !ok {
		if caller, ok := p.st.agentOf[c.Uniqueid]; ok { // the agent's leg ended first
			delete(p.st.agentOf, c.Uniqueid)
			if t := p.st.queueCalls[caller]; t != nil {
				t.unhold(c.Uniqueid, at)
			}
		}
		return nil, false
	}
	delete(p.st.queueCalls, c.Uniqueid)
	delete(p.st.agentOf, t.agentChan)
	if t.connected && t.completed.IsZero() {
		p.st.completeDue[memberKey{t.call.Queue, t.call.AgentInterface}] = c.Uniqueid
	}
	t.call.HangupCause = cause
	t.call.UserData = p.st.userDataOf(c.Uniqueid, c.Linkedid)
	return QueueCallEnded{At: at, Call: t.finish(at)}, true
}

func (t *queueTrack) unhold(uniqueid string, at time.Time) {
	if since, ok := t.holds[uniqueid]; ok {
		t.call.HoldTime += at.Sub(since)
		delete(t.holds, uniqueid)
	}
}

// finish fills the derived fields by the rules in README ("cc_cdr").
func (t *queueTrack) finish(at time.Time) QueueCall {
	c := t.call
	for id := range t.holds {
		t.unhold(id, at)
	}
	c.HoldTime = t.call.HoldTime
	c.Start, c.End = t.created, at
	if c.Start.IsZero() || c.Start.After(at) {
		c.Start = at
	}
	if !t.ivrFirst.IsZero() {
		c.IVRTime = t.ivrLast.Sub(t.ivrFirst)
	}
	talkEnd := t.talkEnd
	if talkEnd.IsZero() {
		talkEnd = t.completed
	}
	switch {
	case !t.survey.IsZero() && t.connected: // a survey of an unanswered call rates nobody
		c.State = "feedback"
		if !talkEnd.IsZero() {
			c.FeedbackTime = at.Sub(talkEnd)
		}
	case t.connected:
		c.State = "bridged"
	case !t.joined.IsZero():
		c.State = "queue"
	default:
		c.State = "ivr"
	}
	if t.connected {
		c.Called = c.Agent
		// Who left the bridge first ended the talk (an agent who hangs up
		// leaves it before its Hangup); AgentComplete's Reason says so
		// only when it came in time (see leftBridge), but it alone knows
		// a transfer. Without either, this Hangup is the caller's.
		side := cmp.Or(t.firstLeft, t.reason, "caller")
		if t.reason == "transfer" {
			side = "transfer"
		}
		c.HangupSide = "agent"
		if side == "caller" {
			c.HangupSide = "caller"
		}
		switch {
		case t.completed.IsZero() && !t.answered.IsZero():
			// No AgentComplete yet: the talk lasted from AgentConnect to
			// the end of the talk, or to now.
			end := at
			if !t.talkEnd.IsZero() {
				end = t.talkEnd
			}
			c.TalkTime = end.Sub(t.answered).Truncate(time.Second)
		case !t.talkEnd.IsZero() && t.completed.After(t.talkEnd):
			// AgentComplete counted the caller's time after the talk.
			c.TalkTime = max(0, c.TalkTime-t.completed.Sub(t.talkEnd).Round(time.Second))
		}
		return c
	}
	c.HangupSide = "caller"
	if t.joined.IsZero() {
		return c
	}
	// Without Asterisk's HoldTime the wait is measured between two events'
	// arrival, to the nearest second: a few milliseconds of delivery must
	// not make a queue's 60 s timeout a 59 s wait.
	switch {
	case t.abandoned:
		c.QueueTime = t.abandonFor
	case !t.left.IsZero():
		c.QueueTime = t.left.Sub(t.joined).Round(time.Second)
	default:
		c.QueueTime = at.Sub(t.joined).Round(time.Second)
	}
	c.RingTime = time.Duration(t.ringMs) * time.Millisecond
	switch {
	case t.nobody:
		c.MissCause = "NO_AGENT_LOGIN"
	case t.abandoned && !t.queueEnded && t.abandonFor < abandonGrace:
		c.MissCause = "MEMBER_CANCEL"
	case t.rang:
		c.MissCause = "NO_AGENT_ANSWER"
	default:
		c.MissCause = "NO_ASSIGN"
	}
	return c
}

// anyoneLoggedIn: the queue has a member whose device is usable (not
// invalid, not unavailable).
func (s *state) anyoneLoggedIn(queue string) bool {
	q, ok := s.queues[queue]
	if !ok {
		return false
	}
	for _, m := range q.Members {
		if m.Status != 4 && m.Status != 5 {
			return true
		}
	}
	return false
}

func seconds(s string) time.Duration { return time.Duration(atoi(s)) * time.Second }

// FieldOf returns the value of the first of keys present in m (UserEvent
// fields, CDR extras), keys matched without regard to case.
func FieldOf(m map[string]string, keys ...string) string {
	for _, key := range keys {
		for k, v := range m {
			if strings.EqualFold(k, key) {
				return v
			}
		}
	}
	return ""
}
