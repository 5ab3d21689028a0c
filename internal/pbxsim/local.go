package pbxsim

import (
	"strings"

	"github.com/coocenter/coocenterd/internal/ami"
)

// progress is what a dialled leg tells its dialer.
type progress int

const (
	progRinging progress = iota
	progAnswer
	progBusy
)

// dialTarget is a parsed dial string: "SIP/801", "PJSIP/900" or
// "Local/100@fake-phone[/n]".
type dialTarget struct {
	tech, exten, context string
	dev                  *device
}

// parseTarget resolves a dial string. The caller holds s.mu.
func (s *Server) parseTarget(dest string) (dialTarget, error) {
	tech, rest, ok := strings.Cut(dest, "/")
	if !ok || rest == "" {
		return dialTarget{}, errNotFound
	}
	switch strings.ToUpper(tech) {
	case "LOCAL":
		rest = strings.TrimSuffix(rest, "/n")
		exten, ctx, ok := strings.Cut(rest, "@")
		if !ok {
			ctx = "default"
		}
		return dialTarget{tech: "Local", exten: exten, context: ctx}, nil
	case "SIP", "PJSIP":
		d, ok := s.pbx.devices[strings.ToUpper(tech)+"/"+rest]
		if !ok {
			return dialTarget{}, errNotFound
		}
		return dialTarget{tech: d.tech, exten: d.name, context: "internal", dev: d}, nil
	}
	return dialTarget{}, errNotFound
}

// assignedIDs are the uniqueids Originate asks for (ChannelId,
// OtherChannelId); empty fields are generated.
type assignedIDs struct{ one, two string }

// localIDs are the uniqueids of a Local pair for ids (core_unreal.c):
// OtherChannelId counts only with a ChannelId, and ;2 defaults to
// "<ChannelId>;2".
func localIDs(ids assignedIDs) assignedIDs {
	if ids.one == "" {
		return assignedIDs{}
	}
	if ids.two == "" {
		ids.two = ids.one + ";2"
	}
	return ids
}

// newLocalPair creates Local/<exten>@<context>-XXXXXXXX;1 and ;2 (with
// the uniqueids of localIDs(ids)) and publishes both Newchannel events. A
// pair dialled by requestor inherits its variables (;1 from the dial, ;2
// through the copy of the Local call).
func (s *Server) newLocalPair(exten, context string, requestor *channel, ids assignedIDs) (one, two *channel) {
	one, two = s.newLocalHalves(exten, context, requestor, ids)
	if requestor != nil {
		s.inheritVars(requestor, one)
		s.copyLocalVars(one, two)
	}
	return one, two
}

// newLocalHalves is newLocalPair without the variables.
func (s *Server) newLocalHalves(exten, context string, requestor *channel, ids assignedIDs) (one, two *channel) {
	ids = localIDs(ids)
	base := "Local/" + exten + "@" + context + "-" + s.nextSuffix()
	one = s.newChannel(base+";1", stateDown, context, exten, requestor, ids.one)
	two = s.newChannel(base+";2", stateRing, context, exten, one, ids.two)
	one.half, two.half = 1, 2
	one.other, two.other = two, one
	one.localDev = "Local/" + exten + "@" + context
	two.localDev = one.localDev
	s.newchannelEvent(one)
	s.newchannelEvent(two)
	return one, two
}

// localBridgeEvent publishes LocalBridge once both halves are set up.
func (s *Server) localBridgeEvent(one, two *channel, optimize bool) {
	opt := "No"
	if optimize {
		opt = "Yes"
	}
	s.emit(classCall, "LocalBridge", join(one.snapshot("LocalOne"), two.snapshot("LocalTwo"),
		hdrs("Context", two.context, "Exten", two.exten, "LocalOptimization", opt))...)
}

// localAnswer is ;2 answering: it goes up, and ;1 tells its dialer.
func (s *Server) localAnswer(two *channel) {
	s.setState(two, stateUp)
	s.localDeviceChanged(two.localDev, devInUse)
	if one := two.other; one != nil && !one.gone {
		s.onProgress(one, progAnswer)
	}
}

// upLocalOne brings ;1 up once its dialer accepts the answer.
func (s *Server) upLocalOne(one *channel) {
	s.setState(one, stateUp)
	s.localDeviceChanged(one.localDev, devInUse)
}

// dialHeaders are the headers of DialBegin/DialState/DialEnd: the caller
// snapshot (none for an originate), the Dest snapshot, then extra.
func dialHeaders(caller, dest *channel, extra ...string) []ami.Header {
	var h []ami.Header
	if caller != nil {
		h = caller.snapshot("")
	}
	return join(h, dest.snapshot("Dest"), hdrs(extra...))
}

func (s *Server) dialEvent(name string, caller, dest *channel, extra ...string) {
	s.emit(classCall, name, dialHeaders(caller, dest, extra...)...)
}
