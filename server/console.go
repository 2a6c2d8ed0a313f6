package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/store"
)

// The operators' console (docs/console.md): server-rendered GOV.UK Design
// System pages under /admin, each also JSON with ?format=json. Browsers
// sign in once with the admin token and then carry a session cookie;
// scripts send the token as a bearer token on every request.
//
// The session cookie is stateless, so it holds on every instance: an expiry
// and an HMAC of it keyed by the admin token. Changing the token ends every
// session. Forms that change state carry a CSRF token (an HMAC of the
// session), and cross-site posts are refused as for the citizen's endpoints.

// ConsoleStore is what the console reads; *store.Store is one.
type ConsoleStore interface {
	ListConversations(ctx context.Context, f store.AdminFilter) ([]store.ConversationSummary, error)
	ConversationMessages(ctx context.Context, id string) ([]store.AdminMessage, error)
	ListMessages(ctx context.Context, f store.AdminFilter) ([]store.AdminMessage, error)
}

// Inspector shows what the bot would see for a question; *chat.Pipeline is one.
type Inspector interface {
	Inspect(ctx context.Context, question string) (chat.Inspection, error)
}

// WithConsole enables the operators' console under /admin (it needs the
// admin token too). in may be nil: /admin/search then answers 501.
func WithConsole(st ConsoleStore, in Inspector) Option {
	return func(s *Server) { s.console = &console{st: st, in: in} }
}

type console struct {
	st    ConsoleStore
	in    Inspector
	pages *consolePages
}

const (
	sessionCookie    = "govchat_admin"
	signInCSRFCookie = "govchat_admin_signin"
	sessionTTL       = 8 * time.Hour
)

// consoleRoutes registers the console's routes (the list is in Routes).
func (s *Server) consoleRoutes(mux *http.ServeMux) {
	if s.console == nil {
		return
	}
	pages, err := parseConsolePages()
	if err != nil {
		// The templates are embedded: this is a programming error.
		panic(err)
	}
	s.console.pages = pages
	cop := s.crossOriginProtection()
	mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/conversations", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /admin/sign-in", s.serveSignInForm)
	mux.Handle("POST /admin/sign-in", cop.Handler(http.HandlerFunc(s.serveSignIn)))
	mux.Handle("POST /admin/sign-out", cop.Handler(s.admin(s.serveSignOut)))
	mux.Handle("GET /admin/conversations", s.admin(s.serveConversations))
	mux.Handle("GET /admin/conversations/{id}", s.admin(s.serveConversation))
	mux.Handle("GET /admin/feedback", s.admin(s.serveFeedbackList))
	mux.Handle("GET /admin/export", s.admin(s.serveExport))
	mux.Handle("GET /admin/search", s.admin(s.serveSearch))
}

// consoleRouteList is the console's part of Routes.
var consoleRouteList = []string{"GET /admin", "GET /admin/sign-in", "POST /admin/sign-in", "POST /admin/sign-out",
	"GET /admin/conversations", "GET /admin/conversations/{id}", "GET /admin/feedback", "GET /admin/export", "GET /admin/search"}

// sessionKey is the HMAC key of sessions and CSRF tokens, derived from the
// admin token so that it is never used for two things.
func (s *Server) sessionKey() []byte {
	sum := sha256.Sum256([]byte("govchat admin session\x00" + s.cfg.AdminToken))
	return sum[:]
}

func (s *Server) mac(parts ...string) string {
	h := hmac.New(sha256.New, s.sessionKey())
	h.Write([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// newSession returns a session cookie value that expires at exp.
func (s *Server) newSession(exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	return e + "." + s.mac("session", e)
}

// validSession checks a session cookie value's MAC in constant time, then
// its expiry.
func (s *Server) validSession(v string) bool {
	e, sig, ok := strings.Cut(v, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.mac("session", e))) {
		return false
	}
	unix, err := strconv.ParseInt(e, 10, 64)
	return err == nil && time.Now().Before(time.Unix(unix, 0))
}

// csrfToken is the CSRF token of forms in a session.
func (s *Server) csrfToken(session string) string { return s.mac("csrf", session) }

// secureCookies reports whether cookies must be Secure: the request came
// over TLS, or through a trusted proxy (which terminates TLS).
func (s *Server) secureCookies(r *http.Request) bool { return r.TLS != nil || s.cfg.TrustProxy }

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true,
		Secure: s.secureCookies(r), SameSite: http.SameSiteStrictMode})
}

// wantsJSON reports whether an admin request asked for JSON: ?format=json,
// or a client that does not accept HTML (a script).
func wantsJSON(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "json"
	}
	return !strings.Contains(r.Header.Get("Accept"), "text/html")
}

// signInData is the sign-in page.
type signInData struct {
	CSRF  string
	Next  string
	Error string
}

// safeNext keeps a sign-in's return address inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin/conversations"
	}
	return next
}

func (s *Server) serveSignInForm(w http.ResponseWriter, r *http.Request) {
	if s.cfg.AdminToken == "" {
		http.NotFound(w, r)
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil && s.validSession(c.Value) {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.renderSignIn(w, r, http.StatusOK, "")
}

// renderSignIn shows the sign-in form with a fresh sign-in CSRF token, set
// in a cookie as well (the double-submit pattern: there is no session yet).
func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, status int, msg string) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	s.setCookie(w, r, signInCSRFCookie, tok, "/admin/sign-in", 3600)
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostFormValue("next")
	}
	s.console.pages.render(w, status, "sign-in", page{Title: "Sign in", Data: signInData{CSRF: tok, Next: safeNext(next), Error: msg}})
}

func (s *Server) serveSignIn(w http.ResponseWriter, r *http.Request) {
	if s.cfg.AdminToken == "" {
		http.NotFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	c, err := r.Cookie(signInCSRFCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		s.renderSignIn(w, r, http.StatusForbidden, "The sign-in form had expired. Enter the admin token again.")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.LimitTimeout)
	defer cancel()
	if e := s.takeAdminAttempt(ctx, r); e != nil {
		setRetryAfter(w, e.wait)
		s.renderSignIn(w, r, e.status, "There have been too many failed attempts from your address. Try again in a few minutes.")
		return
	}
	token := r.PostFormValue("token")
	if token == "" {
		s.returnAdminAttempt(ctx, r)
		s.renderSignIn(w, r, http.StatusBadRequest, "Enter the admin token")
		return
	}
	if !s.tokenMatches(token) {
		s.log.Warn("admin sign-in refused", "request_id", requestID(r.Context()))
		s.renderSignIn(w, r, http.StatusForbidden, "The admin token is not right")
		return
	}
	s.returnAdminAttempt(ctx, r)
	s.setCookie(w, r, signInCSRFCookie, "", "/admin/sign-in", -1)
	s.setCookie(w, r, sessionCookie, s.newSession(time.Now().Add(sessionTTL)), "/admin", int(sessionTTL.Seconds()))
	s.log.Info("admin signed in", "request_id", requestID(r.Context()))
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) serveSignOut(w http.ResponseWriter, r *http.Request) error {
	s.setCookie(w, r, sessionCookie, "", "/admin", -1)
	http.Redirect(w, r, "/admin/sign-in", http.StatusSeeOther)
	return nil
}
