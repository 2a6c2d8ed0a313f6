package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/retrieval"
)

var searchSettings = []string{"database-url", "database-read-url", "db-schema", "db-max-conns", "log-level", "log-format", "embedder", "vectors-file",
	"openai-base-url", "openai-api-type", "embedding-model", "embedding-dimensions",
	"top-k", "ef-search", "max-per-page", "doc-type-weights", "min-vector-score", "min-text-score"}

type passageJSON struct {
	URL          string  `json:"url"`
	Title        string  `json:"title"`
	Heading      string  `json:"heading"`
	Score        float64 `json:"score"`
	DocumentType string  `json:"document_type"`
	Locale       string  `json:"locale"`
	Updated      string  `json:"public_updated_at,omitempty"`
	VectorRank   int     `json:"vector_rank"`
	VectorScore  float64 `json:"vector_score"`
	TextRank     int     `json:"text_rank"`
	TextScore    float64 `json:"text_score"`
	Text         string  `json:"text"`
}

func runSearch(ctx context.Context, io IO, args []string) error {
	fs := flags("search", io, searchSettings...)
	k := fs.Int("k", 10, "passages to show")
	asJSON := fs.Bool("json", false, "print a JSON array of passages")
	locale := fs.String("locale", "", "only passages in this locale (en, cy)")
	types := fs.String("types", "", "only these document types, comma-separated")
	prefix := fs.String("prefix", "", "only pages whose base path starts with this")
	explain := fs.Bool("explain", false, "search as the chat pipeline does (top-k passages and the rest of the best pages) and print, as JSON, how the offline composer scores each passage and sentence")
	recall := fs.Int("recall-check", 0, "instead of searching, sample N chunk texts and report HNSW recall@10 against an exact scan")
	cfg, words, err := parseArgs(fs, io, args)
	if err != nil {
		return err
	}
	stk, err := openStorage(ctx, cfg, newLogger(cfg, io.Err), false)
	if err != nil {
		return err
	}
	defer stk.Close()
	if *recall > 0 {
		return recallCheck(ctx, io, stk, *recall, cfg.EfSearch, *asJSON)
	}
	q := strings.TrimSpace(strings.Join(words, " "))
	if q == "" {
		fmt.Fprintln(io.Err, `usage: govchat search "question" [--k 10] [--json]`)
		return errUsage
	}
	opts, err := searchOptions(cfg)
	if err != nil {
		return err
	}
	s := retrieval.New(stk.store, stk.emb, opts)
	var dt []string
	for _, t := range strings.Split(*types, ",") {
		if t = strings.TrimSpace(t); t != "" {
			dt = append(dt, t)
		}
	}
	if *explain {
		return explainSearch(ctx, io, s, retrieval.Query{Text: q, Locale: *locale, DocumentTypes: dt, BasePathPrefix: *prefix, PageContext: true})
	}
	res, err := s.Search(ctx, retrieval.Query{Text: q, K: *k, Locale: *locale, DocumentTypes: dt, BasePathPrefix: *prefix})
	if err != nil {
		return err
	}
	out := make([]passageJSON, 0, len(res.Passages))
	for _, p := range res.Passages {
		pj := passageJSON{URL: p.URL, Title: p.Title, Heading: p.Heading(), Score: p.Score, DocumentType: p.DocumentType, Locale: p.Locale,
			VectorRank: p.VectorRank, VectorScore: p.VectorScore, TextRank: p.TextRank, TextScore: p.TextScore, Text: p.Text}
		if !p.PublicUpdatedAt.IsZero() {
			pj.Updated = p.PublicUpdatedAt.Format("2006-01-02")
		}
		out = append(out, pj)
	}
	if *asJSON {
		return json.NewEncoder(io.Out).Encode(out)
	}
	printPassages(io, res, out)
	return nil
}

// explainSearch prints the offline composer's scores for what the chat
// pipeline would retrieve for the question: which passages it counts as
// relevant and which sentences it would quote.
func explainSearch(ctx context.Context, io IO, s *retrieval.Searcher, q retrieval.Query) error {
	res, err := s.Search(ctx, q)
	if err != nil {
		return err
	}
	ex := chat.Extractive{}.Explain(q.Text, res.Passages)
	enc := json.NewEncoder(io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		NoContent bool `json:"no_content"`
		chat.Explanation
	}{res.NoContent, ex})
}

// recallCheck reports HNSW recall@10 over n sampled chunk texts.
func recallCheck(ctx context.Context, io IO, stk *stack, n, efSearch int, asJSON bool) error {
	rep, err := retrieval.CheckRecall(ctx, stk.store, stk.emb, n, 10, efSearch)
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(io.Out).Encode(rep)
	}
	fmt.Fprintf(io.Out, "HNSW recall@%d over %d sampled queries at ef_search=%d: %.3f (worst query %.2f)\n",
		rep.K, rep.Queries, rep.EfSearch, rep.Recall, rep.Worst)
	return nil
}

// printPassages prints the verdict, the floor and each passage's scores.
func printPassages(io IO, res retrieval.Result, out []passageJSON) {
	verdict := "relevant content found"
	if res.NoContent {
		verdict = "NO CONTENT: below the floor, the bot would say it cannot find guidance"
	}
	fmt.Fprintf(io.Out, "Question locale %s; best cosine %.3f, best full-text %.3f: %s\n(%s floor: cosine %.2f, full-text %.2f, or both %.2f and %.2f; embed %s, search %s)\n\n",
		res.Locale, res.BestVector, res.BestText, verdict, res.FloorRule, res.Floor.MinVector, res.Floor.MinText,
		res.Floor.MinVectorBoth, res.Floor.MinTextBoth, res.EmbedTime.Round(10e3), res.SearchTime.Round(10e3))
	for i, p := range out {
		heading := p.Heading
		if heading != "" {
			heading = ": " + heading
		}
		fmt.Fprintf(io.Out, "%2d. %s%s\n    %s  [%s, %s]\n    score %.4f = vector #%d (cos %.3f) + text #%d (rank %.3f)\n    %s\n\n",
			i+1, p.Title, heading, p.URL, p.DocumentType, p.Locale, p.Score, p.VectorRank, p.VectorScore, p.TextRank, p.TextScore, snippet(p.Text, 160))
	}
}

func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
