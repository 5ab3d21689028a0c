package pbx

import (
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// state is what the model knows. It is only touched under PBX.mu.
type state struct {
	channels map[string]*Channel // by Uniqueid
	peers    map[string]*Peer    // by "TECH/name"
	hints    map[string]*Hint    // by "exten@context"
	queues   map[string]*Queue   // by name

	ended      ended                           // calls of channels that hung up
	userEvents map[string]map[string]time.Time // by Uniqueid, by UserEvent name in lower case: when last sent
	dialEnded  map[string]bool                 // by the dialled channel's Uniqueid: its DialEnd was seen
	phoneLegs  map[string]*phoneLeg            // by a phone channel's Uniqueid: how its call was answered
	recordings map[string]string               // by Uniqueid: the channel's first MixMonitor file
	callData   map[string]string               // by Linkedid: the call's userData, while it has channels
	queueCalls map[string]*queueTrack          // by the caller's Uniqueid
	agentOf    map[string]string               // answering agent's channel → the caller's Uniqueid
	waitingIn  map[string]string               // a waiting caller's Uniqueid → the queue it waits in (Queue.Waiting)
	// completeDue: queue calls that ended before their AgentComplete, by
	// queue and member interface (one per member: its latest call) → the
	// caller's Uniqueid, for an AgentComplete without channel snapshots.
	completeDue map[memberKey]string
}

// memberKey names a queue member.
type memberKey struct{ queue, iface string }

// forget removes a channel that hung up, remembering its call.
func (s *state) forget(c *Channel) {
	delete(s.channels, c.Uniqueid)
	delete(s.userEvents, c.Uniqueid)
	delete(s.dialEnded, c.Uniqueid)
	delete(s.phoneLegs, c.Uniqueid)
	s.ended.add(c.Uniqueid, c.Linkedid, s.recordings[c.Uniqueid], s.userDataOf(c.Uniqueid, c.Linkedid))
	delete(s.recordings, c.Uniqueid)
	s.forgetCallData(c.Linkedid)
}

// forgetCallData drops the userData of a call none of whose channels is
// left (its channels' own stay in ended, for the CDRs that follow).
func (s *state) forgetCallData(linkedid string) {
	if _, ok := s.callData[linkedid]; !ok {
		return
	}
	for _, c := range s.channels {
		if c.Linkedid == linkedid {
			return
		}
	}
	delete(s.callData, linkedid)
}

func newState() *state {
	return &state{
		channels: map[string]*Channel{},
		peers:    map[string]*Peer{},
		hints:    map[string]*Hint{},
		queues:   map[string]*Queue{},

		userEvents: map[string]map[string]time.Time{},
		dialEnded:  map[string]bool{},
		phoneLegs:  map[string]*phoneLeg{},
		recordings: map[string]string{},
		callData:   map[string]string{},
		queueCalls: map[string]*queueTrack{},
		agentOf:    map[string]string{},
		waitingIn:  map[string]string{},

		completeDue: map[memberKey]string{},
	}
}

// snapshotChannel reads a channel snapshot (the headers every channel event
// and CoreShowChannel carry) into c. prefix is "" or "Dest".
func snapshotChannel(c *Channel, m ami.Message, prefix string) {
	get := func(k string) (string, bool) { return m.Lookup(prefix + k) }
	if v, ok := get("Channel"); ok {
		c.Name = v
	}
	if v, ok := get("Uniqueid"); ok {
		c.Uniqueid = v
	}
	if v, ok := get("Linkedid"); ok && v != "" {
		c.Linkedid = v
	}
	if v, ok := get("ChannelState"); ok {
		c.State = atoi(v)
	}
	if v, ok := get("ChannelStateDesc"); ok {
		c.StateDesc = v
	}
	if v, ok := get("CallerIDNum"); ok {
		c.CallerIDNum = unknown(v)
	}
	if v, ok := get("CallerIDName"); ok {
		c.CallerIDName = unescape(unknown(v))
	}
	if v, ok := get("ConnectedLineNum"); ok {
		c.ConnectedLineNum = unknown(v)
	}
	if v, ok := get("ConnectedLineName"); ok {
		c.ConnectedLineName = unescape(unknown(v))
	}
	if v, ok := get("Context"); ok {
		c.Context = v
	}
	if v, ok := get("Exten"); ok {
		c.Exten = v
	}
}

// memberFrom reads a QueueMember list item or a QueueMember* event.
func memberFrom(m ami.Message) Member {
	mem := Member{
		Queue:          m.Get("Queue"),
		Interface:      first(m, "Interface", "Location"),
		Name:           first(m, "MemberName", "Name"),
		StateInterface: m.Get("StateInterface"),
		Penalty:        atoi(m.Get("Penalty")),
		Paused:         truthy(m.Get("Paused")),
		PausedReason:   m.Get("PausedReason"),
		InCall:         truthy(m.Get("InCall")),
		Status:         atoi(m.Get("Status")),
		Dynamic:        strings.EqualFold(m.Get("Membership"), "dynamic"),
	}
	if s, err := strconv.ParseInt(m.Get("LastPause"), 10, 64); err == nil && s > 0 {
		mem.LastPause = time.Unix(s, 0)
	}
	if mem.PausedReason == "" && mem.Paused {
		mem.PausedReason = m.Get("Reason") // 12.x–17.x spelling
	}
	return mem
}

func first(m ami.Message, keys ...string) string {
	for _, k := range keys {
		if v, ok := m.Lookup(k); ok {
			return v
		}
	}
	return ""
}

// setMember adds or replaces a member, keeping Asterisk's order.
func (q *Queue) setMember(mem Member) {
	for i := range q.Members {
		if strings.EqualFold(q.Members[i].Interface, mem.Interface) {
			q.Members[i] = mem
			return
		}
	}
	q.Members = append(q.Members, mem)
}

func (q *Queue) removeMember(iface string) {
	for i := range q.Members {
		if strings.EqualFold(q.Members[i].Interface, iface) {
			q.Members = append(q.Members[:i], q.Members[i+1:]...)
			return
		}
	}
}

// peerStatus formats a phone's status as chan_sip does (ami-mapping §4.2).
func peerStatus(reachable string, rtt time.Duration) string {
	switch strings.ToLower(reachable) {
	case "reachable", "registered", "ok":
		if rtt > 0 {
			ms := int(rtt / time.Millisecond)
			if ms < 1 {
				ms = 1
			}
			return "OK (" + strconv.Itoa(ms) + " ms)"
		}
		return "UNKNOWN"
	case "unreachable":
		return "UNREACHABLE"
	case "lagged":
		return "LAGGED (" + strconv.Itoa(int(rtt/time.Millisecond)) + " ms)"
	}
	return "UNKNOWN"
}
