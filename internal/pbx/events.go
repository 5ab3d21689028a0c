package pbx

import "time"

// Event is a domain event of the PBX, delivered to every Subscribe receiver
// in the order Asterisk reported what happened. At is the event's Timestamp header
// when Asterisk sends one (manager.conf timestampevents = yes), else the
// time the model received it.
type Event interface{ eventTime() time.Time }

// EventTime is when e happened (its At).
func EventTime(e Event) time.Time { return e.eventTime() }

// ChannelHangup: a channel ended. Reconstructed is set when the model did
// not see the Hangup (Asterisk was disconnected or restarted) and learnt of
// it by comparing a resync with what it held; Cause is then 0. Blacklisted
// is set when the channel sent the blacklist check's UserEvent (Blacklisted,
// asterisk/extensions_coocenter.conf) before it ended.
type ChannelHangup struct {
	At            time.Time
	Channel       Channel
	Cause         int
	CauseText     string
	Reconstructed bool
	Blacklisted   bool
}

// HintChanged: an extension's hint state changed.
type HintChanged struct {
	At            time.Time
	Hint          Hint
	Reconstructed bool
}

// DialBegin: a channel started ringing a destination. Caller is the zero
// Channel when nothing dials it (an AMI Originate's first leg, async dials).
type DialBegin struct {
	At         time.Time
	Caller     Channel
	Dest       Channel
	DialString string // as given to Dial: "801"; a queue member's interface "SIP/801"
}

// DialEnd: that dial ended with DialStatus (ANSWER, BUSY, NOANSWER, CANCEL,
// CONGESTION, CHANUNAVAIL, ...). Forward is a call-forward target, if any.
type DialEnd struct {
	At         time.Time
	Caller     Channel
	Dest       Channel
	DialStatus string
	Forward    string
}

// CDR is a call detail record as cdr_manager reports it (ami-mapping §5.6).
type CDR struct {
	At                 time.Time
	Linkedid           string // the call of the source channel, when the model knew it
	AccountCode        string
	Source             string
	Destination        string
	DestinationContext string
	CallerID           string // "name" <num>
	Channel            string
	DestinationChannel string
	LastApplication    string
	LastData           string
	// StartTime, AnswerTime and EndTime are as Asterisk prints them: local
	// time, "2006-01-02 15:04:05"; AnswerTime is empty when never answered.
	StartTime, AnswerTime, EndTime string
	Duration                       int // seconds
	BillableSeconds                int
	Disposition                    string // ANSWERED, NO ANSWER, BUSY, FAILED, CONGESTION
	AMAFlags                       string
	UniqueID                       string
	UserField                      string
	Direction                      Direction
	// RecordFile is the call's recording: cdr_manager.conf's RecordFile
	// mapping when it has one, else the file MixMonitor recorded the CDR's
	// channel into (MIXMONITOR_FILENAME), as Asterisk names it; "" if none.
	RecordFile string
	// UserData is the call's business data (Channel.UserData of the CDR's
	// channel or of its call), "" if none.
	UserData string
	// Extra holds the headers cdr_manager.conf [mappings] add, e.g.
	// "RecordFile" or "CallType", by the header's name.
	Extra map[string]string
}

// UserEvent: the dialplan ran UserEvent(Name,key: value,...). Channel is the
// calling channel (zero when an AMI client sent it). Since is when the same
// channel last sent a UserEvent of this Name, else when the channel was
// created; zero when unknown.
type UserEvent struct {
	At        time.Time
	Name      string
	Channel   Channel
	Direction Direction // of Channel
	Since     time.Time
	Fields    map[string]string // the body, by key as written
}

// Direction tells who placed a call, from the extensions' point of view.
type Direction int

// Internal: phone to phone (or to the PBX itself); Inbound: from outside
// (a trunk); Outbound: a phone calling out through a trunk.
const (
	Internal Direction = iota
	Inbound
	Outbound
)

func (d Direction) String() string {
	switch d {
	case Inbound:
		return "inbound"
	case Outbound:
		return "outbound"
	}
	return "internal"
}

func (e ChannelHangup) eventTime() time.Time { return e.At }
func (e HintChanged) eventTime() time.Time   { return e.At }
func (e DialBegin) eventTime() time.Time     { return e.At }
func (e DialEnd) eventTime() time.Time       { return e.At }
func (e CDR) eventTime() time.Time           { return e.At }
func (e UserEvent) eventTime() time.Time     { return e.At }

// AgentCompleted: a queue member's call ended (AgentComplete): the moment
// the after-call pause starts.
type AgentCompleted struct {
	At        time.Time
	Queue     string
	Interface string // the member's interface, e.g. SIP/801
	Member    string // MemberName
	Exten     string // the extension of Interface
	Uniqueid  string // the caller's channel: which queue call ended
	Linkedid  string // that call's Linkedid, when the model knows the call
	Reason    string // who ended it: caller, agent or transfer
	UserData  string // the call's business data, "" if none
}

// MemberPaused: a queue member was paused or unpaused (QueueMemberPause),
// by anyone: the agent's phone, the API, or coocenterd's after-call pause.
type MemberPaused struct {
	At        time.Time
	Queue     string
	Interface string
	Exten     string
	Paused    bool
	Reason    string // PausedReason, when Asterisk reports it
}

// ExtensionCallEnded: a phone's channel hung up after a call that was
// answered: the phone was rung and picked up (Answered: a direct call, a
// call transferred to it, a queue's call), or it placed a call that the
// other side answered (Placed: dialled from the phone, or click-number's
// second leg). The first leg of an Originate (click-number, extenSpy) is
// neither: nobody called the agent. Queue names the queue that rang the
// phone; AgentCompleted reports those calls too. The after-call pause
// starts on it ([pausetime] after).
type ExtensionCallEnded struct {
	At        time.Time
	Exten     string // the phone's extension: 801 of SIP/801-0000000a
	Interface string // its device: SIP/801
	Channel   Channel
	// CallUniqueid names the call as the cdr push does (its uniqueid): the
	// dialling channel's Uniqueid for an answered call, the phone's own
	// for a placed one. The call's Linkedid is Channel.Linkedid.
	CallUniqueid string
	Answered     bool
	Placed       bool
	Queue        string
	UserData     string // the call's business data (the phone's channel's, or its call's)
}

// Synced: the model was loaded from Asterisk afresh: after every
// (re)connect, Asterisk restart and event overflow. Pause state and other
// things Asterisk may have lost are re-applied on it.
type Synced struct {
	At time.Time
}

// QueueCall is a call that entered a queue, from its first channel to its
// end (api.md §4 cc_cdr, ami-mapping §5.7). Times are zero and durations 0
// when the step did not happen.
type QueueCall struct {
	Uniqueid       string // the caller's channel, which joined the queue (cc_cdr uuid)
	Linkedid       string
	Caller         string // CallerIDNum
	Called         string // the number dialled: the dialplan's "called", else the DID, else the first extension
	TrunkNumber    string // the DID, when the dialplan reports it
	Direction      Direction
	Queue          string
	Agent          string // the extension that answered, "" if none
	AgentInterface string
	AgentName      string
	State          string // bridged, feedback, queue or ivr: where the call was when it ended
	HangupSide     string // caller or agent ("" when no agent answered)
	HangupCause    string // the caller's Hangup Cause-txt
	MissCause      string // NO_ASSIGN, NO_AGENT_ANSWER, NO_AGENT_LOGIN, MEMBER_CANCEL or ""
	Start          time.Time
	End            time.Time
	QueueTime      time.Duration // waiting in the queue
	RingTime       time.Duration // agents ringing
	TalkTime       time.Duration
	HoldTime       time.Duration
	IVRTime        time.Duration
	FeedbackTime   time.Duration
	IVRID          string
	IVRName        string
	IVRDtmf        string
	Score          string // satisfaction survey score, "" if none
	ForwardNumber  string // where the agent transferred the caller
	RecordFile     string
	UserData       string // the call's business data, "" if none
}

// QueueCallEnded: a queue call is over.
type QueueCallEnded struct {
	At   time.Time
	Call QueueCall
}

func (e AgentCompleted) eventTime() time.Time     { return e.At }
func (e MemberPaused) eventTime() time.Time       { return e.At }
func (e Synced) eventTime() time.Time             { return e.At }
func (e QueueCallEnded) eventTime() time.Time     { return e.At }
func (e ExtensionCallEnded) eventTime() time.Time { return e.At }

// HoldChanged: a phone's channel put its call on hold or took it off:
// the Hold and Unhold events of the phone that pressed hold (or of the
// agent the hold endpoint acted for), and the end of a consult's hold by
// its transfer.
type HoldChanged struct {
	At      time.Time
	Exten   string // the phone's extension, "" for channels of no phone
	Channel Channel
	Held    bool
}

// MuteChanged: the mute endpoint muted or unmuted a channel.
type MuteChanged struct {
	At      time.Time
	Exten   string
	Channel Channel
	Muted   bool
}

// Transferred: a blind transfer or an attended (consult) transfer
// completed. From is the extension that transferred, To where the party
// went (the number dialled, or the extension that took the call);
// Transferee is the party that was transferred. A three-way join is not
// a transfer.
type Transferred struct {
	At         time.Time
	Kind       string // "blind" or "attended"
	From, To   string
	Transferer Channel
	Transferee Channel
}

func (e HoldChanged) eventTime() time.Time { return e.At }
func (e MuteChanged) eventTime() time.Time { return e.At }
func (e Transferred) eventTime() time.Time { return e.At }
