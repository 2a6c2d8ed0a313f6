package server

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"log/slog"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/store"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type apiError struct {
	Error string `json:"error"`
}

// readJSON decodes a small JSON body into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, apiError{"send application/json"})
		return false
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{"the body is not the JSON object this endpoint expects"})
		return false
	}
	return true
}

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

// admin guards an operator endpoint with the bearer token, compared in
// constant time, or a console session cookie (console.go), whose forms must
// also carry its CSRF token. With no token configured the endpoints do not
// exist. Every attempt first takes a token from the address's bucket of
// AdminFailures a minute, atomically, so even many requests at once get
// only that many comparisons; the right token gives its token back. An
// address with none left is refused with 429 on every instance.
func (s *Server) admin(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.AdminToken == "" {
			http.NotFound(w, r)
			return
		}
		token, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		session, cerr := r.Cookie(sessionCookie)
		if !bearer && (cerr != nil || s.console == nil) {
			s.unauthorised(w, r)
			return
		}
		lctx, cancel := context.WithTimeout(r.Context(), s.cfg.LimitTimeout)
		defer cancel()
		if !s.takeAdminAttempt(lctx, w, r) {
			return
		}
		if bearer && s.tokenMatches(token) || !bearer && s.validSession(session.Value) {
			s.returnAdminAttempt(lctx, r)
			if !bearer && r.Method != http.MethodGet && r.Method != http.MethodHead &&
				!hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(s.csrfToken(session.Value))) {
				writeJSON(w, http.StatusForbidden, apiError{"the form's CSRF token is missing or wrong; reload the page"})
				return
			}
			next(w, r)
			return
		}
		if !bearer {
			// An expired or forged session: sign in again.
			s.setCookie(w, r, sessionCookie, "", "/admin", -1)
			s.unauthorised(w, r)
			return
		}
		s.log.Warn("admin token refused", "request_id", requestID(r.Context()), "route", r.Pattern)
		writeJSON(w, http.StatusForbidden, apiError{"the admin token is not right"})
	})
}

// setRetryAfter sets Retry-After in whole seconds, at least 1.
func setRetryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
}

func (s *Server) serveReindex(w http.ResponseWriter, r *http.Request) {
	if s.reindex == nil {
		writeJSON(w, http.StatusNotImplemented, apiError{"reindexing is not configured on this server"})
		return
	}
	var body struct {
		Path string `json:"path"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if !validBasePath(body.Path) {
		writeJSON(w, http.StatusBadRequest, apiError{`path must be a GOV.UK base path such as "/renew-adult-passport"`})
		return
	}
	start := time.Now()
	summary, err := s.reindex(r.Context(), body.Path)
	if err != nil {
		s.log.Error("reindex failed", "request_id", requestID(r.Context()), "path", body.Path, "error", err)
		writeJSON(w, http.StatusBadGateway, apiError{"reindexing failed; see the server log for request " + requestID(r.Context())})
		return
	}
	s.log.Info("reindexed", "request_id", requestID(r.Context()), "path", body.Path, "ms", time.Since(start).Milliseconds())
	writeJSON(w, http.StatusOK, map[string]string{"path": body.Path, "result": summary})
}

func validBasePath(p string) bool {
	if len(p) < 2 || len(p) > 512 || p[0] != '/' || strings.HasPrefix(p, "//") {
		return false
	}
	for _, c := range p {
		if c <= ' ' || c == '?' || c == '#' || c == '\\' || c > '~' {
			return false
		}
	}
	return true
}

// KillSwitch is the stored kill switch: when Web is true the websocket
// refuses questions with Message. Every instance reads the same setting.
type KillSwitch struct {
	Web     bool   `json:"web"`
	Message string `json:"message,omitempty"`
}

const killSwitchKey = "kill_switch"

// killSwitch caches the setting for a short time, so an ask costs no query
// and a switch made on one instance reaches the others within the TTL. The
// read has its own short timeout and holds no lock while it waits: one
// caller refreshes, the others keep the last known value meanwhile, and a
// failed read keeps it too.
type killSwitch struct {
	st      Store
	ttl     time.Duration
	timeout time.Duration
	log     *slog.Logger

	mu         sync.Mutex // guards the fields below; never held across a query
	value      KillSwitch
	fetched    time.Time // last read, successful or not
	refreshing bool
}

// get returns the current state.
func (k *killSwitch) get(ctx context.Context) KillSwitch {
	k.mu.Lock()
	if k.refreshing || (!k.fetched.IsZero() && time.Since(k.fetched) < k.ttl) {
		v := k.value
		k.mu.Unlock()
		return v
	}
	k.refreshing = true
	k.mu.Unlock()

	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), k.timeout)
	raw, err := k.st.GetSetting(rctx, killSwitchKey)
	cancel()

	k.mu.Lock()
	defer k.mu.Unlock()
	k.refreshing = false
	// A failed read is retried after the TTL too, not on every question.
	k.fetched = time.Now()
	if err != nil {
		k.log.Warn("could not read the kill switch; keeping the last state", "error", err, "web_off", k.value.Web)
		return k.value
	}
	v := KillSwitch{}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			k.log.Error("the stored kill switch is not valid JSON; treating it as off", "error", err)
			v = KillSwitch{}
		}
	}
	k.value = v
	return v
}

func (k *killSwitch) set(ctx context.Context, v KillSwitch) error {
	raw := ""
	if v.Web || v.Message != "" {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		raw = string(b)
	}
	if err := k.st.SetSetting(ctx, killSwitchKey, raw); err != nil {
		return err
	}
	k.mu.Lock()
	k.value, k.fetched = v, time.Now()
	k.mu.Unlock()
	return nil
}

func (s *Server) serveKillSwitchGet(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.kill.get(r.Context()))
}

func (s *Server) serveKillSwitchSet(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Web     *bool  `json:"web"`
		Message string `json:"message"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if body.Web == nil {
		writeJSON(w, http.StatusBadRequest, apiError{`send {"web": true} to switch the chat off or {"web": false} to switch it on`})
		return
	}
	if utf8.RuneCountInString(body.Message) > 1000 {
		writeJSON(w, http.StatusBadRequest, apiError{"message must be 1000 characters or fewer"})
		return
	}
	v := KillSwitch{Web: *body.Web, Message: strings.TrimSpace(body.Message)}
	if err := s.kill.set(r.Context(), v); err != nil {
		s.log.Error("could not store the kill switch", "request_id", requestID(r.Context()), "error", err)
		writeJSON(w, http.StatusServiceUnavailable, apiError{"the kill switch could not be stored"})
		return
	}
	s.log.Warn("kill switch changed", "request_id", requestID(r.Context()), "web_off", v.Web)
	writeJSON(w, http.StatusOK, v)
}

// serveDeleteConversation deletes a conversation at the citizen's request.
// It needs no token: the id is random and only its owner knows it.
func (s *Server) serveDeleteConversation(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !ValidID(id) {
		writeJSON(w, http.StatusNotFound, apiError{"there is no such conversation"})
		return
	}
	found, err := s.st.DeleteConversation(r.Context(), id)
	if err != nil {
		s.log.Error("could not delete a conversation", "request_id", requestID(r.Context()), "error", err)
		writeJSON(w, http.StatusServiceUnavailable, apiError{"the conversation could not be deleted; try again later"})
		return
	}
	if !found {
		writeJSON(w, http.StatusNotFound, apiError{"there is no such conversation"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveFeedback(w http.ResponseWriter, r *http.Request) {
	var body struct {
		MessageID string `json:"message_id"`
		Useful    *bool  `json:"useful"`
		Comment   string `json:"comment"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if !ValidID(body.MessageID) || body.Useful == nil {
		writeJSON(w, http.StatusBadRequest, apiError{"send message_id and useful (true or false)"})
		return
	}
	if ok, wait := s.door.Allow(r.Context(), clientIP(r, s.cfg.TrustProxy)); !ok {
		setRetryAfter(w, wait)
		writeJSON(w, http.StatusTooManyRequests, apiError{"too many requests; try again later"})
		return
	}
	err := s.saveFeedback(r.Context(), body.MessageID, *body.Useful, body.Comment)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, apiError{"there is no such answer"})
	case err != nil:
		s.log.Error("could not store feedback", "request_id", requestID(r.Context()), "error", err)
		writeJSON(w, http.StatusServiceUnavailable, apiError{"your feedback could not be saved; try again later"})
	default:
		writeJSON(w, http.StatusOK, map[string]string{"message_id": body.MessageID})
	}
}

// saveFeedback redacts personal data from the comment, caps it and stores it.
func (s *Server) saveFeedback(ctx context.Context, messageID string, useful bool, comment string) error {
	comment = chat.Redact(truncateRunes(comment, maxCommentInput))
	comment = strings.TrimSpace(truncateRunes(comment, maxCommentRunes))
	if err := s.st.AddFeedback(ctx, messageID, useful, comment); err != nil {
		return err
	}
	s.metrics.feedbackStored.Inc()
	return nil
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// checkOrigin allows a websocket from the page's own host, from an allowed
// origin, or with no Origin header at all (not a browser: browsers always
// send one, so a cross-site page cannot use this).
func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	if n, ok := normalOrigin(origin); ok && s.origins[n] {
		return true
	}
	s.metrics.connsRejected.WithLabelValues("origin").Inc()
	return false
}

// normalOrigin lower-cases scheme://host[:port] and refuses anything else.
func normalOrigin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}
