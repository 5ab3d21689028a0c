package httpapi

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/pausetimer"
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

// agentRow is one agent of §3.16 agent-status.
type agentRow struct {
	Extension string        `json:"extension"`
	Name      string        `json:"name"`
	Device    string        `json:"device"` // idle, ringing, inuse, busy, onhold, unavailable
	Status    string        `json:"status"` // the hint's bits, as §3.3
	Queues    []agentQueue  `json:"queues"`
	WrapUp    *agentWrapUp  `json:"wrapup"`
	Call      *agentCallRow `json:"call"`
}

type agentQueue struct {
	Queue       string `json:"queue"`
	Paused      string `json:"paused"` // "0" or "1"
	Reason      string `json:"reason"`
	PausedSince string `json:"pausedSince"` // "" when not paused or not known
}

type agentWrapUp struct {
	Until string `json:"until"`
}

type agentCallRow struct {
	Uniqueid  string `json:"uniqueid"`
	Linkedid  string `json:"linkedid"`
	Direction string `json:"direction"` // in: the agent was rung; out: its phone or click-number placed the call; internal: phone to phone
	Peer      string `json:"peer"`
	Since     string `json:"since"`
	Held      string `json:"held"`
	Muted     string `json:"muted"`
	UserData  string `json:"userData"`
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
		var wrapUps []pausetimer.WrapUp
		if s.wrapUps != nil {
			wrapUps = s.wrapUps.Active()
		}
		rows := agentRows(snap, wrapUps, s.loc)
		if only != "" {
			i := slices.IndexFunc(rows, func(r agentRow) bool { return r.Extension == only })
			if i < 0 {
				failWith(c, &apiError{http.StatusNotFound, fmt.Sprintf("extension %s does not exist", only)})
				return
			}
			rows = rows[i : i+1]
		}
		succeed(c, "Agent status will follow", rows)
	}
}

// agentRows builds every agent's row: each phone, hint and queue member
// of the model, by extension.
func agentRows(snap *pbx.Snapshot, wrapUps []pausetimer.WrapUp, loc *time.Location) []agentRow {
	byExten := map[string]*agentRow{}
	row := func(exten string) *agentRow {
		r, ok := byExten[exten]
		if !ok {
			r = &agentRow{Extension: exten, Name: exten, Device: "unavailable", Status: "4", Queues: []agentQueue{}}
			byExten[exten] = r
		}
		return r
	}
	registered := map[string]bool{}
	for _, p := range snap.Peers {
		r := row(p.Name)
		if p.Addr != "" && p.Addr != "-none-" {
			registered[p.Name] = true
			r.Device, r.Status = "idle", "0"
		}
	}
	for _, h := range snap.Hints {
		r := row(h.Exten)
		r.Name, r.Status, r.Device = cmp.Or(h.Name, h.Exten), strconv.Itoa(h.Status), hintDevice(h.Status)
	}
	for _, q := range snap.Queues {
		for _, m := range q.Members {
			exten := pbx.InterfaceExten(m.Interface)
			if exten == "" {
				continue
			}
			r := row(exten)
			if r.Name == exten && m.Name != "" && m.Name != m.Interface { // Asterisk names a member without a name by its interface
				r.Name = m.Name
			}
			aq := agentQueue{Queue: q.Name, Paused: flag(m.Paused), Reason: m.PausedReason}
			if m.Paused && !m.LastPause.IsZero() {
				aq.PausedSince = m.LastPause.In(loc).Format(time.DateTime)
			}
			r.Queues = append(r.Queues, aq)
		}
	}
	for _, w := range wrapUps {
		if r, ok := byExten[w.Exten]; ok && !w.Until.IsZero() {
			r.WrapUp = &agentWrapUp{Until: w.Until.In(loc).Format(time.DateTime)}
		}
	}
	for exten, r := range byExten {
		leg, ok := snap.LegOf(exten)
		if !ok {
			continue
		}
		r.Call = callRow(snap, leg, loc)
		if leg.Held {
			r.Device = "onhold"
		} else if r.Device == "idle" || r.Device == "unavailable" && registered[exten] {
			r.Device = "inuse"
			if leg.State != 6 {
				r.Device = "ringing"
			}
		}
	}
	rows := make([]agentRow, 0, len(byExten))
	for _, r := range byExten {
		rows = append(rows, *r)
	}
	slices.SortFunc(rows, func(a, b agentRow) int { return pbx.CompareNames(a.Extension, b.Extension) })
	return rows
}

// hintDevice names a hint's state bits: what matters most to a call bar first.
func hintDevice(bits int) string {
	switch {
	case bits < 0 || bits&4 != 0:
		return "unavailable"
	case bits&16 != 0:
		return "onhold"
	case bits&2 != 0:
		return "busy"
	case bits&1 != 0:
		return "inuse"
	case bits&8 != 0:
		return "ringing"
	}
	return "idle"
}

// callRow is the call of an agent's leg.
func callRow(snap *pbx.Snapshot, leg pbx.Channel, loc *time.Location) *agentCallRow {
	r := &agentCallRow{Uniqueid: leg.Uniqueid, Linkedid: leg.Linkedid, Direction: "in", Peer: leg.ConnectedLineNum,
		Held: flag(leg.Held), Muted: flag(leg.Muted), UserData: leg.UserData}
	if leg.Linkedid == "" || leg.Linkedid == leg.Uniqueid { // the agent's own channel started the call
		r.Direction = "out"
	}
	if other, ok := snap.BridgedWith(leg); ok {
		r.Peer = cmp.Or(other.CallerIDNum, r.Peer)
		if snap.IsPhone(other.Name) {
			r.Direction = "internal"
		}
	}
	if !leg.Created.IsZero() {
		r.Since = leg.Created.In(loc).Format(time.DateTime)
	}
	return r
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
