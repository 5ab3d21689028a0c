package sipphone

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

// digest answers an MD5 digest challenge (RFC 2617, or RFC 2069 when the
// challenge offers no qop) for one request. It returns the value of the
// Authorization or Proxy-Authorization header.
func digest(challenge, user, password, method, uri string) (string, error) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(challenge), " ")
	if !strings.EqualFold(scheme, "Digest") {
		return "", fmt.Errorf("unsupported challenge %q", challenge)
	}
	ch := map[string]string{}
	for _, kv := range splitList(rest) {
		k, v, _ := strings.Cut(kv, "=")
		ch[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	if alg := ch["algorithm"]; alg != "" && !strings.EqualFold(alg, "MD5") {
		return "", fmt.Errorf("unsupported digest algorithm %q", alg)
	}
	realm, nonce := ch["realm"], ch["nonce"]
	ha1 := md5hex(user + ":" + realm + ":" + password)
	ha2 := md5hex(method + ":" + uri)
	auth := fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=MD5`,
		user, realm, nonce, uri)
	if hasToken(ch["qop"], "auth") {
		// Each challenge is answered once, so the nonce count is always 1.
		const nc = "00000001"
		cnonce := strings.ToLower(rand.Text()[:16])
		resp := md5hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2)
		auth += fmt.Sprintf(`, response="%s", qop=auth, nc=%s, cnonce="%s"`, resp, nc, cnonce)
	} else {
		auth += fmt.Sprintf(`, response="%s"`, md5hex(ha1+":"+nonce+":"+ha2))
	}
	if op, ok := ch["opaque"]; ok {
		auth += fmt.Sprintf(`, opaque="%s"`, op)
	}
	return auth, nil
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// hasToken reports whether a comma list such as qop="auth,auth-int" holds tok.
func hasToken(list, tok string) bool {
	for t := range strings.SplitSeq(list, ",") {
		if strings.EqualFold(strings.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}
