package httpapi

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The original document's curl lines, replayed as they are (spaces and
// all), get the original's answers.
func TestOriginalCurlExamples(t *testing.T) {
	want := []string{
		`{"status":"success","message":"Channels will follow","data":[{"calleridname":"896","calleridnum":"896",` +
			`"channel":"SIP/896-0000000b","channelstate":"6","channelstatedesc":"Up","connectedlinename":"897",` +
			`"connectedlinenum":"897","duration":"00:02:58"}]}`,
		`{"status":"success","message":"Peer status list will follow","data":[` +
			`{"Exten":"800","Type":"SIP","IPAddr":"-none-","Status":"UNKNOWN"},` +
			`{"Exten":"801","Type":"SIP","IPAddr":"192.168.12.4","Status":"OK (45 ms)"},` +
			`{"Exten":"802","Type":"SIP","IPAddr":"192.168.12.3","Status":"OK (42 ms)"},` +
			`{"Exten":"806","Type":"PJSIP","IPAddr":"192.168.12.6","Status":"OK (3 ms)"},` +
			`{"Exten":"808","Type":"SIP","IPAddr":"192.168.12.8","Status":"OK (5 ms)"},` +
			`{"Exten":"809","Type":"SIP","IPAddr":"192.168.12.9","Status":"OK (5 ms)"}]}`,
		`[{"agentName":"800","extension":"800","extenType":"SIP","status":"0"},` +
			`{"agentName":"801","extension":"801","extenType":"SIP","status":"0"}]`,
		`{"status":"success","message":"Queue status will follow","data":{` +
			`"630":[{"name":"sip/876","paused":"0","penalty":"0"},{"name":"sip/805","paused":"0","penalty":"1"},` +
			`{"name":"sip/893","paused":"1","penalty":"0"}],` +
			`"631":[{"name":"sip/870","paused":"0","penalty":"0"},{"name":"local/800@fake-phone/n","paused":"0","penalty":"0"}],` +
			`"632":[]}}`,
		okBody("pause extension success"),
		okBody("unpause extension success"),
		okBody("login extension success"),
		okBody("logout extension success"),
		`{"status":"success","message":"click number success","data":{"id":"1732176000.42"}}`,
		okBody("hangup extension success"),
		okBody("tansfer extension success"),
		okBody("spy extension success"),
		`{"status":"success","data":["123456"]}`,
		okBody("Key deleted successfully"),
		okBody("Updated database successfully"),
	}
	wantCalls := []pbxCall{
		{"PauseMember", []string{"630", "808", "true", ""}},
		{"PauseMember", []string{"630", "808", "false", ""}},
		{"AddMember", []string{"630", "800"}},
		{"RemoveMember", []string{"630", "800"}},
		{"ClickToCall", []string{"808", "809"}},
		{"Hangup", []string{"801"}},
		{"Transfer", []string{"802", "801"}},
		{"Spy", []string{"801", "806", "listen"}},
	}
	lines := readCurlLines(t, "testdata/original_curl.txt")
	if len(lines) != len(want) {
		t.Fatalf("%d curl lines, %d answers", len(lines), len(want))
	}
	for _, key := range []string{"", webKey} {
		env := newEnv(t, func(o *Options) { o.WebKey = key })
		for i, line := range lines {
			r := curlRequest(t, line)
			if key != "" {
				r.Header.Set("Authorization", token(key, noon))
			}
			w := httptest.NewRecorder()
			env.h.ServeHTTP(w, r)
			check(t, w, http.StatusOK, want[i])
		}
		if got := env.pbx.Calls(); !reflect.DeepEqual(got, wantCalls) {
			t.Errorf("PBX calls:\n got %v\nwant %v", got, wantCalls)
		}
	}
}

func readCurlLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	return lines
}

// curlRequest turns `curl -X M "url" -H "k: v" -d "body"` into a request,
// as curl would send it (-d implies form encoding).
func curlRequest(t *testing.T, line string) *http.Request {
	t.Helper()
	args := shellWords(line)
	method, target, body := http.MethodGet, "", ""
	header := http.Header{}
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "-X":
			i++
			method = args[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(args[i], ":")
			header.Add(k, strings.TrimSpace(v))
		case "-d":
			i++
			body = args[i]
			if header.Get("Content-Type") == "" {
				header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		default:
			target = args[i]
		}
	}
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header = header
	return r
}

// shellWords splits on spaces outside double quotes; quotes are removed.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inQuote, inWord := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote, inWord = !inQuote, true
		case r == ' ' && !inQuote:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
