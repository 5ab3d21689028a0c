// Package httpapi serves the MyComm-compatible coocenter-api: the HTTP
// endpoints business systems call to read the PBX (channels, phones, hints,
// queues), to command it (pause, login, logout, click-to-call, hangup,
// transfer, spy) and to manage the inbound blacklist.
//
// The contract is api.md §2–§3. Every endpoint is listed in routes.go; each
// handler is built by a function that takes exactly what it needs. The
// package reads the live model and sends commands through the PBX interface;
// it never speaks AMI itself. Every value a caller supplies is validated
// before it can reach Asterisk, so no AMI header can be injected.
//
// Decisions the contract leaves open:
//
//   - Parameters come from the query string, then the body (which wins):
//     application/x-www-form-urlencoded, multipart/form-data or a JSON object
//     (numbers and booleans accepted as strings). Keys and values are trimmed
//     of surrounding spaces before decoding, as the original's examples need
//     (-d " src=808&dst=809"). A "+" in form data is a space, as everywhere
//     on the web; a number containing one is refused (400) rather than
//     silently dialled without its "+": send "+" as %2B.
//   - reason (agent-pause, ours) is printable ASCII, at most 64 characters,
//     as the pbx package sends it to Asterisk.
//   - click-number answers data {"id":"<call id>"}: the id later push events
//     of that call repeat.
//   - extension-hints-status: agentName is the member name Asterisk knows for
//     the extension, else the extension itself; extenType is the technology
//     of the hint's first device (SIP, PJSIP, Local, ...).
//   - current-calls lists every channel, one row per leg, Local/ halves
//     included, as Asterisk's CoreShowChannels does; reads answer 503 while
//     Asterisk is disconnected (the model would be stale).
//   - Unknown paths (including a trailing slash) answer 404, wrong methods
//     405 with an Allow header, both as JSON and before authentication.
//   - A PBX call that does not answer within Options.RequestTimeout gives 503;
//     the command may still complete in Asterisk afterwards.
//   - Idempotency-Key (click-number, transfer, hangup, extenSpy): the first
//     answer is kept 10 minutes and replayed (header Idempotent-Replayed:
//     true), except when Asterisk was not connected (nothing was done, so a
//     retry runs again). A key reused with other parameters gives 422.
package httpapi
