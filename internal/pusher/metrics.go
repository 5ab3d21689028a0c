package pusher

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// ReceiverStats are one receiver's figures.
type ReceiverStats struct {
	Receiver  string        // URL without credentials or query
	Pending   int64         // events not yet delivered
	OldestAge time.Duration // age of the oldest of them; 0 when none
	Delivered uint64        // since start
	Retried   uint64        // failed attempts that will be retried
	Dead      uint64        // given up since start
	Gone      bool          // answered 410; nothing is sent to it
}

// Stats returns every receiver's figures.
func (p *Pusher) Stats() []ReceiverStats {
	now := p.opts.Now()
	out := make([]ReceiverStats, 0, len(p.receivers))
	for _, r := range p.receivers {
		s := ReceiverStats{Receiver: r.label, Pending: r.depth.Load(), Delivered: r.delivered.Load(),
			Retried: r.retried.Load(), Dead: r.killed.Load(), Gone: r.goneNow.Load()}
		if at := r.oldest.Load(); at != 0 {
			s.OldestAge = max(now.Sub(fromMicro(at)), 0)
		}
		out = append(out, s)
	}
	return out
}

// WriteMetrics writes the pusher's figures in the Prometheus text format.
func (p *Pusher) WriteMetrics(w io.Writer) {
	stats := p.Stats()
	per := func(name, kind, help string, value func(ReceiverStats) string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
		for _, s := range stats {
			fmt.Fprintf(w, "%s{receiver=\"%s\"} %s\n", name, labelValue(s.Receiver), value(s))
		}
	}
	per("coocenter_push_queue_depth", "gauge", "Push events not yet delivered.",
		func(s ReceiverStats) string { return fmt.Sprint(s.Pending) })
	per("coocenter_push_oldest_age_seconds", "gauge", "Age of the oldest undelivered push event.",
		func(s ReceiverStats) string { return fmt.Sprintf("%.3f", s.OldestAge.Seconds()) })
	per("coocenter_push_delivered_total", "counter", "Push events the receiver accepted (2xx).",
		func(s ReceiverStats) string { return fmt.Sprint(s.Delivered) })
	per("coocenter_push_retried_total", "counter", "Failed push attempts that will be retried.",
		func(s ReceiverStats) string { return fmt.Sprint(s.Retried) })
	per("coocenter_push_dead_total", "counter", "Push events given up (moved to the dead letters).",
		func(s ReceiverStats) string { return fmt.Sprint(s.Dead) })
	per("coocenter_push_receiver_gone", "gauge", "1 when the receiver answered 410 Gone and nothing is sent to it.",
		func(s ReceiverStats) string {
			if s.Gone {
				return "1"
			}
			return "0"
		})
	fmt.Fprintf(w, "# HELP coocenter_push_appended_total Push events written to the outbox.\n# TYPE coocenter_push_appended_total counter\ncoocenter_push_appended_total %d\n", p.appended.Load())
	fmt.Fprintf(w, "# HELP coocenter_push_commits_total Outbox transactions (group commits).\n# TYPE coocenter_push_commits_total counter\ncoocenter_push_commits_total %d\n", p.batches.Load())
	fmt.Fprintf(w, "# HELP coocenter_push_dead_letters Push events in the dead letters.\n# TYPE coocenter_push_dead_letters gauge\ncoocenter_push_dead_letters %d\n", p.deadLetters.Load())
	fmt.Fprintf(w, "# HELP coocenter_push_accept_queue Push events accepted, waiting to be written.\n# TYPE coocenter_push_accept_queue gauge\ncoocenter_push_accept_queue %d\n", len(p.ops))
}

func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
