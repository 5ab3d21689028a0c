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

// Stream tokens let a browser open the event stream (§7), whose
// EventSource cannot send the Authorization header: a client with the
// WEBKEY mints one (POST events/token) and hands it to the page, which
// puts it in the query. A token is
//
//	<expires>.<extension>.<sig>
//
// expires in unix seconds, extension "" for the whole box (else the
// stream is that extension's only), and sig the base64url (no padding)
// HMAC-SHA256, under a key derived from the WEBKEY, of
// "coocenter-stream\n" + extension + "\n" + expires. Neither field holds
// a "." or a "\n", so no two tokens sign the same message.
type streamTokens struct {
	key []byte
	now func() time.Time
}

var (
	errTokenInvalid = errors.New("the stream token is not valid")
	errTokenExpired = errors.New("the stream token has expired")
)

const (
	streamTokenDomain     = "coocenter-stream\n"
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

// mint returns a token for exten ("" for all) that expires at expires.
func (t streamTokens) mint(exten string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return exp + "." + exten + "." + t.sig(exten, exp)
}

func (t streamTokens) sig(exten, exp string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(streamTokenDomain + exten + "\n" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify returns the extension a token is for, or errTokenInvalid or
// errTokenExpired. The signature is checked first, in constant time:
// without the key, nothing is learnt, not even whether a time has passed.
func (t streamTokens) verify(token string) (string, error) {
	exp, rest, ok1 := strings.Cut(token, ".")
	exten, sig, ok2 := strings.Cut(rest, ".")
	n, err := strconv.ParseInt(exp, 10, 64)
	if !ok1 || !ok2 || err != nil || exp != strconv.FormatInt(n, 10) || len(sig) > 64 ||
		exten != "" && !isNumber(exten) {
		return "", errTokenInvalid // only the canonical form is ever signed
	}
	if !hmac.Equal([]byte(sig), []byte(t.sig(exten, exp))) {
		return "", errTokenInvalid
	}
	if t.now().Unix() > n {
		return "", errTokenExpired
	}
	return exten, nil
}
