package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/govchat/govchat/ingest"
	"github.com/govchat/govchat/ingest/source"
	"github.com/govchat/govchat/internal/config"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"

	"github.com/govchat/govchat/internal/bench"
)

var benchSettings = []string{"database-url", "db-schema", "log-level", "log-format", "embedder", "vectors-file",
	"openai-base-url", "openai-api-type", "embedding-model", "embedding-dimensions"}

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
	fmt.Fprintln(io.Err, `usage: govchat bench retrieval --dataset FILE [--sweep] [--floor [--save]] [--detail]
       govchat bench search --chunks N [--corpus distinct|replicated] [--seed N] [--index] [--from DIR]
       govchat bench ingest --from DIR [--chunks N]`)
	return errUsage
}

func benchRetrieval(ctx context.Context, io IO, args []string) error {
	fs := flags("bench retrieval", io, append(benchSettings, "top-k", "ef-search", "max-per-page", "doc-type-weights")...)
	dataset := fs.String("dataset", "", "JSON Lines question set (shared/eval/dev.jsonl)")
	sweep := fs.Bool("sweep", false, "also score variations of the fusion settings, one row each")
	floorOnly := fs.Bool("floor", false, "report the no-content floor evidence and the floor calibrated from it, instead of recall")
	save := fs.Bool("save", false, "with --floor: store the calibrated floor with the index's embedding space")
	detail := fs.Bool("detail", false, "list misses and every item's floor scores")
	rrfK := fs.Int("rrf-k", 0, "override the RRF k")
	depth := fs.Int("depth", 0, "override both ranker depths")
	cands := fs.Int("candidates", 0, "override the fused candidate count")
	budget := fs.Int("text-budget", 0, "override the most chunks the full-text ranker scores")
	share := fs.Float64("text-share", 0, "override the share of all chunks the full-text ranker's matching words may hold")
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
	stk, err := openStorage(ctx, cfg, newLogger(cfg, io.Err), false)
	if err != nil {
		return err
	}
	defer stk.Close()
	st, emb := stk.store, stk.emb
	base, err := searchOptions(cfg)
	if err != nil {
		return err
	}
	base.RRFK, base.Candidates = *rrfK, *cands
	base.VectorK, base.TextK = *depth, *depth
	base.TextBudget, base.TextShare = *budget, *share
	if *floorOnly {
		return benchFloor(ctx, io, st, emb, items, base, *dataset, *detail, *save)
	}
	if *save {
		fmt.Fprintln(io.Err, "govchat bench retrieval: --save goes with --floor")
		return errUsage
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

// benchStorage is openStorage on a migrated bench schema: schema, or a new
// one that Close drops unless keep is set.
func benchStorage(ctx context.Context, cfg config.Config, io IO, schema string, keep bool) (*stack, error) {
	cfg = benchConfig(cfg, schema)
	stk, err := openStorage(ctx, cfg, newLogger(cfg, io.Err), true)
	if err != nil {
		return nil, err
	}
	stk.closers = append(stk.closers, dropSchema(ctx, io, stk.store, keep))
	return stk, nil
}

// benchSchema opens only the store of benchStorage, for a run that reuses an
// embedder; the returned function drops the schema and closes the store.
func benchSchema(ctx context.Context, cfg config.Config, io IO) (*store.Store, func(), error) {
	cfg = benchConfig(cfg, "")
	st, err := openStore(ctx, cfg, newLogger(cfg, io.Err), true)
	if err != nil {
		return nil, nil, err
	}
	drop := dropSchema(ctx, io, st, false)
	return st, func() { drop(); st.Close() }, nil
}

// benchConfig is cfg for a bench schema on the primary: schema, or a new
// random one.
func benchConfig(cfg config.Config, schema string) config.Config {
	if schema == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		schema = "bench_" + hex.EncodeToString(b)
	}
	cfg.DBSchema, cfg.DatabaseReadURL = schema, ""
	return cfg
}

// dropSchema returns a function that drops st's schema, or says it was kept.
func dropSchema(ctx context.Context, io IO, st *store.Store, keep bool) func() {
	return func() {
		if keep {
			fmt.Fprintf(io.Err, "kept schema %s\n", st.Schema())
			return
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := st.DropSchema(dctx); err != nil {
			fmt.Fprintf(io.Err, "could not drop schema %s: %v\n", st.Schema(), err)
		}
	}
}

func collectCorpus(ctx context.Context, dir string) ([]ingest.Parsed, error) {
	return ingest.Collect(ctx, source.Dir{Path: dir}, ingest.ParseOptions{})
}

func benchSearch(ctx context.Context, io IO, args []string) error {
	fs := flags("bench search", io, append(benchSettings, "top-k", "ef-search", "max-per-page", "doc-type-weights")...)
	chunks := fs.Int("chunks", 100000, "synthetic chunks to fill the schema with")
	from := fs.String("from", "../shared/corpus/govuk", "corpus the synthetic chunks are made from")
	corpus := fs.String("corpus", "distinct", `"distinct": pages of real sentences recombined, every chunk new; "replicated": copies of the corpus with a tenth of the words dropped`)
	seed := fs.Uint64("seed", 1, "seed of the distinct corpus")
	index := fs.Bool("index", false, "also rebuild the HNSW index (time and size) and compare halfvec storage in a schema of its own")
	memMB := fs.Int("maintenance-mb", 256, "with --index: maintenance_work_mem for the index builds, in MB")
	dataset := fs.String("dataset", "../shared/eval/dev.jsonl", "questions to time")
	rounds := fs.Int("rounds", 3, "times each question is run")
	schema := fs.String("schema", "", "reuse this schema when it already holds chunks (with --keep, fill it once)")
	keep := fs.Bool("keep", false, "keep the schema afterwards")
	budget := fs.Int("text-budget", 0, "override the most chunks the full-text ranker scores")
	cfg, err := parse(fs, io, args)
	if err != nil {
		return err
	}
	stk, err := benchStorage(ctx, cfg, io, *schema, *keep)
	if err != nil {
		return err
	}
	defer stk.Close()
	st, emb := stk.store, stk.emb
	if err := benchFill(ctx, io, st, emb, *from, *corpus, *seed, *chunks); err != nil {
		return err
	}
	qs, err := bench.LoadQuestions(*dataset)
	if err != nil {
		return err
	}
	opts, err := searchOptions(cfg)
	if err != nil {
		return err
	}
	opts.TextBudget = *budget
	efs := []int{40, 100, 200}
	if !slices.Contains(efs, opts.EfSearch) && opts.EfSearch > 0 {
		efs = append(efs, opts.EfSearch) // --ef-search adds a row
	}
	rep, err := bench.BenchSearch(ctx, st, emb, opts, qs, *rounds, efs)
	if err != nil {
		return err
	}
	rep.Print(io.Out)
	if *index {
		rows, err := bench.BenchIndex(ctx, st, emb, qs, opts.EfSearch, *rounds, *memMB)
		if err != nil {
			return err
		}
		bench.PrintIndex(io.Out, rows, opts.EfSearch, *memMB)
	}
	return nil
}

// benchFill fills st, unless it already holds chunks, with about chunks
// chunks made from the corpus in from: distinct pages (bench.Synth) or
// replicated ones (bench.Replicate).
func benchFill(ctx context.Context, io IO, st *store.Store, emb embedder, from, corpus string, seed uint64, chunks int) error {
	if _, n, err := st.ChunkCount(ctx); err != nil || n > 0 {
		return err
	}
	items, err := collectCorpus(ctx, from)
	if err != nil {
		return err
	}
	var next func(n int) []ingest.Parsed
	switch corpus {
	case "distinct":
		sy, err := bench.NewSynth(items, seed)
		if err != nil {
			return err
		}
		next = sy.Take
	case "replicated":
		docs := bench.Replicate(items, chunks)
		next = func(n int) []ingest.Parsed {
			i, k := 0, 0
			for ; i < len(docs) && k < n; i++ {
				k += len(docs[i].Doc.Chunks)
			}
			out := docs[:i]
			docs = docs[i:]
			return out
		}
	default:
		return fmt.Errorf("bench search: --corpus %q: want distinct or replicated", corpus)
	}
	t := time.Now()
	n := 0
	for n < chunks {
		docs := next(min(2000, chunks-n))
		if len(docs) == 0 {
			break
		}
		k, err := bench.Fill(ctx, st, emb, docs, 2000, nil)
		n += k
		fmt.Fprintf(io.Err, "\rfilled %d chunks (%.0f/s)", n, float64(n)/time.Since(t).Seconds())
		if err != nil {
			fmt.Fprintln(io.Err)
			return err
		}
	}
	fmt.Fprintln(io.Err)
	fmt.Fprintf(io.Out, "Filled %d %s chunks in %.1fs with store.ReplaceDocument (HNSW maintained while inserting).\n\n", n, corpus, time.Since(t).Seconds())
	return nil
}

func benchIngest(ctx context.Context, io IO, args []string) error {
	fs := flags("bench ingest", io, benchSettings...)
	from := fs.String("from", "../shared/corpus/govuk", "corpus directory")
	chunks := fs.Int("chunks", 0, "also ingest the corpus replicated to this many chunks into a fresh schema, and the same rows by raw INSERT")
	cfg, err := parse(fs, io, args)
	if err != nil {
		return err
	}
	items, err := collectCorpus(ctx, *from)
	if err != nil {
		return err
	}
	stk, err := benchStorage(ctx, cfg, io, "", false)
	if err != nil {
		return err
	}
	defer stk.Close()
	st, emb := stk.store, stk.emb
	sy := ingest.NewSyncer(st, emb, nil)
	full, err := bench.TimedSync(ctx, sy, "full ingest of "+*from, items, true)
	if err != nil {
		return err
	}
	noop, err := bench.TimedSync(ctx, sy, "no-op re-run", items, true)
	if err != nil {
		return err
	}
	changed, page, n := bench.ChangeOnePage(items)
	one, err := bench.TimedSync(ctx, sy, fmt.Sprintf("one page changed (%s, last of its %d chunks)", page, n), changed, true)
	if err != nil {
		return err
	}
	runs := []bench.IngestRun{full, noop, one}
	if *chunks > 0 {
		return benchIngestScale(ctx, io, cfg, emb, items, *chunks, runs)
	}
	bench.PrintIngest(io.Out, runs, full.Elapsed)
	return nil
}

// benchIngestScale ingests the corpus replicated to chunks chunks into a
// fresh schema, then writes the same rows by raw INSERT into another, and
// prints runs with both.
func benchIngestScale(ctx context.Context, io IO, cfg config.Config, emb embedder, items []ingest.Parsed, chunks int, runs []bench.IngestRun) error {
	big := bench.Replicate(items, chunks)
	st2, done2, err := benchSchema(ctx, cfg, io)
	if err != nil {
		return err
	}
	defer done2()
	scale, err := bench.TimedSync(ctx, ingest.NewSyncer(st2, emb, nil), fmt.Sprintf("corpus replicated to %d chunks", chunks), big, false)
	if err != nil {
		return err
	}
	runs = append(runs, scale)
	t := time.Now()
	vecs, err := bench.EmbedAll(ctx, emb, big)
	if err != nil {
		return err
	}
	embedTime := time.Since(t)
	st3, done3, err := benchSchema(ctx, cfg, io)
	if err != nil {
		return err
	}
	defer done3()
	sp, err := st3.EnsureSpace(ctx, emb.Model(), emb.Dimensions())
	if err != nil {
		return err
	}
	t = time.Now()
	if err := bench.RawInsert(ctx, st3, sp, big, vecs, 100); err != nil {
		return err
	}
	raw := time.Since(t)
	bench.PrintIngest(io.Out, runs, runs[0].Elapsed)
	fmt.Fprintf(io.Out, "\nRaw unnest INSERT of the same %d chunks (vectors precomputed in %.1fs, 100 documents a transaction): %.1fs. "+
		"Ingest/raw throughput ratio %.2f (raw time / ingest time); without the embedding time %.2f.\n",
		scale.Chunks, embedTime.Seconds(), raw.Seconds(), raw.Seconds()/scale.Elapsed.Seconds(), raw.Seconds()/(scale.Elapsed-embedTime).Seconds())
	return nil
}

// benchFloor prints the floor evidence under the floor in force, calibrates
// a floor from it and, with save, stores that with the embedding space.
func benchFloor(ctx context.Context, io IO, st *store.Store, emb embedder, items []bench.Item, base retrieval.Options,
	dataset string, detail, save bool) error {
	sp, err := st.CheckSpace(ctx, emb.Model(), emb.Dimensions())
	if err != nil {
		return err
	}
	rows, err := bench.FloorEvidence(ctx, st, emb, items, base)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "In force: %s\n\n", floorText(sp))
	cur, _ := retrieval.FloorFor(sp)
	bench.PrintFloor(io.Out, rows, cur, detail)

	samples := make([]retrieval.FloorSample, len(rows))
	for i, r := range rows {
		samples[i] = retrieval.FloorSample{BestVector: r.BestVector, BestText: r.BestText, WantPass: r.WantPass}
	}
	f, err := retrieval.Calibrate(samples)
	if err != nil {
		return err
	}
	fp, fn, pass, decl := 0, 0, 0, 0
	for _, s := range samples {
		ok := f.Passes(s.BestVector, s.BestText)
		switch {
		case s.WantPass:
			pass++
			if !ok {
				fn++
			}
		default:
			decl++
			if ok {
				fp++
			}
		}
	}
	note := fmt.Sprintf("%s: %d should pass, %d should decline; %d false positives, %d false negatives", filepath.Base(dataset), pass, decl, fp, fn)
	fmt.Fprintf(io.Out, "\nCalibrated for %s: cosine %.2f, full-text %.2f, or both %.2f and %.2f (%s)\n",
		sp.Model, f.MinVector, f.MinText, f.MinVectorBoth, f.MinTextBoth, note)
	if !save {
		fmt.Fprintln(io.Out, "Not saved: add --save to store it with the embedding space.")
		return nil
	}
	if err := st.SetSpaceFloor(ctx, sp, store.SpaceFloor{MinVector: f.MinVector, MinText: f.MinText,
		MinVectorBoth: f.MinVectorBoth, MinTextBoth: f.MinTextBoth, Note: note}); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "Saved with embedding space %d; serve and eval use it from their next search.\n", sp.ID)
	return nil
}
