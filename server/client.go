package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/govchat/govchat/chat"
)

// Client is a websocket client of the chat protocol, for `govchat ask` and
// tests. It is not safe for concurrent use: one question at a time.
type Client struct {
	ws    *websocket.Conn
	hello ServerMessage
	n     int
}

// ServerError is an error message from the server.
type ServerError struct {
	Code    string
	Message string
}

func (e *ServerError) Error() string { return fmt.Sprintf("server: %s: %s", e.Code, e.Message) }

// Dial connects to a govchat websocket URL (ws:// or wss://) and waits for
// the server's hello. header is sent with the handshake and may be nil.
func Dial(ctx context.Context, url string, header http.Header) (*Client, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	ws, resp, err := d.DialContext(ctx, url, header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("server: dial %s: %s: %w", url, resp.Status, err)
		}
		return nil, fmt.Errorf("server: dial %s: %w", url, err)
	}
	c := &Client{ws: ws}
	stop := context.AfterFunc(ctx, func() { _ = ws.SetReadDeadline(time.Now()) })
	defer stop()
	if err := ws.ReadJSON(&c.hello); err != nil {
		ws.Close()
		return nil, fmt.Errorf("server: waiting for hello: %w", err)
	}
	if c.hello.Type != "hello" {
		ws.Close()
		return nil, fmt.Errorf("server: the server sent %q before hello", c.hello.Type)
	}
	return c, nil
}

// Hello returns the server's hello message.
func (c *Client) Hello() ServerMessage { return c.hello }

// Close sends a normal close frame and closes the connection.
func (c *Client) Close() error {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
	return c.ws.Close()
}

// Answer is a finished answer as the client saw it.
type Answer struct {
	ConversationID string
	MessageID      string
	Status         chat.AnswerStatus
	Composer       string
	Answer         string
	Sources        []chat.Source
	Route          *Route // nil when the server sent none
}

// Ask sends one question and reads until its done message, calling onDelta
// (when not nil) with each piece of text as it arrives. conversationID ""
// starts a new conversation. An error message from the server is returned as
// a *ServerError. Cancelling ctx sends a cancel and waits for the done.
func (c *Client) Ask(ctx context.Context, question, conversationID string, onDelta func(string)) (Answer, error) {
	c.n++
	ref := fmt.Sprintf("q%d", c.n)
	msg := map[string]string{"type": "ask", "id": ref, "question": question}
	if conversationID != "" {
		msg["conversation_id"] = conversationID
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := c.ws.WriteJSON(msg); err != nil {
		return Answer{}, fmt.Errorf("server: sending the question: %w", err)
	}
	// On cancellation, ask the server to stop; it answers with done and
	// status cancelled. This is the only write while the loop reads.
	stop := context.AfterFunc(ctx, func() {
		_ = c.ws.WriteJSON(map[string]string{"type": "cancel"})
		_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	})
	defer stop()
	var a Answer
	for {
		var m ServerMessage
		if err := c.ws.ReadJSON(&m); err != nil {
			if ctx.Err() != nil {
				return a, fmt.Errorf("server: %w", ctx.Err())
			}
			return a, fmt.Errorf("server: reading the answer: %w", err)
		}
		switch m.Type {
		case "accepted":
			if m.ID == ref {
				a.ConversationID, a.MessageID = m.ConversationID, m.MessageID
			}
		case "delta":
			if m.MessageID == a.MessageID && onDelta != nil {
				onDelta(m.Text)
			}
		case "sources":
			if m.MessageID == a.MessageID {
				a.Sources = m.Sources
			}
		case "done":
			if a.MessageID != "" && m.MessageID != a.MessageID {
				continue
			}
			a.MessageID, a.Status, a.Composer, a.Answer, a.Route = m.MessageID, chat.AnswerStatus(m.Status), m.Composer, m.Answer, m.Route
			if m.ConversationID != "" {
				a.ConversationID = m.ConversationID
			}
			return a, nil
		case "error":
			if m.ID == ref || m.ID == "" {
				return a, &ServerError{Code: m.Code, Message: m.Message}
			}
		}
	}
}
