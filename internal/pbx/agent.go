package pbx

import (
	"cmp"
	"encoding/base64"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/coocenter/coocenterd/internal/ami"
)

// The channel variables the agent's verbs keep their state in, so that
// Asterisk holds it and a restarted daemon reads it back (resync's Status).
// Names as the model reads them, without the inheritance underscores.
const (
	// varUserData is the call's userData, base64 (RFC 4648 §4, so that
	// the dialplan's BASE64_DECODE reads it). Set with two underscores:
	// every channel the call makes later inherits it.
	varUserData = "COOCENTER_USERDATA"
	// varHold is 1 while [coocenter-hold] holds the agent's call.
	varHold = "COOCENTER_HOLD"
	// varMuted mirrors the agent's MuteAudio, which Asterisk cannot report.
	varMuted = "COOCENTER_MUTED"
	// varConsult is the consult's destination, set with one underscore on
	// the agent's channel (the consult's own channels get it without).
	varConsult = "COOCENTER_XFER_DST"
	// varConsultContext is where the consult dials it.
	varConsultContext = "COOCENTER_XFER_CONTEXT"
)

// statusVariables are the variables resync reads of every channel.
var statusVariables = strings.Join([]string{varUserData, varHold, varMuted, varConsult}, ",")

// MaxUserData is the most bytes of userData a call carries.
const MaxUserData = 255

// ValidUserData reports whether s can be a call's userData: at most
// MaxUserData bytes of UTF-8 text without control characters.
func ValidUserData(s string) bool {
	if len(s) > MaxUserData || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// encodeUserData is how userData travels in a channel variable: base64
// has no comma (Originate splits Variable values on them), no quote, no
// CR/LF and no ${.
func encodeUserData(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// decodeUserData reads a channel's userData variable; what is not base64
// of valid userData (someone else's dialplan wrote it) counts as none.
func decodeUserData(v string) string {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || !ValidUserData(string(b)) {
		return ""
	}
	return string(b)
}

// varName is a VarSet's variable without its inheritance underscores,
// and how many it had.
func varName(v string) (string, int) {
	name := strings.TrimLeft(v, "_")
	return strings.ToUpper(name), len(v) - len(name)
}

// agentVarSet follows the variables of the agent's verbs on channel c.
func (p *PBX) agentVarSet(c *Channel, v, value string, at time.Time) []Event {
	name, underscores := varName(v)
	switch name {
	case varUserData:
		p.setUserData(c, decodeUserData(value))
	case varHold:
		c.HeldHere = value == "1"
	case varMuted:
		muted := value == "1"
		if muted == c.Muted {
			return nil
		}
		c.Muted = muted
		return []Event{MuteChanged{At: at, Exten: PhoneExten(c.Name), Channel: *c, Muted: muted}}
	case varConsult:
		if underscores == 1 { // the agent's own; its consult's channels inherit it as COOCENTER_XFER_DST
			c.Consulting = value
		}
	}
	return nil
}

// setUserData gives channel c, and so its call, userData ud.
func (p *PBX) setUserData(c *Channel, ud string) {
	c.UserData, c.ownUserData = ud, ud != ""
	if ud != "" && c.Linkedid != "" {
		p.st.callData[c.Linkedid] = ud
	}
}

// userDataOf is the userData of a call by one of its channels, live or
// gone, or by its linkedid.
func (s *state) userDataOf(uniqueid, linkedid string) string {
	if c, ok := s.channels[uniqueid]; ok && c.UserData != "" {
		return c.UserData
	}
	if ud := s.ended.userData[uniqueid]; ud != "" {
		return ud
	}
	if linkedid == "" {
		linkedid = s.ended.linkedid[uniqueid]
	}
	return s.callData[linkedid]
}

// PhoneExten is the extension of a phone's channel, "" for other channels.
func PhoneExten(channel string) string {
	_, exten, _ := deviceOf(channel)
	return exten
}

// holdChanged records that c put its call on hold or took it off.
func (p *PBX) holdChanged(c *Channel, held bool, at time.Time) []Event {
	if c == nil || c.Held == held {
		return nil
	}
	c.Held = held
	c.HeldSince = time.Time{}
	if held {
		c.HeldSince = at
	} else {
		c.HeldHere = false
	}
	return []Event{HoldChanged{At: at, Exten: PhoneExten(c.Name), Channel: *c, Held: held}}
}

// attendedTransfer: the consult of OrigTransferer ended in a transfer or a
// three-way call. Asterisk ends the held party's music but sends no Unhold
// for the transferer (bridge_basic.c), so the model ends that hold here.
func (p *PBX) attendedTransfer(m ami.Message, at time.Time) []Event {
	if m.Get("Result") != "Success" {
		return nil
	}
	agent := p.known(m, "OrigTransferer")
	var out []Event
	to := ""
	if agent != nil {
		to = agent.Consulting
		agent.Consulting = ""
		if t := p.trackOf(agent.Uniqueid); t != nil {
			t.unhold(agent.Uniqueid, at)
		}
		out = append(out, p.holdChanged(agent, false, at)...)
		if to != "" && p.st.channels[agent.Uniqueid] != nil { // the consult endpoint's: its variable goes
			p.chore(ami.Action{Name: "Setvar", Headers: []ami.Header{
				h("Channel", agent.Uniqueid), h("Variable", "_"+varConsult), h("Value", "")}})
		}
	}
	if m.Get("DestType") == "Threeway" {
		return out
	}
	target := p.party(m, "TransferTarget")
	to = cmp.Or(to, PhoneExten(target.Name), target.CallerIDNum)
	transferee := p.party(m, "Transferee")
	transferee.UserData = cmp.Or(transferee.UserData, p.st.userDataOf(transferee.Uniqueid, transferee.Linkedid))
	p.carryUserData(transferee.UserData, m.Get("TransferTargetUniqueid"), m.Get("SecondTransfererUniqueid"))
	from := PhoneExten(m.Get("OrigTransfererChannel"))
	return append(out, Transferred{At: at, Kind: "attended", From: from, To: to,
		Transferer: p.party(m, "OrigTransferer"), Transferee: transferee})
}

// carryUserData writes userData into the variable of the channels with
// those uniqueids that lack it: a phone's own attended transfer (SIP
// REFER) joins its consultation's channels, a call of their own, to the
// call, and what they dial later must inherit the call's userData.
func (p *PBX) carryUserData(userData string, uniqueids ...string) {
	if userData == "" {
		return
	}
	for _, id := range uniqueids {
		if c := p.st.channels[id]; c != nil && !c.ownUserData {
			p.chore(ami.Action{Name: "Setvar", Headers: []ami.Header{
				h("Channel", id), h("Variable", "__"+varUserData), h("Value", encodeUserData(userData))}})
		}
	}
}

// blindTransferred is the Transferred of a BlindTransfer.
func (p *PBX) blindTransferred(m ami.Message, at time.Time) []Event {
	if m.Get("Result") != "Success" {
		return nil
	}
	transferee := p.party(m, "Transferee")
	transferee.UserData = cmp.Or(transferee.UserData, p.st.userDataOf(transferee.Uniqueid, transferee.Linkedid))
	return []Event{Transferred{At: at, Kind: "blind", From: PhoneExten(m.Get("TransfererChannel")),
		To: m.Get("Extension"), Transferer: p.party(m, "Transferer"), Transferee: transferee}}
}

// releaseHolds lets go of the holds [coocenter-hold] keeps in the bridge
// channel gone is leaving: the held party left, and Asterisk would keep
// the agent in the hold application (it only watches its own channel).
func (p *PBX) releaseHolds(gone *Channel) {
	if gone.BridgeID == "" {
		return
	}
	for _, c := range p.st.channels {
		if c.Uniqueid != gone.Uniqueid && c.BridgeID == gone.BridgeID && c.HeldHere {
			p.chore(ami.Action{Name: "Setvar", Headers: []ami.Header{
				h("Channel", c.Uniqueid), h("Variable", varHold), h("Value", "0")}})
		}
	}
}

// endConsult: an agent whose consult was cancelled (or not answered) is
// back with the held party; its consult variable goes.
func (p *PBX) endConsult(c *Channel) {
	if c.Consulting == "" {
		return
	}
	c.Consulting = ""
	p.chore(ami.Action{Name: "Setvar", Headers: []ami.Header{
		h("Channel", c.Uniqueid), h("Variable", "_"+varConsult), h("Value", "")}})
}

// statusVariablesOf reads Status's Variable lines ("NAME=value",
// "(null)" when unset) into c.
func (p *PBX) statusVariablesOf(c *Channel, m ami.Message) {
	for _, line := range m.Values("Variable") {
		name, value, _ := strings.Cut(line, "=")
		if value == "(null)" {
			continue
		}
		switch strings.ToUpper(name) {
		case varUserData:
			c.UserData = decodeUserData(value)
			c.ownUserData = c.UserData != ""
		case varHold:
			if value == "1" {
				c.Held, c.HeldHere = true, true
			}
		case varMuted:
			c.Muted = value == "1"
		case varConsult:
			if PhoneExten(c.Name) != "" { // not the consult's own channels, which inherit it
				c.Consulting = value
			}
		}
	}
}
