package cli

import (
	"fmt"

	"golang.org/x/time/rate"

	"github.com/govchat/govchat/embed"
	"github.com/govchat/govchat/internal/config"
	"github.com/govchat/govchat/internal/version"
	"github.com/govchat/govchat/llm"
	"github.com/govchat/govchat/retrieval"
)

// embedder is the interface both ingest and retrieval declare.
type embedder = retrieval.Embedder

func llmClient(cfg config.Config) *llm.Client {
	return llm.NewClient(llm.Config{
		BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, APIType: cfg.OpenAIAPIType, AzureAPIVersion: cfg.AzureAPIVersion,
		EmbeddingModel: cfg.EmbeddingModel, EmbeddingDimensions: cfg.EmbeddingDimensions, ChatModel: cfg.ChatModel,
		Timeout: cfg.LLMTimeout, FirstTokenTimeout: cfg.LLMFirstTokenTimout,
		UserAgent: "govchat/" + version.Version,
	})
}

// newEmbedder builds the configured embedder. The second result releases it.
func newEmbedder(cfg config.Config) (embedder, func(), error) {
	switch cfg.Embedder {
	case "local":
		e, err := embed.NewLocal(cfg.VectorsFile)
		if err != nil {
			return nil, nil, err
		}
		return e, func() {}, nil
	case "lexical":
		e, err := embed.NewLexical(embed.DefaultLexicalDims + 100)
		if err != nil {
			return nil, nil, err
		}
		return e, func() {}, nil
	case "openai":
		c := llmClient(cfg)
		return c.Embedder(), c.Close, nil
	}
	return nil, nil, fmt.Errorf("unknown embedder %q", cfg.Embedder)
}

// searchOptions maps configuration onto retrieval options.
func searchOptions(cfg config.Config) (retrieval.Options, error) {
	w, err := retrieval.ParseWeights(cfg.DocTypeWeights)
	if err != nil {
		return retrieval.Options{}, err
	}
	floor := retrieval.DefaultFloor()
	if cfg.MinVectorScore >= 0 {
		floor.MinVector = cfg.MinVectorScore
	}
	if cfg.MinTextScore >= 0 {
		floor.MinText = cfg.MinTextScore
	}
	return retrieval.Options{K: cfg.TopK, EfSearch: cfg.EfSearch, MaxPerPage: cfg.MaxPerPage, Weights: w, Floor: floor}, nil
}

func toLimit(perSecond float64) rate.Limit { return rate.Limit(perSecond) }
