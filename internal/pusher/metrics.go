package pusher

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
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

// The pusher's metrics; per receiver, labelled with its URL without
// credentials or query.
var (
	depthDesc = prometheus.NewDesc("coocenter_push_queue_depth",
		"Push events not yet delivered.", []string{"receiver"}, nil)
	oldestDesc = prometheus.NewDesc("coocenter_push_oldest_age_seconds",
		"Age of the oldest undelivered push event.", []string{"receiver"}, nil)
	deliveredDesc = prometheus.NewDesc("coocenter_push_delivered_total",
		"Push events the receiver accepted (2xx).", []string{"receiver"}, nil)
	retriedDesc = prometheus.NewDesc("coocenter_push_retried_total",
		"Failed push attempts that will be retried.", []string{"receiver"}, nil)
	deadDesc = prometheus.NewDesc("coocenter_push_dead_total",
		"Push events given up (moved to the dead letters).", []string{"receiver"}, nil)
	goneDesc = prometheus.NewDesc("coocenter_push_receiver_gone",
		"1 when the receiver answered 410 Gone and nothing is sent to it.", []string{"receiver"}, nil)
	appendedDesc = prometheus.NewDesc("coocenter_push_appended_total",
		"Push events written to the outbox.", nil, nil)
	commitsDesc = prometheus.NewDesc("coocenter_push_commits_total",
		"Outbox transactions (group commits).", nil, nil)
	deadLettersDesc = prometheus.NewDesc("coocenter_push_dead_letters",
		"Push events in the dead letters.", nil, nil)
	acceptDesc = prometheus.NewDesc("coocenter_push_accept_queue",
		"Push events accepted, waiting to be written.", nil, nil)
	writeFailuresDesc = prometheus.NewDesc("coocenter_push_outbox_write_failures_total",
		"Outbox transactions that failed (each is retried).", nil, nil)
	failingDesc = prometheus.NewDesc("coocenter_push_outbox_failing",
		"1 while the outbox cannot be written (the last transaction failed).", nil, nil)
	lostDesc = prometheus.NewDesc("coocenter_push_lost_total",
		"Push events given up at shutdown because the outbox could not be written (each is logged).", nil, nil)
)

// Describe is part of prometheus.Collector: the pusher is one.
func (p *Pusher) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{depthDesc, oldestDesc, deliveredDesc, retriedDesc, deadDesc, goneDesc,
		appendedDesc, commitsDesc, deadLettersDesc, acceptDesc, writeFailuresDesc, failingDesc, lostDesc} {
		ch <- d
	}
}

// Collect is part of prometheus.Collector.
func (p *Pusher) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for _, s := range p.Stats() {
		gauge(depthDesc, float64(s.Pending), s.Receiver)
		gauge(oldestDesc, s.OldestAge.Seconds(), s.Receiver)
		counter(deliveredDesc, s.Delivered, s.Receiver)
		counter(retriedDesc, s.Retried, s.Receiver)
		counter(deadDesc, s.Dead, s.Receiver)
		gauge(goneDesc, b2f(s.Gone), s.Receiver)
	}
	counter(appendedDesc, p.appended.Load())
	counter(commitsDesc, p.batches.Load())
	gauge(deadLettersDesc, float64(p.deadLetters.Load()))
	gauge(acceptDesc, float64(len(p.ops)))
	counter(writeFailuresDesc, p.writeFailures.Load())
	gauge(failingDesc, b2f(p.StorageErr() != nil))
	counter(lostDesc, p.lost.Load())
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
