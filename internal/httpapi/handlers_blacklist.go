package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// handleBlacklistIndex is §3.13: the blocked numbers; the original's answer
// has no message.
func handleBlacklistIndex(log *slog.Logger, bl Blacklist) gin.HandlerFunc {
	return func(c *gin.Context) {
		numbers, err := call(c.Request.Context(), bl.List)
		if err != nil {
			failCall(c, log, nil, err, subject{op: "read the blacklist"})
			return
		}
		if numbers == nil {
			numbers = []string{} // [] rather than null
		}
		succeed(c, "", numbers)
	}
}

// handleBlacklistCreate is §3.14: block number; adding it again succeeds.
func handleBlacklistCreate(log *slog.Logger, bl Blacklist) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		number := v.required("number", phoneNumber)
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		err := run(c.Request.Context(), func(ctx context.Context) error {
			return bl.Add(ctx, number)
		})
		if err != nil {
			failCall(c, log, nil, err, subject{op: fmt.Sprintf("add %s to the blacklist", number)})
			return
		}
		succeed(c, "Updated database successfully", nil)
	}
}

// handleBlacklistDelete is §3.15: unblock number; 404 if it is not blocked.
func handleBlacklistDelete(log *slog.Logger, bl Blacklist) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		number := v.required("number", phoneNumber)
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		found, err := call(c.Request.Context(), func(ctx context.Context) (bool, error) {
			return bl.Remove(ctx, number)
		})
		if err != nil {
			failCall(c, log, nil, err, subject{op: fmt.Sprintf("remove %s from the blacklist", number)})
			return
		}
		if !found {
			fail(c, http.StatusNotFound, fmt.Sprintf("number %s is not in the blacklist", number))
			return
		}
		succeed(c, "Key deleted successfully", nil)
	}
}
