package pbx

import (
	"slices"
	"time"

	"github.com/coocenter/coocenterd/internal/ami"
)

// The callers waiting in each queue (Queue.Waiting), kept as app_queue
// keeps its list: a caller joins at its Position (the end, unless its
// priority puts it ahead) and those from there on move back one; a caller
// that leaves takes its place with it and those behind move up one
// (leave_queue renumbers the rest in order). QueueCallerAbandon changes
// nothing: app_queue follows it with QueueCallerLeave (ami-16, ami-15).

// wait puts w in queue name at w.Position (0, or past the end: last), out
// of any queue it was waiting in, and renumbers the queue.
func (p *PBX) wait(name string, w Waiting) {
	p.unwait(w.Uniqueid)
	q := p.queue(name)
	at := len(q.Waiting)
	if w.Position > 0 && w.Position <= at {
		at = w.Position - 1
	}
	q.Waiting = slices.Insert(q.Waiting, at, w)
	renumber(q.Waiting)
	p.st.waitingIn[w.Uniqueid] = name
	p.pub.changed |= queuesChanged
}

// unwait takes the caller uniqueid off the queue it waits in, if any, and
// renumbers those behind it.
func (p *PBX) unwait(uniqueid string) {
	name, ok := p.st.waitingIn[uniqueid]
	if !ok {
		return
	}
	delete(p.st.waitingIn, uniqueid)
	if q := p.st.queues[name]; q != nil {
		q.Waiting = slices.DeleteFunc(q.Waiting, func(w Waiting) bool { return w.Uniqueid == uniqueid })
		renumber(q.Waiting)
	}
	p.pub.changed |= queuesChanged
}

func renumber(ws []Waiting) {
	for i := range ws {
		ws[i].Position = i + 1
	}
}

// loadWaiting reads a QueueEntry of QueueStatus (load) into s: the
// caller's Since is now less its Wait. QueueEntry carries no Linkedid on
// Asterisk 20: the caller's channel, loaded before, gives it. The caller's
// channel is marked with the queue.
func (s *state) loadWaiting(m ami.Message, now time.Time) {
	var c Channel
	snapshotChannel(&c, m, "")
	if c.Uniqueid == "" {
		return
	}
	name := m.Get("Queue")
	q, ok := s.queues[name]
	if !ok {
		q = &Queue{Name: name}
		s.queues[name] = q
	}
	if ch := s.channels[c.Uniqueid]; ch != nil {
		ch.Queue = name
		if c.Linkedid == "" {
			c.Linkedid = ch.Linkedid
		}
	}
	q.Waiting = append(q.Waiting, Waiting{Uniqueid: c.Uniqueid, Linkedid: c.Linkedid,
		CallerIDNum: c.CallerIDNum, CallerIDName: c.CallerIDName,
		Position: atoi(m.Get("Position")), Since: now.Add(-seconds(m.Get("Wait")))})
	s.waitingIn[c.Uniqueid] = name
}

// sortWaiting orders each queue's callers by the Position QueueStatus
// gave them (it lists them in order; this only makes sure).
func (s *state) sortWaiting() {
	for _, q := range s.queues {
		slices.SortStableFunc(q.Waiting, func(a, b Waiting) int { return a.Position - b.Position })
	}
}

// keepSince keeps, for a caller that waited in the same queue before the
// resync, the time the model saw it join: QueueEntry's Wait is in whole
// seconds, so that each resync would move it. A Since more than 2 s off
// is another wait (the caller left and joined again meanwhile).
func (s *state) keepSince(old *state) {
	for _, q := range s.queues {
		oq := old.queues[q.Name]
		if oq == nil {
			continue
		}
		for i, w := range q.Waiting {
			if old.waitingIn[w.Uniqueid] != q.Name {
				continue
			}
			for _, ow := range oq.Waiting {
				if ow.Uniqueid == w.Uniqueid {
					if d := w.Since.Sub(ow.Since); d > -2*time.Second && d < 2*time.Second {
						q.Waiting[i].Since = ow.Since
					}
					break
				}
			}
		}
	}
}
