package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/recordings"
)

// keySignedLink marks, in the gin context, a monitor request let in by a
// signed link rather than the Authorization header.
const keySignedLink = "httpapi.signedLink"

const (
	defaultLinkTTL = time.Hour
	maxLinkTTL     = 7 * 24 * time.Hour
)

var (
	linkTTL = kind{valid: intIn(1, int(maxLinkTTL/time.Second)),
		must: "a number of seconds from 1 to 604800 (7 days)"}
	recordingLimit = kind{valid: intIn(1, recordings.MaxListLimit), must: "a number from 1 to 500"}
	pageKey        = kind{valid: isWord(2048), must: "the nextKey of the previous page"} // base64url without padding, as recordings encodes its keys
)

// monitorPath is what the client asked for: gin's wildcard value without
// the one "/" that separates it from monitor. Any further "/" stays: the
// pushes carry absolute paths, which a client puts after monitor/
// ("monitor//var/spool/asterisk/monitor/…").
func monitorPath(c *gin.Context) string {
	return strings.TrimPrefix(c.Param("filePath"), "/")
}

// monitorName is the requested recording's name under the monitor folder
// (recordings.Rel): an absolute path inside the folder loses the folder's
// path; one outside is an error wrapping recordings.ErrBadPath.
func (s *server) monitorName(c *gin.Context) (string, error) {
	return recordings.Rel(s.folder.Dir(), monitorPath(c))
}

// authenticateMonitor lets a download in by a signed link (query expires
// and sig, checked instead of the header so that a browser can follow it)
// or else by the Authorization header of §2. The name is not looked at
// before this passes: an unauthenticated client learns nothing about it.
func (s *server) authenticateMonitor(c *gin.Context) {
	q, qerr := url.ParseQuery(c.Request.URL.RawQuery)
	if qerr != nil || !q.Has("sig") && !q.Has("expires") {
		s.authenticate(c)
		if qerr != nil && !c.IsAborted() {
			fail(c, http.StatusBadRequest, "the query string is not valid: bad %-escape or ';'")
		}
		return
	}
	if s.links == nil {
		fail(c, http.StatusForbidden, "this box does not accept signed links: send the Authorization header")
		return
	}
	err := recordings.ErrLinkInvalid
	if len(q["sig"]) == 1 && len(q["expires"]) == 1 {
		// Links are signed over the name under the folder, so one works
		// whether the file is asked for by that name or by its absolute
		// path. A path outside the folder is checked as it is, like any
		// name never signed: handleMonitor refuses it if it passes.
		name, nameErr := s.monitorName(c)
		if nameErr != nil {
			name = monitorPath(c)
		}
		err = s.links.Verify(name, q.Get("expires"), q.Get("sig"))
	}
	switch {
	case err == nil:
		c.Set(keySignedLink, true)
	case errors.Is(err, recordings.ErrLinkExpired):
		fail(c, http.StatusForbidden, "the link has expired: ask for a new one")
	default:
		s.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "recording link refused",
			slog.String("client", c.ClientIP()), slog.String("path", c.Request.URL.Path))
		fail(c, http.StatusForbidden, "the link is not valid: this box did not sign it for this recording and time")
	}
}

// handleMonitor serves one recording (§3.12), named relative to the monitor
// folder or by its absolute path inside it: Range, conditional requests
// and HEAD by http.ServeContent, streamed from the open file. Answers name
// the recording as it is under the folder, whichever way it was asked for.
func (s *server) handleMonitor() gin.HandlerFunc {
	return func(c *gin.Context) {
		name, err := s.monitorName(c)
		if err != nil {
			s.failRecording(c, monitorPath(c), err)
			return
		}
		if name == "" || strings.HasSuffix(name, "/") {
			s.refuseFolder(c, name)
			return
		}
		file, info, err := s.folder.Open(name)
		if err != nil {
			s.failRecording(c, name, err)
			return
		}
		defer file.Close()
		h := c.Writer.Header()
		h.Set("Content-Type", recordings.ContentType(name))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Disposition", disposition(name))
		h.Set("ETag", fmt.Sprintf(`"%x-%x"`, info.Size(), info.ModTime().UnixNano()))
		// A signed link is a bearer credential, often opened on a shared
		// desk: keep the recording out of the browser's disk cache.
		h.Set("Cache-Control", "private, max-age=0")
		if c.GetBool(keySignedLink) {
			h.Set("Cache-Control", "private, no-store")
		}
		http.ServeContent(&rangeErrorJSON{ResponseWriter: c.Writer, size: info.Size()}, c.Request, "", info.ModTime(), file)
	}
}

// rangeErrorJSON turns net/http's text answer to a bad Range header (416)
// into the JSON envelope every other error has.
type rangeErrorJSON struct {
	http.ResponseWriter
	size    int64
	swallow bool // the 416 body is written: drop net/http's text
}

func (w *rangeErrorJSON) WriteHeader(code int) {
	if code != http.StatusRequestedRangeNotSatisfiable {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	body, _ := marshal(envelope{Status: "error", Message: fmt.Sprintf(
		"the Range header cannot be satisfied: the recording has %d bytes", w.size)})
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.ResponseWriter.WriteHeader(code)
	_, _ = w.ResponseWriter.Write(body)
	w.swallow = true
}

func (w *rangeErrorJSON) Write(b []byte) (int, error) {
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// refuseFolder answers a name ending in "/": folders are never listed. A
// folder name that is bad as text is refused as such, like a file name.
func (s *server) refuseFolder(c *gin.Context, name string) {
	if dir := strings.TrimSuffix(name, "/"); dir != "" {
		if _, err := recordings.CleanName(dir); err != nil {
			s.failRecording(c, name, err)
			return
		}
	}
	if name == "" {
		name = "/"
	}
	fail(c, http.StatusNotFound, fmt.Sprintf("no recording at %s: folders are not listed", clip(name, 128)))
}

// failRecording answers 400 for a name refused as text (the sentence says
// why) and 404 for anything the disk decided: missing, escaping symlink,
// not a regular file, no permission all read the same.
func (s *server) failRecording(c *gin.Context, name string, err error) {
	if errors.Is(err, recordings.ErrBadPath) {
		fail(c, http.StatusBadRequest, err.Error())
		return
	}
	s.log.LogAttrs(c.Request.Context(), slog.LevelDebug, "recording not served",
		slog.String("name", clip(name, 128)), slog.Any("err", err))
	fail(c, http.StatusNotFound, "no recording at "+clip(name, 128))
}

// disposition is inline with the file's base name; mime quotes it, or uses
// RFC 2231 encoding for non-ASCII names.
func disposition(name string) string {
	if d := mime.FormatMediaType("inline", map[string]string{"filename": path.Base(name)}); d != "" {
		return d
	}
	return "inline"
}

// MonitorPath is the API path of the recording name (§3.12); each segment
// is escaped on its own so that "/" still separates folders.
func MonitorPath(name string) string {
	segs := strings.Split(name, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return BasePath + "/monitor/" + strings.Join(segs, "/")
}

// SignedMonitorPath is MonitorPath with the query of a link signed by links
// that works without the Authorization header until expires.
func SignedMonitorPath(links *recordings.Links, name string, expires time.Time) string {
	return MonitorPath(name) + "?" + links.Sign(name, expires).Encode()
}

// recordingFile is the file parameter: a name under the monitor folder, or
// the absolute path that the cdr push's recordfile carries.
func recordingFile(folder *recordings.Folder) kind {
	return kind{
		valid: func(s string) bool { _, ok := recordings.RelName(folder.Dir(), s); return ok },
		must: `a recording's path, relative to the monitor folder or absolute inside it, ` +
			`without "." or ".." components, hidden names, "\", "%", ":" or control characters`,
	}
}

// handleRecordingLink signs a download link that works without the
// Authorization header until it expires (ours).
func (s *server) handleRecordingLink() gin.HandlerFunc {
	fileKind := recordingFile(s.folder)
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		file := v.required("file", fileKind)
		ttl := v.optional("ttl", linkTTL, strconv.Itoa(int(defaultLinkTTL/time.Second)))
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		name, _ := recordings.RelName(s.folder.Dir(), file)
		f, _, err := s.folder.Open(name)
		if err != nil {
			s.failRecording(c, name, err)
			return
		}
		f.Close()
		secs, _ := strconv.Atoi(ttl)
		expires := s.now().Add(time.Duration(secs) * time.Second)
		succeed(c, "link will follow", gin.H{
			"url":     SignedMonitorPath(s.links, name, expires),
			"expires": expires.Unix(),
		})
	}
}

// recordingRow is one recording as recordings/index lists it.
type recordingRow struct {
	File string `json:"file"`
	Size int64  `json:"size"`
	Time string `json:"time"`          // modification time (the end of the call), box time
	URL  string `json:"url,omitempty"` // a signed link, when links are on
}

// recordingPage is recordings/index's data.
type recordingPage struct {
	Files   []recordingRow `json:"files"`
	NextKey string         `json:"nextKey"` // "" on the last page
}

// handleRecordingIndex lists recordings by modification time, oldest
// first, a page at a time (ours).
func (s *server) handleRecordingIndex() gin.HandlerFunc {
	return func(c *gin.Context) {
		q, bad := s.recordingQuery(c)
		if bad != nil {
			failWith(c, bad)
			return
		}
		page, err := call(c.Request.Context(), func(context.Context) (recordings.Page, error) {
			return s.folder.List(q)
		})
		if err != nil {
			failList(c, s.log, err)
			return
		}
		data := recordingPage{Files: make([]recordingRow, 0, len(page.Files)), NextKey: page.Next}
		expires := s.now().Add(defaultLinkTTL)
		for _, f := range page.Files {
			row := recordingRow{File: f.Name, Size: f.Size, Time: f.ModTime.In(s.loc).Format(time.DateTime)}
			if s.links != nil {
				row.URL = SignedMonitorPath(s.links, f.Name, expires)
			}
			data.Files = append(data.Files, row)
		}
		succeed(c, "recordings will follow", data)
	}
}

// recordingQuery reads start, end, startKey and limit.
func (s *server) recordingQuery(c *gin.Context) (recordings.Query, *apiError) {
	v := paramsOf(c).validate()
	start := v.optional("start", timeValue, "")
	end := v.optional("end", timeValue, "")
	key := v.optional("startKey", pageKey, "")
	limit := v.optional("limit", recordingLimit, strconv.Itoa(recordings.MaxListLimit))
	if v.err != nil {
		return recordings.Query{}, v.err
	}
	q := recordings.Query{After: key}
	q.From, _ = parseSince(start, s.loc)
	q.To, _ = parseSince(end, s.loc)
	q.Limit, _ = strconv.Atoi(limit)
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return q, &apiError{http.StatusBadRequest, `parameter "end" must be later than "start"`}
	}
	return q, nil
}

// failList answers for an error of listing the monitor folder.
func failList(c *gin.Context, log *slog.Logger, err error) {
	switch {
	case errors.Is(err, recordings.ErrBadKey):
		fail(c, http.StatusBadRequest, `parameter "startKey" must be the nextKey of the previous page`)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		fail(c, http.StatusServiceUnavailable, "listing the recordings took too long")
	case errors.Is(err, recordings.ErrTooMany):
		log.LogAttrs(c.Request.Context(), slog.LevelWarn, "recordings not listed", slog.Any("err", err))
		// The sentence is ErrTooMany's own, never err's: a wrapping would leak.
		fail(c, http.StatusInternalServerError, recordings.ErrTooMany.Error()+": move old recordings to an archive")
	default:
		log.LogAttrs(c.Request.Context(), slog.LevelError, "recordings not listed", slog.Any("err", err))
		fail(c, http.StatusInternalServerError,
			"could not list the recordings: internal error (the coocenterd log has the details)")
	}
}
