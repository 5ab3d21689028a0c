package pausetimer

import "github.com/prometheus/client_golang/prometheus"

const wrapUpsHelp = "After-call pauses pending, by state: running (the agent is paused, its timer runs) or deferred (waiting for the agent's other call to end)."

var wrapUpsDesc = prometheus.NewDesc("coocenter_wrapups", wrapUpsHelp, []string{"state"}, nil)

// Describe is part of prometheus.Collector: the Timer is one.
func (t *Timer) Describe(ch chan<- *prometheus.Desc) { ch <- wrapUpsDesc }

// Collect is part of prometheus.Collector.
func (t *Timer) Collect(ch chan<- prometheus.Metric) {
	n := map[string]int{"running": 0, "deferred": 0}
	for _, w := range t.Active() {
		n[w.Kind]++
	}
	for state, v := range n {
		ch <- prometheus.MustNewConstMetric(wrapUpsDesc, prometheus.GaugeValue, float64(v), state)
	}
}
