package pusher

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestRecordJSON: the hand-written encoding of a stored record reads back,
// with encoding/json, as the record it was, and as what json.Marshal of it
// reads back as, whatever its strings hold; so records written before and
// after it was hand-written are one format.
func TestRecordJSON(t *testing.T) {
	t.Parallel()
	odd := "quote\" backslash\\ newline\n tab\t nul\x00 <html>&amp; \u2028 中文 bad\xff"
	recs := []record{
		{ID: "msg_1", Name: "hangup", At: 1, Queued: 2, Body: json.RawMessage(`{"event":"hangup"}`)},
		{ID: "msg_2", Name: "cdr", Keys: []string{"call:1.2", "ext:801"}, At: 1795280762123456, Queued: 1795280762123999,
			Attempts: 3, Next: 1795280800000000, LastError: odd, Died: 1795280900000000, Body: json.RawMessage(`{"n":[1,2],"s":"x"}`)},
		{ID: odd, Name: odd, Keys: []string{odd}, At: -5, Body: nil},
		{},
	}
	for i, rec := range recs {
		b := rec.appendJSON(nil)
		var got record
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("record %d: %s does not decode: %v", i, b, err)
		}
		std, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		var want record
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("record %d:\n ours %s\n  std %s\n read back %+v\n want %+v", i, b, std, got, want)
		}
		if rec.Body != nil && string(got.Body) != string(rec.Body) {
			t.Errorf("record %d: body %s, want %s", i, got.Body, rec.Body)
		}
	}
}

// BenchmarkRecordJSON is the outbox's encoding of one hangup push.
func BenchmarkRecordJSON(b *testing.B) {
	rec := record{ID: "msg_01jd5x3k2n8w9m4q7r6t5y2z1a", Name: "hangup", Keys: []string{"call:1795280762.35"},
		At: 1795280762123456, Queued: 1795280762124000, Body: append(benchBody, "1}"...)}
	b.ReportAllocs()
	for b.Loop() {
		_ = rec.appendJSON(make([]byte, 0, 256+len(rec.Body)))
	}
}
