package cli

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/eval"
	"github.com/govchat/govchat/ingest"
	"github.com/govchat/govchat/ingest/source"
	"github.com/govchat/govchat/internal/config"
	"github.com/govchat/govchat/internal/version"
	"github.com/govchat/govchat/llm"
)

// thresholds collects repeated --min NAME=VALUE flags.
type thresholds []eval.Threshold

func (t *thresholds) String() string { return "" }
func (t *thresholds) Set(s string) error {
	th, err := eval.ParseThreshold(s)
	if err != nil {
		return err
	}
	*t = append(*t, th)
	return nil
}

func runEval(ctx context.Context, io IO, args []string) error {
	if len(args) > 0 {
		if sub, ok := evalSubcommands[args[0]]; ok {
			return sub(ctx, io, args[1:])
		}
	}
	settings := append([]string{"composer", "chat-model", "llm-timeout", "llm-first-token-timeout", "llm-checks",
		"max-question-chars", "forbidden-terms", "azure-api-version", "judge-model", "judge-base-url"}, searchSettings...)
	fs := flags("eval", io, settings...)
	dataset := fs.String("dataset", "", "JSON Lines question set (shared/eval/README.md)")
	outDir := fs.String("out", "out/eval", "directory for report.json, report.md and report.html")
	k := fs.Int("k", 10, "retrieval depth for recall@k, MRR and nDCG")
	conc := fs.Int("concurrency", 4, "questions answered at once")
	asJSON := fs.Bool("json", false, "print report.json to stdout instead of the summary")
	judge := fs.Bool("judge", false, "also score each answer's faithfulness and relevancy with an LLM judge (GOVCHAT_JUDGE_MODEL)")
	judgeRuns := fs.Int("judge-runs", 3, "judgements per answer with --judge; the report gives their mean and spread")
	var mins thresholds
	fs.Var(&mins, "min", "fail (exit 1) when metric NAME is below VALUE: NAME=VALUE, repeatable (e.g. recall_at_5=0.8, behaviour.pii=1)")
	cfg, err := parse(fs, io, args)
	if err != nil {
		return err
	}
	if *dataset == "" || fs.NArg() > 0 || *judgeRuns < 1 {
		fmt.Fprintln(io.Err, evalUsage)
		return errUsage
	}
	data, items, err := readDataset(*dataset)
	if err != nil {
		return err
	}
	var judgeLLM *llm.Client // built first, so a missing endpoint fails before the run
	if *judge {
		if judgeLLM, err = judgeClient(cfg); err != nil {
			return err
		}
		defer judgeLLM.Close()
	}
	rep, err := evalReport(ctx, io, cfg, judgeLLM, evalRun{dataset: *dataset, data: data, items: items, k: *k, conc: *conc, judgeRuns: *judgeRuns})
	if err != nil {
		return err
	}
	return finishEval(io, rep, *outDir, *asJSON, mins)
}

// evalSubcommands are the commands under govchat eval.
var evalSubcommands = map[string]func(ctx context.Context, io IO, args []string) error{
	"compare":      func(_ context.Context, io IO, args []string) error { return runEvalCompare(io, args) },
	"export-beir":  runEvalExportBEIR,
	"import-qrels": func(_ context.Context, io IO, args []string) error { return runEvalImportQrels(io, args) },
	"routing":      runEvalRouting,
}

// finishEval writes the reports, prints the summary (or report.json with
// asJSON) and fails when a metric is below its minimum.
func finishEval(io IO, rep eval.Report, outDir string, asJSON bool, mins thresholds) error {
	if err := writeReports(rep, outDir); err != nil {
		return err
	}
	if asJSON {
		if err := rep.WriteJSON(io.Out); err != nil {
			return err
		}
	} else {
		printSummary(io, rep, outDir)
	}
	if fails := rep.Check(mins); len(fails) > 0 {
		return exitError{code: 1, msg: "govchat eval: below the minimum:\n  " + strings.Join(fails, "\n  ")}
	}
	return nil
}

const evalUsage = "usage: govchat eval --dataset FILE [--out DIR] [--k 10] [--concurrency 4] [--min NAME=VALUE ...] [--judge [--judge-runs 3]] [--json]\n       govchat eval compare OLD/report.json NEW/report.json [--tolerance 0.02]\n       govchat eval export-beir --dataset FILE --corpus DIR --out DIR\n       govchat eval import-qrels QRELS --run report.json|run.trec\n       govchat eval routing (--dataset FILE [--pipeline] | --cv K) [--json]"

// readDataset reads a JSON Lines question set; data is its bytes, for the
// report's hash.
func readDataset(path string) (data []byte, items []eval.Item, err error) {
	data, err = os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	items, err = eval.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	return data, items, nil
}

// evalRun is what one eval run asks.
type evalRun struct {
	dataset   string
	data      []byte
	items     []eval.Item
	k, conc   int
	judgeRuns int
}

// evalReport answers every question through the pipeline, has the judge (if
// any) grade the answers, and scores the results.
func evalReport(ctx context.Context, io IO, cfg config.Config, judgeLLM *llm.Client, r evalRun) (eval.Report, error) {
	log := newLogger(cfg, io.Err)
	stk, err := openStack(ctx, cfg, log, false)
	if err != nil {
		return eval.Report{}, err
	}
	defer stk.Close()
	emb, searcher, model := stk.emb, stk.searcher, stk.llm
	// The pipeline's own logs are quiet: they would interleave with the
	// progress bar, and eval reports every outcome anyway.
	pipe := chat.NewPipeline(searcher, nil, model, stk.pipelineConfig(cfg), nil)

	runner := eval.Runner{Asker: pipe, Searcher: searcher, K: r.k, Concurrency: r.conc}
	if evalTerminal(io.Err) {
		runner.Progress = func(done, total int) { evalProgress(io, done, total) }
	}
	start := time.Now()
	results := runner.Run(ctx, r.items)
	if err := ctx.Err(); err != nil {
		return eval.Report{}, err
	}
	judgeModel, err := runJudge(ctx, judgeLLM, r.judgeRuns, r.conc, r.items, results)
	if err != nil {
		return eval.Report{}, err
	}
	judgeRuns := r.judgeRuns
	if judgeLLM == nil {
		judgeRuns = 0
	}
	return eval.Score(r.items, results, eval.RunConfig{
		JudgeModel: judgeModel, JudgeRuns: judgeRuns,
		Dataset: r.dataset, DatasetSHA256: eval.DatasetHash(r.data), Embedder: emb.Model(), Composer: pipe.Composer(),
		K: r.k, TopK: searcher.Options().K, Weights: searcher.Options().Weights, Version: version.String(),
		StartedAt: start.UTC().Format(time.RFC3339), WallSeconds: time.Since(start).Seconds(), RetrievalSource: "searcher",
	}), nil
}

// runJudge has the LLM judge grade the results when there is one, and
// returns the judge's model.
func runJudge(ctx context.Context, jc *llm.Client, runs, conc int, items []eval.Item, results []eval.Result) (string, error) {
	if jc == nil {
		return "", nil
	}
	eval.Judge{LLM: jc, Model: jc.ChatModel(), Runs: runs, Concurrency: conc}.JudgeAll(ctx, items, results)
	return jc.ChatModel(), ctx.Err()
}

// judgeClient is the LLM judge's client: the chat model's settings, each
// replaced by its GOVCHAT_JUDGE_* setting when that is set.
func judgeClient(cfg config.Config) (*llm.Client, error) {
	base, key := cfg.OpenAIBaseURL, cfg.OpenAIAPIKey
	apiType := cfg.OpenAIAPIType
	if cfg.JudgeBaseURL != "" {
		base, apiType = cfg.JudgeBaseURL, "openai"
	}
	key = cmp.Or(cfg.JudgeAPIKey, key)
	if base == "" && key == "" {
		return nil, errors.New("govchat eval: --judge needs an OpenAI-compatible chat model: set GOVCHAT_JUDGE_BASE_URL or OPENAI_BASE_URL, or an API key (GOVCHAT_JUDGE_API_KEY or OPENAI_API_KEY)")
	}
	return llm.NewClient(llm.Config{BaseURL: base, APIKey: key, APIType: apiType, AzureAPIVersion: cfg.AzureAPIVersion,
		ChatModel: cmp.Or(cfg.JudgeModel, cfg.ChatModel), Timeout: cfg.LLMTimeout, UserAgent: "govchat/" + version.Version}), nil
}

func writeReports(rep eval.Report, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"report.json": func(b *bytes.Buffer) error { return rep.WriteJSON(b) },
		"report.md":   func(b *bytes.Buffer) error { return rep.WriteMarkdown(b) },
		"report.html": func(b *bytes.Buffer) error { return rep.WriteHTML(b) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func printSummary(io IO, r eval.Report, dir string) {
	fmt.Fprintf(io.Out, "%d questions in %.1fs (composer %s, embedder %s)\n", r.Config.Questions, r.Config.WallSeconds, r.Config.Composer, r.Config.Embedder)
	fmt.Fprintf(io.Out, "retrieval (%d, lenient): recall@1 %.3f  recall@5 %.3f  recall@10 %.3f  MRR %.3f  nDCG@10 %.3f\n",
		r.Retrieval.Questions, r.Retrieval.RecallAt1, r.Retrieval.RecallAt5, r.Retrieval.RecallAt10, r.Retrieval.MRR, r.Retrieval.NDCGAt10)
	fmt.Fprintf(io.Out, "retrieval (strict):        recall@1 %.3f  recall@5 %.3f  recall@10 %.3f  MRR %.3f  nDCG@10 %.3f\n",
		r.Retrieval.Strict.RecallAt1, r.Retrieval.Strict.RecallAt5, r.Retrieval.Strict.RecallAt10, r.Retrieval.Strict.MRR, r.Retrieval.Strict.NDCGAt10)
	a := r.Answers
	fmt.Fprintf(io.Out, "answers: facts %.3f  all facts %.3f  citation precision %.3f  recall %.3f  withdrawn citations %d\n",
		a.MustIncludeCoverage, a.AllFactsRate, a.CitationPrecision, a.CitationRecall, a.WithdrawnCitations)
	fmt.Fprint(io.Out, "behaviour:")
	for _, k := range []string{"answerable", "followup", "withdrawn", "out_of_scope", "pii", "jailbreak"} {
		if n, ok := r.BehaviourN[k]; ok {
			fmt.Fprintf(io.Out, " %s %d/%d", k, n.Correct, n.Total)
		}
	}
	if j := r.Judge; j != nil {
		fmt.Fprintf(io.Out, "\njudge (%s, %d answers x %d): faithfulness %.3f (sd %.3f)  relevancy %.3f (sd %.3f)  %d failed judgements  %d tokens",
			j.Model, j.Judged, j.RunsPerItem, j.Faithfulness, j.FaithfulnessSpread, j.Relevancy, j.RelevancySpread, j.FailedRuns, j.TotalTokens)
	}
	fmt.Fprintf(io.Out, "\nlatency: p50 %.1fms  p95 %.1fms\nreports in %s\n", r.Latency.P50, r.Latency.P95, dir)
}

func evalTerminal(w interface{}) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func evalProgress(io IO, done, total int) {
	const width = 30
	n := done * width / max(total, 1)
	fmt.Fprintf(io.Err, "\r[%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
	if done == total {
		fmt.Fprintln(io.Err)
	}
}

func runEvalCompare(io IO, args []string) error {
	fs := flags("eval compare", io)
	tol := fs.Float64("tolerance", 0.02, "largest drop in a headline metric that is not a regression")
	paths, err := parsePositional(fs, args)
	if err != nil {
		return err
	}
	if len(paths) != 2 {
		fmt.Fprintln(io.Err, "usage: govchat eval compare OLD/report.json NEW/report.json [--tolerance 0.02]")
		return errUsage
	}
	var reps [2]eval.Report
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		reps[i], err = eval.ReadReport(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	c := eval.Compare(reps[0], reps[1], *tol)
	if err := c.WriteText(io.Out); err != nil {
		return err
	}
	if c.Regressed() {
		return exitError{code: 1, msg: fmt.Sprintf("govchat eval compare: a headline metric regressed by more than %.3f", *tol)}
	}
	return nil
}

func runEvalExportBEIR(ctx context.Context, io IO, args []string) error {
	fs := flags("eval export-beir", io, "chunk-max-tokens", "allow-schemas")
	dataset := fs.String("dataset", "", "JSON Lines question set")
	corpus := fs.String("corpus", "", "directory of GOV.UK content items, as for `govchat ingest --from`")
	outDir := fs.String("out", "", "directory for corpus.jsonl, queries.jsonl and qrels/test.tsv")
	cfg, err := parse(fs, io, args)
	if err != nil {
		return err
	}
	if *dataset == "" || *corpus == "" || *outDir == "" {
		fmt.Fprintln(io.Err, "usage: govchat eval export-beir --dataset FILE --corpus DIR --out DIR")
		return errUsage
	}
	_, items, err := readDataset(*dataset)
	if err != nil {
		return err
	}
	parsed, err := ingest.Collect(ctx, source.Dir{Path: *corpus}, parseOptions(cfg))
	if err != nil {
		return err
	}
	var docs []govchat.Document
	for _, p := range parsed {
		if p.Err == nil && !p.Remove && len(p.Doc.Chunks) > 0 {
			docs = append(docs, p.Doc)
		}
	}
	st, err := eval.ExportBEIR(*outDir, items, docs)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "wrote %d passages, %d queries and %d relevance judgements to %s\n", st.Docs, st.Queries, st.Qrels, *outDir)
	return nil
}

func runEvalImportQrels(io IO, args []string) error {
	fs := flags("eval import-qrels", io)
	runFile := fs.String("run", "", "ranked results to score: a report.json or a TREC run file (qid Q0 docid rank score tag)")
	paths, err := parsePositional(fs, args)
	if err != nil {
		return err
	}
	if len(paths) != 1 || *runFile == "" {
		fmt.Fprintln(io.Err, "usage: govchat eval import-qrels QRELS.tsv --run report.json|run.trec")
		return errUsage
	}
	f, err := os.Open(paths[0])
	if err != nil {
		return err
	}
	qrels, err := eval.ReadQrels(f)
	f.Close()
	if err != nil {
		return err
	}
	rf, err := os.Open(*runFile)
	if err != nil {
		return err
	}
	run, err := eval.ReadRun(rf)
	rf.Close()
	if err != nil {
		return err
	}
	s, n := eval.ScoreQrels(qrels, run)
	fmt.Fprintf(io.Out, "%d queries (page-level, strict): recall@1 %.3f  recall@5 %.3f  recall@10 %.3f  MRR %.3f  nDCG@10 %.3f\n",
		n, s.RecallAt1, s.RecallAt5, s.RecallAt10, s.MRR, s.NDCGAt10)
	return nil
}
