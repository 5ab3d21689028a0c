// Package blacklist keeps the inbound blacklist (api.md §3.13–3.15): the
// numbers whose calls the dialplan refuses.
//
// The list lives in the daemon's bbolt file, which is the source of truth,
// and is mirrored into one AstDB family (api.conf [blacklist] family,
// default "blacklist") because that is what the dialplan can read:
// asterisk/extensions_coocenter.conf checks ${DB_EXISTS(<family>/<number>)}.
// The package reaches AstDB only through the AstDB interface, which the
// daemon wires to AMI.
//
// # Entries
//
// A number is 1 to 32 of 0-9 * # + (ValidNumber). A trailing '*' makes it
// a prefix pattern: "400*" blocks 400 and every number that starts with 400.
// The dialplan checks patterns by trying <family>/<prefix>* for each prefix
// of the caller's number, longest first: at most 31 lookups after the exact
// one (Matches and Lookup decide the same way). An entry may carry a reason
// and an expiry; Run lifts expired entries. The list holds at most
// Options.MaxEntries entries (100 000 by default); beyond, additions fail
// with ErrFull.
//
// # Mirroring
//
// A change is committed to bbolt together with a pending mark for its
// number, then written to AstDB (DBPut with the value "since=<time>
// [until=<time>] [reason=<text>]", or DBDel) before the call returns if
// Asterisk answers within Options.MirrorTimeout. A mirror failure never
// fails the call: the mark stays, survives a restart, and Run retries with
// backoff; Reconcile, called on every AMI connect, covers it too. Writes of
// one number are serialised and each writes the number's current state,
// so AstDB ends equal to bbolt whatever the interleaving.
//
// # Storage
//
// Buckets in the shared bbolt file, all named blacklist*:
//
//	blacklist          number → {"reason","added","expires"} (JSON)
//	blacklist_expiry   8-byte big-endian unix seconds + number → "" (expiry index)
//	blacklist_pending  number → 8-byte sequence (AstDB key still to write or delete)
//	blacklist_meta     "count" → 8-byte entry count; "family" → last family;
//	                   "reconciled/<family>" → time of the first reconcile
//
// See Reconcile for how the two stores are brought together on connect.
package blacklist
