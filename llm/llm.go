// Package llm is govchat's transport to OpenAI-compatible APIs (OpenAI, Azure
// OpenAI, Ollama, vLLM, LiteLLM): batched embeddings and streaming chat with
// timeouts and retries. It is the only package that imports go-openai.
package llm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/govchat/govchat/internal/wait"
)

// Errors callers can check with errors.Is. Each returned error wraps one of
// them and, where there is one, the upstream detail.
var (
	// ErrTimeout: a call, first-token or idle-between-tokens timeout passed.
	ErrTimeout = errors.New("llm: timeout")
	// ErrRateLimited: the server answered 429 on every attempt.
	ErrRateLimited = errors.New("llm: rate limited")
	// ErrUpstream: any other failure of the server or the connection to it,
	// including malformed responses.
	ErrUpstream = errors.New("llm: upstream error")
)

// Config configures a Client. Zero fields take the documented defaults.
type Config struct {
	BaseURL             string // e.g. https://api.openai.com/v1, http://localhost:11434/v1; Azure: the resource endpoint
	APIKey              string
	APIType             string // "openai" (default; also Ollama, vLLM, LiteLLM) or "azure"
	AzureAPIVersion     string // Azure only; go-openai's default when empty
	EmbeddingModel      string // Azure: the deployment name
	EmbeddingDimensions int    // expected vector length; sent as "dimensions" unless OmitDimensions
	OmitDimensions      bool   // for models that reject the dimensions parameter (ada-002, most local servers)
	ChatModel           string

	Timeout           time.Duration // whole call including retries; default 60s
	FirstTokenTimeout time.Duration // streaming: request sent to first content; default 20s
	IdleTimeout       time.Duration // streaming: between content deltas; default 15s
	MaxRetries        int           // retries after the first attempt; default 3; negative for none
	RetryBaseDelay    time.Duration // first backoff; doubles per retry with full jitter; default 500ms
	RetryMaxDelay     time.Duration // cap on one wait, Retry-After included; default 20s
	BatchSize         int           // embedding inputs per request; default 64
	Concurrency       int           // embedding requests in flight; default 4
	MaxInputRunes     int           // embedding inputs are cut to this many runes (≈ 4 per token); default 24000
	UserAgent         string        // default "govchat"

	// HTTPClient replaces the default client (its Transport is wrapped).
	HTTPClient *http.Client
}

func (c Config) withDefaults() Config {
	c.APIType = cmp.Or(c.APIType, "openai")
	c.Timeout = cmp.Or(c.Timeout, 60*time.Second)
	c.FirstTokenTimeout = cmp.Or(c.FirstTokenTimeout, 20*time.Second)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, 15*time.Second)
	c.MaxRetries = max(cmp.Or(c.MaxRetries, 3), 0) // negative: none
	c.RetryBaseDelay = cmp.Or(c.RetryBaseDelay, 500*time.Millisecond)
	c.RetryMaxDelay = cmp.Or(c.RetryMaxDelay, 20*time.Second)
	c.BatchSize = max(cmp.Or(c.BatchSize, 64), 1)
	c.Concurrency = max(cmp.Or(c.Concurrency, 4), 1)
	c.MaxInputRunes = cmp.Or(c.MaxInputRunes, 24000)
	c.UserAgent = cmp.Or(c.UserAgent, "govchat")
	return c
}

// Client talks to one OpenAI-compatible server. It is safe for concurrent use.
type Client struct {
	cfg  Config
	api  *openai.Client
	http *http.Client
}

// NewClient returns a client for cfg. It does no I/O.
func NewClient(cfg Config) *Client {
	cfg = cfg.withDefaults()
	var oc openai.ClientConfig
	if strings.EqualFold(cfg.APIType, "azure") {
		oc = openai.DefaultAzureConfig(cfg.APIKey, cfg.BaseURL)
		if cfg.AzureAPIVersion != "" {
			oc.APIVersion = cfg.AzureAPIVersion
		}
	} else {
		oc = openai.DefaultConfig(cfg.APIKey)
		if cfg.BaseURL != "" {
			oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
		}
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	hc.Transport = &transport{base: cmp.Or[http.RoundTripper](hc.Transport, http.DefaultTransport), userAgent: cfg.UserAgent}
	oc.HTTPClient = hc
	return &Client{cfg: cfg, api: openai.NewClientWithConfig(oc), http: hc}
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// transport sets the User-Agent and records a 429 or 5xx answer's retry
// hint, which go-openai's errors do not carry, for the attempt that asked.
type transport struct {
	base      http.RoundTripper
	userAgent string
}

type hintKey struct{}

// retryHint is one attempt's server-requested wait.
type retryHint struct {
	mu    sync.Mutex
	after time.Duration
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", t.userAgent)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if h, ok := req.Context().Value(hintKey{}).(*retryHint); ok && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500) {
		if d, ok := parseRetryAfter(resp.Header, time.Now()); ok {
			h.mu.Lock()
			h.after = d
			h.mu.Unlock()
		}
	}
	return resp, nil
}

// parseRetryAfter reads retry-after-ms (OpenAI, Azure) or Retry-After in
// seconds or as an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if ms, err := strconv.ParseFloat(h.Get("Retry-After-Ms"), 64); err == nil && ms >= 0 {
		return time.Duration(ms * float64(time.Millisecond)), true
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// attemptFailure classifies one failed attempt.
type attemptFailure struct {
	err   error // wrapped with one of the sentinels
	retry bool
}

// classify maps an error from go-openai or the transport. call is the
// whole-call context: its deadline is a timeout, its cancellation is the
// caller's and is returned as is.
func classify(call context.Context, op string, err error) attemptFailure {
	if call.Err() != nil {
		if errors.Is(call.Err(), context.DeadlineExceeded) {
			return attemptFailure{err: fmt.Errorf("%w: %s: call deadline passed: %w", ErrTimeout, op, err)}
		}
		return attemptFailure{err: fmt.Errorf("llm: %s: %w", op, context.Cause(call))}
	}
	status := 0
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		status = apiErr.HTTPStatusCode
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	}
	switch {
	case status == http.StatusTooManyRequests:
		return attemptFailure{err: fmt.Errorf("%w: %s: %w", ErrRateLimited, op, err), retry: true}
	case status >= 500:
		return attemptFailure{err: fmt.Errorf("%w: %s: %w", ErrUpstream, op, err), retry: true}
	case status == http.StatusRequestTimeout:
		return attemptFailure{err: fmt.Errorf("%w: %s: %w", ErrUpstream, op, err), retry: true}
	case status != 0:
		return attemptFailure{err: fmt.Errorf("%w: %s: %w", ErrUpstream, op, err)}
	case apiErr != nil:
		// An error object inside a 200 stream: the server failed mid-answer.
		return attemptFailure{err: fmt.Errorf("%w: %s: %w", ErrUpstream, op, err), retry: true}
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		return attemptFailure{err: fmt.Errorf("%w: %s: %w", ErrUpstream, op, err), retry: true}
	}
	return attemptFailure{err: fmt.Errorf("%w: %s: %w", ErrUpstream, op, err)}
}

// retry runs fn until it succeeds, fails for good, or MaxRetries retries
// have been spent, sleeping between attempts as the server asks or with
// exponential backoff and full jitter.
func (c *Client) retry(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		hint := &retryHint{}
		err := fn(context.WithValue(ctx, hintKey{}, hint))
		if err == nil {
			return nil
		}
		f := classify(ctx, op, err)
		if !f.retry || attempt >= c.cfg.MaxRetries {
			return f.err
		}
		if err := c.wait(ctx, attempt, hint); err != nil {
			return fmt.Errorf("%w (while waiting to retry after: %w)", err, f.err)
		}
	}
}

func (c *Client) wait(ctx context.Context, attempt int, hint *retryHint) error {
	hint.mu.Lock()
	d := hint.after
	hint.mu.Unlock()
	if d == 0 {
		ceil := c.cfg.RetryBaseDelay << min(attempt, 20)
		d = time.Duration(rand.Int64N(int64(min(ceil, c.cfg.RetryMaxDelay)) + 1))
	}
	d = min(d, c.cfg.RetryMaxDelay)
	if wait.For(ctx, d) {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: call deadline passed", ErrTimeout)
	}
	return fmt.Errorf("llm: %w", context.Cause(ctx))
}
