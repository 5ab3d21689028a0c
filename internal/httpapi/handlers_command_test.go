package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/blacklist"
	"github.com/coocenter/coocenterd/internal/pbx"
)

// Each command's success answer, and exactly what reached the PBX.
func TestCommands(t *testing.T) {
	tests := []struct {
		name, path, form string
		want             string
		call             pbxCall
	}{
		{"pause", "/queues/agent-pause", "queue=630&member=808&state=on", okBody("pause extension success"),
			pbxCall{"PauseMember", []string{"630", "808", "true", ""}}},
		{"unpause", "/queues/agent-pause", "queue=630&member=808&state=off", okBody("unpause extension success"),
			pbxCall{"PauseMember", []string{"630", "808", "false", ""}}},
		{"pause all queues with reason", "/queues/agent-pause", "member=808&state=ON&reason=lunch+break", okBody("pause extension success"),
			pbxCall{"PauseMember", []string{"", "808", "true", "lunch break"}}},
		{"pause empty queue means all", "/queues/agent-pause", "queue=&member=808&state=on&reason=back%3A+14%3A00", okBody("pause extension success"),
			pbxCall{"PauseMember", []string{"", "808", "true", "back: 14:00"}}},
		{"login", "/queues/agent-login", "extension=800&queue=630", okBody("login extension success"),
			pbxCall{"AddMember", []string{"630", "800"}}},
		{"login named queue", "/queues/agent-login", "extension=800&queue=sales_EU-1", okBody("login extension success"),
			pbxCall{"AddMember", []string{"sales_EU-1", "800"}}},
		{"logout", "/queues/agent-logout", "extension=800&queue=630", okBody("logout extension success"),
			pbxCall{"RemoveMember", []string{"630", "800"}}},
		{"click", "/extensions/click-number", "src=808&dst=809",
			`{"status":"success","message":"click number success","data":{"id":"1732176000.42"}}`,
			pbxCall{"ClickToCall", []string{"808", "809"}}},
		{"click international", "/extensions/click-number", "src=808&dst=%2B8613800000000",
			`{"status":"success","message":"click number success","data":{"id":"1732176000.42"}}`,
			pbxCall{"ClickToCall", []string{"808", "+8613800000000"}}},
		{"hangup", "/extensions/hangup", "extension=801", okBody("hangup extension success"),
			pbxCall{"Hangup", []string{"801"}}},
		{"transfer", "/extensions/transfer", "src=802&dst=801", okBody("tansfer extension success"),
			pbxCall{"Transfer", []string{"802", "801"}}},
		{"spy", "/extensions/extenSpy", "src=801&dst=806", okBody("spy extension success"),
			pbxCall{"Spy", []string{"801", "806", "listen"}}},
		{"whisper", "/extensions/extenSpy", "src=801&dst=806&mode=Whisper", okBody("spy extension success"),
			pbxCall{"Spy", []string{"801", "806", "whisper"}}},
		{"barge", "/extensions/extenSpy", "src=801&dst=806&mode=barge", okBody("spy extension success"),
			pbxCall{"Spy", []string{"801", "806", "barge"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			check(t, env.post(tt.path, tt.form), http.StatusOK, tt.want)
			if got := env.pbx.Calls(); !reflect.DeepEqual(got, []pbxCall{tt.call}) {
				t.Errorf("PBX calls = %v, want %v", got, tt.call)
			}
		})
	}
}

// Every way a command fails, and the sentence it gets.
func TestCommandErrors(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("queue pause SIP/808: %w", err) }
	tests := []struct {
		name, path, form string
		err              error // returned by the PBX
		status           int
		msg              string
	}{
		{"pause missing member", "/queues/agent-pause", "queue=630&state=on", nil, 400, `missing parameter \"member\"`},
		{"pause missing state", "/queues/agent-pause", "queue=630&member=808", nil, 400, `missing parameter \"state\"`},
		{"pause bad state", "/queues/agent-pause", "queue=630&member=808&state=yes", nil, 400, `parameter \"state\" must be \"on\" or \"off\"`},
		{"pause bad queue", "/queues/agent-pause", "queue=6%3A30&member=808&state=on", nil, 400,
			`parameter \"queue\" must be a queue name: letters, digits, _ or -, at most 64 characters`},
		{"pause bad reason", "/queues/agent-pause", "member=808&state=on&reason=a%0Db", nil, 400,
			`parameter \"reason\" must be printable ASCII text, at most 64 characters`},
		{"pause chinese reason", "/queues/agent-pause", "member=808&state=on&reason=%E5%B0%8F%E4%BC%91", nil, 400,
			`parameter \"reason\" must be printable ASCII text, at most 64 characters`},
		{"pause long reason", "/queues/agent-pause", "member=808&state=on&reason=" + strings.Repeat("x", 65), nil, 400,
			`parameter \"reason\" must be printable ASCII text, at most 64 characters`},
		{"pause unknown extension", "/queues/agent-pause", "queue=630&member=899&state=on", wrap(pbx.ErrUnknownExtension), 404, "extension 899 does not exist"},
		{"pause unknown queue", "/queues/agent-pause", "queue=639&member=808&state=on", wrap(pbx.ErrUnknownQueue), 404, "queue 639 does not exist"},
		{"pause not member", "/queues/agent-pause", "queue=630&member=808&state=on", wrap(pbx.ErrNotMember), 404, "extension 808 is not a member of queue 630"},
		{"pause not member of any", "/queues/agent-pause", "member=808&state=off", wrap(pbx.ErrNotMember), 404, "extension 808 is not a member of any queue"},
		{"login missing queue", "/queues/agent-login", "extension=800", nil, 400, `missing parameter \"queue\"`},
		{"login missing extension", "/queues/agent-login", "queue=630", nil, 400, `missing parameter \"extension\"`},
		{"login unknown queue", "/queues/agent-login", "extension=800&queue=639", pbx.ErrUnknownQueue, 404, "queue 639 does not exist"},
		{"login unknown extension", "/queues/agent-login", "extension=899&queue=630", pbx.ErrUnknownExtension, 404, "extension 899 does not exist"},
		{"logout not member", "/queues/agent-logout", "extension=800&queue=630", pbx.ErrNotMember, 404, "extension 800 is not a member of queue 630"},
		{"logout static member", "/queues/agent-logout", "extension=800&queue=630", fmt.Errorf("queue remove: %w", pbx.ErrStaticMember), 409,
			"extension 800 is a static member of queue 630 (queues.conf) and cannot be logged out"},
		{"click missing src", "/extensions/click-number", "dst=809", nil, 400, `missing parameter \"src\"`},
		{"click bad dst", "/extensions/click-number", "src=808&dst=80a9", nil, 400,
			`parameter \"dst\" must be a phone number: digits, *, # or +, at most 32 characters`},
		{"click plus as space", "/extensions/click-number", "src=808&dst=+8613800000000", nil, 400,
			`parameter \"dst\" must be a phone number: digits, *, # or +, at most 32 characters (in form data \"+\" means a space: send \"+\" as %2B)`},
		{"click unknown src", "/extensions/click-number", "src=899&dst=809", pbx.ErrUnknownExtension, 404, "extension 899 does not exist"},
		{"click invalid", "/extensions/click-number", "src=808&dst=809", pbx.ErrInvalid, 400, "could not call 809 from 808: Asterisk refused a value as invalid"},
		{"hangup missing", "/extensions/hangup", "", nil, 400, `missing parameter \"extension\"`},
		{"hangup empty", "/extensions/hangup", "extension=", nil, 400, `missing parameter \"extension\"`},
		{"hangup no call", "/extensions/hangup", "extension=801", pbx.ErrNoActiveCall, 404, "extension 801 has no active call"},
		{"hangup unknown", "/extensions/hangup", "extension=899", pbx.ErrUnknownExtension, 404, "extension 899 does not exist"},
		{"transfer missing dst", "/extensions/transfer", "src=802", nil, 400, `missing parameter \"dst\"`},
		{"transfer no call", "/extensions/transfer", "src=802&dst=801", pbx.ErrNoActiveCall, 404, "extension 802 has no active call"},
		{"transfer unknown dst", "/extensions/transfer", "src=802&dst=899", pbx.ErrUnknownExtension, 404, "extension 899 does not exist"},
		{"spy bad mode", "/extensions/extenSpy", "src=801&dst=806&mode=steal", nil, 400, `parameter \"mode\" must be \"listen\", \"whisper\" or \"barge\"`},
		{"spy no call", "/extensions/extenSpy", "src=801&dst=806", pbx.ErrNoActiveCall, 404, "extension 806 has no active call"},
		{"spy unknown src", "/extensions/extenSpy", "src=899&dst=806", pbx.ErrUnknownExtension, 404, "extension 899 does not exist"},
		{"spy unknown dst", "/extensions/extenSpy", "src=801&dst=898", pbx.ErrUnknownExtension, 404, "extension 898 does not exist"},
		{"not connected", "/extensions/hangup", "extension=801", fmt.Errorf("hangup: %w", pbx.ErrNotConnected), 503, "Asterisk is not connected"},
		{"other error, no leak", "/extensions/transfer", "src=802&dst=801", errors.New("ami: login failed, secret=hunter2"), 500,
			"could not transfer the call of extension 802 to 801: internal error (the coocenterd log has the details)"},
		{"blacklist create missing", "/blacklist/create", "", nil, 400, `missing parameter \"number\"`},
		{"blacklist delete bad", "/blacklist/delete", "number=12%0A34", nil, 400,
			`parameter \"number\" must be a phone number: digits, *, # or +, at most 32 characters`},
		{"blacklist delete absent", "/blacklist/delete", "number=999", nil, 404, "number 999 is not in the blacklist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t)
			for _, m := range []string{"PauseMember", "AddMember", "RemoveMember", "ClickToCall", "Hangup", "Transfer", "Spy"} {
				env.pbx.errs[m] = tt.err
			}
			check(t, env.post(tt.path, tt.form), tt.status, errBody(tt.msg))
			if tt.status == http.StatusBadRequest && tt.err == nil && len(env.pbx.Calls()) > 0 {
				t.Errorf("a bad request reached the PBX: %v", env.pbx.Calls())
			}
		})
	}
}

// A PBX that does not answer gets a 503 at the request timeout (the PBX
// honours the request's ctx: no goroutine waits for it), while reads of
// the model, which take no lock and wait for nothing, still answer.
func TestCommandTimeout(t *testing.T) {
	for _, path := range []string{"/queues/agent-pause?member=808&state=on", "/queues/agent-login?extension=800&queue=630",
		"/extensions/click-number?src=808&dst=809", "/extensions/hangup?extension=801"} {
		t.Run(path, func(t *testing.T) {
			env := newEnv(t, func(o *Options) { o.RequestTimeout = 20 * time.Millisecond })
			env.pbx.hold = make(chan struct{})
			defer close(env.pbx.hold)
			done := make(chan struct{})
			go func() {
				defer close(done)
				check(t, env.do(req{method: http.MethodPost, target: BasePath + path}),
					http.StatusServiceUnavailable, errBody("Asterisk did not answer in time"))
				rec := env.do(req{method: http.MethodPost, target: BasePath + "/extensions/current-calls"})
				if rec.Code != http.StatusOK {
					t.Errorf("current-calls while Asterisk hangs: %d %s", rec.Code, rec.Body.String())
				}
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second): // a safety net, not a measurement
				t.Fatal("no answer: the handler hangs with the PBX")
			}
		})
	}
}

// A panic in the PBX is a 500 and a log line, not a dead daemon.
func TestCommandPBXPanics(t *testing.T) {
	env := newEnv(t)
	env.pbx.panics = true
	check(t, env.post("/extensions/hangup", "extension=801"), http.StatusInternalServerError,
		errBody("could not hang up extension 801: internal error (the coocenterd log has the details)"))
	if !strings.Contains(env.logs.String(), "fake PBX exploded") {
		t.Errorf("log lacks the panic:\n%s", env.logs.String())
	}
}

func TestBlacklist(t *testing.T) {
	env := newEnv(t)
	check(t, env.post("/blacklist/create", "number=123123"), http.StatusOK, okBody("Updated database successfully"))
	check(t, env.post("/blacklist/create", "number=123123"), http.StatusOK, okBody("Updated database successfully"))
	check(t, env.do(req{method: http.MethodGet, target: BasePath + "/blacklist/index"}), http.StatusOK,
		`{"status":"success","data":["123456","123123"]}`)
	check(t, env.do(req{method: http.MethodDelete, target: BasePath + "/blacklist/delete", body: "number=123456"}),
		http.StatusOK, okBody("Key deleted successfully"))
	check(t, env.post("/blacklist/delete", "number=123123"), http.StatusOK, okBody("Key deleted successfully"))
	check(t, env.post("/blacklist/delete", "number=123123"), http.StatusNotFound, errBody("number 123123 is not in the blacklist"))
	check(t, env.do(req{method: http.MethodGet, target: BasePath + "/blacklist/index"}), http.StatusOK, `{"status":"success","data":[]}`)

	env.bl.err = errors.New("bbolt: database not open")
	check(t, env.post("/blacklist/create", "number=1"), http.StatusInternalServerError,
		errBody("could not add 1 to the blacklist: internal error (the coocenterd log has the details)"))
	check(t, env.do(req{method: http.MethodGet, target: BasePath + "/blacklist/index"}), http.StatusInternalServerError,
		errBody("could not read the blacklist: internal error (the coocenterd log has the details)"))
	env.bl.err = fmt.Errorf("blacklist: %w", blacklist.ErrFull)
	check(t, env.post("/blacklist/create", "number=1"), http.StatusConflict, errBody("the blacklist is full"))
	env.bl.err = blacklist.ErrClosed
	check(t, env.post("/blacklist/delete", "number=1"), http.StatusServiceUnavailable,
		errBody("the blacklist is closed: coocenterd is stopping"))
	env.bl.err = nil
	check(t, env.post("/blacklist/create", "number=*"), http.StatusBadRequest,
		errBody(`number \"*\" would block every caller: a prefix pattern needs at least one character before the '*'`))
	if !strings.Contains(env.logs.String(), "database not open") {
		t.Errorf("the cause is not logged:\n%s", env.logs.String())
	}
}
