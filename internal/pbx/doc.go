// Package pbx is the live model of the PBX and the commands expressed in PBX
// terms. It resyncs from Asterisk on every (re)connect — channels, phones,
// hints, queues and members — then keeps itself current from AMI events,
// and re-checks periodically so that drift heals. Queries read the model and
// never touch Asterisk; commands go to AMI.
//
// Data flows one way: the model knows none of its consumers. New builds
// it; the consumers (the push outbox, the pause timer) Subscribe to its
// domain events; Start runs it on one goroutine until its context ends or
// Close. A consumer that also commands the PBX is given the model itself,
// built before it.
//
// Each AMI event is applied once, by its entry in one table (appliers in
// apply.go), on the model's goroutine, which alone holds the working
// state. After each batch of the events waiting (up to 256) it publishes
// an immutable Snapshot (view.go) that readers load without a lock, so
// no number of readers slows the events down, and Changed tells them
// when the next one is out; an event the model does not follow costs a
// map lookup. Domain events go out after the publish.
// A command returns once the model holds what Asterisk wrote before its
// answer (ami.Result.Seq), and its own edits (a member it paused) run on
// the model's goroutine too.
package pbx
