package pbxsim

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

var errNotFound = errors.New("not found")

// postAction says what the session does after an action was answered.
type postAction int

const (
	postNone postAction = iota
	postClose
	postAuthFailed
)

// actionFunc runs one AMI action with s.mu held; it writes its own response.
type actionFunc func(s *Server, sess *session, req ami.Message)

// actions is every action pbxsim answers, by lower-case name.
var actions map[string]actionFunc

func init() {
	actions = map[string]actionFunc{
		"ping":               (*Server).actionPing,
		"events":             (*Server).actionEvents,
		"coresettings":       (*Server).actionCoreSettings,
		"coreshowchannels":   (*Server).actionCoreShowChannels,
		"status":             (*Server).actionStatus,
		"sippeers":           (*Server).actionSIPpeers,
		"sipshowpeer":        (*Server).actionSIPshowpeer,
		"pjsipshowendpoints": (*Server).actionPJSIPShowEndpoints,
		"pjsipshowendpoint":  (*Server).actionPJSIPShowEndpoint,
		"pjsipshowcontacts":  (*Server).actionPJSIPShowContacts,
		"extensionstatelist": (*Server).actionExtensionStateList,
		"extensionstate":     (*Server).actionExtensionState,
		"queuestatus":        (*Server).actionQueueStatus,
		"queuesummary":       (*Server).actionQueueSummary,
		"queuepause":         (*Server).actionQueuePause,
		"queueadd":           (*Server).actionQueueAdd,
		"queueremove":        (*Server).actionQueueRemove,
		"dbput":              (*Server).actionDBPut,
		"dbget":              (*Server).actionDBGet,
		"dbdel":              (*Server).actionDBDel,
		"dbgettree":          (*Server).actionDBGetTree,
		"dbdeltree":          (*Server).actionDBDelTree,
		"command":            (*Server).actionCommand,
		"userevent":          (*Server).actionUserEvent,
		"originate":          (*Server).actionOriginate,
		"hangup":             (*Server).actionHangup,
		"redirect":           (*Server).actionRedirect,
		"blindtransfer":      (*Server).actionBlindTransfer,
		"playdtmf":           (*Server).actionPlayDTMF,
		"getvar":             (*Server).actionGetvar,
		"setvar":             (*Server).actionSetvar,
		"muteaudio":          (*Server).actionMuteAudio,
		"atxfer":             (*Server).actionAtxfer,
		"cancelatxfer":       (*Server).actionCancelAtxfer,
		"listcommands":       (*Server).actionListCommands,
		"pjsipshowregistrationinboundcontactstatuses": (*Server).actionPJSIPShowContacts,
	}
}

// badRequest is the security event Asterisk sends after refusing an
// unknown action (Asterisk 22 without chan_sip, SIPpeers).
func (s *Server) badRequest(sess *session, action string) {
	now := eventTV(time.Now())
	s.emit(classSecurity, "RequestBadFormat", hdrs("EventTV", now, "Severity", "Error", "Service", "AMI", "EventVersion", "1",
		"SessionID", fmt.Sprintf("%p", sess), "LocalAddress", "IPV4/TCP/"+sess.conn.LocalAddr().String(),
		"RemoteAddress", "IPV4/TCP/"+sess.conn.RemoteAddr().String(), "RequestType", "Action: "+action,
		"SessionTV", now, "AccountID", s.opts.Username)...)
}

// dispatch runs one request of sess. The caller holds s.mu.
func (s *Server) dispatch(sess *session, req ami.Message) postAction {
	name, ok := req.Lookup("Action")
	if !ok || name == "" {
		sess.send(response(req, "Error", "Missing action in request")...)
		return postNone
	}
	lower := strings.ToLower(name)
	switch lower {
	case "login":
		return s.actionLogin(sess, req)
	case "challenge":
		s.actionChallenge(sess, req)
		return postNone
	case "logoff":
		sess.send(response(req, "Goodbye", "Thanks for all the fish.")...)
		return postClose
	}
	if !sess.authed {
		sess.send(response(req, "Error", "Permission denied")...)
		return postNone
	}
	fn, ok := actions[lower]
	if !ok || (s.opts.NoChanSIP && lower == "sippeers") {
		sess.send(response(req, "Error", fmt.Sprintf("Invalid/unknown command: %s. Use Action: ListCommands to show available commands.", name))...)
		s.badRequest(sess, name)
		return postNone
	}
	fn(s, sess, req)
	return postNone
}

func (s *Server) actionLogin(sess *session, req ami.Message) postAction {
	if sess.authed {
		sess.send(response(req, "Success", "Already authenticated")...)
		return postNone
	}
	ok := strings.EqualFold(req.Get("Username"), s.opts.Username)
	if strings.EqualFold(req.Get("AuthType"), "md5") {
		sum := md5.Sum([]byte(sess.challenge + s.opts.Secret))
		ok = ok && sess.challenge != "" && strings.EqualFold(req.Get("Key"), hex.EncodeToString(sum[:]))
	} else {
		ok = ok && req.Get("Secret") == s.opts.Secret
	}
	if !ok {
		return postAuthFailed
	}
	if ev, has := req.Lookup("Events"); has {
		if m, valid := parseEventMask(ev); valid {
			sess.mask = m
		}
	}
	sess.authed = true
	sess.send(response(req, "Success", "Authentication accepted")...)
	// action_login writes FullyBooted only once Asterisk is fully booted;
	// during a restart's boot window the broadcast comes later (bootDone).
	if sess.mask&classSystem != 0 && !s.booting {
		up := itoa(int(s.uptime() / time.Second))
		sess.send(hdrs("Event", "FullyBooted", "Privilege", "system,all", "Uptime", up, "LastReload", up, "Status", "Fully Booted")...)
	}
	now := eventTV(time.Now())
	s.emit(classSecurity, "SuccessfulAuth", hdrs("EventTV", now, "Severity", "Informational", "Service", "AMI",
		"EventVersion", "1", "AccountID", s.opts.Username, "SessionID", fmt.Sprintf("0x%x", 0x7f0000000000+sess.id),
		"LocalAddress", "IPV4/TCP/"+sess.conn.LocalAddr().String(), "RemoteAddress", "IPV4/TCP/"+sess.conn.RemoteAddr().String(),
		"UsingPassword", "0", "SessionTV", now)...)
	return postNone
}

func (s *Server) actionChallenge(sess *session, req ami.Message) {
	if !strings.EqualFold(req.Get("AuthType"), "md5") {
		sess.send(response(req, "Error", "Must specify AuthType")...)
		return
	}
	if sess.challenge == "" {
		s.seq.uniq++
		sess.challenge = fmt.Sprintf("%09d", (s.seq.uniq*7919+int(time.Now().UnixNano()%1000003))%1000000000)
	}
	sess.send(join(hdrs("Response", "Success"), actionID(req), hdrs("Challenge", sess.challenge))...)
}

func (s *Server) actionPing(sess *session, req ami.Message) {
	now := time.Now()
	sess.send(response(req, "Success", "", hdrs("Ping", "Pong", "Timestamp", fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000))...)...)
}

func (s *Server) actionEvents(sess *session, req ami.Message) {
	m, ok := parseEventMask(req.Get("EventMask"))
	if !ok {
		sess.send(response(req, "Error", "Invalid event mask")...)
		return
	}
	sess.mask = m
	state := "Off"
	if m != 0 {
		state = "On"
	}
	sess.send(join(hdrs("Response", "Success"), actionID(req), hdrs("Events", state))...)
}

func (s *Server) actionListCommands(sess *session, req ami.Message) {
	h := join(hdrs("Response", "Success"), actionID(req))
	for name := range actions {
		h = append(h, ami.Header{Key: name, Value: name})
	}
	sess.send(h...)
}

func (s *Server) actionUserEvent(sess *session, req ami.Message) {
	name := req.Get("UserEvent")
	if name == "" {
		sess.send(response(req, "Error", "Missing UserEvent")...)
		return
	}
	body := hdrs("UserEvent", name)
	for k, v := range req.All() {
		if strings.EqualFold(k, "Action") || strings.EqualFold(k, "UserEvent") {
			continue
		}
		body = append(body, ami.Header{Key: k, Value: v})
	}
	sess.send(response(req, "Success", "Event Sent")...)
	s.emit(classUser, "UserEvent", body...)
}
