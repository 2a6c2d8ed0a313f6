package server

import (
	"context"
	"errors"
	"net/http"
	"time"
)

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

type readyReport struct {
	Status   string            `json:"status"`
	Composer string            `json:"composer,omitempty"`
	Checks   map[string]string `json:"checks"`
	Failed   string            `json:"failed,omitempty"`
}

// serveReady answers 200 when this instance can answer questions: the
// database answers, its schema is current, the composer is configured and
// the injected checks pass. It answers 503 while shutting down.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	rep := readyReport{Status: "ready", Composer: s.door.Composer(), Checks: map[string]string{}}
	checks := append([]readyCheck{
		{"database", s.st.Ping},
		{"schema", s.st.CheckSchema},
		{"composer", func(context.Context) error {
			if rep.Composer == "" {
				return errors.New("no composer configured")
			}
			return nil
		}},
	}, s.checks...)
	s.mu.Lock()
	draining := s.draining
	s.mu.Unlock()
	if draining {
		checks = append([]readyCheck{{"shutdown", func(context.Context) error { return errors.New("shutting down") }}}, checks...)
	}
	for _, c := range checks {
		if err := c.check(ctx); err != nil {
			rep.Checks[c.name] = "failed"
			if rep.Failed == "" {
				rep.Status, rep.Failed = "not_ready", c.name
			}
			s.log.Warn("not ready", "request_id", requestID(r.Context()), "check", c.name, "error", err)
			continue
		}
		rep.Checks[c.name] = "ok"
	}
	if rep.Failed != "" {
		writeJSON(w, http.StatusServiceUnavailable, rep)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.metrics.handler().ServeHTTP(w, r)
}
