package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/blacklist"
	"github.com/coocenter/coocenterd/internal/pbx"
	"github.com/coocenter/coocenterd/internal/pusher"
)

// apiError is an answer to give instead of success: an HTTP status and a
// sentence for the caller.
type apiError struct {
	status  int
	message string
}

func (e *apiError) Error() string { return e.message }

// keyNothingDone marks, in the gin context, an answer after which the
// command certainly did not happen, so an idempotent retry may run it again.
const keyNothingDone = "httpapi.nothingDone"

// subject is what a command acted on; it names things in error sentences.
type subject struct {
	op     string   // what was being done, for the 500 sentence: "pause extension 808"
	exts   []string // extensions and numbers the command names, main one first
	queue  string   // the queue, "" for none or all
	member string   // the queue member, for ErrNotMember
	busy   string   // the extension that must be on a call, for ErrNoActiveCall
}

// failCall answers for an error of a PBX or blacklist call. px, if non-nil,
// is asked which of several extensions is unknown.
func failCall(c *gin.Context, log *slog.Logger, px PBX, err error, subj subject) {
	e := explain(px, err, subj)
	switch {
	case errors.Is(err, pbx.ErrNotConnected) || errors.Is(err, context.Canceled):
		c.Set(keyNothingDone, true)
	case errors.Is(err, context.DeadlineExceeded):
		log.LogAttrs(c.Request.Context(), slog.LevelWarn, "command timed out", slog.String("op", subj.op))
	case e.status >= http.StatusInternalServerError:
		log.LogAttrs(c.Request.Context(), slog.LevelError, "command failed",
			slog.String("op", subj.op), slog.Any("err", err))
	}
	failWith(c, e)
}

// explain turns an error into the sentence the caller gets. It never
// repeats err's own text, which may carry AMI details — except the
// blacklist's validation errors, written for the caller.
func explain(px PBX, err error, subj subject) *apiError {
	switch {
	case errors.Is(err, pbx.ErrNotConnected):
		return &apiError{http.StatusServiceUnavailable, "Asterisk is not connected"}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{http.StatusServiceUnavailable, "Asterisk did not answer in time"}
	case errors.Is(err, context.Canceled):
		return &apiError{http.StatusServiceUnavailable, "the request was cancelled"}
	case errors.Is(err, pbx.ErrUnknownQueue):
		return &apiError{http.StatusNotFound, fmt.Sprintf("queue %s does not exist", subj.queue)}
	case errors.Is(err, pbx.ErrNotMember):
		if subj.queue == "" {
			return &apiError{http.StatusNotFound, fmt.Sprintf("extension %s is not a member of any queue", subj.member)}
		}
		return &apiError{http.StatusNotFound, fmt.Sprintf("extension %s is not a member of queue %s", subj.member, subj.queue)}
	case errors.Is(err, pbx.ErrNoActiveCall):
		return &apiError{http.StatusNotFound, fmt.Sprintf("extension %s has no active call", subj.busy)}
	case errors.Is(err, pbx.ErrUnknownExtension):
		return &apiError{http.StatusNotFound, fmt.Sprintf("extension %s does not exist", unknownOf(px, subj.exts))}
	case errors.Is(err, pbx.ErrNotActed):
		return &apiError{http.StatusServiceUnavailable, fmt.Sprintf("could not %s: Asterisk did not act on it in time", subj.op)}
	case errors.Is(err, pbx.ErrConflict): // its text is a sentence about the call's state
		return &apiError{http.StatusConflict, err.Error()}
	case errors.Is(err, pbx.ErrStaticMember): // before ErrInvalid, which it wraps
		return &apiError{http.StatusConflict, fmt.Sprintf(
			"extension %s is a static member of queue %s (queues.conf) and cannot be logged out", subj.member, subj.queue)}
	case errors.Is(err, blacklist.ErrInvalid): // its text is a sentence about the caller's own value
		return &apiError{http.StatusBadRequest, err.Error()}
	case errors.Is(err, blacklist.ErrFull):
		return &apiError{http.StatusConflict, "the blacklist is full"}
	case errors.Is(err, blacklist.ErrClosed):
		return &apiError{http.StatusServiceUnavailable, "the blacklist is closed: coocenterd is stopping"}
	case errors.Is(err, pusher.ErrStorage):
		return &apiError{http.StatusServiceUnavailable, fmt.Sprintf("could not %s: the push outbox cannot be written (/readyz says why)", subj.op)}
	case errors.Is(err, pusher.ErrClosed):
		return &apiError{http.StatusServiceUnavailable, "the push outbox is closed: coocenterd is stopping"}
	case errors.Is(err, pbx.ErrInvalid):
		return &apiError{http.StatusBadRequest, fmt.Sprintf("could not %s: Asterisk refused a value as invalid", subj.op)}
	}
	return &apiError{http.StatusInternalServerError,
		fmt.Sprintf("could not %s: internal error (the coocenterd log has the details)", subj.op)}
}

// unknownOf picks, among exts, the first that is not a known phone: the
// PBX's error says an extension is unknown but not which one.
func unknownOf(px PBX, exts []string) string {
	if len(exts) == 0 {
		return "" // a bug in the handler's subject; still a readable sentence
	}
	if px == nil || len(exts) == 1 {
		return exts[0]
	}
	peers := px.Snapshot().Peers
	for _, e := range exts {
		if !slices.ContainsFunc(peers, func(p pbx.Peer) bool { return p.Name == e }) {
			return e
		}
	}
	return exts[0]
}

// call runs f on the request's goroutine with the request's context: the
// PBX, the blacklist and the stores honour ctx, so a deadline ends them
// (no goroutine per request waits on their behalf). A panic in f becomes
// an error, answered as a 500 naming what was being done.
func call[T any](ctx context.Context, f func(context.Context) (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, fmt.Errorf("panic: %v", p)
		}
	}()
	return f(ctx)
}

// run is call for calls that return only an error.
func run(ctx context.Context, f func(context.Context) error) error {
	_, err := call(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, f(ctx)
	})
	return err
}
