package board

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// Counts are a queue's calls of the day so far (api.md §8.2): the calls
// that joined it today and have ended.
type Counts struct {
	Offered           int `json:"offered"`           // ended, whatever became of them
	Answered          int `json:"answered"`          // an agent answered
	Abandoned         int `json:"abandoned"`         // the caller hung up while waiting
	AnsweredWithinSLA int `json:"answeredWithinSla"` // answered within the threshold
	// SLAPercent is AnsweredWithinSLA of Offered, rounded: the share of
	// the callers served in time. nil while nothing was offered.
	SLAPercent *int `json:"slaPercent"`
}

// count adds one ended queue call.
func (c *Counts) count(call pbx.QueueCall, sla time.Duration) {
	c.Offered++
	switch {
	case call.Agent != "":
		c.Answered++
		if call.QueueTime <= sla {
			c.AnsweredWithinSLA++
		}
	case call.HangupSide == "caller" && call.State == "queue":
		c.Abandoned++
	}
	pct := (c.AnsweredWithinSLA*200 + c.Offered) / (2 * c.Offered) // rounded half up
	c.SLAPercent = &pct
}

// Tally counts each queue's calls of the day, from the model's
// QueueCallEnded events, and keeps the counts in the daemon's bbolt file
// so that a restart loses none of the day. A call counts on the day it
// started (in the box's time zone); the counts start again at midnight.
//
// Handle runs on the model's goroutine, so it only counts: a goroutine
// of the Tally's own writes the counts to disk (the latest, once, for any
// number of calls counted meanwhile), and Close writes what is left.
type Tally struct {
	view View
	now  func() time.Time
	db   *bbolt.DB
	log  *slog.Logger

	mu      sync.Mutex
	day     string            // YYYY-MM-DD the counts are of
	byQueue map[string]Counts // queue → counts
	unsaved bool              // counted since the last write

	dirty chan struct{} // something to write (1 slot)
	stop  chan struct{} // closed by Close
	done  chan struct{} // closed when the writer has written the last
}

// bucketToday holds one key, "today": {"day":…,"queues":{queue: Counts}}.
var bucketToday = []byte("board")

type todayRecord struct {
	Day    string            `json:"day"`
	Queues map[string]Counts `json:"queues"`
}

// OpenTally loads the day's counts from db (nil: kept in memory only).
func OpenTally(db *bbolt.DB, view View, now func() time.Time, log *slog.Logger) (*Tally, error) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Tally{view: view, now: now, db: db, log: log, byQueue: map[string]Counts{},
		dirty: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	t.day = t.dayOf(now())
	if db == nil {
		return t, nil
	}
	err := db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketToday)
		if err != nil {
			return err
		}
		var rec todayRecord
		if data := b.Get([]byte("today")); data != nil {
			if err := json.Unmarshal(data, &rec); err != nil {
				log.Error("today's queue counts do not decode: they start again", "err", err)
				return nil
			}
		}
		if rec.Day == t.day {
			for q, c := range rec.Queues {
				t.byQueue[q] = c
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open today's queue counts: %w", err)
	}
	go t.write()
	return t, nil
}

func (t *Tally) dayOf(at time.Time) string { return at.In(t.view.loc()).Format(time.DateOnly) }

// Handle counts a QueueCallEnded; it is a pbx.Handler, run on the model's
// goroutine.
func (t *Tally) Handle(ev pbx.Event) {
	e, ok := ev.(pbx.QueueCallEnded)
	if !ok || e.Call.Queue == "" {
		return
	}
	start := e.Call.Start
	if start.IsZero() {
		start = e.At
	}
	t.mu.Lock()
	t.roll()
	if t.dayOf(start) != t.day {
		t.mu.Unlock()
		return // yesterday's call, ending after midnight
	}
	c := t.byQueue[e.Call.Queue]
	c.count(e.Call, t.view.Threshold())
	t.byQueue[e.Call.Queue] = c
	t.unsaved = true
	t.mu.Unlock()
	select {
	case t.dirty <- struct{}{}:
	default: // a write is due already: it takes this count too
	}
}

// write keeps the counts on disk until Close, then writes the last.
func (t *Tally) write() {
	defer close(t.done)
	for {
		select {
		case <-t.dirty:
			t.saveNow()
		case <-t.stop:
			t.saveNow()
			return
		}
	}
}

// Close writes the counts not yet written and stops the writer; call it
// once the model emits no more.
func (t *Tally) Close() {
	if t.db == nil {
		return
	}
	close(t.stop)
	<-t.done
}

// saveNow writes the counts if any were counted since the last write.
func (t *Tally) saveNow() {
	t.mu.Lock()
	if !t.unsaved {
		t.mu.Unlock()
		return
	}
	rec := todayRecord{Day: t.day, Queues: t.copyCounts()}
	t.unsaved = false
	t.mu.Unlock()
	t.save(rec)
}

// roll starts the counts again when the day has changed; t.mu is held.
func (t *Tally) roll() {
	if day := t.dayOf(t.now()); day != t.day {
		t.day, t.byQueue = day, map[string]Counts{}
	}
}

func (t *Tally) copyCounts() map[string]Counts {
	out := make(map[string]Counts, len(t.byQueue))
	for q, c := range t.byQueue {
		out[q] = c
	}
	return out
}

// save writes the counts; a failure is logged: the counts in memory stay.
func (t *Tally) save(rec todayRecord) {
	if t.db == nil {
		return
	}
	data, err := json.Marshal(rec)
	if err == nil {
		err = t.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketToday).Put([]byte("today"), data) })
	}
	if err != nil {
		t.log.Error("store today's queue counts", "err", err)
	}
}

// Today returns each queue's counts of the day so far; none from a nil
// Tally (nothing counted).
func (t *Tally) Today() map[string]Counts {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roll()
	return t.copyCounts()
}

// nextMidnight is when the counts start again after at.
func (t *Tally) nextMidnight(at time.Time) time.Time {
	l := at.In(t.view.loc())
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, l.Location())
}
