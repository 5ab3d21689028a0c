package httpapi

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics count the API's requests by route (the pattern, never the
// path a client sent: bounded) and status code.
type httpMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coocenter_http_requests_total",
			Help: "HTTP requests answered, by route and status code.",
		}, []string{"method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "coocenter_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "code"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// observe is the middleware that counts every request.
func (m *httpMetrics) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	method := c.Request.Method
	switch method { // a client's method is not a label value
	case http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodOptions:
	default:
		method = "other"
	}
	code := strconv.Itoa(c.Writer.Status())
	m.requests.WithLabelValues(method, route, code).Inc()
	m.latency.WithLabelValues(method, route, code).Observe(time.Since(start).Seconds())
}

// authenticateScrape lets a scrape of /metrics in with the static bearer
// token of [metrics] token or from a network of [metrics] allow, which a
// Prometheus server can use (it cannot compute the daily WEBKEY token);
// else the request needs the API's own authentication. A box without
// WEBKEY has none: there, setting a token or networks closes /metrics to
// everyone else (that is why one sets them).
func (s *server) authenticateScrape(c *gin.Context) {
	if s.metricsToken != "" {
		if got, ok := bearer(c.GetHeader("Authorization")); ok {
			if subtle.ConstantTimeCompare([]byte(got), []byte(s.metricsToken)) == 1 {
				return
			}
			s.refuse(c, slog.Bool("bearer", true))
			return
		}
	}
	if len(s.metricsAllow) > 0 {
		if ap, err := netip.ParseAddrPort(c.Request.RemoteAddr); err == nil {
			ip := ap.Addr().Unmap()
			for _, p := range s.metricsAllow {
				if p.Contains(ip) {
					return
				}
			}
		}
	}
	if s.webKey == "" && (s.metricsToken != "" || len(s.metricsAllow) > 0) {
		s.refuse(c)
		return
	}
	s.authenticate(c)
}

// bearer is the credentials of an Authorization header of the Bearer
// scheme, whose name is case-insensitive (RFC 9110 §11.1).
func bearer(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) < len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	return strings.TrimSpace(h[len(scheme):]), true
}
