package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/internal/board"
	"github.com/coocenter/coocenterd/internal/pausetimer"
)

// The call bar and the wall (§8, ours): signed links that open the pages,
// and what a page's token may do.

const (
	// keyLink holds, in the gin context, the bar or wall link a request
	// came with (Authorization: Bearer <token>).
	keyLink = "httpapi.link"

	defaultBarLinkTTL = 12 * time.Hour // a shift
)

// What a link's page may do: the route, and the parameter that names the
// agent acted for; a bar may act for its own extension only, a wall for
// any agent ("" below), except that it listens from its own phone.
var linkRoutes = map[string]map[string]string{
	kindBar: {
		"/bar/session":                 "",
		"/extensions/agent-status":     "extension",
		"/queues/agent-pause":          "member",
		"/queues/agent-login":          "extension",
		"/queues/agent-logout":         "extension",
		"/queues/wrapup-end":           "extension",
		"/extensions/click-number":     "src",
		"/extensions/hangup":           "extension",
		"/extensions/transfer":         "src",
		"/extensions/hold":             "extension",
		"/extensions/unhold":           "extension",
		"/extensions/mute":             "extension",
		"/extensions/unmute":           "extension",
		"/extensions/consult":          "src",
		"/extensions/consult-transfer": "src",
		"/extensions/consult-cancel":   "src",
		"/extensions/three-way":        "src",
	},
	kindWall: {
		"/bar/session":             "",
		"/extensions/agent-status": "",
		"/queues/agent-pause":      "",
		"/queues/agent-login":      "",
		"/queues/agent-logout":     "",
		"/queues/wrapup-end":       "",
		"/extensions/hangup":       "",
		"/extensions/extenSpy":     "src",
	},
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header.
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// authenticateLink lets in a request of a bar's or a wall's page, by the
// token of its link, for the routes its page uses (checkLink then holds
// the agent it names to the link's).
func (s *server) authenticateLink(c *gin.Context, token string) {
	tok, err := s.tokens.verify(token)
	switch {
	case errors.Is(err, errTokenExpired):
		fail(c, http.StatusUnauthorized, "the link has expired: ask for a new one")
		return
	case err != nil:
		s.refuse(c, slog.Bool("link_token", true))
		return
	case tok.kind == kindStream:
		fail(c, http.StatusForbidden, "a stream token opens the event stream only")
		return
	}
	route := strings.TrimPrefix(c.FullPath(), BasePath)
	if _, ok := linkRoutes[tok.kind][route]; !ok {
		fail(c, http.StatusForbidden, fmt.Sprintf("a %s link cannot use %s", tok.kind, strings.TrimPrefix(route, "/")))
		return
	}
	c.Set(keyLink, tok)
}

// linkOf returns what the link a request came with says, if it came
// with one: a bar's (its agent's extension) or a wall's (the supervisor's
// phone, or "").
func linkOf(c *gin.Context) (claims, bool) {
	l, ok := c.Get(keyLink)
	if !ok {
		return claims{}, false
	}
	return l.(claims), true
}

// checkLink holds the agent a link's request acts for to the link's own
// extension (a bar's), or the phone a wall listens from to its own.
func (s *server) checkLink(c *gin.Context) {
	l, ok := linkOf(c)
	if !ok {
		return
	}
	param := linkRoutes[l.kind][strings.TrimPrefix(c.FullPath(), BasePath)]
	if param == "" {
		return
	}
	got := paramsOf(c).values[param]
	switch {
	case l.exten == "": // a wall without a phone of its own
		fail(c, http.StatusForbidden, "this wall link has no phone to listen from: ask for a link with the supervisor's extension")
	case got != l.exten:
		fail(c, http.StatusForbidden, fmt.Sprintf("the %s link is for extension %s only: parameter %q must be %s", l.kind, l.exten, param, l.exten))
	}
}

var (
	barPage    = kind{valid: oneOf(kindBar, kindWall), must: `"bar" or "wall"`, fold: true}
	barLinkTTL = kind{valid: intIn(60, int(maxStreamTokenTTL/time.Second)), must: "a number of seconds from 60 to 86400 (a day)"}
)

// handleBarLink mints the signed link of a bar or a wall (POST bar/link):
// a business system embeds it, so that agents never see the WEBKEY.
func (s *server) handleBarLink() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := paramsOf(c).validate()
		page := strings.ToLower(v.optional("page", barPage, kindBar))
		var exten string
		if page == kindBar {
			exten = v.required("extension", extension)
		} else {
			exten = v.optional("extension", extension, "")
		}
		ttl := v.optional("ttl", barLinkTTL, strconv.Itoa(int(defaultBarLinkTTL/time.Second)))
		if v.err != nil {
			failWith(c, v.err)
			return
		}
		if snap := s.pbx.Snapshot(); exten != "" && snap.Connected &&
			!slices.ContainsFunc(s.view.Agents(snap, nil), func(a board.Agent) bool { return a.Extension == exten }) {
			failWith(c, &apiError{http.StatusNotFound, fmt.Sprintf("extension %s does not exist", exten)})
			return
		}
		secs, _ := strconv.Atoi(ttl)
		expires := s.now().Add(time.Duration(secs) * time.Second)
		token := s.tokens.mint(page, exten, expires)
		path := "/bar/"
		if page == kindWall {
			path = "/bar/wall"
		}
		succeed(c, "link will follow", gin.H{
			"url":     path + "?token=" + url.QueryEscape(token),
			"token":   token,
			"expires": expires.Unix(),
		})
	}
}

// barSession is what a page learns of its link (GET bar/session).
type barSession struct {
	Page         string   `json:"page"`
	Extension    string   `json:"extension"`
	Expires      int64    `json:"expires"`
	PauseReasons []string `json:"pauseReasons"`
	SLA          int      `json:"sla"`
}

// handleBarSession tells a page what its link is for, and the box's
// settings it shows.
func (s *server) handleBarSession() gin.HandlerFunc {
	return func(c *gin.Context) {
		l, ok := linkOf(c)
		if !ok {
			failWith(c, &apiError{http.StatusBadRequest, "bar/session answers a bar's or a wall's link: send its token as Authorization: Bearer <token>"})
			return
		}
		reasons := s.bar.PauseReasons
		if reasons == nil {
			reasons = []string{}
		}
		succeed(c, "session will follow", barSession{Page: l.kind, Extension: l.exten, Expires: l.expires,
			PauseReasons: reasons, SLA: int(s.view.Threshold() / time.Second)})
	}
}

// wrapUpsNow are the after-call pauses running, none without the timer.
func (s *server) wrapUpsNow() []pausetimer.WrapUp {
	if s.wrapUps == nil {
		return nil
	}
	return s.wrapUps.Active()
}
