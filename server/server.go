// Package server is govchat's HTTP and websocket transport: the chat
// protocol on /ws (docs/protocol.md), health, readiness and metrics
// endpoints, the admin endpoints, conversation deletion and feedback
// (docs/openapi.json), and the citizen's page mounted from package web.
//
// It is the only package that imports gorilla/websocket. It knows nothing
// about how answers are made: it drives an Asker (a *chat.Pipeline)
// through a Door, which every channel shares (the websocket here, the
// page's form in package web): the kill switch, the rate limits and the
// one-question-at-a-time check, kept in the database so that they hold
// across instances, then the metrics and the audit log.
package server

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/net/netutil"

	"github.com/govchat/govchat/chat"
)

// Asker answers one question; *chat.Pipeline is one. Ask returns an error
// only for infrastructure failures; the Outcome's Status is always set.
// Cancelling ctx cancels the turn.
type Asker interface {
	Ask(ctx context.Context, req chat.Request, ev chat.Events) (chat.Outcome, error)
	Composer() string
}

// Store is what the server needs from the database; *store.Store is one.
type Store interface {
	Ping(ctx context.Context) error
	CheckSchema(ctx context.Context) error
	GetSetting(ctx context.Context, key string) (string, error)
	SetSetting(ctx context.Context, key, value string) error
	AddFeedback(ctx context.Context, messageID string, useful bool, comment string) error
	DeleteConversation(ctx context.Context, id string) (bool, error)
	TakeToken(ctx context.Context, key string, burst, perSecond float64) (bool, time.Duration, error)
	ReturnToken(ctx context.Context, key string, burst float64) error
	ClaimConversation(ctx context.Context, id, holder string, ttl time.Duration) (bool, error)
	ReleaseConversation(ctx context.Context, id, holder string) error
}

// Reindexer fetches one page now and updates the index, returning a short
// summary for the operator.
type Reindexer func(ctx context.Context, basePath string) (string, error)

// Config tunes the server. Zero values take the defaults in brackets.
type Config struct {
	MaxQuestionChars  int           // [300]
	MaxMessageBytes   int           // largest websocket message a client may send [8192]
	MaxConnections    int           // open websockets [10000]
	MaxConnsPerIP     int           // open websockets from one IPv4 address or IPv6 /64 [50]
	MaxHTTPConns      int           // open TCP connections of every kind; more wait to be accepted [12000]
	ReadTimeout       time.Duration // longest time to read a request's headers and body [15s]
	WSIdleTimeout     time.Duration // a websocket with no question for this long is closed [10m]
	AdminFailures     float64       // failed admin tokens a minute from one address before it is refused [5]
	RatePerIP         float64       // questions a minute from one IP, burst the same [20]
	RatePerConv       float64       // questions a minute in one conversation [10]
	AllowedOrigins    []string      // websocket origins allowed besides the page's own
	TrustProxy        bool          // take the client IP from X-Forwarded-For
	AdminToken        string        // bearer token for /admin; empty disables /admin
	ShutdownTimeout   time.Duration // how long Run waits for answers in progress [30s]
	AskTimeout        time.Duration // longest one answer may take [2m]
	KillSwitchTTL     time.Duration // how long the kill switch setting is cached [5s]
	KillSwitchTimeout time.Duration // longest wait for the kill switch setting [1s]
	LimitTimeout      time.Duration // longest wait for a shared limit in the database [2s]
	AdminQueryTimeout time.Duration // longest one admin or console database query may take [10s]

	// Page serves "/" and the page's assets; nil serves a plain text page.
	Page http.Handler

	// Websocket timings and buffers; tests shorten them. The server pings
	// twice in each PongWait (pingInterval), as gorilla's chat example
	// derives its ping period from its pong wait.
	PongWait   time.Duration // no pong (or other message) for this long closes the connection [60s]
	WriteWait  time.Duration // longest one write may take [10s]
	SendBuffer int           // messages queued per connection before it is dropped as too slow [64]
}

func (c Config) withDefaults() Config {
	c.MaxQuestionChars = cmp.Or(c.MaxQuestionChars, 300)
	c.MaxMessageBytes = cmp.Or(c.MaxMessageBytes, 8192)
	c.MaxConnections = cmp.Or(c.MaxConnections, 10000)
	c.MaxConnsPerIP = cmp.Or(c.MaxConnsPerIP, 50)
	c.MaxHTTPConns = cmp.Or(c.MaxHTTPConns, 12000)
	c.ReadTimeout = cmp.Or(c.ReadTimeout, 15*time.Second)
	c.WSIdleTimeout = cmp.Or(c.WSIdleTimeout, 10*time.Minute)
	c.AdminFailures = cmp.Or(c.AdminFailures, 5)
	c.RatePerIP = cmp.Or(c.RatePerIP, 20)
	c.RatePerConv = cmp.Or(c.RatePerConv, 10)
	c.ShutdownTimeout = cmp.Or(c.ShutdownTimeout, 30*time.Second)
	c.AskTimeout = cmp.Or(c.AskTimeout, 2*time.Minute)
	c.KillSwitchTTL = cmp.Or(c.KillSwitchTTL, 5*time.Second)
	c.KillSwitchTimeout = cmp.Or(c.KillSwitchTimeout, time.Second)
	c.LimitTimeout = cmp.Or(c.LimitTimeout, 2*time.Second)
	c.AdminQueryTimeout = cmp.Or(c.AdminQueryTimeout, 10*time.Second)
	c.PongWait = cmp.Or(c.PongWait, 60*time.Second)
	c.WriteWait = cmp.Or(c.WriteWait, 10*time.Second)
	c.SendBuffer = cmp.Or(c.SendBuffer, 64)
	return c
}

// pingInterval is how often the server pings: half of PongWait, so a
// missed ping still leaves time for the next one's pong.
func (c Config) pingInterval() time.Duration { return c.PongWait / 2 }

// Option adds an optional collaborator to New.
type Option func(*Server)

// WithReindexer enables POST /admin/reindex.
func WithReindexer(r Reindexer) Option { return func(s *Server) { s.reindex = r } }

// WithReadyCheck adds a check to /readyz, such as "the index was built with
// the configured embedder".
func WithReadyCheck(name string, check func(ctx context.Context) error) Option {
	return func(s *Server) { s.checks = append(s.checks, readyCheck{name, check}) }
}

type readyCheck struct {
	name  string
	check func(ctx context.Context) error
}

// Server serves govchat over HTTP. Make one with New.
type Server struct {
	cfg      Config
	door     *Door
	st       Store
	log      *slog.Logger
	reindex  Reindexer
	dify     *difyAPI
	checks   []readyCheck
	console  *console
	metrics  *metrics
	kill     *killSwitch
	upgrader websocket.Upgrader
	origins  map[string]bool
	handler  http.Handler

	mu       sync.Mutex
	conns    map[*conn]struct{}
	perIP    map[string]int // open websockets by ipKey
	reserved int            // upgrades in progress
	draining bool           // shutting down: no new connections or questions
	connWG   sync.WaitGroup
}

// New builds a server whose questions all go through door; build the
// page's form (Config.Page) on the same door. door and st must not be nil.
func New(cfg Config, door *Door, st Store, log *slog.Logger, opts ...Option) *Server {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, door: door, st: st, log: log, metrics: door.metrics, kill: door.kill,
		origins: map[string]bool{}, conns: map[*conn]struct{}{}, perIP: map[string]int{}}
	for _, o := range cfg.AllowedOrigins {
		if n, ok := normalOrigin(o); ok {
			s.origins[n] = true
		} else {
			log.Warn("server: ignoring an allowed origin that is not scheme://host[:port]", "origin", o)
		}
	}
	for _, o := range opts {
		o(s)
	}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
		CheckOrigin:      s.checkOrigin,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			http.Error(w, http.StatusText(status), status)
		},
	}
	s.handler = s.routes()
	return s
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", s.serveWS)
	mux.HandleFunc("GET /healthz", s.serveHealth)
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.Handle("POST /admin/reindex", s.admin(s.serveReindex))
	mux.Handle("GET /admin/kill-switch", s.admin(s.serveKillSwitchGet))
	mux.Handle("POST /admin/kill-switch", s.admin(s.serveKillSwitchSet))
	s.difyRoutes(mux)
	s.consoleRoutes(mux)

	// The citizen's own endpoints: cross-site requests are refused, like the
	// page's form (see package web).
	cop := s.crossOriginProtection()
	mux.Handle("DELETE /api/conversations/{id}", cop.Handler(s.handle(s.serveDeleteConversation)))
	mux.Handle("POST /api/feedback", cop.Handler(s.handle(s.serveFeedback)))

	if s.cfg.Page != nil {
		mux.Handle("/", s.cfg.Page)
	} else {
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprintln(w, "govchat is running. The chat page is not installed; connect a client to /ws (see docs/protocol.md).")
		})
	}
	return s.logRequests(securityHeaders(mux))
}

// Routes lists the method and path of every route the server registers, for
// the test that checks docs/openapi.json documents each one.
func Routes() []string {
	return append([]string{"GET /ws", "GET /healthz", "GET /readyz", "GET /metrics", "POST /admin/reindex",
		"GET /admin/kill-switch", "POST /admin/kill-switch", "DELETE /api/conversations/{id}", "POST /api/feedback", "POST /dify/retrieval"}, consoleRouteList...)
}

// securityHeaders sets the headers every response carries. The page has no
// inline script or style, so the policy needs no exceptions.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Hijack lets the websocket upgrade take the connection.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil && r.status == 0 {
		r.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

type requestIDKey struct{}

// logRequests gives every request an id (returned in X-Request-Id) and logs
// its route pattern, status and duration. Never the query, body or
// headers: they may hold a question, personal data or a token.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if r.Pattern == "GET /healthz" || r.Pattern == "GET /readyz" || r.Pattern == "GET /metrics" {
			level = slog.LevelDebug
		}
		pattern := r.Pattern
		if pattern == "" {
			pattern = "(none)"
		}
		s.log.Log(r.Context(), level, "request", "request_id", id, "route", pattern, "status", rec.status,
			"ms", time.Since(start).Milliseconds())
	})
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Run serves on ln until ctx is done, then shuts down gracefully: it stops
// accepting, refuses new questions, lets answers in progress finish for up
// to ShutdownTimeout, closes every websocket with 1001 (going away) and
// returns. It returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	// ReadTimeout bounds the headers and body of every request (the form,
	// feedback, admin bodies); a websocket sets its own deadlines once
	// upgraded. There is no WriteTimeout: a form answer may take AskTimeout.
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: min(10*time.Second, s.cfg.ReadTimeout),
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(netutil.LimitListener(ln, s.cfg.MaxHTTPConns)) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	var httpErr error
	wg.Go(func() { httpErr = hs.Shutdown(sctx) })
	wsErr := s.Shutdown(sctx)
	wg.Wait()
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: %w", err)
	}
	if httpErr != nil && !errors.Is(httpErr, context.DeadlineExceeded) {
		return fmt.Errorf("server: shutdown: %w", httpErr)
	}
	return wsErr
}

// Shutdown drains the websockets: no new connections or questions; idle
// connections are closed with 1001 now, busy ones when their answer is done.
// When ctx ends first, the remaining answers are cancelled and their
// connections closed. It returns once every connection has ended. Run calls
// it; call it yourself only when serving Handler on your own http.Server.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.drain()
	}
	done := make(chan struct{})
	go func() { s.connWG.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	n := len(s.conns)
	for c := range s.conns {
		c.abort()
	}
	s.mu.Unlock()
	<-done
	s.log.Warn("shutdown timed out; answers in progress were cancelled", "connections", n)
	return fmt.Errorf("server: shutdown: %d connections still busy: %w", n, ctx.Err())
}
