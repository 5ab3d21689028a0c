package testbed

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/testbed/sipphone"
)

// Phones on a real Asterisk are sipphone user agents registered with the
// test PBX (test/asterisk/etc), password = extension: 800–809 with chan_sip
// on 127.0.0.1:5060, or with chan_pjsip on 127.0.0.1:5160 where Asterisk
// has no chan_sip (21 and later); 900–909 with chan_pjsip. They answer
// qualify OPTIONS, and answer calls after Options.AutoAnswer or when the
// test says so (Stage.Answer); the test holds, transfers and hangs up
// through them as a user would with the phone's keys.

// Device returns the device of the test PBX's phone ext, "SIP/801" or
// "PJSIP/801": the technology that lists a phone of that name, chan_sip
// first, as the PBX listed them when the bed started. Tests name a phone's
// channels, queue member and hint by it, so that they run on chan_sip and
// PJSIP-only PBXs alike.
func (b *Bed) Device(ext string) string {
	b.T.Helper()
	tech, ok := b.techs[ext]
	if !ok {
		b.T.Fatalf("testbed: the PBX lists no phone %q", ext)
	}
	return string(tech) + "/" + ext
}

// PhoneChannels returns the model's channels of phone ext (Device(ext)
// followed by "-" and the channel's sequence number).
func (b *Bed) PhoneChannels(ext string) []pbx.Channel {
	b.T.Helper()
	return b.ChannelsOf(b.Device(ext) + "-")
}

// learnPhones records each phone's technology from the model's peers,
// which list chan_sip before PJSIP.
func (b *Bed) learnPhones() {
	b.techs = map[string]pbx.Tech{}
	for _, p := range b.Model.Peers() {
		if _, seen := b.techs[p.Name]; !seen {
			b.techs[p.Name] = p.Tech
		}
	}
}

// phoneAddrs returns the PBX address that the phone of device ("SIP/804",
// "PJSIP/804") registers with and its own local address, unique per
// extension.
func phoneAddrs(device string) (pbxAddr, local string, err error) {
	tech, ext, _ := strings.Cut(device, "/")
	switch tech {
	case "SIP":
		pbxAddr = "127.0.0.1:5060"
	case "PJSIP":
		pbxAddr = "127.0.0.1:5160"
	}
	n, err := strconv.Atoi(ext)
	switch {
	case pbxAddr == "" || err != nil:
	case n >= 800 && n <= 809:
		return pbxAddr, fmt.Sprintf("127.0.0.1:%d", 5070+n-800), nil
	case n >= 900 && n <= 909:
		return pbxAddr, fmt.Sprintf("127.0.0.1:%d", 5170+n-900), nil
	}
	return "", "", fmt.Errorf("testbed: no phone %q on the test PBX (800–809, 900–909)", device)
}

// startPhone registers ext until the test ends; then it hangs up what it
// still has and unregisters.
func (b *Bed) startPhone(ext string, answerAfter time.Duration) {
	b.T.Helper()
	pbxAddr, local, err := phoneAddrs(b.Device(ext))
	if err != nil {
		b.T.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := sipphone.Register(ctx, sipphone.Config{Ext: ext, Password: ext, PBX: pbxAddr, Local: local, AutoAnswer: answerAfter})
	if err != nil {
		b.T.Fatalf("testbed: phone %s: %v", ext, err)
	}
	b.T.Cleanup(func() { _ = p.Close() })
	b.phones[ext] = p
}

// waitRegistered waits until the model sees ext registered and answering
// its first qualify (chan_sip qualify=yes, PJSIP qualify_frequency): until
// then a real Asterisk says UNKNOWN beside the address (chan_sip), or the
// model does (PJSIP: ContactStatus Created comes before Reachable).
func (b *Bed) waitRegistered(ext string) {
	b.T.Helper()
	device := b.Device(ext)
	b.waitFor("phone "+device+" registered and qualified", func() bool {
		for _, p := range b.Model.Peers() {
			if string(p.Tech)+"/"+p.Name == device {
				return p.Addr != "" && p.Addr != "-none-" && strings.HasPrefix(p.Status, "OK (")
			}
		}
		return false
	})
}

// phone returns the test's registered phone ext.
func (b *Bed) phone(ext string) (*sipphone.Phone, error) {
	if p, ok := b.phones[ext]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("testbed: phone %s is not registered (Options.Registered)", ext)
}

// phoneOf returns the phone behind a channel of the PBX ("SIP/804-0000001a"
// and "PJSIP/804-0000001a" are 804's); other channels (Local, trunks) are
// an error.
func (b *Bed) phoneOf(channel string) (*sipphone.Phone, error) {
	_, rest, isDevice := strings.Cut(channel, "/")
	if i := strings.LastIndexByte(rest, '-'); i > 0 {
		rest = rest[:i]
	}
	if p, ok := b.phones[rest]; isDevice && ok {
		return p, nil
	}
	return nil, fmt.Errorf("testbed: %s is not a registered test phone's channel", channel)
}

// activeCall is the call of the phone behind channel that a key press acts on.
func (b *Bed) activeCall(channel string) (*sipphone.Call, error) {
	p, err := b.phoneOf(channel)
	if err != nil {
		return nil, err
	}
	c := p.Active()
	if c == nil {
		return nil, fmt.Errorf("testbed: the phone of %s has no call", channel)
	}
	return c, nil
}

// Dial has the phone from call to, as its user would; it returns from's
// channel on the PBX.
func (r realStage) Dial(from, to string) (string, error) {
	r.b.step("Dial")
	p, err := r.b.phone(from)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := p.Dial(ctx, to); err != nil {
		return "", err
	}
	var name string
	r.b.waitFor("the channel of "+from+"'s call", func() bool {
		cs := r.b.PhoneChannels(from)
		if len(cs) > 0 {
			name = cs[len(cs)-1].Name
		}
		return name != ""
	})
	return name, nil
}

// Answer has the phone behind channel answer its ringing call.
func (r realStage) Answer(channel string) error {
	r.b.step("Answer")
	p, err := r.b.phoneOf(channel)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := p.Ringing(ctx)
	if err != nil {
		return err
	}
	return c.Answer()
}

// Hold is the hold key of the phone behind channel (a re-INVITE with
// sendonly: Asterisk plays its own music class, whatever musicClass says).
func (r realStage) Hold(channel, musicClass string) error {
	r.b.step("Hold")
	c, err := r.b.activeCall(channel)
	if err != nil {
		return err
	}
	return c.Hold()
}

// Unhold takes the call of the phone behind channel off hold.
func (r realStage) Unhold(channel string) error {
	r.b.step("Unhold")
	c, err := r.b.activeCall(channel)
	if err != nil {
		return err
	}
	return c.Unhold()
}

// BlindTransfer is the transfer key of the phone behind channel (REFER).
func (r realStage) BlindTransfer(channel, exten string) error {
	r.b.step("BlindTransfer")
	c, err := r.b.activeCall(channel)
	if err != nil {
		return err
	}
	return c.BlindTransfer(exten)
}

// SetAutoAnswer changes when phone peer answers calls (0: when told).
func (r realStage) SetAutoAnswer(peer string, d time.Duration) error {
	r.b.step("SetAutoAnswer")
	p, err := r.b.phone(peer)
	if err != nil {
		return err
	}
	p.SetAutoAnswer(d)
	return nil
}
