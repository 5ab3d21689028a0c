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
// apply.go), under the model's lock; an event the model does not follow
// and that carries no channel snapshot costs no lock at all.
package pbx
