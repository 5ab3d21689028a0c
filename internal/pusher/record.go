package pusher

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"time"
)

// Buckets of the pusher in the daemon's bbolt file; inside each, one bucket
// per receiver URL holds records keyed by an 8-byte big-endian sequence.
var (
	outboxBucket = []byte("push_outbox")
	deadBucket   = []byte("push_dead")
)

// record is an event waiting for one receiver (or dead for it), as stored.
type record struct {
	ID        string          `json:"id"`
	Name      string          `json:"event"`
	Keys      []string        `json:"keys,omitempty"`
	At        int64           `json:"at"`     // unix µs: when it happened
	Queued    int64           `json:"queued"` // unix µs: when it entered the outbox (again); MaxAge counts from here
	Attempts  int             `json:"attempts,omitempty"`
	Next      int64           `json:"next,omitempty"` // unix µs: not before
	LastError string          `json:"lastError,omitempty"`
	Died      int64           `json:"died,omitempty"` // unix µs: when it became a dead letter
	Body      json.RawMessage `json:"body"`
}

// appendJSON writes rec as encoding/json would read it back (the same
// keys, omitempty as tagged), without reflection: it is on the path of
// every push. Body is written as it is: the push builders make it.
func (rec *record) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, rec.ID)
	b = append(b, `,"event":`...)
	b = appendString(b, rec.Name)
	if len(rec.Keys) > 0 {
		b = append(b, `,"keys":[`...)
		for i, k := range rec.Keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
		}
		b = append(b, ']')
	}
	b = appendField(b, `,"at":`, rec.At, true)
	b = appendField(b, `,"queued":`, rec.Queued, true)
	b = appendField(b, `,"attempts":`, int64(rec.Attempts), false)
	b = appendField(b, `,"next":`, rec.Next, false)
	if rec.LastError != "" {
		b = append(b, `,"lastError":`...)
		b = appendString(b, rec.LastError)
	}
	b = appendField(b, `,"died":`, rec.Died, false)
	b = append(b, `,"body":`...)
	if len(rec.Body) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, rec.Body...)
	}
	return append(b, '}')
}

// appendField writes `key n`, or nothing when n is 0 and not always.
func appendField(b []byte, key string, n int64, always bool) []byte {
	if n == 0 && !always {
		return b
	}
	return strconv.AppendInt(append(b, key...), n, 10)
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }

func keySeq(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}

var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// newID makes a webhook-id: "msg_" + 26 characters, a millisecond time
// prefix (ids sort roughly by time) and 80 random bits.
func newID(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:])
	return "msg_" + idEncoding.EncodeToString(b[:])
}

func micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicro(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}
