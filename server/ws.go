package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/store"
)

// errClientGone ends a turn whose client has gone or was dropped.
var errClientGone = errors.New("server: the client has gone")

// conn is one websocket. As in gorilla's chat example, exactly one goroutine
// reads (readLoop, on the handler's goroutine) and one writes (writeLoop);
// everything else queues messages on send. A client that lets send fill up
// is too slow and is dropped.
type conn struct {
	s      *Server
	ws     *websocket.Conn
	ip     string
	reqID  string
	send   chan []byte
	cancel context.CancelFunc // ends everything on this connection

	quit      chan struct{} // closed once: the writer flushes, sends closeCode and ends
	quitOnce  sync.Once
	closeCode int
	closeText string
	readDone  chan struct{}
	writeDone chan struct{}

	mu          sync.Mutex
	active      *activeAsk // the question being answered, or nil
	draining    bool       // close when the active question is done
	askWG       sync.WaitGroup
	asks        int
	lastAsk     time.Time // when the last question was asked, or the connection opened
	idle        *time.Timer
	idleStopped bool
}

type activeAsk struct {
	ref       string // the client's id
	messageID string // set once accepted
	cancel    context.CancelFunc
	finishing bool // answered; done is being queued
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r, s.cfg.TrustProxy)
	key := ipKey(ip)
	if status, msg := s.reserveConn(key); status != 0 {
		w.Header().Set("Retry-After", "30")
		http.Error(w, msg, status)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	s.mu.Lock()
	s.reserved--
	if err != nil {
		s.releaseIPLocked(key)
		s.mu.Unlock()
		s.connWG.Done()
		// Upgrade has answered the client (403 for a refused origin).
		s.log.Info("websocket upgrade refused", "request_id", requestID(r.Context()), "error", err)
		return
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c := &conn{s: s, ws: ws, ip: ip, reqID: requestID(r.Context()),
		send: make(chan []byte, s.cfg.SendBuffer), cancel: cancel, quit: make(chan struct{}),
		readDone: make(chan struct{}), writeDone: make(chan struct{}), lastAsk: time.Now()}
	// Shutdown may have begun during the handshake.
	drainNow := s.draining
	c.draining = drainNow
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.metrics.connsOpen.Inc()
	start := time.Now()

	defer func() {
		cancel()
		c.askWG.Wait()
		s.mu.Lock()
		delete(s.conns, c)
		s.releaseIPLocked(key)
		s.mu.Unlock()
		s.metrics.connsOpen.Dec()
		s.log.Info("websocket closed", "request_id", c.reqID, "asks", c.asks, "ms", time.Since(start).Milliseconds())
		s.connWG.Done()
	}()

	go c.writeLoop()
	stopIdle := c.watchIdle()
	defer stopIdle()
	c.enqueue(helloMessage(s.door.Composer(), s.cfg.MaxQuestionChars))
	if drainNow {
		c.close(websocket.CloseGoingAway, "server restarting")
	}
	c.readLoop(ctx)
	close(c.readDone)
	cancel()
	c.close(websocket.CloseNormalClosure, "")
	<-c.writeDone
	_ = ws.Close()
}

// reserveConn takes a websocket slot for an address, or returns the HTTP
// status and message that refuse it: the service is restarting, full, or
// this address (an IPv4 address or an IPv6 /64) holds too many already.
func (s *Server) reserveConn(key string) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.draining:
		return http.StatusServiceUnavailable, "The service is restarting. Try again in a moment."
	case len(s.conns)+s.reserved >= s.cfg.MaxConnections:
		s.metrics.connsRejected.WithLabelValues("max_connections").Inc()
		return http.StatusServiceUnavailable, "The service is busy. Try again in a moment."
	case s.perIP[key] >= s.cfg.MaxConnsPerIP:
		s.metrics.connsRejected.WithLabelValues("per_ip").Inc()
		return http.StatusTooManyRequests, "Too many connections from your network. Close other chat windows and try again."
	}
	s.reserved++
	s.perIP[key]++
	// Added while not draining, so never concurrently with Shutdown's Wait.
	s.connWG.Add(1)
	return 0, ""
}

// releaseIPLocked gives back an address's slot; s.mu is held.
func (s *Server) releaseIPLocked(key string) {
	if s.perIP[key]--; s.perIP[key] <= 0 {
		delete(s.perIP, key)
	}
}

// watchIdle closes the connection when no question has been asked for
// WSIdleTimeout: an open socket costs memory and a connection slot. The
// returned function stops the watch.
func (c *conn) watchIdle() (stop func()) {
	c.mu.Lock()
	c.idle = time.AfterFunc(c.s.cfg.WSIdleTimeout, c.checkIdle)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.idleStopped = true
		c.idle.Stop()
	}
}

func (c *conn) checkIdle() {
	limit := c.s.cfg.WSIdleTimeout
	c.mu.Lock()
	if c.idleStopped {
		c.mu.Unlock()
		return
	}
	since := time.Since(c.lastAsk)
	if c.active != nil || since < limit {
		// Busy, or asked since the watch was set: look again later.
		c.idle = time.AfterFunc(max(limit-since, time.Second), c.checkIdle)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.s.metrics.idleClosed.Inc()
	c.close(websocket.CloseNormalClosure, "idle")
}

func (c *conn) readLoop(ctx context.Context) {
	cfg := c.s.cfg
	c.ws.SetReadLimit(int64(cfg.MaxMessageBytes))
	_ = c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait)) })
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				// gorilla has already sent close 1009 (message too big).
				// Read and discard the rest of the frame until the client
				// closes, so closing our end does not reset the connection
				// and lose that close frame.
				c.s.metrics.rejected.WithLabelValues("too_large_frame").Inc()
				nc := c.ws.NetConn()
				_ = nc.SetReadDeadline(time.Now().Add(cfg.WriteWait))
				_, _ = io.Copy(io.Discard, io.LimitReader(nc, 4<<20))
				c.abort()
			}
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(cfg.PongWait))
		if kind != websocket.TextMessage {
			c.reject("", CodeInvalidMessage, notAnswerMessage+" Send JSON in text frames.")
			continue
		}
		m, err := DecodeClientMessage(data, cfg.MaxQuestionChars)
		if err != nil {
			var de *DecodeError
			if errors.As(err, &de) {
				c.reject(de.ID, de.Code, c.s.refusalText(de))
				continue
			}
			c.reject("", CodeInternal, chat.MsgError)
			continue
		}
		switch m.Type {
		case "ask":
			c.ask(ctx, m)
		case "cancel":
			c.cancelAsk(m.MessageID)
		case "feedback":
			c.feedback(ctx, m)
		}
	}
}

// writeLoop is the only writer. It ends when quit is closed (after
// flushing what is queued and sending a close frame) or a write fails.
func (c *conn) writeLoop() {
	defer close(c.writeDone)
	cfg := c.s.cfg
	ping := time.NewTicker(cfg.pingInterval())
	defer ping.Stop()
	// write sends one message; a failed write aborts the connection.
	write := func(b []byte) bool {
		_ = c.ws.SetWriteDeadline(time.Now().Add(cfg.WriteWait))
		if c.ws.WriteMessage(websocket.TextMessage, b) != nil {
			c.abort()
			return false
		}
		return true
	}
	for {
		select {
		case b := <-c.send:
			if !write(b) {
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.WriteWait)); err != nil {
				c.abort()
				return
			}
		case <-c.quit:
			// Flush what is queued; this loop is the only receiver.
			for len(c.send) > 0 {
				if !write(<-c.send) {
					return
				}
			}
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeText),
				time.Now().Add(cfg.WriteWait))
			// Wait for the client's close reply (the reader ends on it)
			// before closing the socket, so our last messages are not lost
			// to a reset.
			select {
			case <-c.readDone:
			case <-time.After(cfg.WriteWait):
				_ = c.ws.Close()
			}
			return
		}
	}
}

// enqueue queues a message for the writer. A full queue means the client
// reads too slowly: it is dropped, and enqueue reports false.
func (c *conn) enqueue(m ServerMessage) bool {
	b, err := json.Marshal(m)
	if err != nil {
		c.s.log.Error("server: could not encode a message", "type", m.Type, "error", err)
		return false
	}
	select {
	case <-c.quit:
		return false
	default:
	}
	select {
	case c.send <- b:
		return true
	default:
		c.s.metrics.slowDropped.Inc()
		c.s.log.Warn("dropping a slow websocket client", "request_id", c.reqID)
		c.abort()
		return false
	}
}

// close asks the writer to flush, send a close frame and end.
func (c *conn) close(code int, text string) {
	c.quitOnce.Do(func() {
		c.closeCode, c.closeText = code, text
		close(c.quit)
	})
}

// abort closes the socket at once; the reader and writer then fail and end.
func (c *conn) abort() {
	c.close(websocket.CloseGoingAway, "")
	c.cancel()
	_ = c.ws.Close()
}

// drain is called at shutdown: an idle connection is closed now with 1001,
// a busy one when its answer is done.
func (c *conn) drain() {
	c.mu.Lock()
	c.draining = true
	busy := c.active != nil
	c.mu.Unlock()
	if !busy {
		c.close(websocket.CloseGoingAway, "server restarting")
	}
}

func (c *conn) reject(ref, code, msg string) {
	c.s.metrics.rejected.WithLabelValues(code).Inc()
	c.enqueue(errorMessage(ref, code, msg))
}

// ask starts answering m through the door on its own goroutine, so the
// reader keeps reading (a cancel must get through).
func (c *conn) ask(ctx context.Context, m ClientMessage) {
	c.mu.Lock()
	if c.active != nil && !c.active.finishing {
		c.mu.Unlock()
		c.reject(m.ID, CodeBusy, chat.MsgBusy)
		return
	}
	if c.draining {
		c.mu.Unlock()
		c.reject(m.ID, CodeUnavailable, "The service is restarting. Ask your question again in a moment.")
		return
	}
	actx, cancel := context.WithCancel(ctx)
	a := &activeAsk{ref: m.ID, cancel: cancel}
	c.active = a
	c.asks++
	c.lastAsk = time.Now()
	c.mu.Unlock()
	c.askWG.Add(1)
	go func() {
		defer c.askWG.Done()
		defer cancel()
		c.answer(actx, a, m)
	}()
}

// answer runs one question through the door and streams its events.
func (c *conn) answer(ctx context.Context, a *activeAsk, m ClientMessage) {
	caller := Caller{IP: c.ip, Channel: "websocket", RequestID: c.reqID}
	out, err := c.s.door.Ask(ctx, caller, chat.Request{ConversationID: m.ConversationID, Question: m.Question}, c.events(ctx, a, m))

	// The client may ask again as soon as it reads done, so the connection
	// stops being busy first; it stays registered as active until done is
	// queued so that a shutdown does not close the socket before it.
	c.mu.Lock()
	a.finishing = true
	c.mu.Unlock()
	var ref *Refusal
	switch {
	case errors.As(err, &ref):
		c.reject(m.ID, ref.Code, ref.Message)
	case errors.Is(err, errAskerPanic):
		c.reject(m.ID, CodeInternal, chat.MsgError)
	case err != nil:
		c.s.log.Error("answer failed", "request_id", c.reqID, "message", out.MessageID, "error", err)
		c.reject(m.ID, CodeUnavailable, chat.MsgError)
	default:
		status := string(out.Status)
		if status == "" {
			status = string(chat.StatusError)
		}
		c.enqueue(ServerMessage{Type: "done", ConversationID: out.ConversationID, MessageID: out.MessageID,
			Status: status, Composer: out.Composer, Route: routeOf(out.Route), Answer: out.Answer})
	}
	c.mu.Lock()
	if c.active == a {
		c.active = nil
	}
	closeNow := c.draining && c.active == nil
	c.mu.Unlock()
	if closeNow {
		c.close(websocket.CloseGoingAway, "server restarting")
	}
}

// events streams a question's events to the client as server messages.
// Delta reports errClientGone once the client cannot take more.
func (c *conn) events(ctx context.Context, a *activeAsk, m ClientMessage) chat.Events {
	msgID := func() string {
		c.mu.Lock()
		defer c.mu.Unlock()
		return a.messageID
	}
	return chat.Events{
		Accepted: func(conversationID, messageID string) {
			c.mu.Lock()
			a.messageID = messageID
			c.mu.Unlock()
			c.enqueue(ServerMessage{Type: "accepted", ID: m.ID, ConversationID: conversationID, MessageID: messageID})
		},
		Progress: func(stage string) {
			c.enqueue(ServerMessage{Type: "progress", MessageID: msgID(), Stage: stage})
		},
		Delta: func(text string) error {
			if ctx.Err() != nil || !c.enqueue(ServerMessage{Type: "delta", MessageID: msgID(), Text: text}) {
				return errClientGone
			}
			return nil
		},
		Sources: func(src []chat.Source) {
			c.enqueue(ServerMessage{Type: "sources", MessageID: msgID(), Sources: src})
		},
	}
}

// cancelAsk cancels the active question when messageID is "" or its id.
func (c *conn) cancelAsk(messageID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == nil || c.active.finishing {
		return
	}
	if messageID == "" || messageID == c.active.messageID {
		c.active.cancel()
	}
}

func (c *conn) feedback(ctx context.Context, m ClientMessage) {
	// Each feedback is a database write: it counts against the same per-IP
	// limit as questions.
	if ok, _ := c.s.door.Allow(ctx, c.ip); !ok {
		c.reject("", CodeRateLimited, chat.MsgRateLimited)
		return
	}
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := c.s.saveFeedback(fctx, m.MessageID, m.Useful, m.Comment)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.reject("", CodeInvalidMessage, "We could not find that answer, so your feedback was not saved.")
	case err != nil:
		c.s.log.Error("could not store feedback", "request_id", c.reqID, "error", err)
		c.reject("", CodeUnavailable, "Sorry, your feedback could not be saved. Try again later.")
	default:
		c.enqueue(ServerMessage{Type: "feedback_saved", MessageID: m.MessageID})
	}
}
