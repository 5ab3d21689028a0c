package pusher

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Secret is a Standard Webhooks signing key.
type Secret []byte

// ParseSecret reads a "whsec_<base64>" key.
func ParseSecret(s string) (Secret, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), "whsec_")
	if !ok {
		return nil, errors.New(`a signing secret starts with "whsec_"`)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) == 0 {
		return nil, errors.New(`the part after "whsec_" is not valid base64`)
	}
	return Secret(key), nil
}

// DefaultSecret is the signing secret used when [push] secrets is not set:
// derived from WEBKEY, so a receiver that knows WEBKEY can verify pushes
// without another shared value. Nil when there is no WEBKEY either.
func DefaultSecret(webKey string) Secret {
	if webKey == "" {
		return nil
	}
	sum := sha256.Sum256([]byte("coocenterd push signing key\x00" + webKey))
	return Secret(sum[:])
}

// String is the secret in its "whsec_" form.
func (s Secret) String() string { return "whsec_" + base64.StdEncoding.EncodeToString(s) }

// Sign returns the webhook-signature header value for one request: for
// every secret "v1," + base64(HMAC-SHA256(secret, id.timestamp.body)),
// space-separated.
func Sign(secrets []Secret, id string, timestamp int64, body []byte) string {
	var sb strings.Builder
	ts := strconv.FormatInt(timestamp, 10)
	for i, s := range secrets {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString("v1,")
		sb.WriteString(base64.StdEncoding.EncodeToString(mac(s, id, ts, body)))
	}
	return sb.String()
}

func mac(secret Secret, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(id))
	h.Write([]byte{'.'})
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a received push the way a receiver should: the timestamp
// is within tolerance of now and one of the signatures matches one of the
// secrets (compared in constant time).
func Verify(secrets []Secret, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, tsText, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || tsText == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q is not a number", tsText)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook-timestamp is %s away from now", d.Round(time.Second))
	}
	for _, s := range secrets {
		want := mac(s, id, tsText, body)
		for sig := range strings.FieldsSeq(sigs) {
			v, b64, ok := strings.Cut(sig, ",")
			if !ok || v != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(b64)
			if err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return errors.New("no signature matches")
}
