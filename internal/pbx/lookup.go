package pbx

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// ErrStaticMember: the member comes from queues.conf and cannot be logged out.
var ErrStaticMember = fmt.Errorf("%w: member is configured statically in queues.conf", ErrInvalid)

var (
	numberRe = regexp.MustCompile(`^[0-9*#+]{1,32}$`)
	queueRe  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	reasonOK = regexp.MustCompile(`^[\x20-\x7e]{0,64}$`)
)

func checkNumber(what, s string) error {
	if !numberRe.MatchString(s) {
		return fmt.Errorf("%w: %s %q is not a number", ErrInvalid, what, s)
	}
	return nil
}

// ValidReason reports whether PauseMember takes reason as a pause reason:
// printable ASCII, at most 64 characters ("" for none).
func ValidReason(reason string) bool { return reasonOK.MatchString(reason) }

func checkQueue(s string) error {
	if !queueRe.MatchString(s) {
		return fmt.Errorf("%w: queue name %q", ErrInvalid, s)
	}
	return nil
}

// device returns the dial string of an extension's phone, "SIP/801" or
// "PJSIP/801". With channel_tech auto, the technology is the one that has a
// phone of that name; when both have one, the registered one wins.
func (p *PBX) device(exten string) (string, error) {
	if err := checkNumber("extension", exten); err != nil {
		return "", err
	}
	snap := p.snap.Load()
	sip, hasSIP := snap.peer("SIP/" + exten)
	pj, hasPJ := snap.peer("PJSIP/" + exten)
	switch strings.ToUpper(p.opts.ChannelTech) {
	case "SIP":
		hasPJ = false
	case "PJSIP":
		hasSIP = false
	}
	switch {
	case hasSIP && hasPJ:
		if pj.Addr != "-none-" && sip.Addr == "-none-" {
			return "PJSIP/" + exten, nil
		}
		return "SIP/" + exten, nil
	case hasSIP:
		return "SIP/" + exten, nil
	case hasPJ:
		return "PJSIP/" + exten, nil
	}
	return "", fmt.Errorf("%w: %s", ErrUnknownExtension, exten)
}

// legOf returns the channel of an extension's phone to act on: an answered,
// bridged one before a ringing one (ami-mapping §3.4).
func (p *PBX) legOf(exten string) (Channel, bool) { return p.snap.Load().LegOf(exten) }

// LegOf returns the channel of an extension's phone that its call is on:
// an answered, bridged one before a ringing one (ami-mapping §3.4). A
// published Snapshot finds every extension's leg in one pass over its
// channels, the first time it is asked, so that a reader asking for each
// agent does not scan the channels once per agent.
func (s *Snapshot) LegOf(exten string) (Channel, bool) {
	if s.legs == nil { // a Snapshot made by hand
		c, ok := bestLegs(s.Channels, exten)[exten]
		return c, ok
	}
	c, ok := s.Legs()[exten]
	return c, ok
}

// Legs returns the leg of every extension that has one, as LegOf picks
// it. The map is shared: read it, never change it.
func (s *Snapshot) Legs() map[string]Channel {
	if s.legs == nil {
		return bestLegs(s.Channels, "")
	}
	s.legs.once.Do(func() { s.legs.best = bestLegs(s.Channels, "") })
	return s.legs.best
}

// legIndex is a Snapshot's leg of each extension, found once.
type legIndex struct {
	once sync.Once
	best map[string]Channel
}

// bestLegs returns each extension's leg among channels (only exten's,
// when it is not ""): the first of the highest score, answered counting
// twice as much as bridged.
func bestLegs(channels []*Channel, exten string) map[string]Channel {
	best, score := map[string]Channel{}, map[string]int{}
	for _, c := range channels {
		_, name, ok := deviceOf(c.Name)
		if !ok || exten != "" && name != exten {
			continue
		}
		s := 0
		if c.State == 6 {
			s += 2
		}
		if c.BridgeID != "" {
			s++
		}
		if old, seen := score[name]; !seen || s > old {
			best[name], score[name] = *c, s
		}
	}
	return best
}

// legsOf returns every channel of an extension's phone.
func (p *PBX) legsOf(exten string) []Channel { return p.snap.Load().legsOf(exten) }

func (s *Snapshot) legsOf(exten string) []Channel {
	var out []Channel
	for _, c := range s.Channels {
		if _, name, ok := deviceOf(c.Name); ok && name == exten {
			out = append(out, *c)
		}
	}
	return out
}

// checkExten returns nil when exten is a phone or a queue member,
// ErrInvalid when it cannot be an extension, else ErrUnknownExtension.
func (p *PBX) checkExten(exten string) error {
	_, err := p.device(exten)
	if !errors.Is(err, ErrUnknownExtension) {
		return err
	}
	for _, q := range p.snap.Load().Queues {
		for _, m := range q.Members {
			if m.StandsFor(exten) {
				return nil
			}
		}
	}
	return err
}

// membership returns, per queue, the member that stands for exten. With
// queue set, only that queue is looked at and it must exist.
func (p *PBX) membership(queue, exten string) (map[string]Member, error) {
	out := map[string]Member{}
	found := false
	for _, q := range p.snap.Load().Queues {
		if queue != "" && q.Name != queue {
			continue
		}
		found = true
		for _, m := range q.Members {
			if m.StandsFor(exten) {
				out[q.Name] = m
			}
		}
	}
	if queue != "" && !found {
		return nil, fmt.Errorf("%w: %s", ErrUnknownQueue, queue)
	}
	return out, nil
}

// BridgedWith returns the other channel in c's bridge (the first, in a
// conference of several), if c is bridged.
func (s *Snapshot) BridgedWith(c Channel) (Channel, bool) {
	if c.BridgeID == "" {
		return Channel{}, false
	}
	for _, o := range s.Channels {
		if o.BridgeID == c.BridgeID && o.Uniqueid != c.Uniqueid {
			return *o, true
		}
	}
	return Channel{}, false
}

// IsPhone reports whether channel is a phone's (its device is in an
// extension's hint, or a known phone when the PBX has no hints), not a
// trunk's or a Local channel's.
func (s *Snapshot) IsPhone(channel string) bool {
	device := channelDevice(channel)
	tech, name, ok := strings.Cut(device, "/")
	if !ok || strings.EqualFold(tech, "Local") {
		return false
	}
	if len(s.Hints) == 0 {
		_, known := s.peer(strings.ToUpper(tech) + "/" + name)
		return known
	}
	for _, h := range s.Hints {
		if hintHas(h.Device, device) {
			return true
		}
	}
	return false
}
