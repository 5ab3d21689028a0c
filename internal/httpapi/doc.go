// Package httpapi serves the MyComm-compatible coocenter-api: the HTTP
// endpoints business systems call to read the PBX (channels, phones, hints,
// queues), to command it (pause, login, logout, click-to-call, hangup,
// transfer, spy) and to manage the inbound blacklist.
//
// The contract is api.md §2–§3. Every endpoint is listed in routes.go. The
// PBX and blacklist handlers are built by functions that take exactly what
// they need; those of monitor/ and of our additions, which share the box's
// clock, time zone, recordings and link signer, are methods of the server
// and read them from it. The package reads the live model and sends
// commands through the PBX interface; it never speaks AMI itself. Every
// value a caller supplies is validated before it can reach Asterisk, so no
// AMI header can be injected.
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
//   - The reads of the model (current-calls, extension-status,
//     extension-hints-status, queue-info) take the model's Snapshot, without
//     a lock, and are rendered once per change of it (current-calls adds
//     each row's duration at the answer): any number of pollers cost the
//     model nothing and one another little.
//   - Unknown paths (including a trailing slash) answer 404, wrong methods
//     405 with an Allow header, both as JSON and before authentication.
//   - A PBX call that does not answer within Options.RequestTimeout gives 503;
//     the command may still complete in Asterisk afterwards. Calls run on the
//     request's goroutine with its deadline in ctx, which the PBX honours.
//   - Idempotency-Key (click-number, transfer, hangup, extenSpy): the first
//     answer is kept 10 minutes and replayed (header Idempotent-Replayed:
//     true), except when Asterisk was not connected (nothing was done, so a
//     retry runs again). A key reused with other parameters gives 422.
//   - monitor/{filePath} (§3.12, GET and HEAD) has no request deadline: a
//     long download must not be cut. Credentials come first, the path after,
//     so a client without them learns nothing about it (401 for all alike).
//     A query with sig or expires is a signed link, checked instead of the
//     Authorization header (a valid header does not mend a bad link): 403
//     "the link is not valid…" for a bad format, signature, name, expiry or
//     key, 403 "the link has expired…" for a genuine old one, and 403 when
//     Options.Links is nil. The signature is checked before the expiry.
//   - The requested name is the wildcard without its first "/". It is
//     refused as text (400, a sentence saying why, never echoing the bytes)
//     before the disk is touched, then opened inside the folder; missing,
//     escaping symlink, not a regular file and no permission all read 404
//     "no recording at <name>" (cause logged at debug). A name ending in "/"
//     is 404: folders are never listed. See internal/recordings.
//   - Downloads go through http.ServeContent: Range (also suffix, open and
//     multiple ranges, as multipart/byteranges), If-None-Match with an ETag
//     of size and modification time, If-Modified-Since, If-Range, HEAD. A
//     bad or unsatisfiable Range is 416 with the JSON envelope. Headers:
//     Content-Type by extension, X-Content-Type-Options: nosniff,
//     Content-Disposition inline with the base name (RFC 2231 when not
//     ASCII), Cache-Control "private, max-age=0" (revalidate, cheap with
//     the ETag) or, for a signed link, "private, no-store": the link is a
//     bearer credential often opened on a shared desk.
//   - recordings/link (ours) takes file as a name under the monitor folder
//     or the absolute path the cdr push's recordfile carries, and ttl in
//     seconds (1 to 604800, default 3600); 404 when the file is not there.
//   - recordings/index (ours) lists by modification time (the end of the
//     call), oldest first: start is inclusive, end exclusive; startKey is
//     the nextKey of the previous page, stable while files are added; each
//     row has a signed url (one hour) when links are on. Hidden names,
//     symlinks and non-regular files are not listed.
//   - events (§7, ours) is the live stream of internal/stream as Server-Sent
//     Events, with no request deadline. It opens with the snapshots (the
//     data of agent-status, queue-info, current-calls, each with the id of
//     the newest event) or, for Last-Event-ID, the events missed, or a
//     reset and the snapshots when the window no longer holds that id. A
//     stream token (?token=, minted by events/token) stands for the
//     Authorization header there only. Each write has 10 s; a client the
//     stream drops for falling behind has its pending write cut at once.
package httpapi
