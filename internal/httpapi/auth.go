package httpapi

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// midnightSlack is how close to midnight the adjacent day's token is also
// accepted, so that a client whose clock is a little off is not locked out.
const midnightSlack = 10 * time.Minute

// authenticate checks api.md §2: header Authorization = hex md5(WEBKEY +
// "YYYY-MM-DD"), the date in the box's time zone, hex in either case. With
// no WEBKEY every request passes.
//
// A bar's or a wall's page sends instead its link's token as
// "Authorization: Bearer <token>" (§8): authenticateLink.
func (s *server) authenticate(c *gin.Context) {
	if tok, ok := bearerToken(c.GetHeader("Authorization")); ok && s.bar != nil {
		s.authenticateLink(c, tok)
		return
	}
	if s.webKey == "" {
		return
	}
	got := strings.ToLower(strings.TrimSpace(c.GetHeader("Authorization")))
	if tokenValid(s.webKey, got, s.now().In(s.loc)) {
		return
	}
	s.refuse(c, slog.Bool("header_present", got != ""))
}

// refuse answers 401 and logs who asked for what, never the Authorization
// header: it is a credential (for a whole day, or a scrape token mistyped).
func (s *server) refuse(c *gin.Context, attrs ...slog.Attr) {
	s.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "authentication failed",
		append([]slog.Attr{slog.String("client", c.ClientIP()), slog.String("path", c.Request.URL.Path)}, attrs...)...)
	fail(c, http.StatusUnauthorized, "authentication failed")
}

// tokenValid reports whether got is the token of now's date, or of the
// adjacent date within midnightSlack of midnight. Every candidate is
// compared in constant time.
func tokenValid(key, got string, now time.Time) bool {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	dates := []time.Time{day}
	if now.Sub(day) <= midnightSlack {
		dates = append(dates, day.AddDate(0, 0, -1))
	}
	if next := day.AddDate(0, 0, 1); next.Sub(now) <= midnightSlack {
		dates = append(dates, next)
	}
	ok := 0
	for _, d := range dates {
		ok |= subtle.ConstantTimeCompare([]byte(got), []byte(token(key, d)))
	}
	return ok == 1
}

// token is the Authorization value of date d: lower-case hex md5(key + "YYYY-MM-DD").
func token(key string, d time.Time) string {
	sum := md5.Sum([]byte(key + d.Format(time.DateOnly)))
	return hex.EncodeToString(sum[:])
}
