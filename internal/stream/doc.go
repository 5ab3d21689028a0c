// Package stream is the live event stream: the push events of the box, as
// the pusher appends them to its outbox, kept for a while in a window (a
// ring of the recent events with their ids) and fanned out to the
// subscribers, which internal/httpapi serves as Server-Sent Events
// (api.md §7).
//
// Publish never blocks its caller (the pusher's Append, on the model's
// goroutine): it hands the event to the stream's own goroutine, which puts
// it in the window and offers it to every subscriber whose filter it
// passes. Each subscriber has a bounded buffer; one that is full is
// dropped (its channel closed, Err says why), never waited for, so a slow
// client slows neither the PBX nor the other clients.
//
// A subscriber may name the last event it saw: it gets what the window
// holds after that one, then the live events, with nothing lost or
// repeated between the two. An id the window no longer holds (older than
// the window, or from before a restart: the window is in memory) is a
// reset: the client must reload its state.
package stream
