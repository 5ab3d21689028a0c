package board

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/coocenter/coocenterd/internal/pausetimer"
	"github.com/coocenter/coocenterd/internal/pbx"
)

// Agent is one agent of agent-status (api.md §3.16): its phone, its
// queues, its after-call pause and its call.
type Agent struct {
	Extension string       `json:"extension"`
	Name      string       `json:"name"`
	Device    string       `json:"device"` // idle, ringing, inuse, busy, onhold, unavailable
	Status    string       `json:"status"` // the hint's bits, as §3.3
	Queues    []AgentQueue `json:"queues"`
	WrapUp    *AgentWrapUp `json:"wrapup"`
	Call      *AgentCall   `json:"call"`
}

type AgentQueue struct {
	Queue       string `json:"queue"`
	Paused      string `json:"paused"` // "0" or "1"
	Reason      string `json:"reason"`
	PausedSince string `json:"pausedSince"` // "" when not paused or not known
}

type AgentWrapUp struct {
	Until string `json:"until"`
}

type AgentCall struct {
	Uniqueid  string `json:"uniqueid"`
	Linkedid  string `json:"linkedid"`
	Direction string `json:"direction"` // in: the agent was rung; out: its phone or click-number placed the call; internal: phone to phone
	Peer      string `json:"peer"`
	Since     string `json:"since"`
	Held      string `json:"held"`
	Muted     string `json:"muted"`
	UserData  string `json:"userData"`
	Queue     string `json:"queue"` // the queue the call came through, "" if none
	// PopURL is api.conf's pop_url for this call, its placeholders
	// filled (§8.3): set for a call that rings the agent from outside
	// or from a queue, when pop_url is set.
	PopURL string `json:"popUrl,omitempty"`
}

// Agents builds every agent's row: each phone, hint and queue member
// of the model, by extension, with wrapUps the after-call pauses running.
func (v View) Agents(snap *pbx.Snapshot, wrapUps []pausetimer.WrapUp) []Agent {
	loc := v.loc()
	byExten := map[string]*Agent{}
	row := func(exten string) *Agent {
		r, ok := byExten[exten]
		if !ok {
			r = &Agent{Extension: exten, Name: exten, Device: "unavailable", Status: "4", Queues: []AgentQueue{}}
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
		r.Name, r.Status, r.Device = cmp.Or(h.Name, h.Exten), strconv.Itoa(h.Status), HintDevice(h.Status)
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
			aq := AgentQueue{Queue: q.Name, Paused: flag(m.Paused), Reason: m.PausedReason}
			if m.Paused && !m.LastPause.IsZero() {
				aq.PausedSince = m.LastPause.In(loc).Format(time.DateTime)
			}
			r.Queues = append(r.Queues, aq)
		}
	}
	for _, w := range wrapUps {
		if r, ok := byExten[w.Exten]; ok && !w.Until.IsZero() {
			r.WrapUp = &AgentWrapUp{Until: w.Until.In(loc).Format(time.DateTime)}
		}
	}
	legs := snap.Legs()
	for exten, r := range byExten {
		leg, ok := legs[exten]
		if !ok {
			continue
		}
		r.Call = v.callOf(snap, exten, leg)
		switch {
		case leg.Held:
			r.Device = "onhold"
		case leg.State == 5: // Ringing: its phone rings with the call, whatever the hint says (PJSIP's may say in use)
			r.Device = "ringing"
		case r.Device == "idle" || r.Device == "unavailable" && registered[exten]:
			r.Device = "inuse"
			if leg.State != 6 {
				r.Device = "ringing"
			}
		}
	}
	rows := make([]Agent, 0, len(byExten))
	for _, r := range byExten {
		rows = append(rows, *r)
	}
	slices.SortFunc(rows, func(a, b Agent) int { return pbx.CompareNames(a.Extension, b.Extension) })
	return rows
}

// HintDevice names a hint's state bits: what matters most to a call bar first.
func HintDevice(bits int) string {
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

// callOf is the call of agent exten's leg.
func (v View) callOf(snap *pbx.Snapshot, exten string, leg pbx.Channel) *AgentCall {
	r := &AgentCall{Uniqueid: leg.Uniqueid, Linkedid: leg.Linkedid, Direction: "in", Peer: leg.ConnectedLineNum,
		Held: flag(leg.Held), Muted: flag(leg.Muted), UserData: leg.UserData, Queue: leg.Queue}
	if leg.Linkedid == "" || leg.Linkedid == leg.Uniqueid { // the agent's own channel started the call
		r.Direction = "out"
	}
	if other, ok := snap.BridgedWith(leg); ok {
		r.Peer = cmp.Or(other.CallerIDNum, r.Peer)
		if snap.IsPhone(other.Name) {
			r.Direction = "internal"
		}
	} else if r.Direction == "in" && startedByPhone(snap, leg.Linkedid) {
		r.Direction = "internal" // ringing: a colleague's phone calls
	}
	if !leg.Created.IsZero() {
		r.Since = leg.Created.In(v.loc()).Format(time.DateTime)
	}
	if r.Direction == "in" && v.PopURL != "" && popReady(snap, leg, r) {
		r.PopURL = Pop(v.PopURL, exten, r)
	}
	return r
}

// popReady: the call is known well enough for its screen pop, which is
// opened once: the caller's number is known (Asterisk names it just after
// the leg appears), and so is the queue of a call that came through one
// (the caller's channel joined it before the agent was rung; the leg
// learns it from AgentCalled, a moment later).
func popReady(snap *pbx.Snapshot, leg pbx.Channel, r *AgentCall) bool {
	if r.Peer == "" {
		return false
	}
	if leg.Queue != "" || leg.Linkedid == "" {
		return true
	}
	return !slices.ContainsFunc(snap.Channels, func(c *pbx.Channel) bool { return c.Linkedid == leg.Linkedid && c.Queue != "" })
}

// startedByPhone: the call linkedid was started by a phone's channel.
func startedByPhone(snap *pbx.Snapshot, linkedid string) bool {
	i := slices.IndexFunc(snap.Channels, func(c *pbx.Channel) bool { return c.Uniqueid == linkedid })
	return i >= 0 && snap.IsPhone(snap.Channels[i].Name)
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
