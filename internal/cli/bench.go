package cli

import (
	"context"
	"fmt"

	"github.com/govchat/govchat/internal/bench"
)

var benchSettings = []string{"database-url", "db-schema", "log-level", "log-format", "embedder", "vectors-file",
	"openai-api-key", "openai-base-url", "openai-api-type", "embedding-model", "embedding-dimensions"}

func runBench(ctx context.Context, io IO, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "retrieval":
			return benchRetrieval(ctx, io, args[1:])
		case "search":
			return benchSearch(ctx, io, args[1:])
		case "ingest":
			return benchIngest(ctx, io, args[1:])
		}
	}
	fmt.Fprintln(io.Err, `usage: govchat bench retrieval --dataset FILE [--sweep] [--floor] [--detail]
       govchat bench search --chunks N [--queries N] [--from DIR]
       govchat bench ingest --from DIR [--chunks N]`)
	return errUsage
}

func benchRetrieval(ctx context.Context, io IO, args []string) error {
	fs := flags("bench retrieval", io, append(benchSettings, "top-k", "ef-search", "max-per-page", "doc-type-weights")...)
	dataset := fs.String("dataset", "", "JSON Lines question set (shared/eval/dev.jsonl)")
	sweep := fs.Bool("sweep", false, "also score variations of the fusion settings, one row each")
	floorOnly := fs.Bool("floor", false, "report the no-content floor evidence instead of recall")
	detail := fs.Bool("detail", false, "list misses and every item's floor scores")
	rrfK := fs.Int("rrf-k", 0, "override the RRF k")
	depth := fs.Int("depth", 0, "override both ranker depths")
	cands := fs.Int("candidates", 0, "override the fused candidate count")
	cfg, err := parse(fs, io, args)
	if err != nil {
		return err
	}
	if *dataset == "" {
		fmt.Fprintln(io.Err, "govchat bench retrieval: --dataset FILE is required")
		return errUsage
	}
	items, err := bench.LoadDataset(*dataset)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, newLogger(cfg, io.Err), false)
	if err != nil {
		return err
	}
	defer st.Close()
	emb, release, err := newEmbedder(cfg)
	if err != nil {
		return err
	}
	defer release()
	base, err := searchOptions(cfg)
	if err != nil {
		return err
	}
	base.RRFK, base.Candidates = *rrfK, *cands
	base.VectorK, base.TextK = *depth, *depth
	if *floorOnly {
		rows, err := bench.FloorEvidence(ctx, st, emb, items, base)
		if err != nil {
			return err
		}
		bench.PrintFloor(io.Out, rows, base.Floor, *detail)
		return nil
	}
	modes := []bench.Mode{
		{Name: "vector only", Ranker: bench.Vector, Opts: bench.SingleRanker(base, bench.Vector)},
		{Name: "full-text only", Ranker: bench.Text, Opts: bench.SingleRanker(base, bench.Text)},
		{Name: "hybrid (defaults)", Ranker: bench.Hybrid, Opts: base},
	}
	if *sweep {
		modes = append(modes, bench.Sweep(base)...)
	}
	rows, err := bench.Quality(ctx, st, emb, items, modes)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "Embedder %s; %s; question alone (no history)\n\n", emb.Model(), *dataset)
	bench.PrintQuality(io.Out, rows, *detail)
	return nil
}

func benchSearch(ctx context.Context, io IO, args []string) error { return errUsage }
func benchIngest(ctx context.Context, io IO, args []string) error { return errUsage }
