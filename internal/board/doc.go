// Package board is the box as a call bar and a supervisor's wall show it:
// each agent's row (the data of agent-status, api.md §3.16) and each
// queue's (waiting callers and today's counts, §8.2), built from the live
// model. The endpoints answer with them, and the Publisher sends each row
// that changes into the live stream (§7) as an agent or queue event, so
// that a page only ever shows the server's state: Asterisk → the model →
// the board → the stream → the page.
package board
