package testbed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// Stage makes things happen on the PBX under test, the same way on both:
// *pbxsim.Server implements it with its control API, a real Asterisk with
// AMI actions through the test dialplan (test/asterisk/etc).
type Stage interface {
	// InboundCall makes an external caller with number call into queue
	// 630, 631 or 632 ("" = 630) through the trunk context from-trunk
	// (blacklist check, IVR events, queue). It returns the caller's
	// channel inside the PBX, the ;2 half of Local/in-…@from-trunk;
	// hanging it up is the caller hanging up.
	InboundCall(number, queue string) (string, error)
	// Dial has phone from call to (a number of context internal); it
	// returns from's channel.
	Dial(from, to string) (string, error)
	// Answer, Hold, Unhold and BlindTransfer are the keys of the phone
	// behind channel.
	Answer(channel string) error
	Hold(channel, musicClass string) error
	Unhold(channel string) error
	BlindTransfer(channel, exten string) error
	// SetAutoAnswer changes when phone peer answers calls (0: on Answer).
	SetAutoAnswer(peer string, d time.Duration) error
	// Hangup hangs channel up with cause (0 = 16, normal clearing): a
	// phone's channel as its user would, any other through the PBX.
	Hangup(channel string, cause int) error
	DBGet(family, key string) (string, bool)
	DBPut(family, key, value string)
	DBDel(family, key string) bool
	// Restart restarts Asterisk; a real one takes a few seconds whatever
	// downFor says.
	Restart(downFor time.Duration)
}

// Stage returns how the test makes things happen on the bed's PBX.
func (b *Bed) Stage() Stage {
	switch {
	case b.Sim != nil:
		return b.Sim
	case b.replay != nil:
		return replayStage{b}
	}
	return realStage{b}
}

// stageClient is the connection the test's own actions go over: on a real
// Asterisk one of their own, so that the model's recorded session holds
// only what the model sent; on pbxsim the model's.
func (b *Bed) stageClient() *ami.Client {
	if b.stage != nil {
		return b.stage
	}
	return b.Client
}

// realStage is Stage on a real Asterisk.
type realStage struct{ b *Bed }

func (r realStage) do(name string, headers ...ami.Header) (ami.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.b.stageClient().Do(ctx, ami.Action{Name: name, Headers: headers})
}

func (r realStage) InboundCall(number, queue string) (string, error) {
	r.b.step("InboundCall")
	exten, err := inboundExten("in", number, queue)
	if err != nil {
		return "", err
	}
	return r.b.originateInbound(exten)
}

// inboundExten is the from-trunk extension of a caller into queue ("" =
// 630): <route>-<number>, or <route>q-<queue>-<number> for 631 and 632.
func inboundExten(route, number, queue string) (string, error) {
	switch queue {
	case "", "630":
		return route + "-" + number, nil
	case "631", "632":
		return route + "q-" + queue + "-" + number, nil
	}
	return "", fmt.Errorf("testbed: no queue %q", queue)
}

func (r realStage) Hangup(channel string, cause int) error {
	r.b.step("Hangup")
	if c, err := r.b.activeCall(channel); err == nil {
		return c.Hangup()
	}
	if cause == 0 {
		cause = 16
	}
	_, err := r.do("Hangup", ami.Header{Key: "Channel", Value: channel}, ami.Header{Key: "Cause", Value: strconv.Itoa(cause)})
	return err
}

func (r realStage) DBGet(family, key string) (string, bool) {
	res, err := r.do("DBGet", ami.Header{Key: "Family", Value: family}, ami.Header{Key: "Key", Value: key})
	if err != nil || len(res.Events) == 0 {
		return "", false
	}
	return res.Events[0].Get("Val"), true
}

func (r realStage) DBPut(family, key, value string) {
	r.b.step("DBPut")
	if _, err := r.do("DBPut", ami.Header{Key: "Family", Value: family}, ami.Header{Key: "Key", Value: key}, ami.Header{Key: "Val", Value: value}); err != nil {
		r.b.T.Fatalf("DBPut %s/%s: %v", family, key, err)
	}
}

func (r realStage) DBDel(family, key string) bool {
	r.b.step("DBDel")
	_, err := r.do("DBDel", ami.Header{Key: "Family", Value: family}, ami.Header{Key: "Key", Value: key})
	return err == nil
}

// Restart is `core restart now`: Asterisk hangs up every call and starts
// again in the same process; AMI drops and comes back.
func (r realStage) Restart(time.Duration) { r.b.restart() }

// restart sends `core restart now` over the model's own connection, which
// Asterisk then drops before it hangs up the calls: the model learns of
// their end only from its resync. A replay answers it as recorded.
func (b *Bed) restart() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := b.Client.Do(ctx, ami.Action{Name: "Command", Headers: []ami.Header{{Key: "Command", Value: "core restart now"}}})
	if err != nil && !errors.Is(err, ami.ErrDisconnected) {
		b.T.Logf("core restart now: %v", err)
	}
}

// PressKeys has the party on channel press digits, as if they came from
// its phone (PlayDTMF with Receive, real Asterisk only): a caller's ;2 half
// of a Local channel takes them in Read or WaitExten.
func (b *Bed) PressKeys(channel, digits string) error {
	b.step("PressKeys")
	if b.replay != nil {
		return nil // recorded
	}
	for _, d := range digits {
		_, err := realStage{b}.do("PlayDTMF", ami.Header{Key: "Channel", Value: channel},
			ami.Header{Key: "Digit", Value: string(d)}, ami.Header{Key: "Receive", Value: "true"})
		if err != nil {
			return fmt.Errorf("testbed: press %c on %s: %w", d, channel, err)
		}
	}
	return nil
}

// MonitorDir is the folder a real Asterisk on this machine records calls
// into (<spool directory>/monitor, from `core show settings`); ok is false
// on pbxsim, which records nothing, on a replay and for an Asterisk
// elsewhere.
func (b *Bed) MonitorDir() (dir string, ok bool) {
	if b.link == nil {
		return "", false
	}
	res, err := realStage{b}.do("Command", ami.Header{Key: "Command", Value: "core show settings"})
	if err != nil {
		return "", false
	}
	for _, line := range res.Response.Values("Output") {
		if spool, found := strings.CutPrefix(strings.TrimSpace(line), "Spool directory:"); found {
			dir = filepath.Join(strings.TrimSpace(spool), "monitor")
		}
	}
	if fi, err := os.Stat(dir); dir == "" || err != nil || !fi.IsDir() {
		return "", false
	}
	return dir, true
}

// hangupAll hangs up every channel of a real Asterisk and waits until the
// model has none.
func (b *Bed) hangupAll() {
	b.T.Helper()
	if len(b.Model.Channels()) == 0 {
		return
	}
	_, err := realStage{b}.do("Hangup", ami.Header{Key: "Channel", Value: "/.*/"}, ami.Header{Key: "Cause", Value: "16"})
	if err != nil {
		b.T.Logf("hang up every channel: %v", err)
	}
	b.waitFor("no channels left on the PBX", func() bool { return len(b.Model.Channels()) == 0 })
}

// ShippedInboundCall is InboundCall through the dialplan README tells users
// to write (test/asterisk/etc, context coocenter-inbound): the shipped
// blacklist Gosub with its prefix patterns, CoocenterIVR, Queue with c and
// the survey.
func (b *Bed) ShippedInboundCall(number, queue string) (string, error) {
	b.step("ShippedInboundCall")
	b.T.Helper()
	exten, err := inboundExten("cin", number, queue)
	if err != nil {
		return "", err
	}
	return b.originateInbound(exten)
}

// originateInbound originates Local/<exten>@from-trunk to Wait(600), as the
// recorded tests did, and returns the name of the ;2 half from its
// Newchannel event (the call may be over before the model could be asked).
func (b *Bed) originateInbound(exten string) (string, error) {
	number := exten[strings.LastIndexByte(exten, '-')+1:]
	prefix := "Local/" + exten + "@from-trunk-"
	if b.replay != nil {
		return b.recordedChannel(func(name string) bool { return strings.HasPrefix(name, prefix) && strings.HasSuffix(name, ";2") })
	}
	sub := b.stageClient().Subscribe(0)
	defer sub.Unsubscribe()
	_, err := realStage{b}.do("Originate", ami.Header{Key: "Channel", Value: "Local/" + exten + "@from-trunk"},
		ami.Header{Key: "Application", Value: "Wait"}, ami.Header{Key: "Data", Value: "600"},
		ami.Header{Key: "CallerID", Value: "External caller <" + number + ">"},
		ami.Header{Key: "Async", Value: "true"})
	if err != nil {
		return "", err
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-sub.C():
			if !ok {
				return "", errors.New("testbed: the AMI client closed")
			}
			name := e.Msg.Get("Channel")
			if e.Msg.Event() == "Newchannel" && strings.HasPrefix(name, prefix) && strings.HasSuffix(name, ";2") {
				return name, nil
			}
		case <-deadline:
			return "", errors.New("testbed: no Newchannel for the inbound call within 5 s")
		}
	}
}
