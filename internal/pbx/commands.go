package pbx

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/coocenter/coocenterd/internal/ami"
)

// do sends an action; a missing or lost connection becomes ErrNotConnected.
// Once Asterisk answers, do waits (within ctx) until the model has applied
// the events Asterisk wrote before the answer, so that a command sees and
// leaves the model as Asterisk had it then.
func (p *PBX) do(ctx context.Context, a ami.Action) (ami.Result, error) {
	res, err := p.ami.Do(ctx, a)
	if res.Response.Len() > 0 && p.done != nil {
		p.applied.wait(ctx, res.Seq)
	}
	if errors.Is(err, ami.ErrNotConnected) || errors.Is(err, ami.ErrDisconnected) || errors.Is(err, ami.ErrClosed) {
		return res, fmt.Errorf("%s: %w", a.Name, ErrNotConnected)
	}
	return res, err
}

func h(k, v string) ami.Header { return ami.Header{Key: k, Value: v} }

// newCallID makes the id of a call we originate (package callid). It
// becomes the Uniqueid (and so the Linkedid) of the call's first leg, so
// every later push event of the call repeats it. None is made while
// Asterisk is away: the call could not be placed.
func (p *PBX) newCallID(what string) (string, error) {
	if !p.ami.Connected() {
		return "", fmt.Errorf("%s: %w", what, ErrNotConnected)
	}
	id, err := p.opts.CallIDs.Next()
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return id, nil
}

// ClickToCall rings src's phone and, when it answers, dials dst from the
// originate context. It returns the call's id. userData ("" for none)
// goes with every leg of the call. src's leg is armed for the agent's
// verbs: the hold feature, and leave to transfer (so consult works) as
// the caller of the originate context's Dial.
func (p *PBX) ClickToCall(ctx context.Context, src, dst, userData string) (string, error) {
	if err := checkNumber("destination", dst); err != nil {
		return "", err
	}
	if !ValidUserData(userData) {
		return "", fmt.Errorf("%w: userData", ErrInvalid)
	}
	dev, err := p.device(src)
	if err != nil {
		return "", err
	}
	id, err := p.newCallID(fmt.Sprintf("click-to-call %s to %s", src, dst))
	if err != nil {
		return "", err
	}
	headers := []ami.Header{
		h("Channel", dev), h("Context", p.opts.OriginateContext), h("Exten", dst), h("Priority", "1"),
		h("CallerID", fmt.Sprintf("%q <%s>", dst, src)), h("Timeout", p.timeoutMS()),
		h("ChannelId", id), h("Variable", "COOCENTER_CALLID="+id), h("Async", "true"),
		h("Variable", "DYNAMIC_FEATURES="+holdFeature), h("Variable", "BRIDGE_FEATURES=T"),
	}
	if userData != "" {
		headers = append(headers, h("Variable", "__"+varUserData+"="+encodeUserData(userData)))
	}
	_, err = p.do(ctx, ami.Action{Name: "Originate", Headers: headers})
	if err != nil {
		return "", fmt.Errorf("click-to-call %s to %s: %w", src, dst, err)
	}
	return id, nil
}

func (p *PBX) timeoutMS() string {
	return strconv.FormatInt(p.opts.OriginateTimeout.Milliseconds(), 10)
}

// Hangup hangs up every channel of exten's phone.
func (p *PBX) Hangup(ctx context.Context, exten string) error {
	if err := p.checkExten(exten); err != nil {
		return err
	}
	legs := p.legsOf(exten)
	if len(legs) == 0 {
		return fmt.Errorf("%w: %s", ErrNoActiveCall, exten)
	}
	for _, c := range legs {
		_, err := p.do(ctx, ami.Action{Name: "Hangup", Headers: []ami.Header{h("Channel", c.Name), h("Cause", "16")}})
		if err != nil && !isResponse(err, "no such channel") {
			return fmt.Errorf("hang up %s: %w", c.Name, err)
		}
	}
	return nil
}

// Transfer blind-transfers the call src is on: the party talking to src
// ends up ringing dst and src is released. userData, when given, becomes
// the call's first.
func (p *PBX) Transfer(ctx context.Context, src, dst, userData string) error {
	if err := checkNumber("destination", dst); err != nil {
		return err
	}
	if err := p.checkExten(src); err != nil {
		return err
	}
	leg, ok := p.legOf(src)
	if !ok || leg.BridgeID == "" {
		return fmt.Errorf("%w: %s", ErrNoActiveCall, src)
	}
	if err := p.SetUserData(ctx, leg.Linkedid, userData); err != nil {
		return fmt.Errorf("transfer %s to %s: %w", src, dst, err)
	}
	_, err := p.do(ctx, ami.Action{Name: "BlindTransfer", Headers: []ami.Header{
		h("Channel", leg.Name), h("Exten", dst), h("Context", p.opts.OriginateContext),
	}})
	if err != nil {
		return fmt.Errorf("transfer %s to %s: %w", src, dst, err)
	}
	return nil
}

// spyOptions are ChanSpy's options per mode: q no beep, E end with the call,
// w whisper, B barge (ami-mapping §4.10).
var spyOptions = map[SpyMode]string{Listen: "qE", Whisper: "qwE", Barge: "qBE"}

// Spy rings src's phone and, when it answers, joins dst's call. It
// returns the id of the spying call, as ClickToCall does.
func (p *PBX) Spy(ctx context.Context, src, dst string, mode SpyMode) (string, error) {
	opts, ok := spyOptions[mode]
	if !ok {
		return "", fmt.Errorf("%w: spy mode %q", ErrInvalid, mode)
	}
	dev, err := p.device(src)
	if err != nil {
		return "", err
	}
	if err := p.checkExten(dst); err != nil {
		return "", err
	}
	leg, ok := p.legOf(dst)
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrNoActiveCall, dst)
	}
	id, err := p.newCallID(fmt.Sprintf("spy %s on %s", src, dst))
	if err != nil {
		return "", err
	}
	_, err = p.do(ctx, ami.Action{Name: "Originate", Headers: []ami.Header{
		h("Channel", dev), h("Application", "ChanSpy"), h("Data", leg.Name+","+opts),
		h("CallerID", fmt.Sprintf("%q <%s>", "Spy "+dst, dst)), h("Timeout", p.timeoutMS()),
		h("ChannelId", id), h("Variable", "COOCENTER_CALLID="+id), h("Async", "true"),
	}})
	if err != nil {
		return "", fmt.Errorf("spy %s on %s: %w", src, dst, err)
	}
	return id, nil
}

// PauseMember pauses or unpauses exten in queue, or in every queue it is a
// member of when queue is "".
func (p *PBX) PauseMember(ctx context.Context, queue, exten string, paused bool, reason string) error {
	if err := p.checkMemberArgs(queue, exten); err != nil {
		return err
	}
	if !ValidReason(reason) {
		return fmt.Errorf("%w: pause reason", ErrInvalid)
	}
	if !p.loaded() {
		// Before the first sync the model knows no member: "not a
		// member" would be final, while this is worth a retry (the pause
		// timer resumes its wrap-ups before Asterisk is connected).
		return fmt.Errorf("queue pause %s: %w", exten, ErrNotConnected)
	}
	members, err := p.membership(queue, exten)
	if err != nil {
		return err
	}
	if len(members) == 0 {
		return p.notMember(queue, exten)
	}
	for q, m := range members {
		hs := []ami.Header{h("Interface", m.Interface), h("Queue", q), h("Paused", strconv.FormatBool(paused))}
		if reason != "" {
			hs = append(hs, h("Reason", reason))
		}
		if _, err := p.do(ctx, ami.Action{Name: "QueuePause", Headers: hs}); err != nil {
			return fmt.Errorf("queue pause %s in %s: %w", m.Interface, q, err)
		}
		m.Paused = paused
		m.PausedReason = reason
		p.updateMember(ctx, q, m)
	}
	return nil
}

// AddMember logs exten into queue as a dynamic member whose state follows
// the extension's hint, so it is not rung while busy. Already there is fine.
func (p *PBX) AddMember(ctx context.Context, queue, exten string) error {
	if err := p.checkMemberArgs(queue, exten); err != nil {
		return err
	}
	members, err := p.membership(queue, exten)
	if err != nil {
		return err
	}
	if len(members) > 0 {
		return nil
	}
	dev, err := p.device(exten)
	if err != nil {
		return err
	}
	m := Member{Queue: queue, Interface: dev, Name: exten, StateInterface: p.stateInterface(exten, dev), Dynamic: true, Status: 1}
	_, err = p.do(ctx, ami.Action{Name: "QueueAdd", Headers: []ami.Header{
		h("Queue", queue), h("Interface", dev), h("MemberName", exten), h("StateInterface", m.StateInterface), h("Penalty", "0"),
	}})
	if err != nil && !isResponse(err, "already there") {
		return fmt.Errorf("queue add %s to %s: %w", dev, queue, err)
	}
	p.updateMember(ctx, queue, m)
	return nil
}

// RemoveMember logs exten out of queue. Not a member is fine.
func (p *PBX) RemoveMember(ctx context.Context, queue, exten string) error {
	if err := p.checkMemberArgs(queue, exten); err != nil {
		return err
	}
	members, err := p.membership(queue, exten)
	if err != nil {
		return err
	}
	if err := p.checkExten(exten); err != nil {
		return err
	}
	m, ok := members[queue]
	if !ok {
		return nil
	}
	_, err = p.do(ctx, ami.Action{Name: "QueueRemove", Headers: []ami.Header{h("Queue", queue), h("Interface", m.Interface)}})
	switch {
	case isResponse(err, "not dynamic"):
		return fmt.Errorf("queue remove %s from %s: %w", m.Interface, queue, ErrStaticMember)
	case err != nil && !isResponse(err, "not there"):
		return fmt.Errorf("queue remove %s from %s: %w", m.Interface, queue, err)
	}
	p.change(ctx, queuesChanged, func(st *state) {
		if q, ok := st.queues[queue]; ok {
			q.removeMember(m.Interface)
		}
	})
	return nil
}

func (p *PBX) checkMemberArgs(queue, exten string) error {
	if queue != "" {
		if err := checkQueue(queue); err != nil {
			return err
		}
	}
	return checkNumber("extension", exten)
}

func (p *PBX) notMember(queue, exten string) error {
	if err := p.checkExten(exten); err != nil {
		return err
	}
	if queue == "" {
		return fmt.Errorf("%w: %s is in no queue", ErrNotMember, exten)
	}
	return fmt.Errorf("%w: %s is not in %s", ErrNotMember, exten, queue)
}

// stateInterface is the hint of exten when it has one, else the device.
func (p *PBX) stateInterface(exten, dev string) string {
	for _, hi := range p.snap.Load().Hints {
		if hi.Exten == exten && strings.EqualFold(hi.Device, dev) {
			return "hint:" + exten + "@" + hi.Context
		}
	}
	return dev
}

// loaded reports whether the model was ever synced with Asterisk.
func (p *PBX) loaded() bool { return p.snap.Load().synced }

// updateMember applies a command's effect at once, so that a read right
// after the command sees it; Asterisk's event confirms it a moment later.
func (p *PBX) updateMember(ctx context.Context, queue string, m Member) {
	p.change(ctx, queuesChanged, func(st *state) {
		if q, ok := st.queues[queue]; ok {
			q.setMember(m)
		}
	})
}

func isResponse(err error, substr string) bool {
	var re *ami.ResponseError
	return errors.As(err, &re) && strings.Contains(strings.ToLower(re.Message), substr)
}
