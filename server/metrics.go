package server

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/govchat/govchat/chat"
)

// metrics are written in the Prometheus text exposition format by hand: the
// handful of series here does not justify a client library.
type metrics struct {
	mu             sync.Mutex
	connsOpen      int
	connsRejected  map[string]int64 // reason
	asks           map[string]int64 // status
	routes         map[string]int64 // router label
	askDuration    *histogram
	firstDelta     *histogram
	rateLimited    map[string]int64 // scope: ip, conversation
	rejected       map[string]int64 // error code
	slowDropped    int64
	feedbackStored int64
	idleClosed     int64
	limitErrors    int64
	adminThrottled int64
}

var latencyBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120}

func newMetrics() *metrics {
	m := &metrics{connsRejected: map[string]int64{}, asks: map[string]int64{}, routes: map[string]int64{}, rateLimited: map[string]int64{},
		rejected: map[string]int64{}, askDuration: newHistogram(latencyBuckets), firstDelta: newHistogram(latencyBuckets)}
	for _, s := range chat.AllStatuses() {
		m.asks[string(s)] = 0
	}
	for _, s := range []string{"ip", "conversation"} {
		m.rateLimited[s] = 0
	}
	for _, l := range chat.AllLabels() {
		m.routes[string(l)] = 0
	}
	return m
}

func (m *metrics) add(f func(m *metrics)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m)
}

func (m *metrics) asked(status string, label chat.Label, total, first time.Duration) {
	m.add(func(m *metrics) {
		m.asks[status]++
		if label != "" {
			m.routes[string(label)]++
		}
		m.askDuration.observe(total.Seconds())
		if first > 0 {
			m.firstDelta.observe(first.Seconds())
		}
	})
}

func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(w, "# HELP govchat_ws_connections_open Websocket connections open now.\n# TYPE govchat_ws_connections_open gauge\ngovchat_ws_connections_open %d\n", m.connsOpen)
	writeCounter(w, "govchat_ws_connections_rejected_total", "Websocket upgrades refused, by reason.", "reason", m.connsRejected)
	writeCounter(w, "govchat_asks_total", "Questions, by final status (refusals by the kill switch, rate limits and busy check included).", "status", m.asks)
	writeCounter(w, "govchat_route_labels_total", "Questions, by the question router's label.", "label", m.routes)
	m.askDuration.write(w, "govchat_ask_duration_seconds", "Time from a question being accepted to its done message.")
	m.firstDelta.write(w, "govchat_ask_first_delta_seconds", "Time from a question being accepted to the first text of its answer.")
	writeCounter(w, "govchat_rate_limited_total", "Questions refused by a rate limit, by scope.", "scope", m.rateLimited)
	writeCounter(w, "govchat_messages_rejected_total", "Client messages answered with an error, by code.", "code", m.rejected)
	fmt.Fprintf(w, "# HELP govchat_slow_clients_dropped_total Connections closed because the client read too slowly.\n# TYPE govchat_slow_clients_dropped_total counter\ngovchat_slow_clients_dropped_total %d\n", m.slowDropped)
	fmt.Fprintf(w, "# HELP govchat_feedback_total Feedback stored.\n# TYPE govchat_feedback_total counter\ngovchat_feedback_total %d\n", m.feedbackStored)
	writeCount(w, "govchat_ws_idle_closed_total", "Websockets closed after WSIdleTimeout without a question.", m.idleClosed)
	writeCount(w, "govchat_limit_errors_total", "Shared-limit checks that failed in the database and let the request through.", m.limitErrors)
	writeCount(w, "govchat_admin_throttled_total", "Admin requests refused after too many failed tokens from one address.", m.adminThrottled)
}

func writeCount(w io.Writer, name, help string, v int64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
}

func writeCounter(w io.Writer, name, help, label string, values map[string]int64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s{%s=%s} %d\n", name, label, strconv.Quote(k), values[k])
	}
}

// histogram is a Prometheus histogram with fixed upper bounds.
type histogram struct {
	bounds []float64
	counts []int64 // per bucket, not cumulative
	sum    float64
	count  int64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]int64, len(bounds))}
}

func (h *histogram) observe(v float64) {
	h.sum += v
	h.count++
	for i, b := range h.bounds {
		if v <= b {
			h.counts[i]++
			return
		}
	}
}

func (h *histogram) write(w io.Writer, name, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum int64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", name, strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", name, h.count, name,
		strconv.FormatFloat(h.sum, 'g', -1, 64), name, h.count)
}
