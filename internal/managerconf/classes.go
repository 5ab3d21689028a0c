package managerconf

import (
	"math"
	"strings"
)

// Class is a set of AMI permission classes (include/asterisk/manager.h's
// EVENT_FLAG_*), as a user's read or write grants them.
type Class uint32

// The classes, with Asterisk's bit values.
const (
	System    Class = 1 << 0
	Call      Class = 1 << 1
	Log       Class = 1 << 2
	Verbose   Class = 1 << 3
	Command   Class = 1 << 4
	Agent     Class = 1 << 5
	User      Class = 1 << 6
	Config    Class = 1 << 7
	DTMF      Class = 1 << 8
	Reporting Class = 1 << 9
	CDR       Class = 1 << 10
	Dialplan  Class = 1 << 11
	Originate Class = 1 << 12
	AGI       Class = 1 << 13
	CC        Class = 1 << 15
	AOC       Class = 1 << 16
	Test      Class = 1 << 17
	Security  Class = 1 << 18
	Message   Class = 1 << 30
	All       Class = math.MaxInt32 // "all" is INT_MAX: every class
)

// perms is manager.c's perms[]: the names get_perm knows, in its order.
var perms = []struct {
	class Class
	name  string
}{
	{System, "system"}, {Call, "call"}, {Log, "log"}, {Verbose, "verbose"}, {Command, "command"},
	{Agent, "agent"}, {User, "user"}, {Config, "config"}, {DTMF, "dtmf"}, {Reporting, "reporting"},
	{CDR, "cdr"}, {Dialplan, "dialplan"}, {Originate, "originate"}, {AGI, "agi"}, {CC, "cc"},
	{AOC, "aoc"}, {Test, "test"}, {Security, "security"}, {Message, "message"}, {All, "all"}, {0, "none"},
}

// String lists the classes by name, comma-separated ("all" for every one).
func (c Class) String() string {
	if c&All == All {
		return "all"
	}
	var names []string
	for _, p := range perms[:len(perms)-2] {
		if c&p.class != 0 {
			names = append(names, p.name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// parseClasses is get_perm: every class whose name ast_instring finds in v.
func parseClasses(v string) Class {
	var c Class
	for _, p := range perms {
		if inString(v, p.name) {
			c |= p.class
		}
	}
	return c
}

// inString is manager.c's ast_instring with ',' as delimiter, quirks kept:
// an element before a comma matches when it is a prefix of name (strncmp
// over the element's length, so "" and "sys," match too); the last element
// must equal name; nothing is trimmed or folded.
func inString(list, name string) bool {
	val := list
	for {
		i := strings.IndexByte(val, ',')
		if i < 0 {
			return val == name
		}
		if strings.HasPrefix(name, val[:i]) {
			return true
		}
		val = val[i+1:]
		if val == "" {
			return false
		}
	}
}

// actions are the AMI actions coocenterd sends and the classes that allow
// each (manager.c runs an action when the user's write has any one of its
// classes; 0 = anyone logged in), as registered in Asterisk 20: main/
// manager.c, main/pbx.c, main/db.c, apps/app_queue.c,
// res/res_pjsip/pjsip_configuration.c and pjsip_options.c, channels/chan_sip.c.
// Originate of ChanSpy needs nothing more (is_originate_app_permitted).
var actions = []struct {
	name string
	any  Class
}{
	{"Login", 0}, {"Challenge", 0}, {"Logoff", 0}, {"Ping", 0},
	{"Originate", Originate},
	{"Hangup", System | Call},
	{"BlindTransfer", Call},
	{"CoreShowChannels", System | Reporting},
	{"ExtensionStateList", Call | Reporting},
	{"QueueStatus", 0},
	{"QueueAdd", Agent}, {"QueuePause", Agent}, {"QueueRemove", Agent},
	{"DBPut", System}, {"DBDel", System},
	{"DBGetTree", System | Reporting},
	{"PJSIPShowEndpoints", System}, {"PJSIPShowContacts", System},
	{"SIPpeers", System | Reporting},
}

// events are the AMI events coocenterd reads and the class each is
// published under (a session gets an event only if its read has every
// class of it), from main/manager_channels.c, manager_bridges.c,
// stasis_channels.c, stasis_bridges.c, stasis_endpoints.c, channel.c,
// manager.c, asterisk.c, apps/app_queue.c and cdr/cdr_manager.c.
var events = []struct {
	name  string
	class Class
}{
	{"Newchannel", Call}, {"Newstate", Call}, {"Hangup", Call}, {"Rename", Call},
	{"DialBegin", Call}, {"DialEnd", Call}, {"BridgeEnter", Call}, {"BridgeLeave", Call},
	{"Hold", Call}, {"Unhold", Call}, {"BlindTransfer", Call}, {"ChanSpyStart", Call},
	{"ChanSpyStop", Call}, {"ExtensionStatus", Call},
	{"Newexten", Dialplan}, {"VarSet", Dialplan},
	{"UserEvent", User},
	{"Cdr", CDR},
	{"QueueCallerJoin", Agent}, {"QueueCallerLeave", Agent}, {"QueueCallerAbandon", Agent},
	{"AgentCalled", Agent}, {"AgentRingNoAnswer", Agent}, {"AgentConnect", Agent}, {"AgentComplete", Agent},
	{"QueueMemberAdded", Agent}, {"QueueMemberRemoved", Agent}, {"QueueMemberStatus", Agent},
	{"QueueMemberPause", Agent}, {"QueueMemberPenalty", Agent}, {"QueueMemberRingInUse", Agent},
	{"PeerStatus", System}, {"ContactStatus", System}, {"FullyBooted", System},
}

// Needs are the classes a user must have for coocenterd: NeedRead gets
// every event it reads, NeedWrite allows every action it sends (each of
// these classes is the only way to some action: system for DBPut, call
// for BlindTransfer, agent for QueuePause, originate for Originate).
// write = command is welcome but not needed: only the blacklist's fallback
// for an Asterisk without DBGetTree sends Command.
const (
	NeedRead  = System | Call | Agent | User | CDR | Dialplan
	NeedWrite = System | Call | Agent | Originate
)
