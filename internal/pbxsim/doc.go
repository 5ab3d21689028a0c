// Package pbxsim is a simulated Asterisk 20 for tests and the demo: a real
// TCP server on loopback that speaks AMI as the Asterisk recorded in
// internal/ami/testdata does (the lab PBX of test/asterisk/etc), with a Go control API for the
// stimuli a PBX gets from outside (phones registering, calling, answering,
// trunk calls) and for the faults of real deployments (restart, dropped
// connections, slow or stalled responses, malformed bytes).
//
// It is shaped like httptest.Server:
//
//	sim, err := pbxsim.Start(pbxsim.Options{Timing: pbxsim.FastTiming()})
//	if err != nil {
//		t.Fatal(err)
//	}
//	t.Cleanup(sim.Close)
//	// connect an AMI client to sim.Addr(), user coocenter / coocenter-secret
//	sim.Register("804")
//	caller, _ := sim.InboundCall("0501112222", "632")
//
// Its job is the demo and the end-to-end tests of the HTTP API and the
// daemon. The model, the pushes and the pause timer are held to real
// Asterisk by replays of its recordings (internal/ami/amitest), not by
// pbxsim: a new call-control verb needs here only what the demo and
// those end-to-end tests show.
//
// Fidelity is enforced by fidelity_test.go, which replays every recorded
// transcript and compares event names, constant texts and header key sets
// stream by stream (see the comment there for why order is compared per
// channel, per queue, per device and per action rather than globally).
//
// # The PBX
//
// The default PBX is the recorded one: SIP peers 800–809 and PJSIP
// endpoints 900–909 (unregistered unless listed in Options.Registered), a
// hint exten@internal for each, queues 630 (Local/800@fake-phone/n,
// Local/801@fake-phone/n), 631 (SIP/802, Local/803@fake-phone/n) and 632
// (SIP/804, PJSIP/904), strategy ringall, and the dialplan of
// extensions.conf written as a Go table (dialplan.go): internal _8XX/_9XX
// (MixMonitor + Dial), _63X (Queue), _0X. (Dial a Local fake phone);
// fake-phone (answers; noanswer-, slow-, busy- variants; the h extension);
// from-trunk in-<n> / inq-<q>-<n> and inbound s (AstDB blacklist check →
// UserEvent Blacklisted + Hangup(21), else Answer, UserEvent IVRStep ×2,
// Queue); from-trunk cin-<n> / cinq-<q>-<n> and coocenter-inbound s, the
// dialplan README tells users to write around the shipped
// extensions_coocenter.conf (shipped.go: the [coocenter-blacklist] Gosub
// with its prefix loop, [coocenter-ivr] enter/leave, Queue with c and
// music on hold, the [coocenter-survey] Read of one key). Every delay is
// in Options.Timing.
//
// # Modelled
//
//   - Protocol: greeting 9.0.0; Login plain and MD5 (Challenge); failed login
//     answered after AuthFailDelay, then closed; Permission denied before
//     login; Missing action; the exact unknown-action message; Logoff;
//     Ping; Events (on/off/class list, also at Login); FullyBooted on login
//     (once booted: see Faults);
//     SuccessfulAuth; ActionID echo in responses, list items, Complete
//     events, OriginateResponse and the UserEvent copy; one writer per
//     session with a bounded queue — a client that does not read is dropped.
//   - Actions: CoreSettings, CoreShowChannels, Status, SIPpeers,
//     SIPshowpeer, PJSIPShowEndpoints, PJSIPShowEndpoint, PJSIPShowContacts,
//     ExtensionStateList, ExtensionState, QueueStatus, QueueSummary,
//     QueuePause, QueueAdd, QueueRemove, DBPut, DBGet, DBDel (errors on a
//     missing key, as 20.x), DBGetTree, Command (core show version / uptime,
//     database show, core restart now: see Faults), UserEvent, Originate
//     (async and sync; to a Local channel or a phone; to an extension or to
//     Wait, ChanSpy, any app; ChannelId / OtherChannelId as the uniqueids
//     of the new channel(s) — a Local ;2 defaults to "<ChannelId>;2", an
//     id over 149 characters is refused, an id already in use fails the
//     originate ("Originate failed", or OriginateResponse Failure when
//     async, with the id as Uniqueid); Variable headers set on the
//     originated channel, copied to a Local ;2, and "_"/"__" ones
//     inherited by the channels it dials),
//     Hangup (name, uniqueid, /regex/: every channel soft-hung-up at once,
//     those outside a bridge ending first), Redirect (also dual),
//     BlindTransfer, PlayDTMF (Receive: DTMFEnd, and a Read takes the key),
//     ListCommands; the agent verbs' (docs/design/agent-verbs.md, recorded
//     on 22.9.0 and 20.20.1): Getvar, Setvar (a global without Channel),
//     MuteAudio (no event), Status Variables ("(null)" when unset, ActionID
//     last), the shipped coocenter-hold feature (*70 by PlayDTMF Receive on
//     an armed channel, released by Setvar COOCENTER_HOLD; dynhold.go),
//     Atxfer / CancelAtxfer and the keys *1 *2 *3 of the consultation
//     (AttendedTransfer, BridgeMerge; atxfer.go), and the shipped
//     [coocenter-agent], [coocenter-xfer] and [coocenter-webcall]
//     (shipped_agent.go).
//   - Calls, with the events of the recordings: Newchannel, Newstate,
//     Newexten, VarSet, NewCallerid, NewConnectedLine, LocalBridge,
//     DialBegin/DialState/DialEnd, BridgeCreate/Enter/Leave/Destroy,
//     HangupRequest/SoftHangupRequest, Hangup with Cause-txt, Cdr (one per
//     dialled party, as cdr_manager), DeviceStateChange, ExtensionStatus,
//     PeerStatus, ContactStatus, ChallengeSent, MixMonitorStart,
//     MusicOnHoldStart/Stop of a queue caller (Queue without r), UserEvent
//     of the dialplan, Gosub/Return with LOCAL variables as app_stack
//     publishes them, DTMFEnd, queue
//     events (QueueCallerJoin/Leave/Abandon, AgentCalled, AgentRingNoAnswer,
//     AgentConnect, AgentComplete with Reason caller/agent/transfer,
//     QueueMemberStatus/Pause/Added/Removed), BlindTransfer,
//     ChanSpyStart/Stop, OriginateResponse, Hold/Unhold. Uniqueids
//     <epoch>.<n> (or Originate's ChannelId), channel suffixes 8 hex
//     digits, linkedid inherited from the requestor and merged to the
//     oldest (by creation, not by text) on bridging.
//   - Phones ring until Answer/Hangup, or answer after AutoAnswer; a phone
//     that answers by itself also answers qualify (PeerStatus Reachable,
//     the first time it registers since the start: chan_sip keeps the
//     round trip when a phone unregisters).
//     Local fake phones answer by themselves. Ringall rings every available
//     member (not paused, not in use, registered), retries after QueueRetry,
//     gives up a member after QueueTimeout and the caller after QueueMaxWait;
//     when several members answer at once the last one rung gets the call,
//     as in the recording.
//   - Device states Asterisk caches are published on a change only; after
//     a start (or Restart) no Queue:<name>_avail is cached, so the first
//     device event of a member publishes it.
//   - Hold/Unhold (Server.Hold, Server.Unhold): a phone holding its call;
//     Event Hold (MusicClass as the driver sends it) and Unhold; a SIP
//     phone that holds goes ONHOLD (notifyhold = yes: hint 16, "Hold"), a
//     PJSIP phone that is held counts ONHOLD in its aggregate (see hold.go).
//   - Faults: Restart (connections dropped and refused while down; channels,
//     registrations, dynamic members, pauses and queue statistics forgotten;
//     AstDB kept; channel suffixes and uniqueid counters start again, the
//     uniqueids' epoch moves on so that they never repeat), and Command
//     "core restart now" (ami-21), the same restart as Asterisk's: the
//     session that sent it gets no response and nothing more, every session
//     is cut after what was queued for it, and the PBX listens again after
//     Timing.CoreRestart. After either, the PBX boots for Timing.Boot: a
//     client logging in meanwhile gets no FullyBooted with the login but,
//     at the end of the boot, the hints' ExtensionStatus as pbx_config
//     loads them (empty Hint, state 4 as nobody is registered) and the
//     broadcast FullyBooted. DropConnections, SetResponseDelay, Stall,
//     InjectRaw, Emit.
//
// # Not modelled (yet)
//
//   - Exact global interleaving of events from different Asterisk threads
//     (pbxsim writes each causal chain at once, in one order).
//   - Event filters (Filter action, eventfilter), per-user read/write
//     permissions (the one user has all), allowmultiplelogin, writetimeout
//     by time (the bound is a queue length), timestampevents.
//   - Attended transfer other than the Atxfer of a two-party bridge (see
//     atxfer.go), the lab dialplan's arming of every agent leg
//     (Gosub/b(coocenter-agent) in internal and the queues: pbxsim follows
//     the recordings there and counts a phone's channel as armed), the
//     featuredigittimeout, parking, call pickup, DTMF other than PlayDTMF
//     with Receive, music on hold events other than a queue's
//     (MusicOnHoldStart/Stop on the held party), MixMonitorStop, Newexten
//     for every internal step of Local/Dial originates (AppDial2 etc. are
//     emitted where recorded), DialState PROGRESS/PROCEEDING, early media.
//   - Queue strategies other than ringall, penalties in ring order,
//     wrapuptime, autopause, announcements, joinempty/leavewhenempty
//     variants, queue_log, persistent members.
//   - Originate Account/Codecs/EarlyMedia/PreDialGoSub, dialplan functions
//     in Variable (NAME(args)=value is dropped, not evaluated), the "failed"
//     extension; Redirect to a priority other than 1; ChanSpy options other
//     than q, u, E, S (whisper and barge are accepted but have
//     no effect on events); ChanSpy waiting for a target that appears later.
//   - pjsip.conf device_state_busy_at = 1: Asterisk reports a PJSIP
//     endpoint with any channel past Down as BUSY (hint 2); pbxsim reports
//     RINGING / INUSE / ONHOLD as for a SIP peer.
//   - CLI commands other than those listed, "core restart gracefully" and
//     "when convenient" among them (they wait for the calls to end);
//     Command's 13.x format. What other sessions would see of "core
//     restart now" before the cut (SoftHangupRequest of every channel from
//     ast_softhangup_all, their hangups, Shutdown with Restart: True), and
//     the second or so Asterisk takes for it; actions of modules not
//     loaded yet during the boot (pbxsim answers them as booted).
//   - The AMI keys of chan_sip's SIPshowpeer contain blanks ("Named
//     Callgroup"), which ami.AppendMessage refuses; that one response is
//     written by session.sendLoose, which still refuses line breaks.
package pbxsim
