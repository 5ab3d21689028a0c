package pbx

import (
	"cmp"
	"strconv"
	"strings"
	"time"
)

// ivrUserEvents are the UserEvent names of IVR steps: ours
// (asterisk/extensions_coocenter.conf) and the lab dialplan's IVRStep.
var ivrUserEvents = [...]string{"CoocenterIVR", "IVRStep"}

// IVRStep is an IVR step the dialplan reported, read once for the ivr push
// and the queue call. Its fields come from the UserEvent's body, keys
// matched without regard to case; the lab's IVRStep names (Step, Queue,
// Uniq, CallerIDNum, Did, Dtmf) stand in for ours.
type IVRStep struct {
	Uniqueid    string // uuid, else Uniq, else the channel's
	Caller      string // caller, else CallerIDNum, else the channel's
	Called      string
	CallType    string // callType, else "IN" for a caller from outside
	Queue       string // queueCode, else Queue
	ID          string // ivrId, else Step
	Name        string // ivrName, else Step
	Dtmf        string // ivrDtmf, else Dtmf
	TrunkNumber string // trunkNumber, else Did
	// Start is the body's startTime (unix seconds, or "YYYY-MM-DD HH:MM:SS"
	// in the box's time zone), else the UserEvent's Since; never after End.
	Start time.Time
	End   time.Time // when the UserEvent came
}

// isIVR: e is one of ivrUserEvents.
func (e UserEvent) isIVR() bool {
	for _, n := range ivrUserEvents {
		if strings.EqualFold(n, e.Name) {
			return true
		}
	}
	return false
}

// IVR reads e as an IVR step; false when it is not one.
func (e UserEvent) IVR() (IVRStep, bool) {
	if !e.isIVR() {
		return IVRStep{}, false
	}
	f := func(keys ...string) string { return FieldOf(e.Fields, keys...) }
	s := IVRStep{
		Uniqueid: cmp.Or(f("uuid", "Uniq"), e.Channel.Uniqueid),
		Caller:   cmp.Or(f("caller", "CallerIDNum"), e.Channel.CallerIDNum),
		Called:   f("called"), CallType: f("callType"), Queue: f("queueCode", "Queue"),
		ID: f("ivrId", "Step"), Name: f("ivrName", "Step"), Dtmf: f("ivrDtmf", "Dtmf"),
		TrunkNumber: f("trunkNumber", "Did"),
		Start:       e.Since, End: e.At,
	}
	if s.CallType == "" && e.Direction == Inbound {
		s.CallType = "IN"
	}
	if at, ok := dialplanTime(f("startTime")); ok {
		s.Start = at
	}
	if s.Start.IsZero() || s.Start.After(s.End) {
		s.Start = s.End
	}
	return s, true
}

// dialplanTime reads a time the dialplan wrote: ${EPOCH} or local
// "YYYY-MM-DD HH:MM:SS".
func dialplanTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if sec, err := strconv.ParseFloat(s, 64); err == nil && sec > 0 {
		return time.UnixMicro(int64(sec * 1e6)), true
	}
	at, err := time.ParseInLocation(time.DateTime, s, time.Local)
	return at, err == nil
}
