package pbx

import "time"

// Event is a domain event of the PBX, delivered to Options.OnEvent.
type Event interface{ eventTime() time.Time }

// ChannelHangup: a channel ended. Reconstructed is set when the model did
// not see the Hangup (Asterisk was disconnected or restarted) and learnt of
// it by comparing a resync with what it held; Cause is then 0.
type ChannelHangup struct {
	At            time.Time
	Channel       Channel
	Cause         int
	CauseText     string
	Reconstructed bool
}

// HintChanged: an extension's hint state changed.
type HintChanged struct {
	At            time.Time
	Hint          Hint
	Reconstructed bool
}

func (e ChannelHangup) eventTime() time.Time { return e.At }
func (e HintChanged) eventTime() time.Time   { return e.At }
