package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// recoverPanics turns a panic in a handler into a 500 JSON answer and one
// error log line with the stack. http.ErrAbortHandler is passed on: it is
// the standard way to abort a response.
func (s *server) recoverPanics(c *gin.Context) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p)
		}
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "panic in HTTP handler",
			slog.String("method", c.Request.Method), slog.String("path", c.Request.URL.Path),
			slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
		if c.Writer.Written() {
			c.Abort() // too late for an answer; the client sees a cut response
			return
		}
		fail(c, http.StatusInternalServerError, "internal error (the coocenterd log has the details)")
	}()
	c.Next()
}

// accessLog logs one debug line per request. It never logs headers (the
// Authorization header is a credential) nor the body.
func (s *server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.log.LogAttrs(c.Request.Context(), slog.LevelDebug, "http request",
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", c.Writer.Status()),
		slog.Int("bytes", c.Writer.Size()),
		slog.Duration("took", time.Since(start)),
		slog.String("client", c.ClientIP()))
}

// deadline gives the request a context that ends after the request
// timeout; handlers pass it to the PBX and answer 503 when it ends.
func (s *server) deadline(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.timeout)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

func handleNoRoute(c *gin.Context) {
	fail(c, http.StatusNotFound, fmt.Sprintf("no endpoint at %s", clip(c.Request.URL.Path, 128)))
}

// handleNoMethod answers 405; gin has set the Allow header.
func handleNoMethod(c *gin.Context) {
	allow := strings.ReplaceAll(c.Writer.Header().Get("Allow"), ", ", " or ")
	fail(c, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed here: use %s",
		clip(c.Request.Method, 16), allow))
}

// clip shortens s for an error sentence to at most n bytes and "…",
// without cutting a UTF-8 sequence; the JSON encoder escapes the rest.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
