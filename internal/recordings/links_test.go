package recordings

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"
)

var noon = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func TestLinkKeyIsDeterministic(t *testing.T) {
	a, b := LinkKey("asjdfjklkasdf"), LinkKey("asjdfjklkasdf")
	if !bytes.Equal(a, b) || len(a) != 32 {
		t.Fatalf("LinkKey is not a fixed 32-byte key: %x, %x", a, b)
	}
	if bytes.Equal(a, LinkKey("asjdfjklkasdg")) || bytes.Equal(a, []byte("asjdfjklkasdf")) {
		t.Fatal("LinkKey does not depend on the secret, or is the secret")
	}
	// Known answers (computed with Python's hmac): the derivation and the
	// signed message must not change, or every link handed out breaks.
	if got := fmt.Sprintf("%x", LinkKey("")); got != "aaf2f0515047312f7325e7a09da08a439e852856d78f4a2e7723b8ea69cfba3d" {
		t.Errorf("LinkKey(\"\") = %s", got)
	}
	v := NewLinks(LinkKey("secret"), nil).Sign("a.wav", time.Unix(1795266000, 0))
	if v.Encode() != "expires=1795266000&sig=ba3sHdyRHQ81VKeZfto-8SRRwTMQXtrKYmJYkOmK6_0" {
		t.Errorf("Sign = %s", v.Encode())
	}
}

func TestLinksVerify(t *testing.T) {
	now := noon
	l := NewLinks(LinkKey("secret"), func() time.Time { return now })
	v := l.Sign("2026/a.wav", noon.Add(time.Hour))
	exp, sig := v.Get("expires"), v.Get("sig")
	if exp != strconv.FormatInt(noon.Add(time.Hour).Unix(), 10) || len(sig) != 43 {
		t.Fatalf("Sign = %v", v)
	}
	other := l.Sign("2026/b.wav", noon.Add(time.Hour)).Get("sig")
	for _, tc := range []struct {
		what, name, exp, sig string
		want                 error
	}{
		{"valid", "2026/a.wav", exp, sig, nil},
		{"another name", "2026/b.wav", exp, sig, ErrLinkInvalid},
		{"another name's sig", "2026/a.wav", exp, other, ErrLinkInvalid},
		{"later expiry", "2026/a.wav", strconv.FormatInt(noon.Add(48*time.Hour).Unix(), 10), sig, ErrLinkInvalid},
		{"non-canonical expiry", "2026/a.wav", "0" + exp, sig, ErrLinkInvalid},
		{"signed expiry", "2026/a.wav", "+" + exp, sig, ErrLinkInvalid},
		{"no expiry", "2026/a.wav", "", sig, ErrLinkInvalid},
		{"no sig", "2026/a.wav", exp, "", ErrLinkInvalid},
		{"padded sig", "2026/a.wav", exp, sig + "=", ErrLinkInvalid},
		{"std base64", "2026/a.wav", exp, sig[:42] + "+", ErrLinkInvalid},
		{"huge sig", "2026/a.wav", exp, string(make([]byte, 1<<20)), ErrLinkInvalid},
		{"name with newline", "2026/a.wav\n" + exp, exp, sig, ErrLinkInvalid},
	} {
		if err := l.Verify(tc.name, tc.exp, tc.sig); !errors.Is(err, tc.want) && err != tc.want {
			t.Errorf("%s: Verify = %v, want %v", tc.what, err, tc.want)
		}
	}
	if err := NewLinks(LinkKey("other"), func() time.Time { return now }).Verify("2026/a.wav", exp, sig); err != ErrLinkInvalid {
		t.Errorf("another key: Verify = %v", err)
	}
	now = noon.Add(time.Hour) // the last second of the link
	if err := l.Verify("2026/a.wav", exp, sig); err != nil {
		t.Errorf("at expiry: Verify = %v", err)
	}
	now = noon.Add(time.Hour + time.Second)
	if err := l.Verify("2026/a.wav", exp, sig); err != ErrLinkExpired {
		t.Errorf("after expiry: Verify = %v", err)
	}
	if err := l.Verify("2026/a.wav", exp, other); err != ErrLinkInvalid {
		t.Errorf("a forged sig of an expired link must not say expired: %v", err)
	}
}

func ExampleLinks_Sign() {
	l := NewLinks(LinkKey("asjdfjklkasdf"), nil)
	v := l.Sign("2026/11/21/q630-801.wav", time.Date(2026, 11, 21, 13, 0, 0, 0, time.UTC))
	fmt.Println(v.Get("expires"), len(v.Get("sig")))
	// Output: 1795266000 43
}
