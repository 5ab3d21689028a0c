package httpapi

import (
	"bytes"
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// health is the data of GET /healthz and /readyz.
type health struct {
	AMI     string `json:"ami"`               // connected, disconnected
	Storage string `json:"storage,omitempty"` // ok, or why it cannot be written (readyz)
	Version string `json:"version"`
}

// handleHealthz answers 200 while the daemon serves HTTP at all (alive),
// whatever Asterisk does: systemd's watchdog and restarts go by it. It
// needs no authentication.
func handleHealthz(px PBX, version string) gin.HandlerFunc {
	return func(c *gin.Context) {
		writeJSON(c, http.StatusOK, envelope{Status: "success", Data: health{AMI: amiState(px), Version: version}})
	}
}

// amiState is health's ami.
func amiState(px PBX) string {
	if px.Snapshot().Connected {
		return "connected"
	}
	return "disconnected"
}

// readyTimeout bounds the storage check of /readyz: a stalled disk makes
// it fail, not hang.
const readyTimeout = 2 * time.Second

// handleReadyz answers 200 when the daemon can do its work: Asterisk
// connected and its storage writable; else 503 with the error envelope
// saying what is missing. It needs no authentication.
func (s *server) handleReadyz() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := health{AMI: amiState(s.pbx), Storage: "ok", Version: s.version}
		var missing []string
		if h.AMI != "connected" {
			missing = append(missing, "Asterisk is not connected")
		}
		if s.storage != nil {
			ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
			err := s.storage(ctx)
			cancel()
			if err != nil {
				h.Storage = err.Error()
				missing = append(missing, "storage cannot be written: "+err.Error())
			}
		}
		if len(missing) > 0 {
			writeJSON(c, http.StatusServiceUnavailable, envelope{Status: "error", Message: "not ready: " + strings.Join(missing, "; "), Data: h})
			return
		}
		writeJSON(c, http.StatusOK, envelope{Status: "success", Data: h})
	}
}

// model returns the live model, or answers 503 when Asterisk is not
// connected: a model of a disconnected Asterisk is stale, so it is not
// served.
func model(c *gin.Context, px PBX) (*pbx.Snapshot, bool) {
	snap := px.Snapshot()
	if !snap.Connected {
		failWith(c, explain(px, pbx.ErrNotConnected, subject{}))
		c.Set(keyNothingDone, true)
		return nil, false
	}
	return snap, true
}

// channelRow is one channel of §3.1, keys in the original's order.
type channelRow struct {
	CallerIDName      string `json:"calleridname"`
	CallerIDNum       string `json:"calleridnum"`
	Channel           string `json:"channel"`
	ChannelState      string `json:"channelstate"`
	ChannelStateDesc  string `json:"channelstatedesc"`
	ConnectedLineName string `json:"connectedlinename"`
	ConnectedLineNum  string `json:"connectedlinenum"`
	Duration          string `json:"duration"`
}

// currentCalls is §3.1 rendered from one Snapshot: each row up to its
// duration, which only the answer's time can give, and what follows it.
type currentCalls struct {
	rows    []callRowJSON
	created []time.Time // each row's channel's start
	size    int
	// byChannel keeps each row by the Snapshot's channel it was made
	// from: a Snapshot shares the channels that did not change with the
	// one before, so the next rendering encodes only those that did.
	byChannel map[*pbx.Channel]callRowJSON
}

// callRowJSON is one row of current-calls around its duration.
type callRowJSON struct {
	head []byte // up to and including `"duration":"`
	tail []byte // from the duration's closing quote: `"}`, or the userData (ours) and `}`
}

// plainTail ends a row without userData.
var plainTail = []byte(`"}`)

// rowTail ends the row of a channel: with its call's userData, if any.
func rowTail(userData string) []byte {
	if userData == "" {
		return plainTail
	}
	ud, err := marshal(userData)
	if err != nil { // a string always encodes
		panic("httpapi: encoding userData: " + err.Error())
	}
	return append(append([]byte(`","userData":`), ud...), '}')
}

// renderCurrentCalls renders snap, taking from prev (the rendering of an
// earlier Snapshot, or nil) the rows of the channels they share.
func renderCurrentCalls(snap *pbx.Snapshot, prev *currentCalls) *currentCalls {
	n := len(snap.Channels)
	r := &currentCalls{rows: make([]callRowJSON, n), created: make([]time.Time, n), byChannel: make(map[*pbx.Channel]callRowJSON, n)}
	for i, ch := range snap.Channels {
		row, ok := callRowJSON{}, false
		if prev != nil {
			row, ok = prev.byChannel[ch]
		}
		if !ok {
			full, err := marshal(channelRow{
				CallerIDName:      ch.CallerIDName,
				CallerIDNum:       ch.CallerIDNum,
				Channel:           ch.Name,
				ChannelState:      strconv.Itoa(ch.State),
				ChannelStateDesc:  ch.StateDesc,
				ConnectedLineName: ch.ConnectedLineName,
				ConnectedLineNum:  ch.ConnectedLineNum,
			})
			if err != nil { // only our own types are encoded: a bug
				panic("httpapi: encoding a channel: " + err.Error())
			}
			row = callRowJSON{head: full[:len(full)-len(`"}`)], tail: rowTail(ch.UserData)} // open at the duration's value
		}
		r.rows[i], r.byChannel[ch] = row, row
		r.created[i] = ch.Created
		r.size += len(row.head) + len(row.tail) + len(`00:00:00,`)
	}
	return r
}

const currentCallsHead = `{"status":"success","message":"Channels will follow","data":[`

// answer writes the envelope with every row's duration at now.
func (r *currentCalls) answer(b []byte, now time.Time) []byte {
	b = append(b, currentCallsHead...)
	for i, row := range r.rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, row.head...)
		b = appendSince(b, r.created[i], now)
		b = append(b, row.tail...)
	}
	return append(b, "]}"...)
}

// handleCurrentCalls is §3.1: every live channel (one row per leg, as
// Asterisk's CoreShowChannels), oldest first. The rows are rendered once
// per change of the model; each answer adds the durations.
func handleCurrentCalls(px PBX, now func() time.Time) gin.HandlerFunc {
	var cache rendered[*currentCalls]
	render := func(snap *pbx.Snapshot) *currentCalls { return renderCurrentCalls(snap, cache.value()) }
	return func(c *gin.Context) {
		snap, ok := model(c, px)
		if !ok {
			return
		}
		buf := bodies.Get().(*[]byte)
		body := inRenderSlot(func() []byte { return cache.get(snap, render).answer((*buf)[:0], now()) })
		writeBody(c, http.StatusOK, body)
		*buf = body
		bodies.Put(buf)
	}
}

// appendSince appends the time from created to now as Asterisk writes
// it: HH:MM:SS, hours may exceed two digits; nothing when the creation
// time is unknown.
func appendSince(b []byte, created, now time.Time) []byte {
	if created.IsZero() {
		return b
	}
	return pbx.AppendDuration(b, now.Sub(created))
}

// peerRow is one phone of §3.2, keys capitalised as in the original.
type peerRow struct {
	Exten  string `json:"Exten"`
	Type   string `json:"Type"`
	IPAddr string `json:"IPAddr"`
	Status string `json:"Status"`
}

// handleExtensionStatus is §3.2: registration of SIP peers and PJSIP
// endpoints, rendered once per change of the model.
func handleExtensionStatus(px PBX) gin.HandlerFunc {
	return serveRendered(px, func(snap *pbx.Snapshot) any {
		rows := make([]peerRow, 0, len(snap.Peers))
		for _, p := range snap.Peers {
			rows = append(rows, peerRow{
				Exten:  p.Name,
				Type:   string(p.Tech),
				IPAddr: cmp.Or(p.Addr, "-none-"),
				Status: cmp.Or(p.Status, "UNKNOWN"),
			})
		}
		return envelope{Status: "success", Message: "Peer status list will follow", Data: rows}
	})
}

// hintRow is one extension of §3.3.
type hintRow struct {
	AgentName string `json:"agentName"`
	Extension string `json:"extension"`
	ExtenType string `json:"extenType"`
	Status    string `json:"status"`
}

// handleExtensionHintsStatus is §3.3; the original answers a bare array.
func handleExtensionHintsStatus(px PBX) gin.HandlerFunc {
	return serveRendered(px, func(snap *pbx.Snapshot) any {
		hints := slices.Clone(snap.Hints)
		slices.SortStableFunc(hints, func(a, b pbx.Hint) int { return pbx.CompareNames(a.Exten, b.Exten) })
		rows := make([]hintRow, 0, len(hints))
		for _, h := range hints {
			rows = append(rows, hintRow{
				AgentName: cmp.Or(h.Name, h.Exten),
				Extension: h.Exten,
				ExtenType: hintTech(h.Device),
				Status:    strconv.Itoa(h.Status),
			})
		}
		return rows
	})
}

// hintTech is the technology of a hint's first device: "SIP/801&SIP/802"
// gives SIP, "Custom:DND801" gives Custom.
func hintTech(hint string) string {
	first, _, _ := strings.Cut(hint, "&")
	if tech, _, ok := strings.Cut(first, "/"); ok {
		return tech
	}
	tech, _, _ := strings.Cut(first, ":")
	return tech
}

// memberRow is one queue member of §3.4; numbers are strings, as in the original.
type memberRow struct {
	Name    string `json:"name"`
	Paused  string `json:"paused"`
	Penalty string `json:"penalty"`
}

// queueInfo is §3.4's data: an object keyed by queue name, in name order.
type queueInfo []pbx.Queue

// MarshalJSON writes the queues as one object, keys sorted by queue name.
func (qs queueInfo) MarshalJSON() ([]byte, error) {
	qs = slices.Clone(qs)
	slices.SortStableFunc(qs, func(a, b pbx.Queue) int { return strings.Compare(a.Name, b.Name) })
	var b bytes.Buffer
	b.WriteByte('{')
	for i, q := range qs {
		if i > 0 && q.Name == qs[i-1].Name {
			continue // a duplicate would make the object ambiguous
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		key, err := marshal(q.Name)
		if err != nil {
			return nil, err
		}
		members, err := marshal(memberRows(q.Members))
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(members)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func memberRows(ms []pbx.Member) []memberRow {
	rows := make([]memberRow, 0, len(ms))
	for _, m := range ms {
		rows = append(rows, memberRow{Name: memberName(m.Interface), Paused: flag(m.Paused), Penalty: strconv.Itoa(m.Penalty)})
	}
	return rows
}

// memberName is the interface with its technology in lower case, as the
// original prints it: SIP/876 → sip/876, Local/800@fake-phone/n → local/800@fake-phone/n.
func memberName(iface string) string {
	tech, rest, ok := strings.Cut(iface, "/")
	if !ok {
		return iface
	}
	return strings.ToLower(tech) + "/" + rest
}

// handleQueueInfo is §3.4: queues and their members.
func handleQueueInfo(px PBX) gin.HandlerFunc {
	return serveRendered(px, func(snap *pbx.Snapshot) any {
		return envelope{Status: "success", Message: "Queue status will follow", Data: queueInfo(snap.Queues)}
	})
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
