package board

import (
	"slices"
	"time"

	"github.com/coocenter/coocenterd/internal/pbx"
)

// Queue is one queue as the wall shows it (api.md §8.2): who waits, and
// how the day went.
type Queue struct {
	Queue   string   `json:"queue"`
	Waiting []Caller `json:"waiting"` // by position
	Today   Counts   `json:"today"`
	SLA     int      `json:"sla"` // the service-level threshold, seconds
}

// Caller is a caller waiting in a queue.
type Caller struct {
	Uniqueid string `json:"uniqueid"`
	Number   string `json:"number"`
	Name     string `json:"name"`
	Position int    `json:"position"`
	Since    string `json:"since"` // when it joined the queue
}

// Queues builds every queue's row from the model and today's counts.
func (v View) Queues(snap *pbx.Snapshot, today map[string]Counts) []Queue {
	out := make([]Queue, 0, len(snap.Queues))
	for _, q := range snap.Queues {
		out = append(out, v.queueOf(q, today[q.Name]))
	}
	return out
}

func (v View) queueOf(q pbx.Queue, today Counts) Queue {
	r := Queue{Queue: q.Name, Waiting: make([]Caller, 0, len(q.Waiting)), Today: today, SLA: int(v.Threshold() / time.Second)}
	for _, w := range q.Waiting {
		c := Caller{Uniqueid: w.Uniqueid, Number: w.CallerIDNum, Name: w.CallerIDName, Position: w.Position}
		if !w.Since.IsZero() {
			c.Since = w.Since.In(v.loc()).Format(time.DateTime)
		}
		r.Waiting = append(r.Waiting, c)
	}
	slices.SortStableFunc(r.Waiting, func(a, b Caller) int { return a.Position - b.Position })
	return r
}

// members are the extensions of q's members: the agents a change of the
// queue concerns.
func members(q pbx.Queue) []string {
	var out []string
	for _, m := range q.Members {
		if x := pbx.InterfaceExten(m.Interface); x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
