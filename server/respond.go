package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The JSON endpoints' handlers return an error instead of writing one: an
// *httpError carries the status and the message the client sees, and
// (*Server).handle is the one place that logs it and writes the JSON error.
// Dify's endpoint has its own error format (dify.go).

// handlerFunc is a handler whose failures are returned, not written.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// apiError is the JSON body of every error answer but Dify's.
type apiError struct {
	Error string `json:"error"`
}

// httpError is a handler's failure as the client sees it (status and
// public message) and as the log sees it (the cause).
type httpError struct {
	status int
	public string     // the message the client sees
	cause  error      // logged, never sent
	log    string     // the log message; empty logs nothing
	level  slog.Level // of the log message
	attrs  []any      // more log attributes
	retry  bool       // send Retry-After
	wait   time.Duration
}

func (e *httpError) Error() string {
	if e.cause != nil {
		return e.public + ": " + e.cause.Error()
	}
	return e.public
}

func (e *httpError) Unwrap() error { return e.cause }

// refuse answers status with msg and logs nothing: the request was at fault.
func refuse(status int, msg string) *httpError {
	return &httpError{status: status, public: msg}
}

// failed answers status with msg and logs logMsg with the cause as an error.
func failed(status int, msg, logMsg string, cause error) *httpError {
	return &httpError{status: status, public: msg, cause: cause, log: logMsg, level: slog.LevelError}
}

// tooMany answers 429 with msg and a Retry-After of wait (at least a second).
func tooMany(msg string, wait time.Duration) *httpError {
	return &httpError{status: http.StatusTooManyRequests, public: msg, retry: true, wait: wait}
}

// handle adapts h to http.HandlerFunc: an error it returns is logged and
// written by writeError.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// writeError logs err (when it says to) and writes its JSON error. An error
// that is not an *httpError is a 500 with a message naming the request.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.logError(r, err)
	if e.retry {
		setRetryAfter(w, e.wait)
	}
	if s.consolePage(r) {
		s.showError(w, r, e.status, e.public)
		return
	}
	writeJSON(w, e.status, apiError{e.public})
}

// logError logs err as writeError would and returns it as an *httpError.
func (s *Server) logError(r *http.Request, err error) *httpError {
	var e *httpError
	if !errors.As(err, &e) {
		e = failed(http.StatusInternalServerError, "something went wrong; see the server log for request "+requestID(r.Context()),
			"request failed", err)
	}
	if e.log != "" {
		attrs := append([]any{"request_id", requestID(r.Context()), "route", r.Pattern}, e.attrs...)
		if e.cause != nil {
			attrs = append(attrs, "error", e.cause)
		}
		s.log.Log(r.Context(), e.level, e.log, attrs...)
	}
	return e
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes a small JSON body into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return refuse(http.StatusUnsupportedMediaType, "send application/json")
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(v); err != nil {
		return refuse(http.StatusBadRequest, "the body is not the JSON object this endpoint expects")
	}
	return nil
}

// setRetryAfter sets Retry-After in whole seconds, at least 1.
func setRetryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
}
