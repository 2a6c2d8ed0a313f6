package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/govchat/govchat/ingest"
	"github.com/govchat/govchat/ingest/source"
	"github.com/govchat/govchat/internal/config"
	"github.com/govchat/govchat/internal/version"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
)

// fetchUserAgent names govchat to the sites it fetches from.
func fetchUserAgent() string {
	return "govchat/" + version.Version + " (+https://github.com/govchat/govchat)"
}

// parseOptions maps configuration onto the parser's.
func parseOptions(cfg config.Config) ingest.ParseOptions {
	popts := ingest.ParseOptions{Chunk: ingest.ChunkOptions{MaxTokens: cfg.ChunkMaxTokens}}
	if len(cfg.AllowSchemas) > 0 {
		popts.Schemas = cfg.AllowSchemas
	}
	return popts
}

// ingestFlags are runIngest's own flags.
type ingestFlags struct {
	from, contentAPI, pathsFile, sitemap, onePath, prune, gateSet *string
	dryRun, reembed, asJSON                                       *bool
	rate                                                          *float64
	mins                                                          thresholds
}

func runIngest(ctx context.Context, io IO, args []string) error {
	fs := flags("ingest", io, "database-url", "db-schema", "log-level", "log-format", "embedder", "vectors-file",
		"openai-base-url", "openai-api-type", "embedding-model", "embedding-dimensions",
		"chunk-max-tokens", "allow-schemas")
	f := ingestFlags{
		from:       fs.String("from", "", "a Content API JSON file, or a directory of JSON, HTML or Markdown pages"),
		contentAPI: fs.String("content-api", "", "fetch live from this Content API base URL (e.g. https://www.gov.uk/api/content) with --paths or --path"),
		pathsFile:  fs.String("paths", "", "file of base paths to fetch from --content-api, one per line"),
		sitemap:    fs.String("sitemap", "", "fetch every page listed in this sitemap.xml from --content-api"),
		onePath:    fs.String("path", "", "reindex one page now: fetch /base/path from --content-api"),
		prune:      fs.String("prune", "auto", "remove stored pages the source no longer has: auto (yes for --from DIR and --sitemap), true or false"),
		dryRun:     fs.Bool("dry-run", false, "list what would change; embed and write nothing"),
		reembed:    fs.Bool("reembed", false, "rebuild every vector with the configured embedder, then switch to it"),
		gateSet:    fs.String("gate", "", "with --reembed: run this eval dataset against the new space and switch only when every --min passes"),
	}
	fs.Var(&f.mins, "min", "with --gate: a metric the new space must reach, NAME=VALUE, repeatable (e.g. recall_at_5=0.85)")
	f.asJSON = fs.Bool("json", false, "print one JSON object of counts as the last line")
	f.rate = fs.Float64("rate", float64(source.DefaultRate), "live fetches a second")
	cfg, err := parse(fs, io, args)
	if err != nil {
		return err
	}
	log := newLogger(cfg, io.Err)
	cfg.DatabaseReadURL = "" // ingest reads what it has just written: the primary only
	stk, err := openStorage(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer stk.Close()
	st, emb := stk.store, stk.emb
	syncer := ingest.NewSyncer(st, emb, log)

	if (*f.gateSet != "" || len(f.mins) > 0) && (!*f.reembed || *f.gateSet == "" || len(f.mins) == 0) {
		fmt.Fprintln(io.Err, "govchat ingest: --gate DATASET and --min NAME=VALUE go together, with --reembed")
		return errUsage
	}
	if *f.reembed {
		return runReembed(ctx, io, cfg, st, emb, syncer, log, *f.gateSet, f.mins)
	}
	src, label, autoPrune, err := f.source(io, log)
	if err != nil {
		return err
	}
	doPrune, err := pruneFlag(*f.prune, autoPrune)
	if err != nil {
		return err
	}
	stats, err := syncRecorded(ctx, io, st, syncer, log, src, label, parseOptions(cfg), doPrune, *f.dryRun)
	if err != nil {
		return err
	}
	if *f.asJSON {
		return json.NewEncoder(io.Out).Encode(stats)
	}
	fmt.Fprintf(io.Out, "%d added, %d updated, %d unchanged, %d removed, %d skipped, %d failed; %d chunks written, %d texts embedded in %.1fs\n",
		stats.DocumentsAdded, stats.DocumentsUpdated, stats.DocumentsUnchanged, stats.DocumentsRemoved, stats.DocumentsSkipped,
		stats.DocumentsFailed, stats.ChunksWritten, stats.EmbeddingInputs, float64(stats.DurationMS)/1000)
	return nil
}

// source is where the content comes from, a label for the run record, and
// whether the source is complete (so pruning is on by default).
func (f ingestFlags) source(io IO, log *slog.Logger) (ingest.ItemSource, string, bool, error) {
	api := source.ContentAPI{BaseURL: *f.contentAPI, Rate: rate.Limit(*f.rate), UserAgent: fetchUserAgent(), Logger: log}
	switch {
	case *f.from != "":
		info, err := os.Stat(*f.from)
		if err != nil {
			return nil, "", false, fmt.Errorf("--from: %w", err)
		}
		dir := source.Dir{Path: *f.from, Logger: log, OnSkip: func(p, reason string) { log.Debug("skipped file", "path", p, "reason", reason) }}
		return dir, *f.from, info.IsDir(), nil
	case *f.sitemap != "":
		return source.Sitemap{URL: *f.sitemap, API: api}, *f.sitemap, true, nil
	case *f.onePath != "":
		paths, err := source.ReadPaths(strings.NewReader(*f.onePath))
		if err != nil {
			return nil, "", false, fmt.Errorf("--path: %w", err)
		}
		api.Paths = paths
		return api, *f.onePath, false, nil
	case *f.pathsFile != "":
		file, err := os.Open(*f.pathsFile)
		if err != nil {
			return nil, "", false, fmt.Errorf("--paths: %w", err)
		}
		paths, err := source.ReadPaths(file)
		file.Close()
		if err != nil {
			return nil, "", false, fmt.Errorf("--paths %s: %w", *f.pathsFile, err)
		}
		api.Paths = paths
		return api, *f.pathsFile, false, nil
	}
	fmt.Fprintln(io.Err, "govchat ingest: say where the content comes from: --from PATH, --content-api URL with --paths FILE or --path /base/path, or --sitemap URL")
	return nil, "", false, errUsage
}

// pruneFlag reads --prune: auto takes the source's default.
func pruneFlag(v string, auto bool) (bool, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "auto":
		return auto, nil
	}
	return false, fmt.Errorf("--prune is %q; want auto, true or false", v)
}

// syncRecorded collects and syncs src, drawing progress, listing changes on
// a dry run and recording the run (even a failed one) otherwise.
func syncRecorded(ctx context.Context, io IO, st *store.Store, syncer *ingest.Syncer, log *slog.Logger,
	src ingest.ItemSource, label string, popts ingest.ParseOptions, prune, dryRun bool) (ingest.Stats, error) {
	start := time.Now()
	items, err := ingest.Collect(ctx, src, popts)
	if err != nil {
		return ingest.Stats{}, err
	}
	var runID int64
	if !dryRun {
		if runID, err = st.StartRun(ctx, label); err != nil {
			return ingest.Stats{}, err
		}
	}
	bar := newProgressBar(io.Err)
	opts := ingest.SyncOptions{Prune: prune, DryRun: dryRun, OnProgress: bar.update,
		OnChange: func(outcome, path, locale, reason string) {
			if dryRun && outcome != "unchanged" {
				fmt.Fprintf(io.Out, "%-9s %s (%s) %s\n", outcome, path, locale, reason)
			}
			if outcome == "failed" {
				log.Warn("item failed", "path", path, "error", reason)
			}
		}}
	stats, err := syncer.Sync(ctx, items, opts)
	bar.finish()
	stats.DurationMS = time.Since(start).Milliseconds()
	if !dryRun {
		// Record the run even when it failed or was interrupted.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if ferr := st.FinishRun(fctx, runID, stats, err); ferr != nil {
			log.Warn("could not record the ingest run", "error", ferr)
		}
		cancel()
	}
	return stats, err
}

// progressBar draws on a terminal and stays silent otherwise.
type progressBar struct {
	w     io.Writer
	on    bool
	drawn bool
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	on := false
	if ok {
		if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			on = true
		}
	}
	return &progressBar{w: w, on: on}
}

func (b *progressBar) update(p ingest.Progress) {
	if !b.on || p.Total == 0 {
		return
	}
	const width = 30
	filled := width * p.Documents / p.Total
	rate := float64(p.EmbeddingInputs) / max(p.Elapsed.Seconds(), 0.001)
	eta := time.Duration(0)
	if p.Documents > 0 {
		eta = time.Duration(float64(p.Elapsed) * float64(p.Total-p.Documents) / float64(p.Documents))
	}
	fmt.Fprintf(b.w, "\r[%s%s] %d/%d documents, %d chunks, %.0f embeddings/s, ETA %s ",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.Documents, p.Total, p.Chunks, rate, eta.Round(time.Second))
	b.drawn = true
}

func (b *progressBar) finish() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

func runIndex(ctx context.Context, io IO, args []string) error {
	if len(args) == 0 || args[0] != "status" {
		fmt.Fprintln(io.Err, "usage: govchat index status [--json]")
		return errUsage
	}
	fs := flags("index status", io, "database-url", "database-read-url", "db-schema", "log-level", "log-format")
	asJSON := fs.Bool("json", false, "print JSON")
	cfg, err := parse(fs, io, args[1:])
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, newLogger(cfg, io.Err), false)
	if err != nil {
		return err
	}
	defer st.Close()
	counts, err := st.IndexCounts(ctx)
	if err != nil {
		return err
	}
	space, err := st.ActiveSpace(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	run, err := st.LastRun(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if *asJSON {
		out := map[string]any{"counts": counts, "embedding_model": space.Model, "embedding_dimensions": space.Dimensions, "last_run": run}
		if space.ID != 0 {
			f, rule := retrieval.FloorFor(space)
			out["floor"] = map[string]any{"rule": rule, "min_vector": f.MinVector, "min_text": f.MinText,
				"min_vector_both": f.MinVectorBoth, "min_text_both": f.MinTextBoth}
		}
		return json.NewEncoder(io.Out).Encode(out)
	}
	if space.ID == 0 {
		fmt.Fprintln(io.Out, "The index is empty. Run `govchat ingest`.")
		return nil
	}
	fmt.Fprintf(io.Out, "Embedding model: %s (%d dimensions)\nNo-content floor: %s\n\n%-36s %-6s %9s %7s\n", space.Model, space.Dimensions, floorText(space), "schema", "locale", "documents", "chunks")
	td, tc := 0, 0
	for _, c := range counts {
		fmt.Fprintf(io.Out, "%-36s %-6s %9d %7d\n", c.SchemaName, c.Locale, c.Documents, c.Chunks)
		td += c.Documents
		tc += c.Chunks
	}
	fmt.Fprintf(io.Out, "%-36s %-6s %9d %7d\n", "total", "", td, tc)
	if run.ID != 0 {
		fmt.Fprintf(io.Out, "\nLast run: #%d from %s, started %s, %s\n  %s\n", run.ID, run.Source, run.StartedAt.Format(time.RFC3339), run.Status, run.Stats)
	}
	return nil
}

// runReembed rebuilds every vector with the configured embedder and, when a
// gate dataset is given, switches only when the new space passes it.
func runReembed(ctx context.Context, io IO, cfg config.Config, st *store.Store, emb embedder, syncer *ingest.Syncer,
	log *slog.Logger, gateSet string, mins thresholds) error {
	var gate ingest.Gate
	if gateSet != "" {
		var err error
		if gate, err = reembedGate(cfg, io, st, emb, log, gateSet, mins); err != nil {
			return err
		}
	}
	n, err := syncer.ReembedGated(ctx, 256, func(done int) { fmt.Fprintf(io.Err, "\rre-embedded %d chunks", done) }, gate)
	fmt.Fprintln(io.Err)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "re-embedded %d chunks with %s; the index now uses it\n", n, emb.Model())
	return nil
}
