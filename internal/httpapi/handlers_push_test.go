package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coocenter/coocenterd/internal/pusher"
)

type fakePush struct {
	mu        sync.Mutex
	filters   []pusher.Filter
	letters   []pusher.DeadLetter
	replayErr error
}

func (f *fakePush) DeadLetters(flt pusher.Filter) ([]pusher.DeadLetter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, flt)
	return f.letters, nil
}

func (f *fakePush) Replay(_ context.Context, flt pusher.Filter) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, flt)
	if f.replayErr != nil {
		return 0, f.replayErr
	}
	return len(f.letters), nil
}

// TestReplayWithoutStorage: a replay while the outbox cannot be written, or
// while coocenterd stops, is 503 saying so, at once.
func TestReplayWithoutStorage(t *testing.T) {
	for err, want := range map[error]string{
		pusher.ErrStorage: "could not queue dead letters again: the push outbox cannot be written (/readyz says why)",
		pusher.ErrClosed:  "the push outbox is closed: coocenterd is stopping",
	} {
		env := newEnv(t, func(o *Options) { o.Push = &fakePush{replayErr: err} })
		check(t, env.do(req{method: http.MethodPost, target: "/coocenter-api/push/replay"}), http.StatusServiceUnavailable, errBody(want))
	}
}

func TestDeadLettersAndReplay(t *testing.T) {
	push := &fakePush{letters: []pusher.DeadLetter{{ID: "msg_01h2acejqtf2nbre993vqjhp41", Event: "hangup", Receiver: "http://crm/hook",
		At: time.Unix(1795280762, 0).UTC(), Died: time.Unix(1795540000, 0).UTC(), Attempts: 9, LastError: "HTTP 500 Internal Server Error",
		Body: json.RawMessage(`{"event":"hangup"}`)}}}
	env := newEnv(t, func(o *Options) { o.Push = push })

	check(t, env.do(req{method: http.MethodGet, target: "/coocenter-api/push/dead-letters?limit=5&since=2026-11-21%2010:00:00"}), http.StatusOK,
		`{"status":"success","message":"Dead letters will follow","data":[{"id":"msg_01h2acejqtf2nbre993vqjhp41","event":"hangup","receiver":"http://crm/hook","at":"2026-11-21T17:06:02Z","died":"2026-11-24T17:06:40Z","attempts":9,"lastError":"HTTP 500 Internal Server Error","body":{"event":"hangup"}}]}`)
	if f := push.filters[0]; f.Limit != 5 || !f.Since.Equal(time.Date(2026, 11, 21, 10, 0, 0, 0, cst)) {
		t.Errorf("list filter: %+v", f)
	}
	check(t, env.do(req{method: http.MethodPost, target: "/coocenter-api/push/replay", body: "id=msg_01h2acejqtf2nbre993vqjhp41"}), http.StatusOK,
		`{"status":"success","message":"1 events queued again","data":{"queued":1}}`)
	if f := push.filters[1]; f.ID != "msg_01h2acejqtf2nbre993vqjhp41" || !f.Since.IsZero() {
		t.Errorf("replay filter: %+v", f)
	}
	check(t, env.do(req{method: http.MethodPost, target: "/coocenter-api/push/replay", body: "since=1795280000"}), http.StatusOK,
		`{"status":"success","message":"1 events queued again","data":{"queued":1}}`)
	if f := push.filters[2]; !f.Since.Equal(time.Unix(1795280000, 0)) {
		t.Errorf("replay since: %+v", f)
	}

	for _, tc := range []struct{ body, msg string }{
		{"id=msg_1%0d%0aAction:%20Hangup", `parameter \"id\" must be a webhook-id such as msg_01h2acejqtf2nbre993vqjhp41`},
		{"since=yesterday", `parameter \"since\" must be a time: unix seconds, RFC 3339 (2026-11-21T10:00:00+08:00) or \"2026-11-21 10:00:00\" (box time)`},
		{"receiver=http://a%0d%0ab", `parameter \"receiver\" must be a receiver URL as configured or as listed, at most 2048 characters`},
	} {
		check(t, env.do(req{method: http.MethodPost, target: "/coocenter-api/push/replay", body: tc.body}), http.StatusBadRequest, errBody(tc.msg))
	}
	check(t, env.do(req{method: http.MethodGet, target: "/coocenter-api/push/dead-letters?limit=0"}), http.StatusBadRequest,
		errBody(`parameter \"limit\" must be a number from 1 to 1000`))
	if len(push.filters) != 3 {
		t.Errorf("bad requests reached the outbox: %+v", push.filters)
	}

	none := newEnv(t)
	check(t, none.do(req{method: http.MethodGet, target: "/coocenter-api/push/dead-letters"}), http.StatusNotFound,
		errBody("no endpoint at /coocenter-api/push/dead-letters"))
}
