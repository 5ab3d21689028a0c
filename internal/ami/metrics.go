package ami

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// maxEventNames bounds the names coocenter_ami_events_total is labelled
// with. Asterisk sends a finite set of a few hundred; a peer that sends
// more new names than this has the rest counted as otherEvents, so it
// cannot grow the map (or a scrape) without limit.
const maxEventNames = 512

// otherEvents is the label of the events past maxEventNames names; no
// Asterisk event is spelt in lower case.
const otherEvents = "other"

// eventCounts counts the events received, by name.
type eventCounts struct {
	m     sync.Map     // name → *atomic.Uint64
	names atomic.Int64 // names stored in m
}

func (e *eventCounts) add(name string) {
	if n, ok := e.m.Load(name); ok {
		n.(*atomic.Uint64).Add(1)
		return
	}
	if e.names.Load() >= maxEventNames {
		name = otherEvents
	} else {
		name = strings.Clone(name) // not the whole message the name is a slice of
	}
	n, loaded := e.m.LoadOrStore(name, new(atomic.Uint64))
	if !loaded {
		e.names.Add(1)
	}
	n.(*atomic.Uint64).Add(1)
}

func (e *eventCounts) snapshot() map[string]uint64 {
	out := map[string]uint64{}
	e.m.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Uint64).Load()
		return true
	})
	return out
}

// EventCounts returns how many events of each name Asterisk sent since the
// client started, over every connection.
func (c *Client) EventCounts() map[string]uint64 {
	return c.events.snapshot()
}

var (
	connectedDesc = prometheus.NewDesc("coocenter_ami_connected",
		"1 while a logged-in AMI connection to Asterisk is up.", nil, nil)
	reconnectsDesc = prometheus.NewDesc("coocenter_ami_reconnects_total",
		"Successful AMI logins after the first.", nil, nil)
	eventsDesc = prometheus.NewDesc("coocenter_ami_events_total",
		"AMI events received from Asterisk, by event name (the items of an action's list excepted).", []string{"event"}, nil)
)

// Describe is part of prometheus.Collector: the client is one.
func (c *Client) Describe(ch chan<- *prometheus.Desc) {
	ch <- connectedDesc
	ch <- reconnectsDesc
	ch <- eventsDesc
}

// Collect is part of prometheus.Collector.
func (c *Client) Collect(ch chan<- prometheus.Metric) {
	st := c.Status()
	connected := 0.0
	if st.Connected {
		connected = 1
	}
	ch <- prometheus.MustNewConstMetric(connectedDesc, prometheus.GaugeValue, connected)
	ch <- prometheus.MustNewConstMetric(reconnectsDesc, prometheus.CounterValue, float64(st.Reconnects))
	for name, n := range c.EventCounts() {
		ch <- prometheus.MustNewConstMetric(eventsDesc, prometheus.CounterValue, float64(n), name)
	}
}
