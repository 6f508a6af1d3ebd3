package handlers

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// httpBuckets are the upper bounds (seconds) of the request latency histogram.
var httpBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// HTTPMetrics is a latency histogram of the answered requests, by method,
// route pattern (never the raw URL: "/tickets/:number", so the number of
// series stays bounded) and status class ("2xx"). The app writes it with
// the rest of /metrics; one value per router, safe for concurrent use.
type HTTPMetrics struct {
	mu     sync.Mutex
	series map[httpSeries]*histogram
}

type httpSeries struct{ method, route, class string }

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

// NewHTTPMetrics returns an empty histogram.
func NewHTTPMetrics() *HTTPMetrics { return &HTTPMetrics{series: map[httpSeries]*histogram{}} }

// Middleware observes every request after it was answered.
func (m *HTTPMetrics) Middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // answer now, so the observed status is the real one
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		m.Observe(c.Request().Method, route, c.Response().Status, time.Since(start))
		return nil
	}
}

// Observe records one request.
func (m *HTTPMetrics) Observe(method, route string, status int, d time.Duration) {
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
	default:
		method = "other" // the method is the client's choice: keep the label set closed
	}
	class := "other"
	if status >= 100 && status < 600 {
		class = strconv.Itoa(status/100) + "xx"
	}
	k := httpSeries{method, route, class}
	secs := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.series[k]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(httpBuckets)+1)}
		m.series[k] = h
	}
	i := sort.SearchFloat64s(httpBuckets, secs) // first bound ≥ secs
	h.counts[i]++
	h.sum += secs
	h.n++
}

// WritePrometheus writes the histogram in the text exposition format 0.0.4,
// HELP and TYPE even before the first request.
func (m *HTTPMetrics) WritePrometheus(w io.Writer) {
	const name = "warrantydesk_http_request_duration_seconds"
	fmt.Fprintf(w, "# HELP %s Time to answer HTTP requests, by method, route pattern and status class.\n", name)
	fmt.Fprintf(w, "# TYPE %s histogram\n", name)
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := make([]httpSeries, 0, len(m.series))
	for k := range m.series {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.route != b.route {
			return a.route < b.route
		}
		if a.method != b.method {
			return a.method < b.method
		}
		return a.class < b.class
	})
	for _, k := range keys {
		h := m.series[k]
		labels := fmt.Sprintf(`method="%s",route="%s",status="%s"`, LabelValue(k.method), LabelValue(k.route), k.class)
		var cum uint64
		for i, le := range httpBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "%s_bucket{%s,le=\"%s\"} %d\n", name, labels, strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(w, "%s_bucket{%s,le=\"+Inf\"} %d\n", name, labels, h.n)
		fmt.Fprintf(w, "%s_sum{%s} %s\n", name, labels, strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(w, "%s_count{%s} %d\n", name, labels, h.n)
	}
}

// LabelValue escapes a Prometheus label value (backslash, quote, newline).
func LabelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
