package httpapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Tokens open the box to a browser without the WEBKEY. A stream token
// (POST events/token) opens the event stream, whose EventSource cannot
// send the Authorization header; a bar or wall token (POST bar/link, §8)
// opens a call bar or a wall: the stream, and the commands of one agent
// (bar) or of a supervisor (wall). A stream token is
//
//	<expires>.<extension>.<sig>
//
// and a bar or wall token the same behind its kind, "bar." or "wall.":
// expires in unix seconds, extension "" for the whole box (else the
// stream is that extension's only; a wall's is the supervisor's phone),
// and sig the base64url (no padding) HMAC-SHA256, under a key derived from
// the WEBKEY, of "coocenter-<kind>\n" + extension + "\n" + expires. No
// field holds a "." or a "\n", and each kind signs under its own domain,
// so no two tokens sign the same message and no kind passes for another.
type streamTokens struct {
	key []byte
	now func() time.Time
}

var (
	errTokenInvalid = errors.New("the stream token is not valid")
	errTokenExpired = errors.New("the stream token has expired")
)

// The kinds of token, and what each opens.
const (
	kindStream = "stream" // the event stream (§7.3)
	kindBar    = "bar"    // one agent's call bar (§8)
	kindWall   = "wall"   // the supervisors' wall (§8)
)

const (
	defaultStreamTokenTTL = time.Hour
	maxStreamTokenTTL     = 24 * time.Hour
)

// streamTokenKey derives the signing key from the WEBKEY, so that the
// WEBKEY itself signs nothing; without one, a random key: tokens then
// last until the daemon restarts.
func streamTokenKey(webKey string) []byte {
	if webKey == "" {
		key := make([]byte, 32)
		_, _ = rand.Read(key) // never fails (crypto/rand)
		return key
	}
	m := hmac.New(sha256.New, []byte("coocenterd stream tokens"))
	m.Write([]byte(webKey))
	return m.Sum(nil)
}

// mint returns a token of kind for exten ("" for all) that expires at expires.
func (t streamTokens) mint(kind, exten string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	tok := exp + "." + exten + "." + t.sig(kind, exten, exp)
	if kind != kindStream {
		tok = kind + "." + tok
	}
	return tok
}

func (t streamTokens) sig(kind, exten, exp string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte("coocenter-" + kind + "\n" + exten + "\n" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// claims are what a valid token says.
type claims struct {
	kind    string // kindStream, kindBar or kindWall
	exten   string // the extension it is for, "" for the whole box
	expires int64  // unix seconds
}

// verify returns what a token says, or errTokenInvalid, or
// errTokenExpired with the kind. The signature is checked first, in
// constant time: without the key, nothing is learnt, not even whether a
// time has passed.
func (t streamTokens) verify(token string) (claims, error) {
	kind := kindStream
	if k, rest, ok := strings.Cut(token, "."); ok && (k == kindBar || k == kindWall) {
		kind, token = k, rest
	}
	exp, rest, ok1 := strings.Cut(token, ".")
	exten, sig, ok2 := strings.Cut(rest, ".")
	n, err := strconv.ParseInt(exp, 10, 64)
	if !ok1 || !ok2 || err != nil || exp != strconv.FormatInt(n, 10) || len(sig) > 64 ||
		exten != "" && !isNumber(exten) {
		return claims{}, errTokenInvalid // only the canonical form is ever signed
	}
	if !hmac.Equal([]byte(sig), []byte(t.sig(kind, exten, exp))) {
		return claims{}, errTokenInvalid
	}
	if t.now().Unix() > n {
		return claims{kind: kind}, errTokenExpired // signed: its kind is known, to say which link expired
	}
	return claims{kind: kind, exten: exten, expires: n}, nil
}
