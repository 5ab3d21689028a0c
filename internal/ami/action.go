package ami

import (
	"context"
	"fmt"
	"strings"
)

// Action is a request to Asterisk. The client adds `Action` and a unique
// `ActionID` itself; Headers must not contain either.
type Action struct {
	Name    string
	Headers []Header
}

// Result is Asterisk's answer to one action: the response and, for an event
// list, every item and the closing …Complete event.
type Result struct {
	Response Message
	Events   []Message
	Complete Message
	// Seq is the Seq of the last event the client received before the
	// answer: a subscriber that has handled that event has seen all that
	// Asterisk said before it answered (Asterisk writes an action's
	// effects as events before, or after, its answer; never out of order).
	Seq uint64
}

// ResponseError is a `Response: Error` from Asterisk; Message is its text,
// e.g. "No such channel" or "Interface not found".
type ResponseError struct {
	Action  string
	Message string
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("ami %s: %s", e.Action, e.Message)
}

// Do sends the action on the current connection and waits for its answer.
// It fails at once with ErrNotConnected when Asterisk is not connected, with
// ErrDisconnected when the connection drops meanwhile, with the context's
// error (or after Config.ActionTimeout if ctx has no deadline) when no answer
// comes, with ErrInvalidHeader before anything is sent when a header could
// inject into the stream, and with *ResponseError for `Response: Error`.
// The Result is returned with a ResponseError too, for callers that read it.
func (c *Client) Do(ctx context.Context, a Action) (Result, error) {
	c.mu.Lock()
	s, closed := c.sess, c.closed
	c.mu.Unlock()
	if closed {
		return Result{}, fmt.Errorf("%s: %w", a.Name, ErrClosed)
	}
	if s == nil {
		return Result{}, fmt.Errorf("%s: %w", a.Name, ErrNotConnected)
	}
	if _, ok := ctx.Deadline(); !ok {
		return s.doTimeout(ctx, a)
	}
	return s.do(ctx, a)
}

func (a Action) encode(id string) ([]byte, error) {
	if err := CheckHeader("Action", a.Name); err != nil || a.Name == "" {
		return nil, &HeaderError{Key: "Action", Reason: "missing or invalid action name"}
	}
	headers := make([]Header, 0, len(a.Headers)+2)
	headers = append(headers, Header{"Action", a.Name}, Header{"ActionID", id})
	for _, h := range a.Headers {
		if equalFold(h.Key, "Action") || equalFold(h.Key, "ActionID") {
			return nil, &HeaderError{Key: h.Key, Reason: "set by the client, not by the caller"}
		}
		headers = append(headers, h)
	}
	return AppendMessage(make([]byte, 0, 256), headers)
}

// listActions answer with an event list even on Asterisk versions whose
// acknowledgement lacks `EventList: start` (before 13.2, e.g. DBGet).
var listActions = map[string]bool{
	"coreshowchannels": true, "coreshowchannelmap": true, "status": true,
	"queuestatus": true, "queuesummary": true, "sippeers": true,
	"sipshowregistry": true, "sippeerstatus": true, "pjsipshowendpoints": true,
	"pjsipshowendpoint": true, "pjsipshowcontacts": true, "pjsipshowaors": true,
	"pjsipshowregistrationinboundcontactstatuses": true,
	"extensionstatelist":                          true, "devicestatelist": true,
	"dbget": true, "dbgettree": true, "showdialplan": true,
}

func isListAction(name string) bool {
	return listActions[strings.ToLower(name)]
}
