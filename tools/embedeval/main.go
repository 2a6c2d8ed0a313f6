// Command embedeval compares embedders on retrieval without a database: it
// cuts the GOV.UK corpus into crude passages (split at <h2>), embeds them and
// the dev questions, ranks passages by cosine similarity and prints
// recall@1/5/10 and MRR per embedder as a Markdown table.
//
//	go run ./tools/embedeval -vectors .cache/govchat/vectors-100d.bin
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/govchat/govchat/embed"
)

type embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	Model() string
	Dimensions() int
}

type passage struct {
	path     string // base_path, or base_path/slug for parts
	basePath string
	text     string
}

type question struct {
	ID               string   `json:"id"`
	Kind             string   `json:"kind"`
	Question         string   `json:"question"`
	ExpectedSources  []string `json:"expected_sources"`
	History          []struct{ Role, Content string }
	expectedBasePath []string
}

func main() {
	vectors := flag.String("vectors", ".cache/govchat/vectors-100d.bin", "vector file built by scripts/vectors.sh")
	corpus := flag.String("corpus", "../shared/corpus/govuk", "directory of GOV.UK content item JSON files")
	evalPath := flag.String("eval", "../shared/eval/dev.jsonl", "question set (JSON Lines)")
	sweep := flag.Bool("sweep", false, "also try other lexical weights, lexical sizes and SIF parameters")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *vectors, *corpus, *evalPath, *sweep); err != nil {
		fmt.Fprintln(os.Stderr, "embedeval:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, vectorPath, corpusDir, evalPath string, sweep bool) error {
	passages, err := loadPassages(corpusDir)
	if err != nil {
		return err
	}
	questions, err := loadQuestions(evalPath)
	if err != nil {
		return err
	}
	start := time.Now()
	vec, err := embed.LoadVectors(vectorPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d passages, %d questions; vectors loaded in %s\n\n", len(passages), len(questions), time.Since(start).Round(time.Millisecond))
	cands, err := candidates(vec, sweep)
	if err != nil {
		return err
	}
	return printTable(ctx, w, cands, passages, questions)
}

type candidate struct {
	label string
	emb   embedder
}

// candidates are the embedders compared: lexical only, GloVe-SIF only and
// the local default, and with sweep a grid of SIF and lexical settings.
func candidates(vec *embed.Vectors, sweep bool) ([]candidate, error) {
	var cands []candidate
	add := func(label string, e embedder, err error) error {
		if err != nil {
			return err
		}
		cands = append(cands, candidate{label, e})
		return nil
	}
	lex256, err := embed.NewLexical(256)
	if err := add("lexical-only (hashed words, 256d)", lex256, err); err != nil {
		return nil, err
	}
	glove, err := embed.NewLocalFromVectors(vec, embed.WithLexicalDims(0))
	if err := add("GloVe-SIF only (100d)", glove, err); err != nil {
		return nil, err
	}
	def, err := embed.NewLocalFromVectors(vec)
	if err := add("local default (GloVe-SIF + lexical)", def, err); err != nil {
		return nil, err
	}
	if !sweep {
		return cands, nil
	}
	for _, a := range []float64{1e-5, 3e-5, 1e-4, 3e-4, 1e-3} {
		e, err := embed.NewLocalFromVectors(vec, embed.WithSIF(a), embed.WithLexicalDims(0))
		if err := add(fmt.Sprintf("GloVe-SIF only a=%g", a), e, err); err != nil {
			return nil, err
		}
		for _, lw := range []float64{0.2, 0.3, 0.4, 0.5} {
			for _, ld := range []int{156, 412} {
				e, err := embed.NewLocalFromVectors(vec, embed.WithSIF(a), embed.WithLexicalDims(ld), embed.WithLexicalWeight(lw))
				if err := add(fmt.Sprintf("local a=%g λ=%.2f lex=%d", a, lw, ld), e, err); err != nil {
					return nil, err
				}
			}
		}
	}
	return cands, nil
}

// printTable embeds the passages and questions with each candidate and
// writes a Markdown row of its retrieval scores.
func printTable(ctx context.Context, w io.Writer, cands []candidate, passages []passage, questions []question) error {
	texts := make([]string, len(passages))
	for i, p := range passages {
		texts[i] = p.text
	}
	queries := make([]string, len(questions))
	for i, q := range questions {
		queries[i] = q.query()
	}
	fmt.Fprintln(w, "| Embedder | Dims | R@1 | R@5 | R@10 | MRR | lenient R@5 | embed passages |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range cands {
		t0 := time.Now()
		pv, err := c.emb.Embed(ctx, texts)
		if err != nil {
			return err
		}
		elapsed := time.Since(t0)
		qv, err := c.emb.Embed(ctx, queries)
		if err != nil {
			return err
		}
		m := score(passages, questions, pv, qv)
		fmt.Fprintf(w, "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %s |\n", c.label, c.emb.Dimensions(),
			m.r1, m.r5, m.r10, m.mrr, m.lenient5, elapsed.Round(time.Millisecond))
	}
	return nil
}

type metrics struct{ r1, r5, r10, mrr, lenient5 float64 }

// score ranks passages for each question. Strict rule: a passage's path must
// equal an expected source. Lenient: its base path may equal one too.
func score(ps []passage, qs []question, pv, qv [][]float32) metrics {
	var m metrics
	order := make([]int, len(ps))
	sims := make([]float32, len(ps))
	for qi, q := range qs {
		for i := range ps {
			order[i] = i
			sims[i] = dot(qv[qi], pv[i])
		}
		sort.SliceStable(order, func(a, b int) bool { return sims[order[a]] > sims[order[b]] })
		strict, lenient := 0, 0
		for rank, pi := range order {
			p := ps[pi]
			if strict == 0 && slices.Contains(q.ExpectedSources, p.path) {
				strict = rank + 1
			}
			if lenient == 0 && (slices.Contains(q.ExpectedSources, p.path) || slices.Contains(q.expectedBasePath, p.basePath)) {
				lenient = rank + 1
			}
			if strict > 0 && lenient > 0 {
				break
			}
		}
		if strict > 0 {
			m.mrr += 1 / float64(strict)
		}
		hit := func(r, k int) float64 {
			if r > 0 && r <= k {
				return 1
			}
			return 0
		}
		m.r1 += hit(strict, 1)
		m.r5 += hit(strict, 5)
		m.r10 += hit(strict, 10)
		m.lenient5 += hit(lenient, 5)
	}
	n := float64(len(qs))
	return metrics{m.r1 / n, m.r5 / n, m.r10 / n, m.mrr / n, m.lenient5 / n}
}

func dot(a, b []float32) float32 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// query is the question, preceded by the user's earlier turns for follow-ups:
// a crude stand-in for the chat pipeline's question rewriting.
func (q question) query() string {
	var parts []string
	for _, h := range q.History {
		if h.Role == "user" {
			parts = append(parts, h.Content)
		}
	}
	return strings.Join(append(parts, q.Question), "\n")
}

func loadQuestions(path string) ([]question, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var qs []question
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var q question
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if (q.Kind != "answerable" && q.Kind != "followup") || len(q.ExpectedSources) == 0 {
			continue
		}
		for _, s := range q.ExpectedSources {
			q.expectedBasePath = append(q.expectedBasePath, s)
			if i := strings.LastIndex(s, "/"); i > 0 {
				q.expectedBasePath = append(q.expectedBasePath, s[:i])
			}
		}
		qs = append(qs, q)
	}
	return qs, sc.Err()
}

type item struct {
	BasePath    string          `json:"base_path"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Details     json.RawMessage `json:"details"`
}

type details struct {
	Body  any `json:"body"`
	Parts []struct {
		Slug, Title string
		Body        any
	} `json:"parts"`
}

func loadPassages(dir string) ([]passage, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no corpus files in %s", dir)
	}
	var out []passage
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var it item
		if err := json.Unmarshal(raw, &it); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if it.BasePath == "" {
			continue
		}
		var d details
		_ = json.Unmarshal(it.Details, &d) // odd details shapes just give no body
		lead := it.Title + "\n\n" + it.Description
		switch {
		case len(d.Parts) > 0:
			for _, p := range d.Parts {
				out = append(out, sections(it.BasePath+"/"+p.Slug, it.BasePath, it.Title+" > "+p.Title, htmlOf(p.Body))...)
			}
		case htmlOf(d.Body) != "":
			out = append(out, sections(it.BasePath, it.BasePath, it.Title, it.Description+"\n"+htmlOf(d.Body))...)
		default:
			// No body: every string in details (contact numbers, intros).
			var anyDetails any
			_ = json.Unmarshal(it.Details, &anyDetails)
			out = append(out, passage{it.BasePath, it.BasePath, lead + "\n" + strip(strings.Join(leaves(anyDetails), "\n"))})
		}
	}
	return out, nil
}

// htmlOf returns a body that is HTML or a list of {content_type, content}.
func htmlOf(b any) string {
	switch b := b.(type) {
	case string:
		return b
	case []any:
		for _, x := range b {
			if m, ok := x.(map[string]any); ok && m["content_type"] == "text/html" {
				s, _ := m["content"].(string)
				return s
			}
		}
	}
	return ""
}

func leaves(v any) []string {
	switch v := v.(type) {
	case string:
		if strings.HasPrefix(v, "http") || strings.HasPrefix(v, "/") {
			return nil
		}
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, leaves(x)...)
		}
		return out
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			out = append(out, leaves(v[k])...)
		}
		return out
	}
	return nil
}

var (
	h2Re  = regexp.MustCompile(`(?is)<h2[^>]*>(.*?)</h2>`)
	tagRe = regexp.MustCompile(`(?s)<[^>]*>`)
	wsRe  = regexp.MustCompile(`\s+`)
)

func strip(s string) string {
	return strings.TrimSpace(wsRe.ReplaceAllString(html.UnescapeString(tagRe.ReplaceAllString(s, " ")), " "))
}

// sections splits body at each <h2>, embedding text as the chunker will:
// "Title > Heading\n\nText".
func sections(path, basePath, title, body string) []passage {
	var out []passage
	idx := h2Re.FindAllStringSubmatchIndex(body, -1)
	emit := func(heading, text string) {
		text = strip(text)
		if text == "" {
			return
		}
		head := title
		if heading != "" {
			head += " > " + strip(heading)
		}
		out = append(out, passage{path, basePath, head + "\n\n" + text})
	}
	prev, heading := 0, ""
	for _, m := range idx {
		emit(heading, body[prev:m[0]])
		heading, prev = body[m[2]:m[3]], m[1]
	}
	emit(heading, body[prev:])
	if len(out) == 0 {
		out = append(out, passage{path, basePath, title})
	}
	return out
}
