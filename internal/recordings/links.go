package recordings

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"time"
)

var (
	// ErrLinkInvalid is a link that this box did not sign as it is: bad
	// format, another name or expiry than signed, another key.
	ErrLinkInvalid = errors.New("the link is not valid")
	// ErrLinkExpired is a genuine link past its expiry time.
	ErrLinkExpired = errors.New("the link has expired")
)

// linkDomain separates these signatures from any other use of the key.
const linkDomain = "coocenter-monitor\n"

// Links signs and checks expiring download links of recordings.
type Links struct {
	key []byte
	now func() time.Time
}

// NewLinks returns links signed with key (see LinkKey); now is the clock,
// time.Now when nil.
func NewLinks(key []byte, now func() time.Time) *Links {
	if now == nil {
		now = time.Now
	}
	return &Links{key: append([]byte(nil), key...), now: now}
}

// LinkKey derives the signing key from a configured secret, so that the
// secret itself is never used as a key for anything else.
func LinkKey(secret string) []byte {
	m := hmac.New(sha256.New, []byte("coocenterd recording links"))
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// Sign returns the query parameters that let anyone fetch name until
// expires: expires (unix seconds) and sig. Sign only names that Folder.Open
// accepted.
func (l *Links) Sign(name string, expires time.Time) url.Values {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return url.Values{"expires": {exp}, "sig": {l.sig(name, exp)}}
}

// sig is base64url (no padding) of HMAC-SHA256 over the domain, the name
// and the expiry. The expiry is the last line and has no "\n", so no two
// (name, expiry) pairs give the same message.
func (l *Links) sig(name, exp string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(linkDomain + name + "\n" + exp))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify checks a link's expires and sig for name: nil, ErrLinkInvalid or
// ErrLinkExpired. The signature is checked first, in constant time, so that
// without the key nothing is learnt, not even whether a time has passed.
func (l *Links) Verify(name, expires, sig string) error {
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || expires != strconv.FormatInt(exp, 10) || len(sig) > 64 {
		return ErrLinkInvalid // only the canonical form was signed
	}
	if !hmac.Equal([]byte(sig), []byte(l.sig(name, expires))) {
		return ErrLinkInvalid
	}
	if l.now().Unix() > exp {
		return ErrLinkExpired
	}
	return nil
}
