package pbxsim

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// fill copies a template, replacing {name} and overriding keys.
func fill(tpl []ami.Header, name string, overrides map[string]string) []ami.Header {
	out := make([]ami.Header, len(tpl))
	for i, h := range tpl {
		v := strings.ReplaceAll(h.Value, "{name}", name)
		if o, ok := overrides[h.Key]; ok {
			v = o
		}
		out[i] = ami.Header{Key: h.Key, Value: v}
	}
	return out
}

func (s *Server) actionCoreSettings(sess *session, req ami.Message) {
	sess.send(join(hdrs("Response", "Success"), actionID(req), coreSettingsTemplate)...)
}

func (s *Server) actionCoreShowChannels(sess *session, req ami.Message) {
	sess.send(listStart(req, "Channels will follow")...)
	n := 0
	for _, ch := range s.pbx.channels {
		if ch.gone {
			continue
		}
		bridgeID := ""
		if ch.bridge != nil {
			bridgeID = ch.bridge.id
		}
		sess.send(listItem(req, "CoreShowChannel", join(ch.snapshot(""), hdrs("Application", ch.app,
			"ApplicationData", ch.appData, "Duration", hhmmss(time.Since(ch.created)), "BridgeId", bridgeID))...)...)
		n++
	}
	sess.send(listComplete(req, "CoreShowChannelsComplete", n)...)
}

func hhmmss(d time.Duration) string {
	sec := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}

func (s *Server) actionStatus(sess *session, req ami.Message) {
	want := req.Get("Channel")
	var list []*channel
	for _, ch := range s.pbx.channels {
		if !ch.gone && (want == "" || equalFoldASCII(ch.name, want) || ch.uniqueid == want) {
			list = append(list, ch)
		}
	}
	if want != "" && len(list) == 0 {
		sess.send(response(req, "Error", "No such channel")...)
		return
	}
	sess.send(listStart(req, "Channel status will follow")...)
	for _, ch := range list {
		bridgeID := ""
		if ch.bridge != nil {
			bridgeID = ch.bridge.id
		}
		sess.send(listItemIDLast(req, "Status", join(hdrs("Privilege", "Call"), ch.snapshot(""), hdrs("Type", techOf(ch.name),
			"DNID", "", "EffectiveConnectedLineNum", orUnknown(ch.connNum), "EffectiveConnectedLineName", orUnknown(ch.connName),
			"TimeToHangup", "0", "BridgeID", bridgeID, "Application", ch.app, "Data", ch.appData,
			"Nativeformats", "(ulaw)", "Readformat", "ulaw", "Readtrans", "", "Writeformat", "ulaw", "Writetrans", "",
			"Callgroup", "0", "Pickupgroup", "0", "Seconds", itoa(int(time.Since(ch.created)/time.Second))), s.statusVariables(ch, req.Get("Variables")))...)...)
	}
	sess.send(listComplete(req, "StatusComplete", len(list), hdrs("Items", itoa(len(list)))...)...)
}

func techOf(name string) string {
	t, _, _ := strings.Cut(name, "/")
	return t
}

func (s *Server) actionSIPpeers(sess *session, req ami.Message) {
	sess.send(listStart(req, "Peer status list will follow")...)
	n := 0
	for _, d := range s.pbx.deviceList {
		if d.tech != "SIP" {
			continue
		}
		ip, port := "-none-", "0"
		if d.registered {
			ip, port = "127.0.0.1", itoa(d.port)
		}
		sess.send(listItem(req, "PeerEntry", hdrs("Channeltype", "SIP", "ObjectName", d.name, "ChanObjectType", "peer",
			"IPaddress", ip, "IPport", port, "Dynamic", "yes", "AutoForcerport", "no", "Forcerport", "no",
			"AutoComedia", "no", "Comedia", "no", "VideoSupport", "no", "TextSupport", "no", "ACL", "no",
			"Status", sipPeerStatus(d), "RealtimeDevice", "no", "Description", "", "Accountcode", "")...)...)
		n++
	}
	sess.send(listComplete(req, "PeerlistComplete", n)...)
}

func (s *Server) actionSIPshowpeer(sess *session, req ami.Message) {
	d, ok := s.pbx.devices["SIP/"+req.Get("Peer")]
	if !ok {
		sess.send(response(req, "Error", "Peer "+req.Get("Peer")+" not found.")...)
		return
	}
	o := map[string]string{"Status": sipPeerStatus(d), "RegExpire": "-1 seconds", "SIP-Useragent": "",
		"Reg-Contact": "", "Address-IP": "(null)", "Address-Port": "0"}
	if d.registered {
		o["RegExpire"] = "119 seconds"
		o["SIP-Useragent"] = "pbxsim-phone"
		o["Reg-Contact"] = d.contactURI()
		o["Address-IP"], o["Address-Port"] = "127.0.0.1", itoa(d.port)
	}
	sess.sendLoose(join(hdrs("Response", "Success"), actionID(req), fill(sipShowPeerTemplate, d.name, o)))
}

func (s *Server) pjsipDevices() []*device {
	var out []*device
	for _, d := range s.pbx.deviceList {
		if d.tech == "PJSIP" {
			out = append(out, d)
		}
	}
	return out
}

func (s *Server) actionPJSIPShowEndpoints(sess *session, req ami.Message) {
	eps := s.pjsipDevices()
	if len(eps) == 0 {
		sess.send(response(req, "Error", "No endpoints found")...)
		return
	}
	sess.send(listStart(req, "A listing of Endpoints follows, presented as EndpointList events")...)
	for _, d := range eps {
		contacts := ""
		if d.registered {
			contacts = d.name + "/" + d.contactURI() + ","
		}
		sess.send(listItem(req, "EndpointList", hdrs("ObjectType", "endpoint", "ObjectName", d.name,
			"Transport", "transport-udp", "Aor", d.name, "Auths", d.name, "OutboundAuths", "", "Contacts", contacts,
			"DeviceState", s.deviceState(d).text(), "ActiveChannels", itoa(s.activeChannels(d)))...)...)
	}
	sess.send(listComplete(req, "EndpointListComplete", len(eps))...)
}

func (s *Server) activeChannels(d *device) int {
	n := 0
	for _, ch := range s.pbx.channels {
		if ch.dev == d && !ch.gone {
			n++
		}
	}
	return n
}

func (s *Server) actionPJSIPShowEndpoint(sess *session, req ami.Message) {
	d, ok := s.pbx.devices["PJSIP/"+req.Get("Endpoint")]
	if !ok {
		sess.send(response(req, "Error", "Unable to retrieve endpoint "+req.Get("Endpoint"))...)
		return
	}
	sess.send(listStart(req, "Following are Events for each object associated with the Endpoint")...)
	contacts := ""
	if d.registered {
		contacts = d.name + "/" + d.contactURI()
	}
	items := [][]ami.Header{
		listItem(req, "EndpointDetail", fill(endpointDetailTemplate, d.name, map[string]string{
			"DeviceState": s.deviceState(d).text(), "ActiveChannels": ""})...),
		listItem(req, "AuthDetail", fill(authDetailTemplate, d.name, nil)...),
		listItem(req, "TransportDetail", fill(transportDetailTemplate, d.name, nil)...),
		listItem(req, "AorDetail", fill(aorDetailTemplate, d.name, map[string]string{
			"Contacts": contacts, "TotalContacts": b2s(d.registered), "ContactsRegistered": b2s(d.registered)})...),
	}
	if d.registered {
		items = append(items, listItem(req, "ContactStatusDetail", fill(contactStatusDetailTemplate, d.name, s.contactOverrides(d))...))
	}
	for _, it := range items {
		sess.send(it...)
	}
	sess.send(listComplete(req, "EndpointDetailComplete", len(items))...)
}

func (s *Server) contactOverrides(d *device) map[string]string {
	exp := i64(d.regTime.Add(time.Hour).Unix())
	return map[string]string{"URI": d.contactURI(), "Uri": d.contactURI(), "RegExpire": exp, "ExpirationTime": exp,
		"ViaAddress": fmt.Sprintf("127.0.0.1:%d", d.port), "ViaPort": itoa(d.port), "UserAgent": "pbxsim-phone",
		"CallID": fmt.Sprintf("%d-%s@127.0.0.1", d.port, d.name), "CallId": fmt.Sprintf("%d-%s@127.0.0.1", d.port, d.name),
		"RoundtripUsec": itoa(int(d.rtt / time.Microsecond)), "Status": "Reachable",
		"ID": d.name + ";@pbxsim" + d.name, "ObjectName": d.name + ";@pbxsim" + d.name}
}

func (s *Server) actionPJSIPShowContacts(sess *session, req ami.Message) {
	var regs []*device
	for _, d := range s.pjsipDevices() {
		if d.registered {
			regs = append(regs, d)
		}
	}
	if len(regs) == 0 {
		sess.send(response(req, "Error", "No Contacts found")...)
		return
	}
	sess.send(listStart(req, "A listing of Contacts follows, presented as ContactList events")...)
	for _, d := range regs {
		sess.send(listItem(req, "ContactList", fill(contactListTemplate, d.name, s.contactOverrides(d))...)...)
	}
	sess.send(listComplete(req, "ContactListComplete", len(regs))...)
}

func (s *Server) actionExtensionStateList(sess *session, req ami.Message) {
	sess.send(listStart(req, "Extension Statuses will follow")...)
	for _, d := range s.pbx.deviceList {
		es := s.deviceState(d).extState()
		sess.send(listItem(req, "ExtensionStatus", hdrs("Exten", d.name, "Context", "internal", "Hint", d.id(),
			"Status", itoa(es), "StatusText", extStateText(es))...)...)
	}
	sess.send(listComplete(req, "ExtensionStateListComplete", len(s.pbx.deviceList))...)
}

func (s *Server) actionExtensionState(sess *session, req ami.Message) {
	exten, ctx := req.Get("Exten"), cmp.Or(req.Get("Context"), "default")
	hint, st := "", -1
	if ctx == "internal" {
		for _, d := range s.pbx.deviceList {
			if d.name == exten {
				hint, st = d.id(), s.deviceState(d).extState()
			}
		}
	}
	sess.send(response(req, "Success", "Extension Status", hdrs("Exten", exten, "Context", ctx, "Hint", hint,
		"Status", itoa(st), "StatusText", extStateText(st))...)...)
}

// actionCommand answers a few CLI commands in the 14+ Output format, and
// runs "core restart now", which answers nothing (see coreRestartNow).
func (s *Server) actionCommand(sess *session, req ami.Message) {
	cmd := strings.Join(strings.Fields(req.Get("Command")), " ")
	var out []string
	switch {
	case strings.EqualFold(cmd, "core restart now"): // the CLI matches words ignoring case (cli.c: word_match)
		s.coreRestartNow()
		return
	case cmd == "core show version":
		out = []string{"Asterisk 20.20.1 built by pbxsim @ localhost on a x86_64 running Linux"}
	case cmd == "core show uptime":
		out = []string{"System uptime: " + hhmmss(s.uptime()), "Last reload: " + hhmmss(s.uptime())}
	case strings.HasPrefix(cmd, "database show"):
		prefix := "/" + strings.TrimSpace(strings.TrimPrefix(cmd, "database show"))
		keys := s.dbKeys(strings.TrimSuffix(prefix, "/"))
		for _, k := range keys {
			out = append(out, fmt.Sprintf("%-50s: %-25s", k, s.db[k]))
		}
		out = append(out, fmt.Sprintf("%d results found.", len(keys)))
	default:
		sess.send(join(response(req, "Error", "Command output follows"),
			hdrs("Output", fmt.Sprintf("No such command '%s' (type 'core show help %s' for other possible commands)", cmd, cmd)))...)
		return
	}
	h := response(req, "Success", "Command output follows")
	for _, line := range out {
		h = append(h, ami.Header{Key: "Output", Value: line})
	}
	sess.send(h...)
}

// dbKeys lists the AstDB keys under prefix ("" = all), sorted.
func (s *Server) dbKeys(prefix string) []string {
	var keys []string
	for k := range s.db {
		if prefix == "/" || prefix == "" || strings.HasPrefix(strings.ToLower(k), strings.ToLower(prefix)+"/") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
