package httpapi

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gin-gonic/gin"
)

// handleAgentPause is §3.5: pause (state=on) or unpause (state=off) member
// in queue, or in every queue it belongs to when queue is absent.
func handleAgentPause(log *slog.Logger, px PBX) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		queue := v.optional("queue", queueName, "")
		member := v.required("member", extension)
		state := v.required("state", onOff)
		reason := v.optional("reason", reasonText, "")
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		paused, verb := state == "on", "pause"
		if !paused {
			verb = "unpause"
		}
		err := run(c.Request.Context(), func(ctx context.Context) error {
			return px.PauseMember(ctx, queue, member, paused, reason)
		})
		if err != nil {
			failCall(c, log, px, err, subject{op: fmt.Sprintf("%s extension %s", verb, member),
				exts: []string{member}, queue: queue, member: member})
			return
		}
		succeed(c, verb+" extension success", nil)
	}
}

// handleAgentLogin is §3.6: add extension to queue as a dynamic member.
func handleAgentLogin(log *slog.Logger, px PBX) gin.HandlerFunc {
	return handleMembership(log, "add extension %s to queue %s", "login extension success", px.AddMember)
}

// handleAgentLogout is §3.7: remove extension from queue.
func handleAgentLogout(log *slog.Logger, px PBX) gin.HandlerFunc {
	return handleMembership(log, "remove extension %s from queue %s", "logout extension success", px.RemoveMember)
}

// handleMembership is login and logout: both take extension and queue;
// op, a format of extension and queue, names the command in a 500 sentence.
func handleMembership(log *slog.Logger, op, success string,
	change func(ctx context.Context, queue, exten string) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		exten := v.required("extension", extension)
		queue := v.required("queue", queueName)
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		err := run(c.Request.Context(), func(ctx context.Context) error {
			return change(ctx, queue, exten)
		})
		if err != nil {
			failCall(c, log, nil, err, subject{op: fmt.Sprintf(op, exten, queue),
				exts: []string{exten}, queue: queue, member: exten})
			return
		}
		succeed(c, success, nil)
	}
}
