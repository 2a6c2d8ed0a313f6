// Package loadtest holds many websocket connections open against a govchat
// server on this machine and keeps some of them asking questions, then
// reports how many connections survived, how many answers finished, every
// failure by kind, and latency percentiles.
//
// It only ever connects to loopback addresses: it is a tool for measuring a
// server you started yourself, not for loading someone else's.
package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govchat/govchat/internal/wait"
)

// Limits that keep a run bounded whatever the flags say.
const (
	MaxConns    = 20000
	MaxDuration = time.Hour
	MaxRamp     = 10 * time.Minute
)

// Error kinds, the keys of Report.ErrorsByType. A server error code becomes
// its own key ("rate_limited", "busy", "too_large", ...).
const (
	ErrDial        = "dial"         // the connection or handshake failed
	ErrHung        = "hung"         // no done within Config.AnswerTimeout
	ErrClosed      = "closed"       // the server closed a connection we were still using
	ErrStatusError = "status_error" // done with status "error"
	ErrProtocol    = "protocol"     // a frame that is not a protocol message
)

// Config is one run. Zero fields take the documented defaults.
type Config struct {
	URL       string        // ws://127.0.0.1:PORT/ws; loopback only
	Conns     int           // connections to hold, including the askers [1]
	Askers    int           // connections that ask, one question at a time [0]
	Duration  time.Duration // how long the askers ask, after the ramp [10s]
	Ramp      time.Duration // spread the connects of the idle connections over this [0]
	Questions []string      // asked in turn; [DefaultQuestions]
	// AnswerTimeout is how long an ask may go without done before it is
	// counted hung [30s].
	AnswerTimeout time.Duration
	DialTimeout   time.Duration // per connection, including the hello [10s]
	// Settle is the pause after the last connect before the memory sample
	// and the first question [2s].
	Settle time.Duration
	// ServerPID, when set, is the server's process id on this machine: its
	// resident memory is sampled before the connects, after them, and at the end.
	ServerPID int
	Logger    *slog.Logger
}

// DefaultQuestions are asked when Config.Questions is empty.
var DefaultQuestions = []string{
	"How do I renew my passport?",
	"How do I report stolen cattle?",
	"Can salary sacrifice take my pay below the minimum wage?",
	"What do I need to do to register a birth?",
	"How do I apply for a driving licence?",
}

// Report is the outcome of a run. Durations are in milliseconds.
type Report struct {
	URL            string         `json:"url"`
	ConnsTarget    int            `json:"conns_target"`
	Askers         int            `json:"askers"`
	DurationS      float64        `json:"duration_s"`
	Connections    int            `json:"connections"` // held open at the end of the asking
	MaxConnections int            `json:"max_connections"`
	Asks           int            `json:"asks"` // asks that ended with done
	Errors         int            `json:"errors"`
	ErrorsByType   map[string]int `json:"errors_by_type"`
	Statuses       map[string]int `json:"statuses"` // done statuses
	CleanCloses    int            `json:"clean_closes"`
	UncleanCloses  int            `json:"unclean_closes"`

	P50FirstDeltaMs float64 `json:"p50_first_delta_ms"`
	P95FirstDeltaMs float64 `json:"p95_first_delta_ms"`
	P99FirstDeltaMs float64 `json:"p99_first_delta_ms"`
	P50DoneMs       float64 `json:"p50_done_ms"`
	P95DoneMs       float64 `json:"p95_done_ms"`
	P99DoneMs       float64 `json:"p99_done_ms"`
	MaxDoneMs       float64 `json:"max_done_ms"`

	RSSBytes  int64  `json:"rss_bytes"`  // this process, at the end of the asking
	HeapBytes uint64 `json:"heap_bytes"` // this process's Go heap in use, same moment

	ServerRSSBeforeBytes  int64 `json:"server_rss_before_bytes,omitempty"`
	ServerRSSIdleBytes    int64 `json:"server_rss_idle_bytes,omitempty"` // after every connect and Settle
	ServerRSSEndBytes     int64 `json:"server_rss_end_bytes,omitempty"`  // at the end of the asking
	ServerRSSPerConnBytes int64 `json:"server_rss_per_conn_bytes,omitempty"`
}

func (c Config) withDefaults() Config {
	if c.Conns == 0 {
		c.Conns = 1
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	if len(c.Questions) == 0 {
		c.Questions = DefaultQuestions
	}
	if c.AnswerTimeout == 0 {
		c.AnswerTimeout = 30 * time.Second
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 10 * time.Second
	}
	if c.Settle == 0 {
		c.Settle = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	if err := CheckLoopback(c.URL); err != nil {
		return err
	}
	switch {
	case c.Conns < 1 || c.Conns > MaxConns:
		return fmt.Errorf("loadtest: conns %d: want 1 to %d", c.Conns, MaxConns)
	case c.Askers < 0 || c.Askers > c.Conns:
		return fmt.Errorf("loadtest: askers %d: want 0 to conns (%d)", c.Askers, c.Conns)
	case c.Duration < 0 || c.Duration > MaxDuration:
		return fmt.Errorf("loadtest: duration %s: want up to %s", c.Duration, MaxDuration)
	case c.Ramp < 0 || c.Ramp > MaxRamp:
		return fmt.Errorf("loadtest: ramp %s: want up to %s", c.Ramp, MaxRamp)
	case c.AnswerTimeout < 0 || c.DialTimeout < 0 || c.Settle < 0:
		return errors.New("loadtest: timeouts must not be negative")
	}
	return nil
}

// ErrNotLoopback is returned for a URL whose host is not this machine.
var ErrNotLoopback = errors.New("loadtest: refusing a host that is not loopback (127.0.0.0/8, ::1, localhost)")

// CheckLoopback accepts ws:// and wss:// URLs whose host is localhost or a
// loopback IP literal. Names other than localhost are refused without being
// resolved; the dialer checks the resolved address again.
func CheckLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("loadtest: url: %w", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return fmt.Errorf("loadtest: url %q: want ws:// or wss://", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %q", ErrNotLoopback, host)
}

// loopbackOnly runs on every socket before it connects, with the resolved address.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %q", ErrNotLoopback, host)
	}
	return nil
}

// message is every field of every server message this package reads.
type message struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	MessageID string `json:"message_id"`
	Status    string `json:"status"`
	Code      string `json:"code"`
	Text      string `json:"text"`
}

type ask struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Question string `json:"question"`
}

// run is the state of one Run.
type run struct {
	cfg    Config
	dialer *websocket.Dialer
	rec    *recorder
	// ready is closed when every idle connection has connected (or failed)
	// and the memory sample is taken; the askers start then.
	ready    chan struct{}
	askStart time.Time // set before ready is closed
	// stop is closed when the askers have finished: the idle connections close.
	stop chan struct{}
}

// Run performs one load test and returns its report. It returns an error
// only for a bad configuration; failures during the run are counted.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Report{}, err
	}
	// A hard cap well past the longest legitimate run: every phase below has
	// its own bound, this one catches a mistake in them.
	limit := cfg.Ramp + cfg.DialTimeout + cfg.Settle + cfg.Duration + cfg.AnswerTimeout + time.Minute
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()

	r := &run{
		cfg: cfg,
		dialer: &websocket.Dialer{
			NetDialContext:   (&net.Dialer{Timeout: cfg.DialTimeout, Control: loopbackOnly}).DialContext,
			HandshakeTimeout: cfg.DialTimeout,
			ReadBufferSize:   1024,
			WriteBufferSize:  1024,
		},
		rec:   newRecorder(),
		ready: make(chan struct{}),
		stop:  make(chan struct{}),
	}
	rep := Report{URL: cfg.URL, ConnsTarget: cfg.Conns, Askers: cfg.Askers}
	rep.ServerRSSBeforeBytes = processRSS(cfg.ServerPID)
	var idle, asking, askers sync.WaitGroup
	nIdle := cfg.Conns - cfg.Askers
	r.openIdle(ctx, &idle, nIdle)
	sleepUntil(ctx, time.Now().Add(cfg.Settle))
	rep.ServerRSSIdleBytes = processRSS(cfg.ServerPID)
	if held := r.rec.heldNow(); held > 0 && rep.ServerRSSBeforeBytes > 0 && rep.ServerRSSIdleBytes > 0 {
		rep.ServerRSSPerConnBytes = (rep.ServerRSSIdleBytes - rep.ServerRSSBeforeBytes) / int64(held)
	}
	cfg.Logger.Info("connections open", "held", r.rec.heldNow(), "target", nIdle)
	r.askStart = time.Now()
	close(r.ready)

	asking.Add(cfg.Askers)
	for i := range cfg.Askers {
		askers.Go(func() { r.asker(ctx, i, asking.Done) })
	}
	asking.Wait()
	askEnd := time.Now()

	rep.Connections = r.rec.heldNow()
	rep.ServerRSSEndBytes = processRSS(cfg.ServerPID)
	rep.RSSBytes = processRSS(0)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rep.HeapBytes = ms.HeapInuse
	close(r.stop)
	askers.Wait()
	idle.Wait()

	rep.DurationS = askEnd.Sub(r.askStart).Seconds()
	r.rec.fill(&rep)
	return rep, nil
}

// openIdle dials n idle connections spread evenly over the ramp, and returns
// once each has been dialled or given up on (ctx ended).
func (r *run) openIdle(ctx context.Context, idle *sync.WaitGroup, n int) {
	begin := time.Now()
	dialled := make(chan struct{}, r.cfg.Conns)
	for i := range n {
		idle.Go(func() {
			at := begin.Add(r.cfg.Ramp * time.Duration(i) / time.Duration(n))
			if !sleepUntil(ctx, at) {
				dialled <- struct{}{}
				return
			}
			r.idle(ctx, dialled)
		})
	}
	for range n {
		select {
		case <-dialled:
		case <-ctx.Done():
		}
	}
}

// sleepUntil waits for t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	return wait.For(ctx, d)
}

// dial connects and reads the server's hello.
func (r *run) dial(ctx context.Context) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.DialTimeout)
	defer cancel()
	c, resp, err := r.dialer.DialContext(ctx, r.cfg.URL, http.Header{})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	_ = c.SetReadDeadline(deadline)
	var hello message
	if err := c.ReadJSON(&hello); err != nil || hello.Type != "hello" {
		c.Close()
		if err == nil {
			err = fmt.Errorf("first message %q, want hello", hello.Type)
		}
		return nil, err
	}
	_ = c.SetReadDeadline(time.Time{})
	return c, nil
}

// idle holds one connection open, reading (which answers pings), until the
// askers are done, then closes it cleanly.
func (r *run) idle(ctx context.Context, dialled chan<- struct{}) {
	c, err := r.dial(ctx)
	dialled <- struct{}{}
	if err != nil {
		r.rec.fail(ErrDial)
		r.cfg.Logger.Debug("dial failed", "err", err)
		return
	}
	r.rec.opened()
	read := discardReads(c)
	select {
	case err := <-read:
		r.rec.closed()
		r.rec.fail(ErrClosed)
		r.cfg.Logger.Debug("server closed an idle connection", "err", err)
		c.Close()
		return
	case <-r.stop:
	case <-ctx.Done():
	}
	r.closeConn(c, read)
}

// closeConn sends a close frame, waits for the server's (through read, the
// connection's reader), and closes the socket.
func (r *run) closeConn(c *websocket.Conn, read <-chan error) {
	r.rec.closed()
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(5*time.Second))
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	var err error
	select {
	case err = <-read:
	case <-timer.C:
		c.Close()
		err = <-read
	}
	c.Close()
	r.rec.closedAs(websocket.IsCloseError(err, websocket.CloseNormalClosure))
}

// asker asks one question at a time from the moment every idle connection
// is open until Duration has passed, reconnecting after a failure, calls
// finished, and keeps its connection until the run stops.
func (r *run) asker(ctx context.Context, i int, finished func()) {
	select {
	case <-r.ready:
	case <-ctx.Done():
		finished()
		return
	}
	end := r.askStart.Add(r.cfg.Duration)
	var c *websocket.Conn
	for n := 0; time.Now().Before(end) && ctx.Err() == nil; n++ {
		if c == nil {
			var err error
			if c, err = r.dial(ctx); err != nil {
				r.rec.fail(ErrDial)
				r.cfg.Logger.Debug("dial failed", "err", err)
				sleepUntil(ctx, minTime(time.Now().Add(time.Second), end))
				continue
			}
			r.rec.opened()
		}
		q := r.cfg.Questions[(i+n*r.cfg.Askers)%len(r.cfg.Questions)]
		ok, pause := r.ask(ctx, c, fmt.Sprintf("a%d.%d", i, n), q)
		if !ok {
			r.rec.closed()
			c.Close()
			c = nil
		}
		if pause {
			sleepUntil(ctx, minTime(time.Now().Add(200*time.Millisecond), end))
		}
	}
	finished()
	if c == nil {
		return
	}
	read := discardReads(c)
	select {
	case <-r.stop:
	case <-ctx.Done():
	}
	r.closeConn(c, read)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ask sends one question and reads until its done or error. ok is false when
// the connection is no longer usable; pause asks the caller to back off
// before the next question (the server refused this one).
func (r *run) ask(ctx context.Context, c *websocket.Conn, id, question string) (ok, pause bool) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	start := time.Now()
	_ = c.SetWriteDeadline(start.Add(10 * time.Second))
	if err := c.WriteJSON(ask{Type: "ask", ID: id, Question: question}); err != nil {
		r.rec.fail(ErrClosed)
		return false, true
	}
	_ = c.SetReadDeadline(start.Add(r.cfg.AnswerTimeout))
	var first time.Duration
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				r.rec.fail(ErrHung)
				return false, false
			}
			r.rec.fail(ErrClosed)
			return false, true
		}
		var m message
		if err := json.Unmarshal(data, &m); err != nil {
			r.rec.fail(ErrProtocol)
			continue
		}
		switch m.Type {
		case "delta":
			if first == 0 {
				first = time.Since(start)
			}
		case "done":
			_ = c.SetReadDeadline(time.Time{})
			r.rec.done(m.Status, first, time.Since(start))
			return true, false
		case "error":
			if m.ID != "" && m.ID != id {
				continue
			}
			_ = c.SetReadDeadline(time.Time{})
			code := m.Code
			if code == "" {
				code = "error"
			}
			r.rec.fail(code)
			return true, true
		}
	}
}

// discardReads reads and drops c's messages until a read fails, and sends
// that error on the channel it returns.
func discardReads(c *websocket.Conn) <-chan error {
	read := make(chan error, 1)
	go func() {
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				read <- err
				return
			}
		}
	}()
	return read
}
