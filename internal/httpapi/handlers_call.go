package httpapi

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// callData is the data of §3.8: the id of the new call, which the push
// events of that call repeat as uniqueid.
type callData struct {
	ID string `json:"id"`
}

// handleClickNumber is §3.8: ring src; when it answers, dial dst.
func handleClickNumber(log *slog.Logger, px PBX) gin.HandlerFunc {
	return dialFrom(log, px, "call %[2]s from %[1]s", "click number success", px.ClickToCall)
}

// dialFrom is a command that has src call dst, with userData, and
// answers message and the new call's id; op names it in errors (%[1]s
// src, %[2]s dst).
func dialFrom(log *slog.Logger, px PBX, op, message string, dial func(ctx context.Context, src, dst, userData string) (string, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		src := v.required("src", extension)
		dst := v.required("dst", phoneNumber)
		userData := v.optional("userData", userDataText, "")
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		id, err := call(c.Request.Context(), func(ctx context.Context) (string, error) {
			return dial(ctx, src, dst, userData)
		})
		if err != nil {
			failCall(c, log, px, err, subject{op: fmt.Sprintf(op, src, dst), exts: []string{src, dst}, busy: src})
			return
		}
		succeed(c, message, callData{ID: id})
	}
}

// handleHangup is §3.9: hang up the call(s) of extension.
func handleHangup(log *slog.Logger, px PBX) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		exten := v.required("extension", extension)
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		err := run(c.Request.Context(), func(ctx context.Context) error {
			return px.Hangup(ctx, exten)
		})
		if err != nil {
			failCall(c, log, px, err, subject{op: "hang up extension " + exten,
				exts: []string{exten}, busy: exten})
			return
		}
		succeed(c, "hangup extension success", nil)
	}
}

// handleTransfer is §3.10: blind-transfer the party src talks to, to dst.
func handleTransfer(log *slog.Logger, px PBX) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		src := v.required("src", extension)
		dst := v.required("dst", phoneNumber)
		userData := v.optional("userData", userDataText, "")
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		err := run(c.Request.Context(), func(ctx context.Context) error {
			return px.Transfer(ctx, src, dst, userData)
		})
		if err != nil {
			failCall(c, log, px, err, subject{op: fmt.Sprintf("transfer the call of extension %s to %s", src, dst),
				exts: []string{src, dst}, busy: src})
			return
		}
		succeed(c, "tansfer extension success", nil) // sic: the original's spelling, clients match on it
	}
}

// handleExtenSpy is §3.11: ring src; when it answers, it joins dst's call
// as mode says (listen by default, whisper, barge).
func handleExtenSpy(log *slog.Logger, px PBX) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		src := v.required("src", extension)
		dst := v.required("dst", extension)
		mode := pbx.SpyMode(v.optional("mode", spyMode, string(pbx.Listen)))
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		err := run(c.Request.Context(), func(ctx context.Context) error {
			_, err := px.Spy(ctx, src, dst, mode) // its id is in the pushes; the reply stays the original's
			return err
		})
		if err != nil {
			failCall(c, log, px, err, subject{op: fmt.Sprintf("spy on extension %s from %s (%s)", dst, src, mode),
				exts: []string{src, dst}, busy: dst})
			return
		}
		succeed(c, "spy extension success", nil)
	}
}
