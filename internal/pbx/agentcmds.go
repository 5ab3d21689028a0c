package pbx

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// The agent's verbs (api.md §3.16–§3.24) and the Asterisk mechanism each
// uses; docs/design/agent-verbs.md has the reasons.
//
//   hold        the coocenter-hold feature (features_coocenter.conf), its
//               code sent into the agent's channel with PlayDTMF Receive
//   unhold      Setvar COOCENTER_HOLD=0, which ends [coocenter-hold]
//   mute        MuteAudio, mirrored in COOCENTER_MUTED
//   consult     Atxfer to 0@coocenter-xfer, the number in COOCENTER_XFER_DST
//   consult-transfer, three-way
//               the attended transfer's own keys (*2, *3) by PlayDTMF
//   consult-cancel
//               CancelAtxfer
//   webcall     Originate of Local/<customer>@<originate context> into
//               [coocenter-webcall]
//   userData    the channel variable __COOCENTER_USERDATA on every leg

// ErrConflict: the call's state forbids the command (already on hold, no
// consult to transfer, ...). The error's text is a sentence for the
// caller.
var ErrConflict = errors.New("the call's state forbids it")

// conflictError is an ErrConflict that says what forbids it.
type conflictError struct{ msg string }

func (e *conflictError) Error() string        { return e.msg }
func (e *conflictError) Is(target error) bool { return target == ErrConflict }

func conflict(format string, args ...any) error {
	return &conflictError{fmt.Sprintf(format, args...)}
}

// The features.conf codes the verbs send (asterisk/features_coocenter.conf
// and Asterisk's defaults for the attended transfer's keys).
const (
	holdFeature   = "coocenter-hold"
	holdCode      = "*70"
	xferComplete  = "*2"
	xferThreeway  = "*3"
	consultExten  = "0"
	consultCtx    = "coocenter-xfer"
	webcallCtx    = "coocenter-webcall"
	confirmWithin = 3 * time.Second // how long hold and consult wait to see Asterisk act
)

// talkingLeg returns exten's channel that is up and bridged: the call the
// agent's verbs act on. While Asterisk is away the model's calls are
// stale: nothing to act on but ErrNotConnected.
func (p *PBX) talkingLeg(exten string) (Channel, error) {
	if err := p.checkAgent(exten); err != nil {
		return Channel{}, err
	}
	leg, ok := p.legOf(exten)
	if !ok || leg.State != 6 || leg.BridgeID == "" {
		return Channel{}, fmt.Errorf("%w: %s", ErrNoActiveCall, exten)
	}
	return leg, nil
}

// checkAgent: exten can be acted on, with Asterisk there to do it.
func (p *PBX) checkAgent(exten string) error {
	if err := p.checkExten(exten); err != nil {
		return err
	}
	if !p.ami.Connected() {
		return fmt.Errorf("extension %s: %w", exten, ErrNotConnected)
	}
	return nil
}

// channelNow is the model's channel uniqueid as it stands, if it lives.
func (p *PBX) channelNow(uniqueid string) (Channel, bool) {
	for _, c := range p.snap.Load().Channels {
		if c.Uniqueid == uniqueid {
			return *c, true
		}
	}
	return Channel{}, false
}

// ErrNotActed: Asterisk answered a command but did not show, within
// confirmWithin, that it acted on it (hold without features_coocenter.conf,
// an overloaded Asterisk).
//
//lint:ignore ST1005 Asterisk is a name, and the API answers say it so
var ErrNotActed = errors.New("Asterisk did not act on it in time")

// await waits, within confirmWithin and ctx, until the model's channel
// uniqueid satisfies ok (it is told whether the channel still lives). It
// returns ctx's error, ErrNotActed, or nil.
func (p *PBX) await(ctx context.Context, uniqueid string, ok func(Channel, bool) bool) error {
	deadline := time.NewTimer(confirmWithin)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if ok(p.channelNow(uniqueid)) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return ErrNotActed
		case <-tick.C:
		}
	}
}

// sendDigits presses digits on channel as if its phone did (PlayDTMF
// Receive: into what Asterisk reads from it, so the bridge's feature
// hooks see them), one action per digit as PlayDTMF takes one.
func (p *PBX) sendDigits(ctx context.Context, channel, digits string) error {
	for _, d := range digits {
		_, err := p.do(ctx, ami.Action{Name: "PlayDTMF", Headers: []ami.Header{
			h("Channel", channel), h("Digit", string(d)), h("Receive", "true")}})
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *PBX) setvar(ctx context.Context, channel, name, value string) error {
	if channel == "" { // Setvar without Channel sets a global: never
		return fmt.Errorf("setvar %s: %w: no channel", name, ErrInvalid)
	}
	_, err := p.do(ctx, ami.Action{Name: "Setvar", Headers: []ami.Header{
		h("Channel", channel), h("Variable", name), h("Value", value)}})
	return err
}

// Hold puts exten's call on hold: the other party hears music on hold,
// the agent's line stays up.
func (p *PBX) Hold(ctx context.Context, exten string) error {
	leg, err := p.talkingLeg(exten)
	if err != nil {
		return err
	}
	switch {
	case leg.Consulting != "":
		return conflict("extension %s is consulting %s; its call is already on hold", exten, leg.Consulting)
	case leg.Held:
		return conflict("the call of extension %s is already on hold", exten)
	}
	res, err := p.do(ctx, ami.Action{Name: "Getvar", Headers: []ami.Header{h("Channel", leg.Uniqueid), h("Variable", "DYNAMIC_FEATURES")}})
	if err != nil {
		return fmt.Errorf("hold %s: %w", exten, err)
	}
	if !hasFeature(res.Response.Get("Value"), holdFeature) {
		return conflict("the call of extension %s cannot be held: the dialplan did not arm its leg with Gosub(coocenter-agent,s,1) or Dial's b(coocenter-agent^s^1) (README, Asterisk)", exten)
	}
	if err := p.sendDigits(ctx, leg.Uniqueid, holdCode); err != nil {
		return fmt.Errorf("hold %s: %w", exten, err)
	}
	if err := p.await(ctx, leg.Uniqueid, func(c Channel, ok bool) bool { return ok && c.Held && c.HeldHere }); err != nil {
		return fmt.Errorf("hold %s (is features_coocenter.conf included?): %w", exten, err)
	}
	return nil
}

// hasFeature reports whether a DYNAMIC_FEATURES value (names separated
// by #) holds name.
func hasFeature(features, name string) bool {
	for _, f := range strings.Split(features, "#") {
		if f == name {
			return true
		}
	}
	return false
}

// Unhold takes the hold that Hold placed off exten's call.
func (p *PBX) Unhold(ctx context.Context, exten string) error {
	leg, err := p.talkingLeg(exten)
	if err != nil {
		return err
	}
	switch {
	case leg.Consulting != "":
		return conflict("extension %s is consulting %s: end the consult (consult-cancel) to go back to the held party", exten, leg.Consulting)
	case !leg.Held:
		return conflict("the call of extension %s is not on hold", exten)
	case !leg.HeldHere:
		return conflict("the call of extension %s was held by its phone: take it off hold there", exten)
	}
	if err := p.setvar(ctx, leg.Uniqueid, varHold, "0"); err != nil {
		return fmt.Errorf("unhold %s: %w", exten, err)
	}
	if err := p.await(ctx, leg.Uniqueid, func(c Channel, ok bool) bool { return !ok || !c.Held }); err != nil {
		return fmt.Errorf("unhold %s: %w", exten, err)
	}
	return nil
}

// Mute stops (muted) or restarts the other party hearing exten.
func (p *PBX) Mute(ctx context.Context, exten string, muted bool) error {
	leg, err := p.talkingLeg(exten)
	if err != nil {
		return err
	}
	if leg.Muted == muted {
		if muted {
			return conflict("extension %s is already muted", exten)
		}
		return conflict("extension %s is not muted", exten)
	}
	state, value := "off", "0"
	if muted {
		state, value = "on", "1"
	}
	// Direction in: what Asterisk reads from the agent's phone, so music,
	// prompts and the other party still reach the agent.
	if _, err := p.do(ctx, ami.Action{Name: "MuteAudio", Headers: []ami.Header{
		h("Channel", leg.Uniqueid), h("Direction", "in"), h("State", state)}}); err != nil {
		return fmt.Errorf("mute %s %s: %w", exten, state, err)
	}
	if err := p.setvar(ctx, leg.Uniqueid, varMuted, value); err != nil {
		return fmt.Errorf("mute %s %s: %w", exten, state, err)
	}
	// Its VarSet may follow Setvar's answer: wait for it, so that the next
	// command sees the model as Asterisk has it.
	if err := p.await(ctx, leg.Uniqueid, func(c Channel, ok bool) bool { return !ok || c.Muted == muted }); err != nil {
		return fmt.Errorf("mute %s %s: %w", exten, state, err)
	}
	return nil
}

// SetUserData gives the call of channel (its Linkedid) userData on every
// live leg; channels the call makes later inherit it.
func (p *PBX) SetUserData(ctx context.Context, linkedid, userData string) error {
	if !ValidUserData(userData) {
		return fmt.Errorf("%w: userData", ErrInvalid)
	}
	if userData == "" || linkedid == "" {
		return nil
	}
	for _, c := range p.snap.Load().Channels {
		if c.Linkedid != linkedid {
			continue
		}
		err := p.setvar(ctx, c.Uniqueid, "__"+varUserData, encodeUserData(userData))
		if err != nil && !isResponse(err, "no such channel") {
			return fmt.Errorf("set userData: %w", err)
		}
	}
	return nil
}

// Consult holds the party src talks to and connects src to dst (an
// extension or an outside number, dialled as click-number dials it). It
// returns the id of src's call.
func (p *PBX) Consult(ctx context.Context, src, dst, userData string) (string, error) {
	if err := checkNumber("destination", dst); err != nil {
		return "", err
	}
	leg, err := p.talkingLeg(src)
	if err != nil {
		return "", err
	}
	switch {
	case leg.Consulting != "":
		return "", conflict("extension %s is already consulting %s", src, leg.Consulting)
	case leg.Held:
		return "", conflict("the call of extension %s is on hold: unhold it first", src)
	}
	if err := p.SetUserData(ctx, leg.Linkedid, userData); err != nil {
		return "", err
	}
	if leg.Muted { // the mute stays with the agent's channel: the consulted party would not hear it
		if err := p.Mute(ctx, src, false); err != nil {
			return "", fmt.Errorf("consult %s from %s: %w", dst, src, err)
		}
	}
	if err := p.setvar(ctx, leg.Uniqueid, "_"+varConsultContext, p.opts.OriginateContext); err != nil {
		return "", fmt.Errorf("consult %s from %s: %w", dst, src, err)
	}
	if err := p.setvar(ctx, leg.Uniqueid, "_"+varConsult, dst); err != nil {
		return "", fmt.Errorf("consult %s from %s: %w", dst, src, err)
	}
	_, err = p.do(ctx, ami.Action{Name: "Atxfer", Headers: []ami.Header{
		h("Channel", leg.Uniqueid), h("Exten", consultExten), h("Context", consultCtx)}})
	if err != nil {
		return "", fmt.Errorf("consult %s from %s: %w", dst, src, err)
	}
	// Asterisk answers Atxfer before it acts, and acts only for a leg whose
	// dialplan allowed it to transfer: the hold is the sign it did.
	if err := p.await(ctx, leg.Uniqueid, func(c Channel, ok bool) bool { return !ok || c.Held }); err != nil {
		_ = p.setvar(context.WithoutCancel(ctx), leg.Uniqueid, "_"+varConsult, "")
		if !errors.Is(err, ErrNotActed) {
			return "", fmt.Errorf("consult %s from %s: %w", dst, src, err)
		}
		return "", conflict("extension %s cannot consult: Asterisk started no attended transfer (the dialplan must Dial the agent with t, or T when the agent calls; features.conf needs atxfer, see README)", src)
	}
	return leg.Linkedid, nil
}

// consultingLeg returns src's channel while it consults.
func (p *PBX) consultingLeg(src string) (Channel, error) {
	if err := p.checkAgent(src); err != nil {
		return Channel{}, err
	}
	for _, c := range p.legsOf(src) {
		if c.Consulting != "" {
			return c, nil
		}
	}
	if _, ok := p.legOf(src); !ok {
		return Channel{}, fmt.Errorf("%w: %s", ErrNoActiveCall, src)
	}
	return Channel{}, conflict("extension %s is not consulting anyone", src)
}

// ConsultTransfer connects the held party to the one src consults and
// releases src.
func (p *PBX) ConsultTransfer(ctx context.Context, src string) error {
	leg, err := p.consultingLeg(src)
	if err != nil {
		return err
	}
	if err := p.sendDigits(ctx, leg.Uniqueid, xferComplete); err != nil {
		return fmt.Errorf("consult transfer %s: %w", src, err)
	}
	return nil
}

// ConsultCancel ends src's consult: src is back with the held party.
func (p *PBX) ConsultCancel(ctx context.Context, src string) error {
	leg, err := p.consultingLeg(src)
	if err != nil {
		return err
	}
	if _, err := p.do(ctx, ami.Action{Name: "CancelAtxfer", Headers: []ami.Header{h("Channel", leg.Uniqueid)}}); err != nil {
		return fmt.Errorf("consult cancel %s: %w", src, err)
	}
	return nil
}

// ThreeWay joins src, the held party and the one src consults in one
// call; any of them may leave.
func (p *PBX) ThreeWay(ctx context.Context, src string) error {
	leg, err := p.consultingLeg(src)
	if err != nil {
		return err
	}
	if err := p.sendDigits(ctx, leg.Uniqueid, xferThreeway); err != nil {
		return fmt.Errorf("three way %s: %w", src, err)
	}
	return nil
}

// Webcall is a call the box places to a customer first: once the customer
// answers, Dst (an extension or a queue) is rung.
type Webcall struct {
	Customer         string // the number to call
	Dst              string // an extension or a queue
	CustomerCallerID string // what the customer sees, "" for the trunk's own
	DstCallerID      string // what dst sees; "" for the customer's number
	CustomerTimeout  time.Duration
	DstTimeout       time.Duration
	UserData         string
}

// PlaceWebcall rings w.Customer and returns the call's id.
func (p *PBX) PlaceWebcall(ctx context.Context, w Webcall) (string, error) {
	if err := checkNumber("customer", w.Customer); err != nil {
		return "", err
	}
	for what, n := range map[string]string{"customer caller ID": w.CustomerCallerID, "destination caller ID": w.DstCallerID} {
		if n != "" {
			if err := checkNumber(what, n); err != nil {
				return "", err
			}
		}
	}
	if !ValidUserData(w.UserData) {
		return "", fmt.Errorf("%w: userData", ErrInvalid)
	}
	vars, err := p.webcallDestination(w.Dst)
	if err != nil {
		return "", err
	}
	id, err := p.newCallID(fmt.Sprintf("webcall %s to %s", w.Customer, w.Dst))
	if err != nil {
		return "", err
	}
	headers := []ami.Header{
		h("Channel", "Local/"+w.Customer+"@"+p.opts.OriginateContext), h("Context", webcallCtx), h("Exten", "s"), h("Priority", "1"),
		h("Timeout", strconv.FormatInt(w.CustomerTimeout.Milliseconds(), 10)), h("ChannelId", id), h("Async", "true"),
		h("Variable", "COOCENTER_CALLID="+id), vars,
		h("Variable", "COOCENTER_WEBCALL_TIMEOUT="+strconv.FormatInt(int64(w.DstTimeout/time.Second), 10)),
		h("Variable", "COOCENTER_WEBCALL_CID="+cmp.Or(w.DstCallerID, w.Customer)),
	}
	if w.CustomerCallerID != "" {
		headers = append(headers, h("CallerID", fmt.Sprintf("%q <%s>", w.CustomerCallerID, w.CustomerCallerID)))
	}
	if w.UserData != "" {
		headers = append(headers, h("Variable", "__"+varUserData+"="+encodeUserData(w.UserData)))
	}
	if _, err := p.do(ctx, ami.Action{Name: "Originate", Headers: headers}); err != nil {
		return "", fmt.Errorf("webcall %s to %s: %w", w.Customer, w.Dst, err)
	}
	return id, nil
}

// webcallDestination is the Variable header naming what [coocenter-webcall]
// rings: a queue, else an extension's phone.
func (p *PBX) webcallDestination(dst string) (ami.Header, error) {
	for _, q := range p.snap.Load().Queues {
		if q.Name == dst {
			return h("Variable", "COOCENTER_WEBCALL_QUEUE="+dst), nil
		}
	}
	if !numberRe.MatchString(dst) {
		return ami.Header{}, fmt.Errorf("%w: %s", ErrUnknownQueue, dst)
	}
	dev, err := p.device(dst)
	if err != nil {
		return ami.Header{}, err
	}
	return h("Variable", "COOCENTER_WEBCALL_DIAL="+dev), nil
}
