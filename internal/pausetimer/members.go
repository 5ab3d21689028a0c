package pausetimer

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// busyBits are the hint states of an agent still on a call: in use, busy,
// ringing, on hold. Idle (0) and unavailable (4) are free.
const busyBits = 1 | 2 | 8 | 16

// memberships returns the queue memberships of the member with interface
// iface (compared as Asterisk does, ignoring case) or extension exten.
func memberships(qs []pbx.Queue, exten, iface string) []pbx.Member {
	var out []pbx.Member
	for _, q := range qs {
		for _, m := range q.Members {
			if (iface != "" && strings.EqualFold(m.Interface, iface)) || (exten != "" && m.StandsFor(exten)) {
				m.Queue = q.Name
				out = append(out, m)
			}
		}
	}
	return out
}

func queueNames(ms []pbx.Member) []string {
	var out []string
	for _, m := range ms {
		if !slices.Contains(out, m.Queue) {
			out = append(out, m.Queue)
		}
	}
	return out
}

// pausedByOther returns a membership paused by someone else than us: with
// a reason not ours, or with none. A pause with our reason and no wrap-up
// of ours behind it is a leftover, not the agent's.
func (t *Timer) pausedByOther(ms []pbx.Member) (pbx.Member, bool) {
	for _, m := range ms {
		if m.Paused && m.PausedReason != t.opts.Reason {
			return m, true
		}
	}
	return pbx.Member{}, false
}

// takenOver returns a membership of w's member paused with a reason that
// is not ours: the agent has taken the pause over.
func (t *Timer) takenOver(w *wrapUp) (pbx.Member, bool) {
	for _, m := range memberships(t.p.Queues(), w.Exten, w.Interface) {
		if m.Paused && m.PausedReason != "" && m.PausedReason != t.opts.Reason {
			return m, true
		}
	}
	return pbx.Member{}, false
}

// busy reports whether exten's hint says it is on a call. A hint counts
// when it is the extension's own, or its only device is the extension's
// phone; a group hint (SIP/801&SIP/802) says nothing about one agent.
func (t *Timer) busy(exten string) (pbx.Hint, bool) {
	for _, h := range t.p.Hints() {
		if hintOf(h, exten) && h.Status > 0 && h.Status&busyBits != 0 {
			return h, true
		}
	}
	return pbx.Hint{}, false
}

func hintOf(h pbx.Hint, exten string) bool {
	return h.Exten == exten || (!strings.Contains(h.Device, "&") && pbx.InterfaceExten(h.Device) == exten)
}

// permanent tells PauseMember errors that retrying cannot cure: the member
// left every queue, or the request itself is refused.
func permanent(err error) bool {
	return errors.Is(err, pbx.ErrNotMember) || errors.Is(err, pbx.ErrUnknownExtension) ||
		errors.Is(err, pbx.ErrInvalid)
}

// seconds is a pause length as reported: whole seconds, never negative.
func seconds(d time.Duration) time.Duration {
	return max(d, 0).Truncate(time.Second)
}
