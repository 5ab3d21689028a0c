// Package pausetimer runs the after-call pause, or wrap-up (api.md §5,
// ami-mapping.md §6): when an agent finishes a call, its member is paused
// in every queue it belongs to and unpaused [pausetime] seconds later,
// unless someone unpauses it first. The pause's real length becomes the
// pauseTime of that call's cc_cdr, so the Timer also holds each finished
// queue call (pbx.QueueCallEnded) until its pause is known and then hands
// it to Options.OnRecord.
//
// Which calls (Options.After, [pausetime] after): a queue call the agent
// answered (pbx.AgentCompleted) always; under AfterAnswered, the default
// and the original box's rule ("坐席每接听一通电话会自动置忙"), also a
// direct call that rang the agent's phone and that it picked up
// (pbx.ExtensionCallEnded, Answered); under AfterAll, also a call the
// agent placed once answered (Placed). A direct call has no cc_cdr: no
// record waits for its pause, the cdr push is not held, and the wrap-up's
// pushes name the call (WrapUp.Uniqueid, Linkedid) and carry its
// business data (WrapUp.UserData).
//
// # Running
//
// Open loads the persisted state and starts the Timer's one goroutine,
// which Close stops. The Timer is given the PBX model, which it commands
// and reads; its Handle is subscribed to the model's events
// (pbx.PBX.Subscribe) before the model starts. The model knows nothing of
// the Timer. Handle never blocks: it queues the events that matter and
// returns. Everything else — the decisions and the PauseMember calls (each
// bounded by ActionTimeout) — happens on the goroutine, in the order the
// events came. Clock timers only queue a note for it. Extend and End make a round trip to it; Active
// reads a snapshot it publishes. Close processes what Handle had already
// queued (PauseMember calls then fail at once and are redone after the next
// Open), so close the Timer before whatever OnRecord writes to.
//
// # Decisions
//
// Already paused. On AgentCompleted the member's memberships (matched by
// interface, ignoring case, or by extension) are read from the PBX model.
// Paused anywhere by someone else — a reason not ours, or none — means the
// agent was paused before the call: no wrap-up, pauseTime 0. A pause with
// our reason and no wrap-up of ours behind it is a leftover (lost state)
// and gets a wrap-up like an unpaused member. An agent in no queue gets
// none.
//
// Busy. If the agent's hint says it is on a call (in use, busy, ringing or
// on hold; idle and unavailable are free), the wrap-up is deferred and
// starts when a HintChanged (or a Synced re-check) finds the hint free; it
// is dropped after DeferMax. Asterisk often reports AgentComplete before
// the hint of the call that just ended goes idle, so a deferral of a few
// milliseconds is normal. The pause is counted from when it starts.
//
// Back to back. Another call of the agent ending during its wrap-up joins
// it: the timer starts over from that call's end and the pause is sent
// again (the agent was evidently reachable). Each call's pauseTime runs
// from its own end, or from the start of the pause if later, to the end of
// the wrap-up.
//
// Who ends it. The timer (Ended "timer"), End ("api"), or anyone else
// ("agent"): a MemberPaused with Paused=false ends it without an unpause of
// ours — save in the queues where the member is still paused with our
// reason (it was unpaused in only some), which are unpaused too, since the
// wrap-up is over. A MemberPaused with Paused=true and a reason of another
// means the agent took the pause over: the wrap-up ends and nothing is
// unpaused. Our own actions echo back as one MemberPaused per queue; they
// are told apart thus: a pause with our reason or none is never taken as
// someone else's; an unpause with our reason (Asterisk 18+ echoes it) is
// ours. After our unpause the wrap-up is gone, so its echoes find nothing
// to end. Last, a change is stale when the model has the member paused
// with our reason in that queue now, though the event says otherwise: a
// pause of ours came after it. The model shows our PauseMember as soon as
// it returns, so this covers an event that waited in the Timer's queue
// while the call that started the wrap-up was handled, and the late echo
// (no reason, before Asterisk 18) of an unpause of ours that comes in
// after the next wrap-up's pause. A change made after our pause is in the
// model too, and counts. "restart": the wrap-up was overdue when Open
// loaded it. "gone": the member left every queue (PauseMember answers
// pbx.ErrNotMember), so there is nothing to pause.
//
// Records. A QueueCallEnded is joined with its wrap-up by Uniqueid (that of
// AgentCompleted; a direct call of the same Uniqueid, as after a transfer
// of the queue call to another agent, is not its). Its pause known: OnRecord at once. Its wrap-up running
// or deferred: held until it ends. No agent answered, or the feature is
// off: OnRecord at once with 0. Otherwise its AgentCompleted may still
// come: held for JoinWait, then sent with 0. Pause lengths that no record
// has claimed are kept for KeepEnded. OnRecord gets whole seconds.
//
// Failures. A PauseMember that fails (Asterisk down or slow) is retried
// after RetryMin, doubling up to RetryMax, and at once on pbx.Synced; the
// timer runs meanwhile. A due wrap-up stays due until Asterisk takes the
// unpause, and its pause lasts until then.
//
// Restarts. A daemon restart loses nothing: an overdue wrap-up is unpaused
// from Open on (its pause counts the downtime: the member stayed paused;
// until the model's first sync PauseMember fails with pbx.ErrNotConnected
// and is retried like any failure), the others resume with the time they
// had left, deferred ones wait for the next HintChanged or Synced. Pauses
// are not re-sent at Open, when the PBX may not be connected yet: every
// (re)connect ends with a pbx.Synced, on which running wrap-ups are paused
// again (Asterisk may have restarted and forgotten), unless the member is
// now paused for another reason (taken over while we could not see it);
// due ones are unpaused, deferred ones re-checked.
//
// Options.Enabled only governs new wrap-ups: with it off, those already
// running still end.
//
// # Storage
//
// One bucket, "pausetimer", in the daemon's bbolt file, with three
// sub-buckets of JSON values. A change is written before the PBX is asked
// to act on it. A value that does not decode is logged and dropped at Open.
//
//	wrapups  extension → {"exten","interface","queues","phase" (deferred, running,
//	                      unpausing),"since","start","until","ended",
//	                      "calls":[{"uniqueid","linkedid","at","direct","userData"}]}
//	held     queue call Uniqueid → {"call": pbx.QueueCall,"since","wait"}
//	ended    queue call Uniqueid → {"pause" (ns),"expires"}
package pausetimer
