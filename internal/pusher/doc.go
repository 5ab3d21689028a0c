// Package pusher delivers the PBX's events to the business systems' URLs
// (api.md §4): it turns pbx domain events into the MyComm push JSON, keeps
// them in a durable outbox (a journal before bbolt) before anything else
// happens, and POSTs them to every receiver with retries, per-call
// ordering and Standard Webhooks signatures.
//
// Every push is listed in one place, the push table (pushes.go): one
// builder per event name, in the order api.md lists the events, so the code
// reads side by side with the contract (the builders of the agent's verbs,
// hold, mute and transfer, are in agentpushes.go). Translate, QueueCall and
// WrapUp only pick the name.
//
// Flow: Handle (on the model's goroutine) translates an event and queues it
// for the committer, which writes queued events to disk, a batch at a time
// (group commit) as one frame of the outbox's journal (journal.go), and
// only then hands them to each receiver's dispatcher. What the journal
// holds moves into bbolt when it is full, before a dead letter or a
// replay, and at Close and Open. A dispatcher keeps, per ordering key (the call's Linkedid, or
// the extension for extensionstatus), the events in the order they happened
// and sends only the oldest of each key, at most InFlight at a time; so a
// call whose events keep failing holds up only itself. A delivered event is
// deleted, in the next transaction rather than one of its own (op.urgent);
// one that fails past MaxAge moves to the dead letters, which can be listed
// and queued again.
package pusher
