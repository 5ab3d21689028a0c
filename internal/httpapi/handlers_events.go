package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/board"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/stream"
)

// The live event stream (§7, ours): GET events as Server-Sent Events.

const (
	// DefaultHeartbeat is how often an idle stream gets a comment line,
	// so that proxies and NATs keep it open.
	DefaultHeartbeat = 15 * time.Second
	// streamWriteTimeout bounds one write to a stream's client: one that
	// takes longer is not reading, and is dropped.
	streamWriteTimeout = 10 * time.Second
	// streamRetry is the reconnection delay the stream asks clients for.
	streamRetry = 3 * time.Second
	// keyStreamExten holds, in the gin context, the extension a stream
	// token limits the stream to ("" for a token of the whole box).
	keyStreamExten = "httpapi.streamExten"
)

// The snapshots a stream opens with: what a page needs before events
// make sense, each the data its endpoint answers.
const (
	snapshotAgents = "agent-status"  // §3.16
	snapshotQueues = "queue-info"    // §3.4
	snapshotCalls  = "current-calls" // §3.1
	// With the bar (§8.1): the queues as the wall shows them.
	snapshotRealtime = "realtime"
)

// realtime is the realtime snapshot: the queues, and the box's time the
// rows' times are to be read against.
type realtime struct {
	Now    string        `json:"now"`
	Queues []board.Queue `json:"queues"`
}

var (
	extensionList = kind{valid: listOf(isNumber), must: "extensions separated by commas"}
	queueList     = kind{valid: listOf(isWord(64)), must: "queue names separated by commas"}
	eventList     = kind{valid: listOf(isWord(32)), must: "event names separated by commas"}
	eventID       = kind{valid: isWord(64), must: "an event id of this stream"}
	streamTTL     = kind{valid: intIn(1, int(maxStreamTokenTTL/time.Second)), must: "a number of seconds from 1 to 86400 (a day)"}
)

// listOf accepts a comma-separated list of values that each pass valid;
// spaces around a value and empty entries are ignored.
func listOf(valid func(string) bool) func(string) bool {
	return func(s string) bool {
		vals := splitList(s)
		return len(vals) > 0 && len(vals) <= 64 && !slices.ContainsFunc(vals, func(v string) bool { return !valid(v) })
	}
}

func splitList(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// authenticateStream lets a stream in by a token in the query (a browser's
// EventSource cannot send headers), or else by the Authorization header of
// §2. A token for one extension limits the stream to it.
func (s *server) authenticateStream(c *gin.Context) {
	token := c.Query("token")
	if token == "" {
		s.authenticate(c)
		return
	}
	tok, err := s.tokens.verify(token)
	switch {
	case err == nil && tok.kind == kindWall:
		c.Set(keyStreamExten, "") // a wall sees the whole box; its extension is the supervisor's phone
	case err == nil:
		c.Set(keyStreamExten, tok.exten)
	case errors.Is(err, errTokenExpired) && tok.kind != kindStream:
		fail(c, http.StatusUnauthorized, "the link has expired: ask for a new one")
	case errors.Is(err, errTokenExpired):
		fail(c, http.StatusUnauthorized, "the stream token has expired: ask for a new one")
	default:
		s.refuse(c, slog.Bool("stream_token", true))
	}
}

// handleEventToken mints a stream token (POST events/token, ours).
func (s *server) handleEventToken() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		exten := v.optional("extension", extension, "")
		ttl := v.optional("ttl", streamTTL, strconv.Itoa(int(defaultStreamTokenTTL/time.Second)))
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		secs, _ := strconv.Atoi(ttl)
		expires := s.now().Add(time.Duration(secs) * time.Second)
		token := s.tokens.mint(kindStream, exten, expires)
		succeed(c, "token will follow", gin.H{
			"token":   token,
			"expires": expires.Unix(),
			"url":     BasePath + "/events?token=" + url.QueryEscape(token), // an extension may hold "+" or "#"
		})
	}
}

// streamRequest is what a client asked of the stream.
type streamRequest struct {
	filter stream.Filter
	after  string // Last-Event-ID
}

// readStreamRequest reads the filters and the id to resume after, and
// holds a token's extension against them.
func readStreamRequest(c *gin.Context) (streamRequest, *apiError) {
	v := paramsOf(c).validate()
	exts := v.optional("extension", extensionList, "")
	queues := v.optional("queue", queueList, "")
	events := v.optional("event", eventList, "")
	after := v.optional("lastEventId", eventID, "") // for a first connect; EventSource's reconnects send the header
	if v.err != nil {
		return streamRequest{}, v.err
	}
	if h := strings.TrimSpace(c.GetHeader("Last-Event-ID")); h != "" {
		if !eventID.valid(h) {
			return streamRequest{}, &apiError{http.StatusBadRequest, "header Last-Event-ID must be an event id of this stream"}
		}
		after = h
	}
	r := streamRequest{filter: stream.Filter{Extensions: splitList(exts), Queues: splitList(queues), Events: splitList(events)}, after: after}
	if only, ok := c.Get(keyStreamExten); ok && only.(string) != "" {
		exten := only.(string)
		if len(r.filter.Extensions) > 0 && !slices.Equal(r.filter.Extensions, []string{exten}) {
			return streamRequest{}, &apiError{http.StatusForbidden, fmt.Sprintf("the stream token is for extension %s only", exten)}
		}
		r.filter.Extensions = []string{exten}
	}
	return r, nil
}

// handleEvents is §7: the push events as Server-Sent Events, after the
// snapshots of the state (or, for a client resuming, the events it
// missed), with heartbeats, until the client leaves, falls behind, or the
// daemon stops.
func (s *server) handleEvents() gin.HandlerFunc {
	return func(c *gin.Context) {
		req, apiErr := readStreamRequest(c)
		if apiErr != nil {
			failWith(c, apiErr)
			return
		}
		sub := s.stream.Subscribe(req.filter, req.after)
		defer sub.Close()
		h := c.Writer.Header()
		h.Set("Content-Type", "text/event-stream; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
		h.Set("X-Content-Type-Options", "nosniff")
		c.Status(http.StatusOK)
		w := newStreamWriter(c)
		defer w.close()
		w.watch(sub)

		b := stream.AppendRetry(nil, int(streamRetry/time.Millisecond))
		switch {
		case sub.Reset:
			b = stream.AppendSSE(b, "", "reset", fmt.Appendf(nil, `{"lastEventId":%q,"message":"the events after this id are no longer kept: reload the state from the snapshots that follow"}`, req.after))
			b = s.appendSnapshots(b, sub.Head, req.filter)
		case req.after == "":
			b = s.appendSnapshots(b, sub.Head, req.filter)
		default:
			for _, ev := range sub.Missed {
				b = stream.AppendSSE(b, ev.ID, ev.Name, ev.Body)
			}
		}
		if w.write(b) == nil {
			s.pump(c.Request.Context(), w, sub)
		}
		if errors.Is(sub.Err(), stream.ErrSlow) {
			s.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "event stream client dropped: it did not keep up",
				slog.String("client", w.client))
		}
	}
}

// pump writes the live events and the heartbeats until the stream ends.
func (s *server) pump(ctx context.Context, w *streamWriter, sub *stream.Subscription) {
	beat := make(chan struct{}, 1)
	arm := func() func() bool {
		return s.clock.AfterFunc(s.heartbeat, func() {
			select {
			case beat <- struct{}{}:
			default:
			}
		})
	}
	stop := arm()
	defer func() { stop() }()
	var b []byte
	for {
		select {
		case <-ctx.Done(): // the client left
			return
		case ev, ok := <-sub.Events():
			if !ok {
				return
			}
			b = stream.AppendSSE(b[:0], ev.ID, ev.Name, ev.Body)
		case <-beat:
			stop = arm()
			b = stream.AppendComment(b[:0], "heartbeat")
		}
		if w.write(b) != nil {
			return
		}
	}
}

// appendSnapshots writes the state a page starts from, each snapshot
// carrying head, the id of the newest event when the stream began: a
// client resuming from it gets every event after that state.
func (s *server) appendSnapshots(b []byte, head string, f stream.Filter) []byte {
	snap := s.pbx.Snapshot()
	if f.MatchName(snapshotAgents) {
		rows := slices.DeleteFunc(s.view.Agents(snap, s.wrapUpsNow()), func(r board.Agent) bool { return !agentPasses(r, f) })
		b = appendSnapshot(b, head, snapshotAgents, rows)
	}
	if f.MatchName(snapshotQueues) {
		qs := slices.DeleteFunc(slices.Clone(snap.Queues), func(q pbx.Queue) bool {
			return len(f.Queues) > 0 && !slices.Contains(f.Queues, q.Name)
		})
		b = appendSnapshot(b, head, snapshotQueues, queueInfo(qs))
	}
	if s.bar != nil && f.MatchName(snapshotRealtime) {
		qs := slices.DeleteFunc(s.view.Queues(snap, s.bar.Tally.Today()), func(q board.Queue) bool {
			return len(f.Queues) > 0 && !slices.Contains(f.Queues, q.Queue)
		})
		b = appendSnapshot(b, head, snapshotRealtime, realtime{Now: s.view.Now(s.now()), Queues: qs})
	}
	if f.MatchName(snapshotCalls) {
		only := *snap
		only.Channels = slices.DeleteFunc(slices.Clone(snap.Channels), func(ch *pbx.Channel) bool { return !channelPasses(ch, f) })
		body := inRenderSlot(func() []byte { return renderCurrentCalls(&only, nil).answer(nil, s.now()) })
		data := body[len(currentCallsHead)-1 : len(body)-1] // the envelope's data: its array
		b = stream.AppendSSE(b, head, snapshotCalls, data)
	}
	return b
}

func appendSnapshot(b []byte, head, name string, v any) []byte {
	data, err := marshal(v)
	if err != nil { // only our own types are encoded: a bug
		panic("httpapi: encoding a snapshot: " + err.Error())
	}
	return stream.AppendSSE(b, head, name, data)
}

// agentPasses: an agent row is the filter's extension, in one of its queues.
func agentPasses(r board.Agent, f stream.Filter) bool {
	if len(f.Extensions) > 0 && !slices.Contains(f.Extensions, r.Extension) {
		return false
	}
	return len(f.Queues) == 0 || slices.ContainsFunc(r.Queues, func(q board.AgentQueue) bool { return slices.Contains(f.Queues, q.Queue) })
}

// channelPasses: a channel is the filter's extension's phone's, or its
// caller or connected party is that extension.
func channelPasses(ch *pbx.Channel, f stream.Filter) bool {
	if len(f.Extensions) == 0 {
		return true
	}
	return slices.ContainsFunc(f.Extensions, func(x string) bool {
		return pbx.PhoneExten(ch.Name) == x || ch.CallerIDNum == x || ch.ConnectedLineNum == x
	})
}

// streamWriter writes a stream to its client, each write bounded by
// streamWriteTimeout; a subscription dropped meanwhile cuts a write that
// hangs at once.
type streamWriter struct {
	c      *gin.Context
	rc     *http.ResponseController
	client string
	stop   chan struct{}
	wg     sync.WaitGroup
}

func newStreamWriter(c *gin.Context) *streamWriter {
	return &streamWriter{c: c, rc: http.NewResponseController(c.Writer), client: c.ClientIP(), stop: make(chan struct{})}
}

// watch cuts the connection's pending write when sub ends before the
// handler does: a client dropped for not reading may be one the handler
// is blocked writing to.
func (w *streamWriter) watch(sub *stream.Subscription) {
	w.wg.Go(func() {
		select {
		case <-sub.Done():
			_ = w.rc.SetWriteDeadline(time.Now())
		case <-w.stop:
		}
	})
}

// write sends b and flushes it.
func (w *streamWriter) write(b []byte) error {
	if err := w.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := w.c.Writer.Write(b); err != nil {
		return err
	}
	return w.rc.Flush()
}

// close stops the watch and clears the write deadline, which would
// otherwise outlive the request on a kept-alive connection.
func (w *streamWriter) close() {
	close(w.stop)
	w.wg.Wait()
	_ = w.rc.SetWriteDeadline(time.Time{})
}
