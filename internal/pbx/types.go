package pbx

import (
	"errors"
	"time"
)

// Errors of commands and lookups; callers match them with errors.Is.
var (
	// ErrNotConnected: Asterisk is not connected; nothing was done.
	//lint:ignore ST1005 Asterisk is a name, and the API answers say it so
	ErrNotConnected = errors.New("Asterisk is not connected")
	// ErrUnknownExtension: no SIP peer or PJSIP endpoint has that name.
	ErrUnknownExtension = errors.New("unknown extension")
	// ErrUnknownQueue: no such queue.
	ErrUnknownQueue = errors.New("unknown queue")
	// ErrNotMember: the extension is not a member of the queue.
	ErrNotMember = errors.New("extension is not a member of the queue")
	// ErrNoActiveCall: the extension has no call to act on.
	ErrNoActiveCall = errors.New("extension has no active call")
	// ErrInvalid: a value that cannot be sent to Asterisk.
	ErrInvalid = errors.New("invalid value")
)

// Tech is a channel technology of phones.
type Tech string

// The phone technologies the model knows.
const (
	SIP   Tech = "SIP"
	PJSIP Tech = "PJSIP"
)

// Channel is one live channel (one leg of a call), keyed by Uniqueid.
type Channel struct {
	Name              string // SIP/801-0000000a
	Uniqueid          string
	Linkedid          string // the call this leg belongs to
	State             int    // Asterisk channel state: 4 Ring, 5 Ringing, 6 Up, ...
	StateDesc         string // Ring, Ringing, Up, ...
	CallerIDNum       string
	CallerIDName      string
	ConnectedLineNum  string
	ConnectedLineName string
	Context, Exten    string
	Application       string
	BridgeID          string
	Created           time.Time

	// UserData is the business system's data of the call (api.md §3.16),
	// decoded from the channel variable __COOCENTER_USERDATA; "" if none.
	UserData string
	// Held: this channel put its call on hold (a Hold event, until its
	// Unhold), by its phone's key or by the hold endpoint; HeldSince is
	// when. HeldHere: the hold endpoint placed it (COOCENTER_HOLD=1), so
	// unhold can take it off.
	Held      bool
	HeldHere  bool
	HeldSince time.Time
	// Muted: the mute endpoint silenced this channel's audio towards the
	// other party (COOCENTER_MUTED=1; MuteAudio has no event of its own).
	Muted bool
	// Consulting is the destination this channel consults (consult
	// endpoint, COOCENTER_XFER_DST) while that consult lasts; "" if none.
	Consulting string
	// Queue is the queue this call came through: on the caller's channel
	// from its QueueCallerJoin (the latest queue it joined), on a member's
	// leg from the AgentCalled that rang it (its DestUniqueid: a Local
	// member's ;1 half, a phone member's own channel); "" otherwise. It
	// stays after the caller leaves the queue (answered or not). A resync
	// keeps it on the channels the model already had and sets it on the
	// callers still waiting (QueueEntry); Asterisk lists it for nothing
	// else, so a member's leg rung while the model was away, or a call
	// past its queue when the model starts, has none.
	Queue string

	// ownUserData: UserData is in the channel's own variable, not only
	// its call's (a leg a bridge joined to the call has only the latter).
	ownUserData bool
}

// Peer is a phone: a chan_sip peer or a chan_pjsip endpoint.
type Peer struct {
	Name   string // the extension, e.g. "801"
	Tech   Tech
	Addr   string // IP address, "-none-" when not registered
	Status string // "OK (45 ms)", "UNKNOWN", "UNREACHABLE", "Unmonitored", ...
}

// Hint is the state of an extension's hint (api.md §3.3).
type Hint struct {
	Exten      string
	Context    string
	Device     string // the hint, e.g. "SIP/801"
	Status     int    // extension-state bits: 0 idle, 1 in use, 2 busy, 4 unavailable, 8 ringing, 16 on hold
	StatusText string // Idle, InUse, Busy, Unavailable, Ringing, OnHold, ...
	Name       string // the agent's name: its queue member name, when it has one
}

// Member is a queue member.
type Member struct {
	Queue          string
	Interface      string // SIP/801, Local/800@fake-phone/n
	Name           string // MemberName
	StateInterface string
	Penalty        int
	Paused         bool
	PausedReason   string
	LastPause      time.Time // when it was last paused (QueueMember LastPause), zero if never or not reported
	InCall         bool
	Status         int  // device state (1 not in use, 2 in use, ...)
	Dynamic        bool // added with QueueAdd (may be removed)
}

// StandsFor reports whether m is exten's membership: its interface or its
// state interface is that extension's (see InterfaceExten).
func (m Member) StandsFor(exten string) bool {
	return InterfaceExten(m.Interface) == exten || InterfaceExten(m.StateInterface) == exten
}

// Queue is a queue, its members in Asterisk's order and the callers
// waiting in it.
type Queue struct {
	Name    string
	Members []Member
	// Waiting are the callers in the queue now, by Position: from
	// QueueCallerJoin to QueueCallerLeave (or the caller's Hangup), and
	// from QueueStatus's QueueEntry list at each resync.
	Waiting []Waiting
}

// Waiting is a caller waiting in a queue.
type Waiting struct {
	Uniqueid     string // the caller's channel
	Linkedid     string
	CallerIDNum  string
	CallerIDName string
	// Position is its place in the queue, 1 for the next to be served;
	// app_queue renumbers the callers behind one that joins ahead of them
	// (a higher priority) or leaves.
	Position int
	// Since is when it joined the queue: its QueueCallerJoin's time or,
	// loaded by a resync, the resync's time less QueueEntry's Wait (whole
	// seconds).
	Since time.Time
}

// SpyMode is how a supervisor joins a call (ChanSpy options).
type SpyMode string

// The spy modes: listen only, whisper to the spied party, or barge in.
const (
	Listen  SpyMode = "listen"
	Whisper SpyMode = "whisper"
	Barge   SpyMode = "barge"
)
