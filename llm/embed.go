package llm

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	openai "github.com/sashabaranov/go-openai"

	"github.com/govchat/govchat/internal/runes"
)

// Embedder embeds texts with the configured embedding model.
type Embedder struct {
	c *Client
	// learned is the vector length of the first response when no
	// dimensions are configured; every later response must match it.
	learned atomic.Int64
}

// Embedder returns the client's embedder.
func (c *Client) Embedder() *Embedder { return &Embedder{c: c} }

// Model is the configured embedding model (the Azure deployment name).
func (e *Embedder) Model() string { return e.c.cfg.EmbeddingModel }

// Dimensions is the configured vector length or, when none is configured
// (0: the model's own), the length of the first response; 0 until then.
// Responses of another length are errors.
func (e *Embedder) Dimensions() int {
	if d := e.c.cfg.EmbeddingDimensions; d > 0 {
		return d
	}
	return int(e.learned.Load())
}

// Embed returns one L2-normalised vector per text, in input order. Inputs
// longer than MaxInputRunes are cut. Texts go BatchSize per request with at
// most Concurrency requests in flight; the first failure cancels the rest.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	cfg := e.c.cfg
	if cfg.EmbeddingModel == "" {
		return nil, fmt.Errorf("llm: embeddings: no embedding model configured")
	}
	out := make([][]float32, len(texts))
	if len(texts) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	ctx, cancelCause := context.WithCancelCause(ctx)
	defer cancelCause(nil)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, cfg.Concurrency)
	)
	for start := 0; start < len(texts); start += cfg.BatchSize {
		end := min(start+cfg.BatchSize, len(texts))
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			vecs, err := e.batch(ctx, texts[start:end])
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				cancelCause(err)
				return
			}
			copy(out[start:end], vecs)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, classify(ctx, "embeddings", err).err
	}
	return out, nil
}

func (e *Embedder) batch(ctx context.Context, texts []string) ([][]float32, error) {
	cfg := e.c.cfg
	input := make([]string, len(texts))
	for i, t := range texts {
		input[i] = runes.Truncate(t, cfg.MaxInputRunes)
	}
	req := openai.EmbeddingRequest{Input: input, Model: openai.EmbeddingModel(cfg.EmbeddingModel)}
	if cfg.EmbeddingDimensions > 0 && !cfg.OmitDimensions {
		req.Dimensions = cfg.EmbeddingDimensions
	}
	var resp openai.EmbeddingResponse
	err := e.c.retry(ctx, "embeddings", func(ctx context.Context) error {
		var err error
		resp, err = e.c.api.CreateEmbeddings(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(resp.Data) != len(texts) {
		return nil, fmt.Errorf("%w: embeddings: sent %d inputs, got %d vectors", ErrUpstream, len(texts), len(resp.Data))
	}
	out := make([][]float32, len(texts))
	for _, d := range resp.Data {
		if d.Index < 0 || d.Index >= len(texts) || out[d.Index] != nil {
			return nil, fmt.Errorf("%w: embeddings: bad or repeated index %d in a response of %d", ErrUpstream, d.Index, len(texts))
		}
		if len(d.Embedding) == 0 {
			return nil, fmt.Errorf("%w: embeddings: empty vector at index %d", ErrUpstream, d.Index)
		}
		if err := e.checkDimensions(len(d.Embedding)); err != nil {
			return nil, err
		}
		out[d.Index] = normalize(d.Embedding)
	}
	return out, nil
}

// checkDimensions accepts a vector of length n when it matches the configured
// length, or the learned one; the first vector sets the learned length.
func (e *Embedder) checkDimensions(n int) error {
	if want := e.c.cfg.EmbeddingDimensions; want > 0 {
		if n != want {
			return fmt.Errorf("%w: embeddings: model %q returned %d dimensions, configured %d", ErrUpstream, e.c.cfg.EmbeddingModel, n, want)
		}
		return nil
	}
	if e.learned.CompareAndSwap(0, int64(n)) {
		return nil
	}
	if want := int(e.learned.Load()); n != want {
		return fmt.Errorf("%w: embeddings: model %q returned %d dimensions, earlier responses had %d", ErrUpstream, e.c.cfg.EmbeddingModel, n, want)
	}
	return nil
}

func normalize(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return v
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return v
}
