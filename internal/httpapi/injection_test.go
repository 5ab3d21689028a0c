package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// No hostile value of any parameter reaches the PBX or the blacklist: every
// one is refused with 400 naming the parameter.
func TestInjection(t *testing.T) {
	endpoints := []struct {
		path  string
		valid url.Values
	}{
		{"/queues/agent-pause", url.Values{"queue": {"630"}, "member": {"808"}, "state": {"on"}, "reason": {"lunch"}}},
		{"/queues/agent-login", url.Values{"extension": {"800"}, "queue": {"630"}}},
		{"/queues/agent-logout", url.Values{"extension": {"800"}, "queue": {"630"}}},
		{"/extensions/click-number", url.Values{"src": {"808"}, "dst": {"809"}}},
		{"/extensions/hangup", url.Values{"extension": {"801"}}},
		{"/extensions/transfer", url.Values{"src": {"802"}, "dst": {"801"}}},
		{"/extensions/extenSpy", url.Values{"src": {"801"}, "dst": {"806"}, "mode": {"listen"}}},
		{"/blacklist/create", url.Values{"number": {"123456"}}},
		{"/blacklist/delete", url.Values{"number": {"123456"}}},
	}
	hostile := []string{
		"808\r\nAction: Originate",
		"808\nAction: Command\nCommand: core stop now",
		"808\r",
		"\r\n808",
		"808:1",
		"Channel: SIP/808",
		"808\x00",
		"808\x1b[2J",
		strings.Repeat("8", 33),
		strings.Repeat("8", 100000),
		"八零八",
		"８０８",
		"808\u2028",
		"SIP/808",
		"Local/808@default",
		"/^SIP/.*$/",
		"806,qB",
		"806-",
		"${SHELL(reboot)}",
		"808;809",
		"808 809",
		"",
	}
	hostileQueue := []string{"630\r\nX: y", "630\n", "630\r", "63 0", "630:1", "Queue: 630", "630\x00", "队列",
		strings.Repeat("q", 65), strings.Repeat("q", 100000), "630;631", "630,631", "${SHELL(reboot)}", "sales.eu", ""}
	hostileReason := []string{"a\r\nAction: Logoff", "a\nb", "a\x00b", "a\x7fb", "\x1b[31mred", strings.Repeat("r", 65), "a\u2029b", "\xff\xfe", "小休"}
	for _, ep := range endpoints {
		for name := range ep.valid {
			if ep.valid.Get(name) == "" {
				continue
			}
			values := hostile
			switch name {
			case "reason":
				values = hostileReason
			case "queue":
				values = hostileQueue
			}
			optional := name == "mode" || ep.path == "/queues/agent-pause" && name == "queue"
			for _, bad := range values {
				if bad == "" && optional {
					continue // empty means the default
				}
				form := url.Values{}
				for k, v := range ep.valid {
					form[k] = v
				}
				form.Set(name, bad)
				env := newEnv(t)
				reqs := []req{
					{method: http.MethodPost, target: BasePath + ep.path, body: form.Encode()},
					{method: http.MethodPost, target: BasePath + ep.path + "?" + form.Encode()},
				}
				if utf8.ValidString(bad) { // JSON cannot carry invalid UTF-8: encoding makes it U+FFFD
					reqs = append(reqs, req{method: http.MethodPost, target: BasePath + ep.path, body: jsonOf(form),
						header: map[string]string{"Content-Type": "application/json"}})
				}
				for _, r := range reqs {
					w := env.do(r)
					if w.Code != http.StatusBadRequest && w.Code != http.StatusRequestEntityTooLarge {
						t.Errorf("%s %s=%.40q: got %d %s", ep.path, name, bad, w.Code, w.Body.String())
					} else if w.Code == http.StatusBadRequest && !strings.Contains(w.Body.String(), `\"`+name+`\"`) {
						t.Errorf("%s %s=%.40q: answer does not name the parameter: %s", ep.path, name, bad, w.Body.String())
					}
				}
				if calls := append(env.pbx.Calls(), env.bl.Calls()...); len(calls) > 0 {
					t.Fatalf("%s %s=%.40q reached the PBX: %v", ep.path, name, bad, calls)
				}
			}
		}
	}
}

// Raw (unencoded) CR LF and %0d%0a in a form body are refused too.
func TestInjectionRawForm(t *testing.T) {
	for _, body := range []string{
		"extension=801\r\nAction: Originate",
		"extension=801%0d%0aAction:%20Originate",
		"extension=801%0D%0A",
		"extension=801%00",
		"extension=80%3A1",
	} {
		env := newEnv(t)
		w := env.post("/extensions/hangup", body)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%q: got %d %s", body, w.Code, w.Body.String())
		}
		if calls := env.pbx.Calls(); len(calls) > 0 {
			t.Errorf("%q reached the PBX: %v", body, calls)
		}
	}
}

func jsonOf(form url.Values) string {
	m := map[string]string{}
	for k := range form {
		m[k] = form.Get(k)
	}
	b, _ := json.Marshal(m)
	return string(b)
}
