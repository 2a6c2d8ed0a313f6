package llm

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Message is one chat turn; Role is "system", "user" or "assistant".
type Message struct {
	Role    string
	Content string
}

// ChatRequest is one chat completion call.
type ChatRequest struct {
	Messages []Message
	// Temperature 0 leaves the server's default; use a small positive value
	// for near-deterministic output.
	Temperature float32
	MaxTokens   int           // 0: the server's default
	Timeout     time.Duration // whole call; 0: Config.Timeout
	// OnUsage, when set, receives the model and the token counts of a
	// Complete or CallTool reply that reported them (StreamChat returns
	// them in its ChatResult).
	OnUsage func(model string, u Usage)
}

func reportUsage(req ChatRequest, resp openai.ChatCompletionResponse) {
	if req.OnUsage != nil && resp.Usage.TotalTokens+resp.Usage.PromptTokens+resp.Usage.CompletionTokens > 0 {
		req.OnUsage(resp.Model, Usage{PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens,
			TotalTokens: resp.Usage.TotalTokens})
	}
}

// Usage is the server's token count for a call.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
}

// ChatResult is a finished chat call.
type ChatResult struct {
	Content      string
	FinishReason string // "stop", "length", "content_filter", ...
	Usage        *Usage // nil when the server sent none
	Model        string
	Attempts     int
}

// Cancel causes that say which streaming timeout fired.
var (
	errFirstToken = errors.New("no first token in time")
	errIdle       = errors.New("no token in time")
)

func (c *Client) chatRequest(req ChatRequest, stream bool) openai.ChatCompletionRequest {
	msgs := make([]openai.ChatCompletionMessage, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
	}
	r := openai.ChatCompletionRequest{
		Model:       c.cfg.ChatModel,
		Messages:    msgs,
		Temperature: req.Temperature,
		//lint:ignore SA1019 OpenAI-compatible servers (Ollama, vLLM, LiteLLM, Azure) read max_tokens; max_completion_tokens is only OpenAI's newer name for it.
		MaxTokens: req.MaxTokens,
		Stream:    stream,
	}
	if stream {
		r.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	return r
}

// StreamChat streams a chat completion, calling onDelta with each piece of
// content in order. Failures before the first content (connection errors,
// 429, 5xx) are retried; once content has been delivered nothing is retried
// and the error is returned. An onDelta error stops the stream and is
// returned as is. Besides req.Timeout for the whole call, the stream fails
// with ErrTimeout when no content arrives within FirstTokenTimeout or none
// follows within IdleTimeout.
func (c *Client) StreamChat(ctx context.Context, req ChatRequest, onDelta func(string) error) (ChatResult, error) {
	if c.cfg.ChatModel == "" {
		return ChatResult{}, errors.New("llm: chat: no chat model configured")
	}
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(req.Timeout, c.cfg.Timeout))
	defer cancel()
	oreq := c.chatRequest(req, true)
	var res ChatResult
	for attempt := 0; ; attempt++ {
		res = ChatResult{Attempts: attempt + 1}
		hint := &retryHint{}
		delivered, err := c.streamOnce(context.WithValue(ctx, hintKey{}, hint), oreq, &res, onDelta)
		if err == nil {
			return res, nil
		}
		var cbErr deltaError
		if errors.As(err, &cbErr) {
			return res, cbErr.err
		}
		if errors.Is(err, ErrTimeout) {
			return res, err
		}
		f := classify(ctx, "chat stream", err)
		if delivered || !f.retry || attempt >= c.cfg.MaxRetries {
			return res, f.err
		}
		if err := c.wait(ctx, attempt, hint); err != nil {
			return res, fmt.Errorf("%w (while waiting to retry after: %w)", err, f.err)
		}
	}
}

// deltaError carries the caller's onDelta error through streamOnce.
type deltaError struct{ err error }

func (e deltaError) Error() string { return e.err.Error() }

// streamOnce makes one attempt. delivered reports whether any content
// reached onDelta, after which the attempt must not be retried.
func (c *Client) streamOnce(ctx context.Context, req openai.ChatCompletionRequest, res *ChatResult, onDelta func(string) error) (delivered bool, err error) {
	sctx, scancel := context.WithCancelCause(ctx)
	defer scancel(nil)
	timer := time.AfterFunc(c.cfg.FirstTokenTimeout, func() { scancel(errFirstToken) })
	defer timer.Stop()

	stream, err := c.api.CreateChatCompletionStream(sctx, req)
	if err != nil {
		return false, c.streamTimeout(ctx, sctx, err)
	}
	defer stream.Close()
	var content strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.Content = content.String()
			return delivered, c.streamTimeout(ctx, sctx, err)
		}
		res.Model = cmp.Or(res.Model, chunk.Model)
		if chunk.Usage != nil {
			res.Usage = &Usage{chunk.Usage.PromptTokens, chunk.Usage.CompletionTokens, chunk.Usage.TotalTokens}
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			if ch.FinishReason != "" {
				res.FinishReason = string(ch.FinishReason)
			}
			if ch.Delta.Content == "" {
				continue
			}
			delivered = true
			timer.Reset(c.cfg.IdleTimeout)
			content.WriteString(ch.Delta.Content)
			if err := onDelta(ch.Delta.Content); err != nil {
				res.Content = content.String()
				return true, deltaError{err}
			}
		}
	}
	res.Content = content.String()
	if res.FinishReason == "" {
		return delivered, fmt.Errorf("stream ended without a finish reason: %w", io.ErrUnexpectedEOF)
	}
	return delivered, nil
}

// streamTimeout names the timeout behind a stream's error, if one was:
// the first token or the next one too slow (the cause of sctx, the
// stream's context), or the call's deadline (ctx).
func (c *Client) streamTimeout(ctx, sctx context.Context, err error) error {
	switch cause := context.Cause(sctx); {
	case errors.Is(cause, errFirstToken):
		return fmt.Errorf("%w: chat stream: no content within %s: %w", ErrTimeout, c.cfg.FirstTokenTimeout, err)
	case errors.Is(cause, errIdle):
		return fmt.Errorf("%w: chat stream: no content for %s: %w", ErrTimeout, c.cfg.IdleTimeout, err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: chat stream: call deadline passed: %w", ErrTimeout, err)
	}
	return err
}

// Complete runs a non-streaming chat completion and returns its content,
// retrying connection errors, 429 and 5xx.
func (c *Client) Complete(ctx context.Context, req ChatRequest) (string, error) {
	if c.cfg.ChatModel == "" {
		return "", errors.New("llm: chat: no chat model configured")
	}
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(req.Timeout, c.cfg.Timeout))
	defer cancel()
	oreq := c.chatRequest(req, false)
	resp, err := c.createChat(ctx, "chat", oreq)
	if err != nil {
		return "", err
	}
	reportUsage(req, resp)
	if len(resp.Choices) == 0 {
		return "", fmt.Errorf("%w: chat: response has no choices", ErrUpstream)
	}
	return resp.Choices[0].Message.Content, nil
}

// createChat sends a non-streaming chat request, retried as retry allows.
func (c *Client) createChat(ctx context.Context, op string, oreq openai.ChatCompletionRequest) (openai.ChatCompletionResponse, error) {
	var resp openai.ChatCompletionResponse
	err := c.retry(ctx, op, func(ctx context.Context) error {
		var err error
		resp, err = c.api.CreateChatCompletion(ctx, oreq)
		return err
	})
	return resp, err
}

// Tool is a function the model must call: its name, what it is for, and
// its parameters as a JSON Schema object.
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

// CallTool runs a non-streaming chat completion that must answer by
// calling tool (structured output), and returns the call's arguments as
// JSON. A reply without that call is an ErrUpstream error. Connection
// errors, 429 and 5xx are retried as in Complete.
func (c *Client) CallTool(ctx context.Context, req ChatRequest, tool Tool) (json.RawMessage, error) {
	args, _, err := c.CallToolUsage(ctx, req, tool)
	return args, err
}

// CallToolUsage is CallTool that also returns the server's token count
// (the zero Usage when it sent none).
func (c *Client) CallToolUsage(ctx context.Context, req ChatRequest, tool Tool) (json.RawMessage, Usage, error) {
	if c.cfg.ChatModel == "" {
		return nil, Usage{}, errors.New("llm: chat: no chat model configured")
	}
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(req.Timeout, c.cfg.Timeout))
	defer cancel()
	oreq := c.chatRequest(req, false)
	oreq.Tools = []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: tool.Name, Description: tool.Description, Parameters: tool.Parameters}}}
	oreq.ToolChoice = openai.ToolChoice{Type: openai.ToolTypeFunction, Function: openai.ToolFunction{Name: tool.Name}}
	resp, err := c.createChat(ctx, "chat tool call", oreq)
	if err != nil {
		return nil, Usage{}, err
	}
	reportUsage(req, resp)
	usage := Usage{resp.Usage.PromptTokens, resp.Usage.CompletionTokens, resp.Usage.TotalTokens}
	if len(resp.Choices) == 0 {
		return nil, usage, fmt.Errorf("%w: chat tool call: response has no choices", ErrUpstream)
	}
	for _, call := range resp.Choices[0].Message.ToolCalls {
		if call.Function.Name == tool.Name {
			return json.RawMessage(call.Function.Arguments), usage, nil
		}
	}
	return nil, usage, fmt.Errorf("%w: chat tool call: the reply did not call %s", ErrUpstream, tool.Name)
}

// ChatModel is the configured chat model.
func (c *Client) ChatModel() string { return c.cfg.ChatModel }
