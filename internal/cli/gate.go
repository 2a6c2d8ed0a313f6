package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/eval"
	"github.com/govchat/govchat/ingest"
	"github.com/govchat/govchat/internal/config"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
)

// reembedGate reads the dataset now, so a bad file fails before any
// embedding, and returns the gate that evaluates a built space: the
// dataset runs through the offline pipeline with retrieval in the new
// space, and every threshold must pass for the switch.
func reembedGate(cfg config.Config, io IO, st *store.Store, emb embedder, log *slog.Logger, dataset string, mins thresholds) (ingest.Gate, error) {
	data, err := os.ReadFile(dataset)
	if err != nil {
		return nil, fmt.Errorf("--gate: %w", err)
	}
	items, err := eval.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("--gate %s: %w", dataset, err)
	}
	opts, err := searchOptions(cfg)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, sp store.Space) error {
		searcher := retrieval.New(retrieval.InSpace(st, sp), emb, opts)
		pc := pipelineConfig(cfg)
		pc.Router = newRouter(cfg, log)
		pipe := chat.NewPipeline(searcher, nil, nil, pc, nil)
		results := eval.Runner{Asker: pipe, Searcher: searcher, K: 10}.Run(ctx, items)
		if err := ctx.Err(); err != nil {
			return err
		}
		rep := eval.Score(items, results, eval.RunConfig{Dataset: dataset, Embedder: emb.Model(), Composer: pipe.Composer(), K: 10, RetrievalSource: "searcher"})
		r := rep.Retrieval
		fmt.Fprintf(io.Out, "gate on %s (%d questions, %d scored for retrieval): recall@1 %.3f  recall@5 %.3f  recall@10 %.3f  MRR %.3f  nDCG@10 %.3f\n",
			emb.Model(), len(items), r.Questions, r.RecallAt1, r.RecallAt5, r.RecallAt10, r.MRR, r.NDCGAt10)
		if fails := rep.Check(mins); len(fails) > 0 {
			return exitError{code: 1, msg: "govchat ingest: the new embedding space (" + emb.Model() + ") did not pass the gate, so the old space stays active:\n  " +
				strings.Join(fails, "\n  ") + "\nThe new space is kept unused; the next --reembed with this embedder resumes it."}
		}
		fmt.Fprintln(io.Out, "gate passed: switching to the new space")
		return nil
	}, nil
}
