package pusher

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The Standard Webhooks specification's example.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignKnownAnswer(t *testing.T) {
	secret, err := ParseSecret(specSecret)
	if err != nil {
		t.Fatal(err)
	}
	// Computed here without the package: HMAC-SHA256 of "id.timestamp.body"
	// under the base64-decoded part after "whsec_".
	key, err := base64.StdEncoding.DecodeString(specSecret[len("whsec_"):])
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(specID + "." + strconv.Itoa(specTimestamp) + "." + specBody))
	independent := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	if independent != specSignature {
		t.Fatalf("the test's own HMAC gives %s, the specification %s", independent, specSignature)
	}
	if got := Sign([]Secret{secret}, specID, specTimestamp, []byte(specBody)); got != specSignature {
		t.Errorf("Sign = %s, want %s", got, specSignature)
	}
	other := DefaultSecret("k")
	two := Sign([]Secret{secret, other}, specID, specTimestamp, []byte(specBody))
	want := specSignature + " " + Sign([]Secret{other}, specID, specTimestamp, []byte(specBody))
	if two != want {
		t.Errorf("Sign with two secrets = %s, want %s", two, want)
	}
	if got := Sign(nil, specID, specTimestamp, []byte(specBody)); got != "" {
		t.Errorf("Sign without secrets = %q", got)
	}
	if got := secret.String(); got != specSecret {
		t.Errorf("String = %s, want %s", got, specSecret)
	}
}

func TestVerify(t *testing.T) {
	spec, err := ParseSecret(specSecret)
	if err != nil {
		t.Fatal(err)
	}
	old, cur, wrong := DefaultSecret("old key"), DefaultSecret("new key"), DefaultSecret("someone else")
	now := time.Unix(specTimestamp, 0)
	headers := func(id, ts, sig string) http.Header {
		h := http.Header{}
		for k, v := range map[string]string{"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig} {
			if v != "" {
				h.Set(k, v)
			}
		}
		return h
	}
	ts := strconv.Itoa(specTimestamp)
	body := []byte(specBody)
	signed := func(secrets ...Secret) string { return Sign(secrets, specID, specTimestamp, body) }
	for _, tc := range []struct {
		name    string
		secrets []Secret // the receiver's
		header  http.Header
		body    []byte
		now     time.Time
		ok      bool
	}{
		{"specification example", []Secret{spec}, headers(specID, ts, specSignature), body, now, true},
		{"wrong secret", []Secret{wrong}, headers(specID, ts, signed(cur)), body, now, false},
		{"no secret", nil, headers(specID, ts, signed(cur)), body, now, false},
		{"sender rotating: old and new signatures, receiver knows the new", []Secret{cur}, headers(specID, ts, signed(old, cur)), body, now, true},
		{"sender rotating, receiver knows the old", []Secret{old}, headers(specID, ts, signed(old, cur)), body, now, true},
		{"receiver rotating: any of its secrets", []Secret{wrong, old, cur}, headers(specID, ts, signed(cur)), body, now, true},
		{"tampered body", []Secret{cur}, headers(specID, ts, signed(cur)), []byte(`{"test": 2432232315}`), now, false},
		{"other webhook-id", []Secret{cur}, headers("msg_other", ts, signed(cur)), body, now, false},
		{"other timestamp", []Secret{cur}, headers(specID, strconv.Itoa(specTimestamp+1), signed(cur)), body, now.Add(time.Second), false},
		{"stale", []Secret{cur}, headers(specID, ts, signed(cur)), body, now.Add(6 * time.Minute), false},
		{"from the future", []Secret{cur}, headers(specID, ts, signed(cur)), body, now.Add(-6 * time.Minute), false},
		{"within tolerance", []Secret{cur}, headers(specID, ts, signed(cur)), body, now.Add(4 * time.Minute), true},
		{"timestamp not a number", []Secret{cur}, headers(specID, "soon", signed(cur)), body, now, false},
		{"no webhook-id", []Secret{cur}, headers("", ts, signed(cur)), body, now, false},
		{"no webhook-timestamp", []Secret{cur}, headers(specID, "", signed(cur)), body, now, false},
		{"no webhook-signature", []Secret{cur}, headers(specID, ts, ""), body, now, false},
		{"unknown version", []Secret{cur}, headers(specID, ts, "v2,"+signed(cur)[3:]), body, now, false},
		{"not base64", []Secret{cur}, headers(specID, ts, "v1,!!!"), body, now, false},
		{"garbage then a good one", []Secret{cur}, headers(specID, ts, "v1 v1,!!! "+signed(cur)), body, now, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.secrets, tc.header, tc.body, tc.now, 5*time.Minute)
			if tc.ok && err != nil {
				t.Errorf("rejected: %v", err)
			}
			if !tc.ok && err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestParseSecret(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{specSecret, true},
		{"  " + specSecret + "\n", true},
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false},
		{"whsec_", false},
		{"whsec_not base64!", false},
	} {
		s, err := ParseSecret(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseSecret(%q) = %v, %v", tc.in, s, err)
		}
		if err == nil && s.String() != specSecret {
			t.Errorf("ParseSecret(%q).String() = %s", tc.in, s)
		}
	}
}

func TestDefaultSecret(t *testing.T) {
	if s := DefaultSecret(""); s != nil {
		t.Errorf("DefaultSecret without WEBKEY = %v, want none", s)
	}
	a, b := DefaultSecret("key one"), DefaultSecret("key two")
	if !bytes.Equal(a, DefaultSecret("key one")) || bytes.Equal(a, b) || len(a) != sha256.Size {
		t.Errorf("DefaultSecret: %x, %x", a, b)
	}
}
