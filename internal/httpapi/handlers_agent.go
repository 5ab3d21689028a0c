package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/board"
	"github.com/coocenter/coocenterd/internal/pbx"
)

// The agent's verbs (ours, api.md §3.16–§3.24): what a call bar needs
// every minute, driven server-side through Asterisk for any SIP phone.

var (
	userDataText = kind{valid: pbx.ValidUserData,
		must: "text of at most 255 bytes of UTF-8 without control characters"}
	ringSeconds = kind{valid: intIn(1, 600), must: "a number of seconds from 1 to 600"}
)

// agentVerb is a command on exten's call that answers message on success.
func agentVerb(log *slog.Logger, px PBX, param, op, message string, do func(ctx context.Context, exten string) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		exten := v.required(param, extension)
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		err := run(c.Request.Context(), func(ctx context.Context) error { return do(ctx, exten) })
		if err != nil {
			failCall(c, log, px, err, subject{op: op + " extension " + exten, exts: []string{exten}, busy: exten})
			return
		}
		succeed(c, message, nil)
	}
}

// handleHold is §3.17: the other party hears music on hold.
func handleHold(log *slog.Logger, px PBX) gin.HandlerFunc {
	return agentVerb(log, px, "extension", "hold", "hold extension success", px.Hold)
}

// handleUnhold is §3.17: the other party is back with the agent.
func handleUnhold(log *slog.Logger, px PBX) gin.HandlerFunc {
	return agentVerb(log, px, "extension", "unhold", "unhold extension success", px.Unhold)
}

// handleMute is §3.18: the other party stops hearing the agent.
func handleMute(log *slog.Logger, px PBX) gin.HandlerFunc {
	return agentVerb(log, px, "extension", "mute", "mute extension success",
		func(ctx context.Context, exten string) error { return px.Mute(ctx, exten, true) })
}

// handleUnmute is §3.18: the other party hears the agent again.
func handleUnmute(log *slog.Logger, px PBX) gin.HandlerFunc {
	return agentVerb(log, px, "extension", "unmute", "unmute extension success",
		func(ctx context.Context, exten string) error { return px.Mute(ctx, exten, false) })
}

// handleConsult is §3.19: src's party is held, src talks to dst.
func handleConsult(log *slog.Logger, px PBX) gin.HandlerFunc {
	return dialFrom(log, px, "consult %[2]s from extension %[1]s", "consult extension success", px.Consult)
}

// handleConsultTransfer is §3.20: the held party goes to the consulted one.
func handleConsultTransfer(log *slog.Logger, px PBX) gin.HandlerFunc {
	return agentVerb(log, px, "src", "consult-transfer the call of", "consult transfer success", px.ConsultTransfer)
}

// handleConsultCancel is §3.21: src is back with the held party.
func handleConsultCancel(log *slog.Logger, px PBX) gin.HandlerFunc {
	return agentVerb(log, px, "src", "cancel the consult of", "consult cancel success", px.ConsultCancel)
}

// handleThreeWay is §3.22: src, the held party and the consulted one talk together.
func handleThreeWay(log *slog.Logger, px PBX) gin.HandlerFunc {
	return agentVerb(log, px, "src", "join the three parties of", "three way success", px.ThreeWay)
}

// handleWebcall is §3.23: ring the customer; once answered, ring dst.
func handleWebcall(log *slog.Logger, px PBX) gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		w := pbx.Webcall{
			Customer:         v.required("customer", phoneNumber),
			Dst:              v.required("dst", destination),
			CustomerCallerID: v.optional("customerCallerId", phoneNumber, ""),
			DstCallerID:      v.optional("dstCallerId", phoneNumber, ""),
			UserData:         v.optional("userData", userDataText, ""),
		}
		w.CustomerTimeout = seconds(v.optional("customerTimeout", ringSeconds, "60"))
		w.DstTimeout = seconds(v.optional("dstTimeout", ringSeconds, "60"))
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		id, err := call(c.Request.Context(), func(ctx context.Context) (string, error) {
			return px.PlaceWebcall(ctx, w)
		})
		if err != nil {
			failCall(c, log, px, err, subject{op: fmt.Sprintf("webcall %s to %s", w.Customer, w.Dst),
				exts: []string{w.Dst}, queue: w.Dst})
			return
		}
		succeed(c, "webcall success", callData{ID: id})
	}
}

// destination is a webcall's dst: an extension or a queue's name.
var destination = kind{valid: isWord(64), must: "an extension or a queue name: letters, digits, _ or -, at most 64 characters"}

// seconds reads a value ringSeconds has checked.
func seconds(s string) time.Duration {
	n, _ := strconv.Atoi(s)
	return time.Duration(n) * time.Second
}

// handleAgentStatus is §3.16: each agent's whole state, or one's.
func (s *server) handleAgentStatus() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		only := v.optional("extension", extension, "")
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		snap, ok := model(c, s.pbx)
		if !ok {
			return
		}
		rows := s.view.Agents(snap, s.wrapUpsNow())
		if only != "" {
			i := slices.IndexFunc(rows, func(r board.Agent) bool { return r.Extension == only })
			if i < 0 {
				failWith(c, &apiError{http.StatusNotFound, fmt.Sprintf("extension %s does not exist", only)})
				return
			}
			rows = rows[i : i+1]
		}
		succeed(c, "Agent status will follow", rows)
	}
}
