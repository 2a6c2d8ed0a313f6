package cli

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/embed"
	"github.com/govchat/govchat/internal/config"
	"github.com/govchat/govchat/internal/version"
	"github.com/govchat/govchat/llm"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
)

// embedder is the interface both ingest and retrieval declare.
type embedder = retrieval.Embedder

func llmClient(cfg config.Config) *llm.Client {
	return llm.NewClient(llm.Config{
		BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIAPIKey, APIType: cfg.OpenAIAPIType, AzureAPIVersion: cfg.AzureAPIVersion,
		EmbeddingModel: cfg.EmbeddingModel, EmbeddingDimensions: cfg.EmbeddingDimensions, ChatModel: cfg.ChatModel,
		Timeout: cfg.LLMTimeout, FirstTokenTimeout: cfg.LLMFirstTokenTimeout,
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
	// The floor is the index's embedding space's own (retrieval.FloorFor);
	// the settings replace single thresholds of it.
	pageChunks := cfg.PageChunks
	if pageChunks == 0 {
		pageChunks = -1 // off; 0 would mean retrieval's default
	}
	return retrieval.Options{K: cfg.TopK, EfSearch: cfg.EfSearch, MaxPerPage: cfg.MaxPerPage, PageChunks: pageChunks, Weights: w,
		SpaceFloor: true, Override: &retrieval.FloorOverride{MinVector: cfg.MinVectorScore, MinText: cfg.MinTextScore}}, nil
}

// floorText describes the "no content" floor that searches of sp use.
func floorText(sp store.Space) string {
	f, rule := retrieval.FloorFor(sp)
	nums := fmt.Sprintf("cosine %.2f, full-text %.2f, or both %.2f and %.2f", f.MinVector, f.MinText, f.MinVectorBoth, f.MinTextBoth)
	switch rule {
	case retrieval.FloorCalibrated:
		return fmt.Sprintf("calibrated %s (%s): %s", sp.Floor.CalibratedAt.Format("2006-01-02"), sp.Floor.Note, nums)
	case retrieval.FloorBuiltIn:
		return "calibrated for this model in docs/retrieval.md: " + nums
	}
	return fmt.Sprintf("not calibrated for %s: full-text evidence only (ts_rank %.2f); "+
		"run `govchat bench retrieval --dataset FILE --floor --save` to calibrate it", sp.Model, f.MinText)
}

// logFloor says at start which floor answers will use, and warns when the
// index's space has none of its own.
func logFloor(ctx context.Context, st *store.Store, log *slog.Logger) {
	sp, err := st.ActiveSpace(ctx)
	if err != nil {
		return // an empty index is reported elsewhere
	}
	if _, rule := retrieval.FloorFor(sp); rule == retrieval.FloorUncalibrated {
		log.Warn("no-content floor: "+floorText(sp), "model", sp.Model)
		return
	}
	log.Info("no-content floor: "+floorText(sp), "model", sp.Model)
}

// stack is what serve, eval and the benchmarks share: the store, the
// embedder, the retriever and, when configured, the LLM.
type stack struct {
	store    *store.Store
	emb      embedder
	searcher *retrieval.Searcher
	llm      chat.LLM // nil: answers are composed offline
	router   *chat.Router
	closers  []func()
}

// openStack opens the store (migrating it when migrate is set), the embedder,
// the retriever and the LLM client. Close releases them in reverse order.
func openStack(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool) (*stack, error) {
	s, err := openStorage(ctx, cfg, log, migrate)
	if err != nil {
		return nil, err
	}
	opts, err := searchOptions(cfg)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.searcher = retrieval.New(s.store, s.emb, opts)
	logFloor(ctx, s.store, log)
	if cfg.UseLLM() {
		c := llmClient(cfg)
		s.llm = c
		s.closers = append(s.closers, c.Close)
	}
	s.router = newRouter(cfg, log)
	return s, nil
}

// openStorage opens the part of the stack that ingest and search need: the
// store (migrating it when migrate is set) and the embedder.
func openStorage(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool) (*stack, error) {
	s := &stack{}
	st, err := openStore(ctx, cfg, log, migrate)
	if err != nil {
		return nil, err
	}
	s.store = st
	s.closers = append(s.closers, st.Close)
	emb, release, err := newEmbedder(cfg)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.emb = emb
	s.closers = append(s.closers, release)
	return s, nil
}

// newRouter trains the question router with the local embedder's word
// vectors, whatever the configured embedder; without the vector file it
// falls back to lexical features and says so.
func newRouter(cfg config.Config, log *slog.Logger) *chat.Router {
	enc, dims := routerEncoder(cfg, log)
	if enc == nil {
		return chat.DefaultRouter()
	}
	ex, err := chat.BuiltinRoutingSet()
	if err != nil {
		log.Warn("the built-in routing set is invalid; using the default router", "error", err)
		return chat.DefaultRouter()
	}
	return chat.NewRouter(ex, enc, dims)
}

// routerEncoder loads the word vectors for the router: nil when the file
// is missing.
func routerEncoder(cfg config.Config, log *slog.Logger) (chat.Encoder, int) {
	enc, err := embed.NewLocal(cfg.VectorsFile, embed.WithLexicalDims(0))
	if err != nil {
		log.Warn("the question router uses words only: the word vectors are not available", "error", err)
		return nil, 0
	}
	return enc, enc.Dimensions()
}

// pipelineConfig is the package function with the stack's router.
func (s *stack) pipelineConfig(cfg config.Config) chat.Config {
	pc := pipelineConfig(cfg)
	pc.Router = s.router
	return pc
}

// Close releases everything openStack opened.
func (s *stack) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// pipelineConfig maps configuration onto the chat pipeline's.
func pipelineConfig(cfg config.Config) chat.Config {
	return chat.Config{MaxQuestionChars: cfg.MaxQuestionChars, Retention: cfg.Retention, HistoryTurns: 5,
		ForbiddenTerms: cfg.ForbiddenTerms, LLMTimeout: cfg.LLMTimeout, LLMChecks: cfg.LLMChecks}
}
