// Package llmtest is a fake OpenAI-compatible server for tests. It speaks the
// real wire format of POST /v1/embeddings and /v1/chat/completions (plain and
// text/event-stream), and replies can be scripted per request: errors with
// Retry-After, wrong dimensions, streams that fail or stall.
package llmtest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Reply scripts one response. The zero Reply is a normal success.
type Reply struct {
	Status       int    // non-zero and not 200: an error response {"error":{"message","type"}}
	ErrorType    string // default "server_error"
	ErrorMessage string // default "scripted failure"
	RetryAfter   string // Retry-After header value
	RetryAfterMs string // retry-after-ms header value

	// Embeddings.
	Dims  int // vector length; default the request's dimensions, else Server.Dims
	Count int // vectors returned; default one per input

	// Chat.
	Chunks          []string      // content deltas; default Server.Answer split into words
	Delay           time.Duration // before each chunk
	HangBeforeFirst bool          // send headers, then nothing until the client goes away
	HangBeforeReply bool          // send nothing at all until the client goes away
	FailAfter       int           // > 0: after this many chunks send an error event and stop
	AbortAfter      int           // > 0: after this many chunks drop the connection
	FinishReason    string        // default "stop"
	NoUsage         bool          // omit the usage chunk even when asked for
	NoFinish        bool          // end the stream after the chunks: no finish reason, usage or [DONE]

	// Tool calls (non-streaming): reply with one call of ToolName whose
	// arguments are ToolArguments, a JSON string sent as is (it may be
	// malformed on purpose).
	ToolName      string
	ToolArguments string
}

// Request is what the server saw of one request.
type Request struct {
	Path       string
	Header     http.Header
	Model      string
	Input      []string // embeddings
	Dimensions int      // embeddings
	Stream     bool     // chat
	Messages   []struct{ Role, Content string }
	Body       map[string]any
}

// Server is a scriptable fake. Its zero-script behaviour: embeddings are
// deterministic pseudo-random vectors returned in reverse index order (so
// clients must reorder by index); chat answers Answer.
type Server struct {
	URL  string // base URL with /v1, for Config.BaseURL
	Root string // base URL without /v1, for Azure endpoints
	Dims int    // default embedding length: 8
	// Answer is the default chat reply; set it before the first request.
	Answer string

	srv       *httptest.Server
	mu        sync.Mutex
	embed     []Reply
	chat      []Reply
	requests  []Request
	cancelled chan string
}

// NewServer starts a fake server that closes when the test ends.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{Dims: 8, Answer: "Hello from the fake model.", cancelled: make(chan string, 100)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL + "/v1"
	s.Root = s.srv.URL
	tb.Cleanup(s.srv.Close)
	return s
}

// Close shuts the server down now (it also closes at test end).
func (s *Server) Close() { s.srv.Close() }

// QueueEmbeddings scripts the next embedding responses, in order.
func (s *Server) QueueEmbeddings(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.embed = append(s.embed, r...)
}

// QueueChat scripts the next chat responses, in order.
func (s *Server) QueueChat(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chat = append(s.chat, r...)
}

// Requests returns every request seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// WaitCancelled waits for a handler to see its request's context end before
// it finished, and returns that request's path; "" after timeout.
func (s *Server) WaitCancelled(timeout time.Duration) string {
	select {
	case p := <-s.cancelled:
		return p
	case <-time.After(timeout):
		return ""
	}
}

func (s *Server) noteCancelled(path string) {
	select {
	case s.cancelled <- path:
	default:
	}
}

func (s *Server) next(queue *[]Reply) Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(*queue) == 0 {
		return Reply{}
	}
	r := (*queue)[0]
	*queue = (*queue)[1:]
	return r
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, Reply{Status: 400, ErrorType: "invalid_request_error", ErrorMessage: "bad JSON: " + err.Error()})
		return
	}
	req := Request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	req.Model, _ = body["model"].(string)
	switch in := body["input"].(type) {
	case string:
		req.Input = []string{in}
	case []any:
		for _, x := range in {
			str, _ := x.(string)
			req.Input = append(req.Input, str)
		}
	}
	if d, ok := body["dimensions"].(float64); ok {
		req.Dimensions = int(d)
	}
	req.Stream, _ = body["stream"].(bool)
	if msgs, ok := body["messages"].([]any); ok {
		for _, m := range msgs {
			mm, _ := m.(map[string]any)
			role, _ := mm["role"].(string)
			content, _ := mm["content"].(string)
			req.Messages = append(req.Messages, struct{ Role, Content string }{role, content})
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	switch {
	case strings.HasSuffix(r.URL.Path, "/embeddings"):
		s.embeddings(w, req, s.next(&s.embed))
	case strings.HasSuffix(r.URL.Path, "/chat/completions"):
		rep := s.next(&s.chat)
		if rep.HangBeforeReply {
			<-r.Context().Done()
			s.noteCancelled(r.URL.Path)
			return
		}
		if req.Stream {
			s.stream(w, r, req, rep)
		} else {
			s.complete(w, req, rep)
		}
	default:
		http.NotFound(w, r)
	}
}

func writeError(w http.ResponseWriter, rep Reply) {
	if rep.RetryAfter != "" {
		w.Header().Set("Retry-After", rep.RetryAfter)
	}
	if rep.RetryAfterMs != "" {
		w.Header().Set("Retry-After-Ms", rep.RetryAfterMs)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.Status)
	typ := rep.ErrorType
	if typ == "" {
		typ = "server_error"
	}
	msg := rep.ErrorMessage
	if msg == "" {
		msg = "scripted failure"
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}})
}

// Vector is the fake's embedding of text at dims, before normalisation.
func Vector(text string, dims int) []float32 {
	v := make([]float32, dims)
	for i := range v {
		h := fnv.New32a()
		fmt.Fprintf(h, "%d:%s", i, text)
		v[i] = float32(h.Sum32()%2000)/1000 - 1
	}
	return v
}

func (s *Server) embeddings(w http.ResponseWriter, req Request, rep Reply) {
	if rep.Status != 0 && rep.Status != http.StatusOK {
		writeError(w, rep)
		return
	}
	dims := rep.Dims
	if dims == 0 {
		dims = req.Dimensions
	}
	if dims == 0 {
		dims = s.Dims
	}
	n := len(req.Input)
	if rep.Count > 0 {
		n = rep.Count
	}
	data := make([]map[string]any, 0, n)
	tokens := 0
	for i := n - 1; i >= 0; i-- {
		text := ""
		if i < len(req.Input) {
			text = req.Input[i]
		}
		tokens += len(strings.Fields(text))
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": Vector(text, dims)})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"object": "list", "data": data, "model": req.Model,
		"usage": map[string]any{"prompt_tokens": tokens, "total_tokens": tokens},
	})
}

func (s *Server) chunks(rep Reply) []string {
	if rep.Chunks != nil {
		return rep.Chunks
	}
	var out []string
	for i, w := range strings.Fields(s.Answer) {
		if i > 0 {
			w = " " + w
		}
		out = append(out, w)
	}
	return out
}

func (s *Server) complete(w http.ResponseWriter, req Request, rep Reply) {
	if rep.Status != 0 && rep.Status != http.StatusOK {
		writeError(w, rep)
		return
	}
	content := strings.Join(s.chunks(rep), "")
	finish := rep.FinishReason
	if finish == "" {
		finish = "stop"
	}
	message := map[string]any{"role": "assistant", "content": content}
	completion := len(strings.Fields(content))
	if rep.ToolName != "" {
		completion = len(strings.Fields(rep.ToolArguments))
		message = map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
			"id": "call_fake", "type": "function",
			"function": map[string]any{"name": rep.ToolName, "arguments": rep.ToolArguments}}}}
		finish = "tool_calls"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "message": message, "finish_reason": finish}},
		"usage":   map[string]any{"prompt_tokens": 10, "completion_tokens": completion, "total_tokens": 10 + completion},
	})
}

func (s *Server) stream(w http.ResponseWriter, r *http.Request, req Request, rep Reply) {
	if rep.Status != 0 && rep.Status != http.StatusOK {
		writeError(w, rep)
		return
	}
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	e := events{w: w, flusher: flusher, created: time.Now().Unix(), model: req.Model}
	if rep.HangBeforeFirst {
		if flusher != nil {
			flusher.Flush()
		}
		<-r.Context().Done()
		s.noteCancelled(r.URL.Path)
		return
	}
	e.send(e.chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	parts := s.chunks(rep)
	if !s.streamParts(r, e, rep, parts) || rep.NoFinish {
		return
	}
	finish := rep.FinishReason
	if finish == "" {
		finish = "stop"
	}
	e.send(e.chunk(map[string]any{}, finish))
	if opts, ok := req.Body["stream_options"].(map[string]any); ok && opts["include_usage"] == true && !rep.NoUsage {
		e.send(map[string]any{
			"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": e.created, "model": req.Model, "choices": []any{},
			"usage": map[string]any{"prompt_tokens": 12, "completion_tokens": len(parts), "total_tokens": 12 + len(parts)},
		})
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
}

// streamParts sends the answer's parts, with the scripted delay, failure or
// abort; false when the stream ended early.
func (s *Server) streamParts(r *http.Request, e events, rep Reply, parts []string) bool {
	for i, c := range parts {
		if rep.FailAfter > 0 && i == rep.FailAfter {
			e.send(map[string]any{"error": map[string]any{"message": "scripted mid-stream failure", "type": "server_error"}})
			return false
		}
		if rep.AbortAfter > 0 && i == rep.AbortAfter {
			panic(http.ErrAbortHandler)
		}
		if rep.Delay > 0 {
			select {
			case <-time.After(rep.Delay):
			case <-r.Context().Done():
				s.noteCancelled(r.URL.Path)
				return false
			}
		}
		if !e.send(e.chunk(map[string]any{"content": c}, nil)) {
			s.noteCancelled(r.URL.Path)
			return false
		}
	}
	return true
}

// events writes server-sent events in the chat completions stream format.
type events struct {
	w       http.ResponseWriter
	flusher http.Flusher
	created int64
	model   string
}

// send writes v as one event and flushes it; false when the client is gone.
func (e events) send(v any) bool {
	b, _ := json.Marshal(v)
	if _, err := fmt.Fprintf(e.w, "data: %s\n\n", b); err != nil {
		return false
	}
	if e.flusher != nil {
		e.flusher.Flush()
	}
	return true
}

// chunk is a chat.completion.chunk with one choice.
func (e events) chunk(delta map[string]any, finish any) map[string]any {
	return map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": e.created, "model": e.model,
		"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
	}
}
