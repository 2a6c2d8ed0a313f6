package llm_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/govchat/govchat/llm"
	"github.com/govchat/govchat/llm/llmtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newClient(t *testing.T, srv *llmtest.Server, mod func(*llm.Config)) *llm.Client {
	t.Helper()
	cfg := llm.Config{
		BaseURL: srv.URL, APIKey: "test-key",
		EmbeddingModel: "text-embedding-3-small", EmbeddingDimensions: 8,
		ChatModel:      "gpt-test",
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 2 * time.Second,
		BatchSize: 3, Concurrency: 2,
	}
	if mod != nil {
		mod(&cfg)
	}
	c := llm.NewClient(cfg)
	t.Cleanup(c.Close)
	return c
}

func unit(t *testing.T, v []float32) {
	t.Helper()
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if math.Abs(s-1) > 1e-5 {
		t.Fatalf("norm² = %v; want 1", s)
	}
}

func TestEmbedBatchesAndOrders(t *testing.T) {
	srv := llmtest.NewServer(t)
	c := newClient(t, srv, nil)
	texts := []string{"a", "b", "c", "d", "e", "f", "g"}
	emb := c.Embedder()
	got, err := emb.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if emb.Model() != "text-embedding-3-small" || emb.Dimensions() != 8 {
		t.Fatalf("Model, Dimensions = %q, %d", emb.Model(), emb.Dimensions())
	}
	for i, text := range texts {
		want := llmtest.Vector(text, 8)
		unit(t, got[i])
		// Same direction as the server's vector for this text: proves reordering by index.
		var dot, n float64
		for j := range want {
			dot += float64(want[j]) * float64(got[i][j])
			n += float64(want[j]) * float64(want[j])
		}
		if c := dot / math.Sqrt(n); math.Abs(c-1) > 1e-5 {
			t.Fatalf("vector %d is not the server's vector for %q (cos %v)", i, text, c)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests; want 3 batches of at most 3", len(reqs))
	}
	var seen []string
	for _, r := range reqs {
		if r.Dimensions != 8 || r.Model != "text-embedding-3-small" || r.Header.Get("Authorization") != "Bearer test-key" || r.Header.Get("User-Agent") != "govchat" {
			t.Fatalf("request = %+v", r)
		}
		seen = append(seen, r.Input...)
	}
	slices.Sort(seen)
	if !slices.Equal(seen, texts) {
		t.Fatalf("inputs sent = %v; want %v", seen, texts)
	}
	if out, err := emb.Embed(context.Background(), nil); err != nil || len(out) != 0 {
		t.Fatalf("Embed(nil) = %v, %v", out, err)
	}
}

func TestEmbedTruncatesAndOmitsDimensions(t *testing.T) {
	srv := llmtest.NewServer(t)
	c := newClient(t, srv, func(c *llm.Config) { c.MaxInputRunes = 5; c.OmitDimensions = true })
	if _, err := c.Embedder().Embed(context.Background(), []string{"ŵŵŵŵŵŵŵŵŵŵ"}); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Input[0] != "ŵŵŵŵŵ" || r.Dimensions != 0 {
		t.Fatalf("sent %q with dimensions %d; want 5 runes and no dimensions", r.Input[0], r.Dimensions)
	}
	if _, ok := r.Body["dimensions"]; ok {
		t.Fatal("dimensions sent despite OmitDimensions")
	}
}

func TestEmbedRetries(t *testing.T) {
	tests := []struct {
		name     string
		replies  []llmtest.Reply
		wantErr  error
		requests int
		minWait  time.Duration
	}{
		{"429 with retry-after-ms then success", []llmtest.Reply{{Status: 429, ErrorType: "rate_limit_exceeded", RetryAfterMs: "200"}}, nil, 2, 200 * time.Millisecond},
		{"429 with Retry-After then success", []llmtest.Reply{{Status: 429, RetryAfter: "1"}}, nil, 2, time.Second},
		{"500 then success", []llmtest.Reply{{Status: 500}}, nil, 2, 0},
		{"400 is not retried", []llmtest.Reply{{Status: 400, ErrorType: "invalid_request_error", ErrorMessage: "input too long"}}, llm.ErrUpstream, 1, 0},
		{"429 every time", []llmtest.Reply{{Status: 429}, {Status: 429}, {Status: 429}, {Status: 429}}, llm.ErrRateLimited, 4, 0},
		{"wrong dimension", []llmtest.Reply{{Dims: 5}}, llm.ErrUpstream, 1, 0},
		{"wrong count", []llmtest.Reply{{Count: 1}}, llm.ErrUpstream, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.QueueEmbeddings(tt.replies...)
			c := newClient(t, srv, func(c *llm.Config) { c.BatchSize = 64 })
			start := time.Now()
			out, err := c.Embedder().Embed(context.Background(), []string{"x", "y"})
			if tt.wantErr == nil && (err != nil || len(out) != 2) {
				t.Fatalf("Embed = %d vectors, %v; want 2, nil", len(out), err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Embed error = %v; want %v", err, tt.wantErr)
			}
			if n := len(srv.Requests()); n != tt.requests {
				t.Fatalf("%d requests; want %d", n, tt.requests)
			}
			if el := time.Since(start); el < tt.minWait {
				t.Fatalf("retried after %s; want at least %s (server's hint)", el, tt.minWait)
			}
		})
	}
}

func TestEmbedErrorDetail(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.QueueEmbeddings(llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorMessage: "model not found"})
	c := newClient(t, srv, nil)
	_, err := c.Embedder().Embed(context.Background(), []string{"x"})
	if err == nil || !strings.Contains(err.Error(), "model not found") || !strings.HasPrefix(err.Error(), "llm: ") {
		t.Fatalf("error = %v; want the server's message with an llm: prefix", err)
	}
}

func TestAzure(t *testing.T) {
	srv := llmtest.NewServer(t)
	c := newClient(t, srv, func(c *llm.Config) {
		c.APIType, c.BaseURL, c.AzureAPIVersion, c.EmbeddingModel = "azure", srv.Root, "2024-02-01", "my-embeddings"
	})
	if _, err := c.Embedder().Embed(context.Background(), []string{"x"}); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Path != "/openai/deployments/my-embeddings/embeddings" || r.Header.Get("Api-Key") != "test-key" {
		t.Fatalf("azure request path %q, api-key %q", r.Path, r.Header.Get("Api-Key"))
	}
}

func collect(t *testing.T, c *llm.Client, ctx context.Context, req llm.ChatRequest) ([]string, llm.ChatResult, error) {
	t.Helper()
	var deltas []string
	res, err := c.StreamChat(ctx, req, func(s string) error {
		deltas = append(deltas, s)
		return nil
	})
	return deltas, res, err
}

var hello = llm.ChatRequest{Messages: []llm.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}}, Temperature: 0.2, MaxTokens: 50}

func TestStreamChat(t *testing.T) {
	srv := llmtest.NewServer(t)
	c := newClient(t, srv, nil)
	deltas, res, err := collect(t, c, context.Background(), hello)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(deltas, ""); got != srv.Answer || res.Content != srv.Answer {
		t.Fatalf("deltas %q, content %q; want %q", got, res.Content, srv.Answer)
	}
	if res.FinishReason != "stop" || res.Usage == nil || res.Usage.PromptTokens != 12 || res.Attempts != 1 {
		t.Fatalf("result = %+v, usage %+v", res, res.Usage)
	}
	r := srv.Requests()[0]
	if !r.Stream || r.Model != "gpt-test" || len(r.Messages) != 2 || r.Messages[1].Content != "Hi" || r.Body["max_tokens"] != float64(50) {
		t.Fatalf("request = %+v", r)
	}
}

func TestStreamChatRetriesBeforeFirstToken(t *testing.T) {
	for _, first := range []llmtest.Reply{{Status: 500}, {Status: 429, RetryAfterMs: "10"}, {Status: 503}, {Status: 502, ErrorMessage: "bad gateway"}} {
		srv := llmtest.NewServer(t)
		srv.QueueChat(first)
		c := newClient(t, srv, nil)
		deltas, res, err := collect(t, c, context.Background(), hello)
		if err != nil || strings.Join(deltas, "") != srv.Answer || res.Attempts != 2 {
			t.Fatalf("after %d: deltas %q, attempts %d, err %v; want a retried full answer", first.Status, deltas, res.Attempts, err)
		}
	}
}

func TestStreamChatMidStreamErrorsAreNotRetried(t *testing.T) {
	for name, rep := range map[string]llmtest.Reply{
		"error event": {Chunks: []string{"one", " two", " three"}, FailAfter: 2},
		"dropped":     {Chunks: []string{"one", " two", " three"}, AbortAfter: 2},
		"no finish":   {Chunks: []string{"one", " two"}, NoFinish: true},
	} {
		t.Run(name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.QueueChat(rep)
			c := newClient(t, srv, nil)
			deltas, res, err := collect(t, c, context.Background(), hello)
			if !errors.Is(err, llm.ErrUpstream) {
				t.Fatalf("err = %v; want ErrUpstream", err)
			}
			if got := strings.Join(deltas, ""); got != "one two" || res.Content != "one two" {
				t.Fatalf("delivered %q (content %q); want the deltas before the failure", got, res.Content)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Fatalf("%d requests; want 1 (no retry after the first token)", n)
			}
		})
	}
}

func TestStreamChatTimeouts(t *testing.T) {
	tests := []struct {
		name  string
		rep   llmtest.Reply
		cfg   func(*llm.Config)
		wantD string
	}{
		{"first token", llmtest.Reply{HangBeforeFirst: true}, func(c *llm.Config) { c.FirstTokenTimeout = 150 * time.Millisecond }, ""},
		{"no headers", llmtest.Reply{HangBeforeReply: true}, func(c *llm.Config) { c.FirstTokenTimeout = 150 * time.Millisecond }, ""},
		{"idle", llmtest.Reply{Chunks: []string{"a", "b", "c"}, Delay: 300 * time.Millisecond}, func(c *llm.Config) {
			c.FirstTokenTimeout = time.Second
			c.IdleTimeout = 150 * time.Millisecond
		}, "ab"},
		{"whole call", llmtest.Reply{Chunks: []string{"a", "b", "c", "d"}, Delay: 100 * time.Millisecond}, func(c *llm.Config) { c.Timeout = 250 * time.Millisecond }, "abcd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			srv.QueueChat(tt.rep)
			c := newClient(t, srv, tt.cfg)
			start := time.Now()
			deltas, _, err := collect(t, c, context.Background(), hello)
			if !errors.Is(err, llm.ErrTimeout) {
				t.Fatalf("err = %v; want ErrTimeout", err)
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Fatalf("took %s", el)
			}
			// Timing on a busy machine varies: some prefix of the answer, never all of it.
			if got := strings.Join(deltas, ""); !strings.HasPrefix(tt.wantD, got) || got == "abcd" || (tt.wantD == "" && got != "") {
				t.Fatalf("delivered %q; want a strict prefix of %q", got, tt.wantD)
			}
			if srv.WaitCancelled(2*time.Second) == "" {
				t.Fatal("server never saw the request end")
			}
			if n := len(srv.Requests()); n != 1 {
				t.Fatalf("%d requests; timeouts must not be retried", n)
			}
		})
	}
}

func TestStreamChatCallerCancel(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.QueueChat(llmtest.Reply{Chunks: []string{"a", "b", "c", "d"}, Delay: 200 * time.Millisecond})
	c := newClient(t, srv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var deltas []string
	_, err := c.StreamChat(ctx, hello, func(s string) error {
		deltas = append(deltas, s)
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	if path := srv.WaitCancelled(2 * time.Second); path != "/v1/chat/completions" {
		t.Fatalf("server saw cancellation of %q; want the chat request", path)
	}
	if len(deltas) != 1 {
		t.Fatalf("deltas = %q; want one", deltas)
	}
}

func TestStreamChatCallbackError(t *testing.T) {
	srv := llmtest.NewServer(t)
	c := newClient(t, srv, nil)
	stop := errors.New("client went away")
	_, err := c.StreamChat(context.Background(), hello, func(string) error { return stop })
	if !errors.Is(err, stop) || len(srv.Requests()) != 1 {
		t.Fatalf("err = %v after %d requests; want the callback's error, no retry", err, len(srv.Requests()))
	}
}

func TestComplete(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.QueueChat(llmtest.Reply{Status: 500}, llmtest.Reply{Chunks: []string{"SAFE"}})
	c := newClient(t, srv, nil)
	got, err := c.Complete(context.Background(), hello)
	if err != nil || got != "SAFE" {
		t.Fatalf("Complete = %q, %v; want SAFE", got, err)
	}
	if r := srv.Requests(); len(r) != 2 || r[1].Stream {
		t.Fatalf("requests = %+v", r)
	}
	srv.QueueChat(llmtest.Reply{Status: 401, ErrorType: "invalid_api_key"})
	if _, err := c.Complete(context.Background(), hello); !errors.Is(err, llm.ErrUpstream) || len(srv.Requests()) != 3 {
		t.Fatalf("Complete after 401 = %v; want ErrUpstream, no retry", err)
	}
}

func TestNoModel(t *testing.T) {
	srv := llmtest.NewServer(t)
	c := newClient(t, srv, func(c *llm.Config) { c.ChatModel, c.EmbeddingModel = "", "" })
	if _, err := c.StreamChat(context.Background(), hello, func(string) error { return nil }); err == nil {
		t.Fatal("StreamChat without a model succeeded")
	}
	if _, err := c.Embedder().Embed(context.Background(), []string{"x"}); err == nil {
		t.Fatal("Embed without a model succeeded")
	}
}

// Dimensions 0 means the model's own: learned from the first response, not
// sent, and every later response must have the same length.
func TestEmbedLearnsDimensions(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Dims = 12
	c := newClient(t, srv, func(c *llm.Config) { c.EmbeddingDimensions = 0 })
	emb := c.Embedder()
	if d := emb.Dimensions(); d != 0 {
		t.Fatalf("Dimensions() before any response = %d; want 0 (unknown)", d)
	}
	vecs, err := emb.Embed(context.Background(), []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs[0]) != 12 || emb.Dimensions() != 12 {
		t.Fatalf("vector length %d, Dimensions() %d; want 12 and 12", len(vecs[0]), emb.Dimensions())
	}
	if r := srv.Requests()[0]; r.Dimensions != 0 {
		t.Errorf("sent dimensions %d; want none", r.Dimensions)
	}
	srv.QueueEmbeddings(llmtest.Reply{Dims: 10})
	if _, err := emb.Embed(context.Background(), []string{"c"}); !errors.Is(err, llm.ErrUpstream) || !strings.Contains(err.Error(), "earlier responses had 12") {
		t.Errorf("Embed() with a changed length = %v; want ErrUpstream naming 12", err)
	}
}
