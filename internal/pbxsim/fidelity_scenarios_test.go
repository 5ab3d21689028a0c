package pbxsim

import (
	"strings"
	"testing"
	"time"
)

// scenario adds the outside world of one recording.
type scenario struct {
	file  string
	setup func(t *testing.T, sim *Server)
	hooks []hook
	// phones: the recording's phones (sipp) register and unregister by
	// themselves; each ChallengeSent is one of them sending REGISTER, its
	// first to register, its next to unregister. They answer qualify, and
	// calls after answerAfter (a second in the recordings; the streams do
	// not depend on it).
	phones      bool
	answerAfter time.Duration
	// lost: the recording stops at Goodbye, and what Asterisk wrote after
	// it is not in the file: per stream, how many messages at its end
	// pbxsim writes but the recording lost (a phone unregistering as the
	// test ended).
	lost map[string]int
}

// hook runs a stimulus when the replay reaches the n-th S->C event named
// event (the first thing Asterisk wrote because of that stimulus).
type hook struct {
	event string
	nth   int
	run   func(t *testing.T, sim *Server)
}

// ranBefore is the part of an Asterisk's history that shows in a later
// recording: phones that registered, answered qualify and unregistered.
// chan_sip keeps their round trip, so registering again brings no PeerStatus
// Reachable, and SIP/802 registering made app_queue publish
// Queue:631_avail. It runs before the replay's client logs in.
func ranBefore(phones ...string) func(t *testing.T, sim *Server) {
	return func(t *testing.T, sim *Server) {
		for _, p := range phones {
			must(t, sim.SetAutoAnswer(p, time.Millisecond))
			must(t, sim.Register(p))
			must(t, sim.Unregister(p))
		}
	}
}

// onChannel runs do on pbxsim's live channel whose name starts with prefix.
func onChannel(prefix string, do func(sim *Server, ch string) error) func(t *testing.T, sim *Server) {
	return func(t *testing.T, sim *Server) {
		t.Helper()
		for _, c := range sim.Channels() {
			if strings.HasPrefix(c.Name, prefix) {
				must(t, do(sim, c.Name))
				return
			}
		}
		t.Fatalf("no channel %s* among %v", prefix, sim.Channels())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var scenarios = []scenario{
	{file: "ami-01-login-and-queries.txt"},
	{file: "ami-02-originate-local-fake-phone.txt"},
	// Recorded 219 s after Asterisk started: some earlier test had made
	// app_queue publish Queue:630_avail, which the recording does not
	// repeat when Local/800 answers and Local/801 stays available. A member
	// paused and unpaused before the client logs in does the same.
	{file: "ami-03-inbound-trunk-queue-630.txt", setup: func(t *testing.T, sim *Server) {
		must(t, sim.PauseMember("630", "Local/800@fake-phone/n", true, ""))
		must(t, sim.PauseMember("630", "Local/800@fake-phone/n", false, ""))
	}},
	{file: "ami-04-inbound-blacklisted.txt"},
	{file: "ami-05-sipp-register-801.txt", hooks: []hook{
		{"ChallengeSent", 1, func(t *testing.T, sim *Server) { must(t, sim.Register("801")) }},
		{"ChallengeSent", 2, func(t *testing.T, sim *Server) { must(t, sim.Unregister("801")) }},
	}},
	{file: "ami-06-inbound-queue-632-sip-phone-804.txt",
		setup: func(t *testing.T, sim *Server) { must(t, sim.SetAutoAnswer("804", 20*time.Millisecond)) },
		hooks: []hook{
			{"ChallengeSent", 1, func(t *testing.T, sim *Server) { must(t, sim.Register("804")) }},
		}},
	// Recorded by coocenterd's own suite (COOCENTER_TEST_RECORD, test
	// TestAfterCallPauseOnThePBX): resync, an inbound call into 631
	// answered by its Local member, the after-call QueuePause with its
	// reason and the unpause.
	{file: "ami-08-after-call-pause-631.txt"},
	// TestQueueMembership: SIP/805 registers, logs in to 631 (QueueAdd),
	// pauses with a reason, logs out twice, unregisters. Recorded on the
	// Asterisk of ami-11 and ami-12, right after them.
	{file: "ami-10-queue-membership-805.txt", setup: ranBefore("801", "802", "803", "805"), hooks: []hook{
		{"ChallengeSent", 1, func(t *testing.T, sim *Server) { must(t, sim.Register("805")) }},
		{"ChallengeSent", 2, func(t *testing.T, sim *Server) { must(t, sim.Unregister("805")) }},
	}},
	// TestClickToCallHangup: SIP/801 and SIP/802 register; click-to-call
	// 801 -> 802 (both answer), hangup by extension, a hangup without a
	// call. Recorded right after Asterisk started (Uptime 0).
	{file: "ami-11-click-to-call-hangup.txt", phones: true, answerAfter: 20 * time.Millisecond},
	// TestSpyCreatesChanSpyLeg: 801, 802 and 805 register; click-to-call
	// 801 -> 802, then 805 listens in (ChanSpy), a spy on an idle phone.
	// Recorded on the Asterisk of ami-11, right after it (and after
	// something that qualified 803: SIPpeers says OK for it).
	{file: "ami-12-chanspy.txt", setup: ranBefore("801", "802", "803"), phones: true, answerAfter: 20 * time.Millisecond},
	// TestGoldenQueueCallHold: our SIP UA registers as 804 and answers on
	// demand; a call into 632 rings it, it answers, holds, unholds and hangs
	// up. Hooks at the first message each stimulus brought.
	{file: "ami-13-queue-call-hold-804.txt", setup: ranBefore("804"), phones: true, hooks: []hook{
		{"DeviceStateChange", 8, onChannel("SIP/804-", func(sim *Server, ch string) error { return sim.Answer(ch) })},
		{"Hold", 1, onChannel("SIP/804-", func(sim *Server, ch string) error { return sim.Hold(ch, "") })},
		{"ExtensionStatus", 25, onChannel("SIP/804-", func(sim *Server, ch string) error { return sim.Unhold(ch) })},
		{"HangupRequest", 1, onChannel("SIP/804-", func(sim *Server, ch string) error { return sim.Hangup(ch, 16) })},
	}},
	// TestGoldenInternalCall: SIP/801 and SIP/802 register, 801 dials 802
	// (chan_sip challenges the INVITE), 802 answers, 801 hangs up (BYE).
	// Recorded after the rest of the suite had used both phones.
	{file: "ami-14-internal-call-801-802.txt", setup: ranBefore("801", "802"), phones: true, hooks: []hook{
		{"ChallengeSent", 3, func(t *testing.T, sim *Server) { _, err := sim.Dial("801", "802"); must(t, err) }},
		{"ExtensionStatus", 25, onChannel("SIP/802-", func(sim *Server, ch string) error { return sim.Answer(ch) })},
		{"HangupRequest", 1, onChannel("SIP/801-", func(sim *Server, ch string) error { return sim.Hangup(ch, 16) })},
	}},
	// TestGoldenQueueCallNoAnswer: SIP/804 registers and never answers; a
	// call into 632 rings it twice, the second time cut short as the
	// caller's wait (20 s on the lab PBX) ends Queue. Recorded after
	// ami-16, on the same Asterisk; 804's unregistering is cut by Goodbye.
	{file: "ami-15-queue-632-no-answer-804.txt", setup: ranBefore("804"), phones: true, lost: map[string]int{
		"security SIP/804": 1, "device SIP/804": 1,
	}},
	// TestGoldenQueueCallAbandonedQuickly: a call into 632 rings SIP/804,
	// the caller hangs up (AMI Hangup) before it answers.
	{file: "ami-16-queue-632-abandoned-804-ringing.txt", phones: true, lost: map[string]int{
		"security SIP/804": 1, "device SIP/804": 1, "hint 804@internal": 1, "member 632 SIP/804": 1, "device Queue:632_avail": 1,
	}},
	// TestGoldenQueueCallNobodyLoggedIn: a call into 632 while none of its
	// members is registered; the caller hangs up (AMI Hangup).
	{file: "ami-17-queue-632-nobody-logged-in.txt"},
	// TestGoldenQueueCallTransferred: SIP/804 and SIP/802 register; a call
	// into 632 rings 804, which answers and blind-transfers it to 802
	// (SIP REFER); 802 rings; the caller hangs up (AMI Hangup).
	// TestEndToEndBlacklistBlocksCalls: the API blacklists 0509111111 and
	// the pattern 05093*; calls through the shipped dialplan (cin-<n>):
	// the exact number and one matching the pattern are hung up in the
	// [coocenter-blacklist] Gosub, 0509222222 goes through its 31-step
	// prefix loop to queue 630 (Queue with c), where Local/801 takes it;
	// then everything is hung up at once. Phones 801, 802 and 805 of the
	// tests before re-register and unregister meanwhile.
	{file: "ami-18-shipped-blacklist-blocks-calls.txt", setup: ranBefore("801", "802", "805"), phones: true},
	// TestGoldenQueueCallSurvey: a call into 632 through the shipped
	// dialplan (cinq-632-<n>); SIP/804 answers and hangs up, Queue's c
	// option sends the caller on to [coocenter-survey], where it presses 5
	// (PlayDTMF with Receive) and the survey's UserEvent follows.
	{file: "ami-22-shipped-survey-632-804.txt", setup: ranBefore("804"), phones: true, hooks: surveyHooks},
	// TestGoldenQueueCallSurveyNoKey and ...HungUp: the same call, but the
	// caller presses nothing (Read gives up after 5 s, READSTATUS TIMEOUT)
	// or is hung up (AMI) while Read waits (READSTATUS HANGUP); there the
	// test ends at once and 804's unregistering is cut by Goodbye.
	{file: "ami-23-shipped-survey-no-key.txt", setup: ranBefore("804"), phones: true, hooks: surveyHooks},
	{file: "ami-24-shipped-survey-hung-up.txt", setup: ranBefore("804"), phones: true, hooks: surveyHooks, lost: map[string]int{
		"security SIP/804": 1, "device SIP/804": 1, "hint 804@internal": 1, "member 632 SIP/804": 1, "device Queue:632_avail": 1,
	}},
	{file: "ami-19-queue-632-transfer-804-to-802.txt", setup: ranBefore("802", "804"), phones: true, hooks: []hook{
		{"ExtensionStatus", 24, onChannel("SIP/804-", func(sim *Server, ch string) error { return sim.Answer(ch) })},
		{"VarSet", 55, onChannel("SIP/804-", func(sim *Server, ch string) error { return sim.BlindTransfer(ch, "802") })},
	}},
	// TestTransferLeavesPeerRingingDst: 801, 802 and 803 register (803
	// rings until told); click-to-call 801 -> 802, then the daemon's
	// transfer (AMI BlindTransfer of 802) sends 801 to 803, which rings and
	// refuses (486: BUSY) as the test ends.
	{file: "ami-20-transfer-by-ami-802-to-803.txt", setup: ranBefore("801", "802"), phones: true, answerAfter: 10 * time.Millisecond, hooks: []hook{
		{"ChallengeSent", 3, func(t *testing.T, sim *Server) { must(t, sim.SetAutoAnswer("803", 0)) }},
		{"ExtensionStatus", 30, onChannel("SIP/803-", func(sim *Server, ch string) error { return sim.Hangup(ch, 17) })},
	}},
	{file: "ami-07-pjsip-register-900.txt", hooks: []hook{
		{"ChallengeSent", 1, func(t *testing.T, sim *Server) { must(t, sim.Register("900")) }},
		{"ChallengeSent", 2, func(t *testing.T, sim *Server) { must(t, sim.Unregister("900")) }},
	}},
}

// surveyHooks: SIP/804 answers the call into 632 (its second RINGING is
// the answer's first trace), then hangs up (BYE).
var surveyHooks = []hook{
	{"DeviceStateChange", 8, onChannel("SIP/804-", func(sim *Server, ch string) error { return sim.Answer(ch) })},
	{"HangupRequest", 1, onChannel("SIP/804-", func(sim *Server, ch string) error { return sim.Hangup(ch, 16) })},
}
