// Package sipphone is a small SIP user agent for scenario tests: a phone
// that registers with a real Asterisk (chan_sip or chan_pjsip, UDP on
// loopback) and that a test tells, at run time, to dial, answer, hold,
// unhold, transfer or hang up. It replaces sipp processes, which can only
// play a script fixed before they start.
//
// It speaks just enough SIP for that: digest-authenticated REGISTER and
// INVITE, one dialog per call, retransmissions over UDP, and the answers
// a PBX expects from a phone (OPTIONS for qualify, re-INVITEs, NOTIFY).
// It sends no media: its SDP offers PCMU on a UDP port nobody reads.
//
// See the package example for a call between two phones.
package sipphone
