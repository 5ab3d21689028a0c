// Package recordings serves Asterisk's call recordings (the monitor folder,
// api.md §3.12) without ever giving away anything outside that folder.
//
// The rules, in the order a request meets them:
//
//   - A request may name a recording relative to the folder or by the
//     absolute path Asterisk reports (the pushes' recordfile and filePath);
//     Rel cuts the folder's path off the latter, comparing it with the
//     folder as text, never cleaning or resolving the request, so that an
//     absolute path is refused unless it is literally inside the folder.
//   - A requested name is checked as text first (CleanName), before the
//     file system is touched, so the answer to a forbidden name never
//     depends on whether its target exists. Refused: empty, longer than
//     1024 bytes or with a component longer than 255, not UTF-8, control
//     characters and NUL, backslash, '%' (a decoded name with '%' was
//     encoded twice), ':', absolute paths, empty, "." and ".." components,
//     and any component starting with '.' (hidden files).
//   - A name that passes is opened through an os.Root on the folder, which
//     refuses symlinks that lead out of it; symlinks that stay inside are
//     followed. The file is opened non-blocking (a FIFO cannot hang the
//     request) and must be a regular file once open: directories, devices,
//     FIFOs and sockets are refused. Every such refusal, an escaping
//     symlink, a permission error and a missing file are all ErrNotFound,
//     so that a client cannot tell them apart. (A hard link to a file
//     outside cannot be told from a recording: whoever may write in the
//     folder decides what it serves.)
//   - The folder is opened per request: Asterisk creates it at the first
//     recording, and until then every name is simply not found.
//   - Listing (Folder.List) walks the folder, skips what Open would refuse
//     (hidden names, symlinks, non-regular files, names CleanName refuses),
//     and pages by modification time, then name. The page key is opaque
//     but stable while files are added. The walk stops with ErrTooMany
//     after MaxWalkEntries entries, so a huge folder costs bounded time;
//     memory is bounded by the page size, not the folder size.
//   - Links signs a name and an expiry time with HMAC-SHA256, so that a
//     browser or an audio player can fetch one recording for a while
//     without the daemon's credentials.
package recordings
