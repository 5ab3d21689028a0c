package httpapi

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// Parameters arrive in every way clients send them.
func TestParamSources(t *testing.T) {
	multipartBody := func(withBoundary bool) (string, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		_ = mw.WriteField(" src ", " 808 ")
		fw, _ := mw.CreateFormFile("dst", "evil.txt")
		_, _ = fw.Write([]byte("1\r\nAction: Command"))
		_ = mw.WriteField("dst", "809")
		_ = mw.Close()
		if !withBoundary {
			return b.String(), "multipart/form-data"
		}
		return b.String(), mw.FormDataContentType()
	}
	mp, mpType := multipartBody(true)
	mpNoBoundary, mpNoBoundaryType := multipartBody(false)
	clickOK := `{"status":"success","message":"click number success","data":{"id":"1732176000.42"}}`
	tests := []struct {
		name, target, body, ctype string
		status                    int
		want                      string   // body; "" = clickOK
		args                      []string // ClickToCall's, when it succeeds
	}{
		{"query string", "?src=808&dst=809", "", "", 200, "", []string{"808", "809"}},
		{"form", "", "src=808&dst=809", "application/x-www-form-urlencoded", 200, "", []string{"808", "809"}},
		{"form charset", "", "src=808&dst=809", "application/x-www-form-urlencoded; charset=UTF-8", 200, "", []string{"808", "809"}},
		{"form without content type", "", "src=808&dst=809", "", 200, "", []string{"808", "809"}},
		{"spaces everywhere", "", "  src = 808 & dst =\t809 \n", "", 200, "", []string{"808", "809"}},
		{"encoded spaces in keys", "", "%20src%20=808&dst=809", "", 200, "", []string{"808", "809"}},
		{"body over query", "?src=111&dst=222", "src=808", "", 200, "", []string{"808", "222"}},
		{"first repeated key", "", "src=808&src=807&dst=809", "", 200, "", []string{"808", "809"}},
		{"empty pairs", "", "&&src=808&&dst=809&", "", 200, "", []string{"808", "809"}},
		{"json", "", `{"src":"808","dst":"809"}`, "application/json", 200, "", []string{"808", "809"}},
		{"json numbers", "", `{"src":808,"dst":8613800000000}`, "application/json; charset=utf-8", 200, "", []string{"808", "8613800000000"}},
		{"json trimmed", "", `{" src ":" 808 ","dst":"+8613800000000"}`, "application/json", 200, "", []string{"808", "+8613800000000"}},
		{"json sent as form", "", `{"src":"808","dst":"809"}`, "application/x-www-form-urlencoded", 200, "", []string{"808", "809"}},
		{"json extra keys", "", `{"src":"808","dst":"809","extra":{"a":[1]}}`, "application/json", 200, "", []string{"808", "809"}},
		{"json with query", "?dst=809", `{"src":"808"}`, "application/json", 200, "", []string{"808", "809"}},
		{"empty json body", "?src=808&dst=809", "", "application/json", 200, "", []string{"808", "809"}},
		{"multipart", "", mp, mpType, 200, "", []string{"808", "809"}},
		{"multipart without boundary", "", mpNoBoundary, mpNoBoundaryType, 400,
			errBody("the request body is not valid multipart/form-data"), nil},
		{"json null", "", `{"src":null,"dst":"809"}`, "application/json", 400, errBody(`missing parameter \"src\"`), nil},
		{"json object value", "", `{"src":{"n":"808"},"dst":"809"}`, "application/json", 400,
			errBody(`parameter \"src\" must be a string or a number`), nil},
		{"json object value over query", "?src=808", `{"src":["808"],"dst":"809"}`, "application/json", 400,
			errBody(`parameter \"src\" must be a string or a number`), nil},
		{"json float", "", `{"src":8.08,"dst":"809"}`, "application/json", 400,
			errBody(`parameter \"src\" must be an extension: digits, *, # or +, at most 32 characters`), nil},
		{"json bool", "", `{"src":true,"dst":"809"}`, "application/json", 400,
			errBody(`parameter \"src\" must be an extension: digits, *, # or +, at most 32 characters`), nil},
		{"json array", "", `["808","809"]`, "application/json", 400, errBody("the request body is not a valid JSON object"), nil},
		{"json null body", "", `null`, "application/json", 400, errBody("the request body is not a valid JSON object"), nil},
		{"json trailing", "", `{"src":"808"} {"dst":"809"}`, "application/json", 400, errBody("the request body is not a valid JSON object"), nil},
		{"json broken", "", `{"src":"808"`, "application/json", 400, errBody("the request body is not a valid JSON object"), nil},
		{"bad escape in body", "", "src=%zz&dst=809", "", 400, errBody("the request body is not valid form data: bad %-escape"), nil},
		{"bad escape in query", "?src=80%8", "dst=809", "", 400, errBody("the query string is not valid form data: bad %-escape"), nil},
		{"body too large", "", "src=808&dst=809&pad=" + strings.Repeat("x", maxBodyBytes), "", 413,
			errBody("the request body is larger than 65536 bytes"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			r := req{method: http.MethodPost, target: BasePath + "/extensions/click-number" + tt.target, body: tt.body,
				header: map[string]string{}}
			if tt.body != "" {
				r.header["Content-Type"] = tt.ctype
			} else if tt.ctype != "" {
				r.header["Content-Type"] = tt.ctype
			}
			want := tt.want
			if want == "" {
				want = clickOK
			}
			check(t, env.do(r), tt.status, want)
			var wantCalls []pbxCall
			if tt.args != nil {
				wantCalls = []pbxCall{{"ClickToCall", tt.args}}
			}
			if got := env.pbx.Calls(); !reflect.DeepEqual(got, wantCalls) {
				t.Errorf("PBX calls = %v, want %v", got, wantCalls)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	tests := []struct {
		k     kind
		value string
		ok    bool
	}{
		{phoneNumber, "0", true},
		{phoneNumber, "+86*#0123456789", true},
		{phoneNumber, strings.Repeat("9", 32), true},
		{phoneNumber, strings.Repeat("9", 33), false},
		{phoneNumber, "", false},
		{phoneNumber, "80 8", false},
		{phoneNumber, "808a", false},
		{phoneNumber, "８０８", false}, // full-width digits
		{queueName, "630", true},
		{queueName, "Sales_EU-1", true},
		{queueName, strings.Repeat("q", 64), true},
		{queueName, strings.Repeat("q", 65), false},
		{queueName, "sales.eu", false},
		{queueName, "队列", false},
		{reasonText, "lunch: back at 2", true},
		{reasonText, "小休", false},
		{reasonText, strings.Repeat("x", 64), true},
		{reasonText, " ~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./", true},
		{reasonText, strings.Repeat("x", 65), false},
		{reasonText, "a\tb", false},
		{reasonText, "a\x00b", false},
		{reasonText, "a\u2028b", false}, // line separator
		{reasonText, "a\u200bb", false}, // zero-width space
		{reasonText, "\xff", false},
		{receiverURL, "http://crm/hook?x=1", true},
		{receiverURL, "http://crm/ hook", false}, // spaces are for text, not URLs
		{receiverURL, strings.Repeat("u", 2049), false},
		{pageKey, "MTc5NTI4MDc2Mi8x_-", true},
		{pageKey, "a+b", false},
		{idempotencyKey, "order 42: retry", true},
		{idempotencyKey, strings.Repeat("k", 129), false},
		{idempotencyKey, "k\x7f", false},
	}
	for _, tt := range tests {
		if got := tt.k.valid(tt.value); got != tt.ok {
			t.Errorf("%s: valid(%q) = %v, want %v", tt.k.must, tt.value, got, tt.ok)
		}
	}
}
