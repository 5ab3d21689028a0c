package httpapi

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/pusher"
)

// Push is the push outbox's dead letters; internal/pusher implements it.
type Push interface {
	DeadLetters(f pusher.Filter) ([]pusher.DeadLetter, error)
	Replay(ctx context.Context, f pusher.Filter) (int, error)
}

var (
	webhookID   = kind{valid: regexp.MustCompile(`^msg_[0-9a-v]{26}$`).MatchString, must: "a webhook-id such as msg_01h2acejqtf2nbre993vqjhp41"}
	receiverURL = kind{valid: isASCIIText(2048, false), must: "a receiver URL as configured or as listed, at most 2048 characters"}
	timeValue   = kind{valid: func(s string) bool { _, ok := parseSince(s, time.UTC); return ok },
		must: `a time: unix seconds, RFC 3339 (2026-11-21T10:00:00+08:00) or "2026-11-21 10:00:00" (box time)`}
	listLimit = kind{valid: intIn(1, 1000), must: "a number from 1 to 1000"}
)

// parseSince reads unix seconds, RFC 3339, or "YYYY-MM-DD HH:MM:SS" in loc.
func parseSince(s string, loc *time.Location) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0), true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation(time.DateTime, s, loc); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// pushFilter reads receiver, id and since (and, for listing, limit).
func (s *server) pushFilter(c *gin.Context) (pusher.Filter, *apiError) {
	v := paramsOf(c).validate()
	f := pusher.Filter{
		Receiver: v.optional("receiver", receiverURL, ""),
		ID:       v.optional("id", webhookID, ""),
	}
	since := v.optional("since", timeValue, "")
	limit := v.optional("limit", listLimit, "100")
	if v.err != nil {
		return f, v.err
	}
	if since != "" {
		f.Since, _ = parseSince(since, s.loc)
	}
	f.Limit, _ = strconv.Atoi(limit)
	return f, nil
}

// handleDeadLetters lists the push events no receiver accepted, oldest
// first (ours; not in the original).
func (s *server) handleDeadLetters() gin.HandlerFunc {
	return func(c *gin.Context) {
		f, bad := s.pushFilter(c)
		if bad != nil {
			failWith(c, bad)
			return
		}
		list, err := call(c.Request.Context(), func(context.Context) ([]pusher.DeadLetter, error) {
			return s.push.DeadLetters(f)
		})
		if err != nil {
			failCall(c, s.log, nil, err, subject{op: "read the dead letters"})
			return
		}
		succeed(c, "Dead letters will follow", list)
	}
}

// handleReplay queues dead letters again (all, one id, or those that
// happened since a time), keeping their webhook-id (ours).
func (s *server) handleReplay() gin.HandlerFunc {
	return func(c *gin.Context) {
		f, bad := s.pushFilter(c)
		if bad != nil {
			failWith(c, bad)
			return
		}
		n, err := call(c.Request.Context(), func(ctx context.Context) (int, error) {
			return s.push.Replay(ctx, f)
		})
		if err != nil {
			failCall(c, s.log, nil, err, subject{op: "queue dead letters again"})
			return
		}
		succeed(c, fmt.Sprintf("%d events queued again", n), gin.H{"queued": n})
	}
}
