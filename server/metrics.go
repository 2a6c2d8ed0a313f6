package server

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/govchat/govchat/chat"
)

// metrics are the server's Prometheus series, on a registry of their own
// (not the global one), so every Door counts only its own questions.
type metrics struct {
	reg            *prometheus.Registry
	connsOpen      prometheus.Gauge
	connsRejected  *prometheus.CounterVec // reason
	asks           *prometheus.CounterVec // status
	routes         *prometheus.CounterVec // router label
	askDuration    prometheus.Histogram
	firstDelta     prometheus.Histogram
	stageDuration  *prometheus.HistogramVec // stage
	llmTokens      *prometheus.CounterVec   // model, kind
	rateLimited    *prometheus.CounterVec   // scope: ip, conversation
	rejected       *prometheus.CounterVec   // error code
	slowDropped    prometheus.Counter
	feedbackStored prometheus.Counter
	idleClosed     prometheus.Counter
	limitErrors    prometheus.Counter
	adminThrottled prometheus.Counter
}

var latencyBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120}

// stageBuckets are finer: the checks and retrieval take milliseconds.
var stageBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60}

// metricStages are the chat.Outcome.Timings observed per stage.
var metricStages = []string{"checks", "retrieval", "compose", "first_delta"}

func newMetrics() *metrics {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	vec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	hist := func(name, help string) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: latencyBuckets})
	}
	m := &metrics{
		reg:           prometheus.NewRegistry(),
		connsOpen:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "govchat_ws_connections_open", Help: "Websocket connections open now."}),
		connsRejected: vec("govchat_ws_connections_rejected_total", "Websocket upgrades refused, by reason.", "reason"),
		asks:          vec("govchat_asks_total", "Questions, by final status (refusals by the kill switch, rate limits and busy check included).", "status"),
		routes:        vec("govchat_route_labels_total", "Questions, by the question router's label.", "label"),
		askDuration:   hist("govchat_ask_duration_seconds", "Time from a question being accepted to its done message."),
		firstDelta:    hist("govchat_ask_first_delta_seconds", "Time from a question being accepted to the first text of its answer."),
		stageDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "govchat_stage_duration_seconds",
			Help: "Time each stage of the answer pipeline took (first_delta: from the start of the turn to the first text).", Buckets: stageBuckets}, []string{"stage"}),
		llmTokens:      vec("govchat_llm_tokens_total", "Tokens used by the LLM, by model and kind (prompt or completion), as the model's server reported them.", "model", "kind"),
		rateLimited:    vec("govchat_rate_limited_total", "Questions refused by a rate limit, by scope.", "scope"),
		rejected:       vec("govchat_messages_rejected_total", "Client messages answered with an error, by code.", "code"),
		slowDropped:    counter("govchat_slow_clients_dropped_total", "Connections closed because the client read too slowly."),
		feedbackStored: counter("govchat_feedback_total", "Feedback stored."),
		idleClosed:     counter("govchat_ws_idle_closed_total", "Websockets closed after WSIdleTimeout without a question."),
		limitErrors:    counter("govchat_limit_errors_total", "Shared-limit checks that failed in the database and let the request through."),
		adminThrottled: counter("govchat_admin_throttled_total", "Admin requests refused after too many failed tokens from one address."),
	}
	m.reg.MustRegister(m.connsOpen, m.connsRejected, m.asks, m.routes, m.askDuration, m.firstDelta, m.stageDuration,
		m.llmTokens, m.rateLimited, m.rejected, m.slowDropped, m.feedbackStored, m.idleClosed, m.limitErrors, m.adminThrottled,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Series that exist from the start, at 0, so that rates and alerts work
	// before the first event.
	for _, s := range chat.AllStatuses() {
		m.asks.WithLabelValues(string(s))
	}
	for _, s := range []string{"ip", "conversation"} {
		m.rateLimited.WithLabelValues(s)
	}
	for _, l := range chat.AllLabels() {
		m.routes.WithLabelValues(string(l))
	}
	for _, s := range metricStages {
		m.stageDuration.WithLabelValues(s)
	}
	return m
}

// asked counts a finished question: its status, label, durations, stage
// timings and model tokens.
func (m *metrics) asked(status string, out chat.Outcome, total, first time.Duration) {
	m.asks.WithLabelValues(status).Inc()
	if out.Route.Label != "" {
		m.routes.WithLabelValues(string(out.Route.Label)).Inc()
	}
	m.askDuration.Observe(total.Seconds())
	if first > 0 {
		m.firstDelta.Observe(first.Seconds())
	}
	for _, s := range metricStages {
		if d, ok := out.Timings[s]; ok {
			m.stageDuration.WithLabelValues(s).Observe(d.Seconds())
		}
	}
	for _, c := range out.Audit.LLM {
		model := c.Model
		if model == "" {
			model = "unknown"
		}
		m.llmTokens.WithLabelValues(model, "prompt").Add(float64(c.PromptTokens))
		m.llmTokens.WithLabelValues(model, "completion").Add(float64(c.CompletionTokens))
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
