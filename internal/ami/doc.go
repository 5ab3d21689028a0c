// Package ami is a client for the Asterisk Manager Interface.
//
// The wire format lives in message.go, reader.go and writer.go: a Message is
// an ordered multi-map of headers read with one string and one slice
// allocation; a Reader accepts what every Asterisk from 1.8 to 22 writes,
// including the legacy Command output; AppendMessage refuses any header that
// could inject a line into the stream.
//
// Client (client.go) owns one connection: it logs in (plain or MD5
// challenge), correlates every action with its response by a unique
// ActionID — never by position, since Asterisk interleaves events freely —
// collects event-list results up to their Complete event, keeps the link
// alive with Ping, and reconnects with exponential backoff and jitter for as
// long as it runs. Events fan out to subscriptions without ever blocking the
// socket reader: see Subscription for what happens to a slow subscriber.
//
// The package knows nothing of calls or queues; internal/pbx gives meaning
// to the messages.
package ami
