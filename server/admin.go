package server

import (
	"context"
	"crypto/hmac"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// admin guards an operator endpoint with the bearer token, compared in
// constant time, or a console session cookie (console.go), whose forms must
// also carry its CSRF token. With no token configured the endpoints do not
// exist. Every attempt first takes a token from the address's bucket of
// AdminFailures a minute, atomically, so even many requests at once get
// only that many comparisons; the right token gives its token back. An
// address with none left is refused with 429 on every instance.
func (s *Server) admin(next handlerFunc) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.AdminToken == "" {
			http.NotFound(w, r)
			return nil
		}
		token, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		session, cerr := r.Cookie(sessionCookie)
		if !bearer && (cerr != nil || s.console == nil) {
			return s.unauthorised(w, r)
		}
		lctx, cancel := context.WithTimeout(r.Context(), s.cfg.LimitTimeout)
		defer cancel()
		if err := s.takeAdminAttempt(lctx, r); err != nil {
			return err
		}
		if bearer && s.tokenMatches(token) || !bearer && s.validSession(session.Value) {
			s.returnAdminAttempt(lctx, r)
			if !bearer && r.Method != http.MethodGet && r.Method != http.MethodHead &&
				!hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(s.csrfToken(session.Value))) {
				return refuse(http.StatusForbidden, "the form's CSRF token is missing or wrong; reload the page")
			}
			return next(w, r)
		}
		if !bearer {
			// An expired or forged session: sign in again.
			s.setCookie(w, r, sessionCookie, "", "/admin", -1)
			return s.unauthorised(w, r)
		}
		return &httpError{status: http.StatusForbidden, public: "the admin token is not right", log: "admin token refused", level: slog.LevelWarn}
	})
}

// unauthorised answers a request with no credentials: browsers go to the
// sign-in page, scripts get 401.
func (s *Server) unauthorised(w http.ResponseWriter, r *http.Request) error {
	if s.console != nil && r.Method == http.MethodGet && !wantsJSON(r) {
		http.Redirect(w, r, "/admin/sign-in?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="govchat admin"`)
	return refuse(http.StatusUnauthorized, "an admin bearer token is needed")
}

// takeAdminAttempt takes one attempt from the address's bucket, or returns
// the 429 that refuses the request. Every comparison of a token or session
// costs an attempt; a right one gives it back (returnAdminAttempt).
func (s *Server) takeAdminAttempt(ctx context.Context, r *http.Request) *httpError {
	key := "admin:" + ipKey(clientIP(r, s.cfg.TrustProxy))
	burst, perSecond := max(1, s.cfg.AdminFailures), s.cfg.AdminFailures/60
	// A database that does not answer fails closed here: the admin
	// endpoints need it anyway.
	if ok, wait, err := s.st.TakeToken(ctx, key, burst, perSecond); err != nil || !ok {
		s.metrics.adminThrottled.Inc()
		return tooMany("too many failed attempts; try again later", wait)
	}
	return nil
}

func (s *Server) returnAdminAttempt(ctx context.Context, r *http.Request) {
	key := "admin:" + ipKey(clientIP(r, s.cfg.TrustProxy))
	if err := s.st.ReturnToken(ctx, key, max(1, s.cfg.AdminFailures)); err != nil {
		s.log.Warn("could not return an admin attempt token", "request_id", requestID(r.Context()), "error", err)
	}
}

func (s *Server) tokenMatches(token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) == 1
}

func (s *Server) serveReindex(w http.ResponseWriter, r *http.Request) error {
	if s.reindex == nil {
		return refuse(http.StatusNotImplemented, "reindexing is not configured on this server")
	}
	var body struct {
		Path string `json:"path"`
	}
	if err := readJSON(w, r, &body); err != nil {
		return err
	}
	if !validBasePath(body.Path) {
		return refuse(http.StatusBadRequest, `path must be a GOV.UK base path such as "/renew-adult-passport"`)
	}
	start := time.Now()
	summary, err := s.reindex(r.Context(), body.Path)
	if err != nil {
		e := failed(http.StatusBadGateway, "reindexing failed; see the server log for request "+requestID(r.Context()), "reindex failed", err)
		e.attrs = []any{"path", body.Path}
		return e
	}
	s.log.Info("reindexed", "request_id", requestID(r.Context()), "path", body.Path, "ms", time.Since(start).Milliseconds())
	writeJSON(w, http.StatusOK, map[string]string{"path": body.Path, "result": summary})
	return nil
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
