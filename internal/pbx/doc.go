// Package pbx is the live model of the PBX and the commands expressed in PBX
// terms. It resyncs from Asterisk on every (re)connect — channels, phones,
// hints, queues and members — then keeps itself current from AMI events,
// and re-checks periodically so that drift heals. Queries read the model and
// never touch Asterisk; commands go to AMI.
package pbx
