package pbxsim

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coocenter/coocenterd/internal/ami"
)

// How the fidelity test reduces messages to streams of signatures and
// compares them; the comment at the top of fidelity_test.go says why.

var hexSuffix = regexp.MustCompile(`-[0-9a-f]{8}(;[12])?$`)

func normChannel(s string) string { return hexSuffix.ReplaceAllString(s, "$1") }

// streamOf is the stream a message belongs to (see fidelity_test.go).
func streamOf(m ami.Message) string {
	if _, ok := m.Lookup("Privilege"); !ok {
		return "action " + m.ActionID()
	}
	name := m.Event()
	switch {
	case name == "Cdr":
		return "cdr " + normChannel(m.Get("Channel"))
	case name == "OriginateResponse":
		return "originate " + m.ActionID()
	case strings.HasPrefix(name, "QueueCaller") || strings.HasPrefix(name, "Agent"):
		return "queue " + m.Get("Queue")
	case strings.HasPrefix(name, "QueueMember"):
		return "member " + m.Get("Queue") + " " + m.Get("Interface")
	case name == "DeviceStateChange":
		return "device " + m.Get("Device")
	case name == "ExtensionStatus":
		return "hint " + m.Get("Exten") + "@" + m.Get("Context")
	case name == "PeerStatus":
		return "peer " + m.Get("Peer")
	case name == "ContactStatus":
		return "contact " + m.Get("AOR")
	case m.Get("Privilege") == "security,all":
		return "security " + m.Get("Service") + "/" + m.Get("AccountID")
	case name == "BridgeCreate" || name == "BridgeDestroy":
		return "bridge"
	}
	for _, k := range []string{"Channel", "DestChannel", "LocalOneChannel"} {
		if v, ok := m.Lookup(k); ok {
			return "channel " + normChannel(v)
		}
	}
	return "system"
}

// signature is what is compared of one message.
func signature(m ami.Message) string {
	var keys []string
	for k := range m.All() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	name := m.Event()
	if name == "" {
		name = "Response"
	}
	fixed := ""
	// Location and Interface name queue members: QueueStatus lists them in
	// app_queue's hash order and ringall rings them in the reverse of it.
	// Variable names what a VarSet sets; its Value is often an id or a time.
	// State and StatusText are device and hint states.
	for _, k := range []string{"Privilege", "Response", "EventList", "Message", "Location", "Interface", "Variable", "State", "StatusText"} {
		if v, ok := m.Lookup(k); ok {
			fixed += fmt.Sprintf(" %s=%q", k, v)
		}
	}
	// AgentComplete after the agent's hangup: app_queue builds it in its
	// own stasis thread from the snapshot cache, and whether the agent's
	// channel is still cached then is a race: ami-13 has no Dest*
	// snapshot, ami-22 has (as had ami-13's test when recorded again).
	if name == "AgentComplete" && m.Get("Reason") == "agent" {
		keys = slices.DeleteFunc(keys, func(k string) bool { return strings.HasPrefix(k, "Dest") })
	}
	// A member's Status when it is added: the device state behind its
	// StateInterface (ami-10: hint:805@internal is NOT_INUSE, 1).
	if name == "QueueMemberAdded" {
		fixed += fmt.Sprintf(" Status=%q", m.Get("Status"))
	}
	return name + fixed + " [" + strings.Join(keys, ",") + "]"
}

func streams(ms []ami.Message) map[string][]string {
	out := map[string][]string{}
	for _, m := range ms {
		k := streamOf(m)
		out[k] = append(out[k], signature(m))
	}
	return out
}

func compareStreams(t *testing.T, want, got map[string][]string) {
	t.Helper()
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		w, g := want[k], got[k]
		if slices.Equal(w, g) {
			continue
		}
		t.Errorf("stream %q differs:\n%s", k, diffLines(w, g))
	}
}

// diffLines shows both sequences side by side from the first difference.
func diffLines(want, got []string) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  first difference at #%d (want %d messages, got %d)\n", i, len(want), len(got))
	for j := i; j < len(want) || j < len(got); j++ {
		if j < len(want) {
			fmt.Fprintf(&b, "  want %3d %s\n", j, want[j])
		}
		if j < len(got) {
			fmt.Fprintf(&b, "  got  %3d %s\n", j, got[j])
		}
		if j-i > 24 {
			b.WriteString("  ...\n")
			break
		}
	}
	return b.String()
}
