// Package bench measures retrieval quality and the speed of search and
// ingest, and prints the results as markdown tables. `govchat bench` wires it.
package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/retrieval"
)

// Item is one line of an eval question set (shared/eval/README.md).
type Item struct {
	ID              string   `json:"id"`
	Kind            string   `json:"kind"`
	Question        string   `json:"question"`
	ExpectedSources []string `json:"expected_sources"`
	Note            string   `json:"note"`
}

// Withdrawn reports an answerable item whose only source is withdrawn or gone:
// retrieval should find nothing above the floor for it.
func (it Item) Withdrawn() bool { return strings.Contains(it.Note, "withdrawn") }

// Retrievable reports whether the item counts for recall.
func (it Item) Retrievable() bool {
	return (it.Kind == "answerable" || it.Kind == "followup") && len(it.ExpectedSources) > 0
}

// LoadDataset reads a JSON Lines question set.
func LoadDataset(path string) ([]Item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	var items []Item
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var it Item
		if err := json.Unmarshal([]byte(line), &it); err != nil {
			return nil, fmt.Errorf("bench: %s line %d: %w", path, n, err)
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	return items, nil
}

// LoadQuestions reads a JSON Lines question set and returns its questions
// in order.
func LoadQuestions(path string) ([]string, error) {
	items, err := LoadDataset(path)
	if err != nil {
		return nil, err
	}
	qs := make([]string, 0, len(items))
	for _, it := range items {
		qs = append(qs, it.Question)
	}
	return qs, nil
}

// Ranker selects which rankers' passages a mode keeps.
type Ranker string

// The rankers a quality run compares.
const (
	Hybrid Ranker = "hybrid"
	Vector Ranker = "vector"
	Text   Ranker = "text"
)

// Mode is one retrieval configuration to score.
type Mode struct {
	Name   string
	Ranker Ranker
	Opts   retrieval.Options
}

// offWeight switches a ranker off in the fusion without changing the SQL: its
// 1/(k+rank) still orders ties but never outweighs the other ranker. Passages
// only the switched-off ranker found are then dropped from the list.
const offWeight = 1e-9

// SingleRanker returns opts with only r contributing to the fused score.
func SingleRanker(opts retrieval.Options, r Ranker) retrieval.Options {
	switch r {
	case Vector:
		opts.VectorWeight, opts.TextWeight = 1, offWeight
	case Text:
		opts.VectorWeight, opts.TextWeight = offWeight, 1
	}
	return opts
}

// Metrics are recall at 1, 5 and 10 and the mean reciprocal rank (within 10).
type Metrics struct {
	R1, R5, R10, MRR float64
}

// QualityRow is one mode's score on the retrievable items.
type QualityRow struct {
	Mode    string
	Items   int
	Strict  Metrics
	Lenient Metrics
	Misses  []string // ids with no strict hit in the top 10
	Late    []string // "id@rank" for strict hits below rank 1
}

// Match rules. Strict: the passage's page (URL without #fragment) equals an
// expected path. Lenient also accepts a guide's own base path for an expected
// part of it (/renew-adult-passport for /renew-adult-passport/renew).
func strictMatch(p govchat.Passage, want string) bool { return retrieval.PagePath(p.URL) == want }

func lenientMatch(p govchat.Passage, want string) bool {
	page := retrieval.PagePath(p.URL)
	return page == want || (page == p.BasePath && strings.HasPrefix(want, p.BasePath+"/"))
}

// firstHit is the 1-based rank of the first passage matching any of want, or 0.
func firstHit(ps []govchat.Passage, want []string, match func(govchat.Passage, string) bool) int {
	for i, p := range ps {
		for _, w := range want {
			if match(p, w) {
				return i + 1
			}
		}
	}
	return 0
}

func (m *Metrics) add(rank int) {
	if rank == 0 {
		return
	}
	if rank <= 1 {
		m.R1++
	}
	if rank <= 5 {
		m.R5++
	}
	if rank <= 10 {
		m.R10++
		m.MRR += 1 / float64(rank)
	}
}

func (m *Metrics) divide(n int) {
	if n == 0 {
		return
	}
	f := float64(n)
	m.R1, m.R5, m.R10, m.MRR = m.R1/f, m.R5/f, m.R10/f, m.MRR/f
}

// topPassages runs one question and returns the top 10 passages of the mode.
func topPassages(ctx context.Context, s *retrieval.Searcher, r Ranker, q string) (retrieval.Result, []govchat.Passage, error) {
	k := 10
	if r != Hybrid {
		k = 40 // room for the passages the other ranker found, dropped below
	}
	res, err := s.Search(ctx, retrieval.Query{Text: q, K: k})
	if err != nil {
		return res, nil, err
	}
	var out []govchat.Passage
	for _, p := range res.Passages {
		if (r == Vector && p.VectorRank == 0) || (r == Text && p.TextRank == 0) {
			continue
		}
		out = append(out, p)
		if len(out) == 10 {
			break
		}
	}
	return res, out, nil
}

// Quality scores each mode on the retrievable items of the set: the question
// alone, without a followup's history.
func Quality(ctx context.Context, st retrieval.Store, emb retrieval.Embedder, items []Item, modes []Mode) ([]QualityRow, error) {
	var rows []QualityRow
	for _, m := range modes {
		s := retrieval.New(st, emb, m.Opts)
		row := QualityRow{Mode: m.Name}
		for _, it := range items {
			if !it.Retrievable() {
				continue
			}
			_, ps, err := topPassages(ctx, s, m.Ranker, it.Question)
			if err != nil {
				return nil, fmt.Errorf("bench: %s: %w", it.ID, err)
			}
			row.Items++
			sr := firstHit(ps, it.ExpectedSources, strictMatch)
			row.Strict.add(sr)
			row.Lenient.add(firstHit(ps, it.ExpectedSources, lenientMatch))
			if sr == 0 {
				row.Misses = append(row.Misses, it.ID)
			} else if sr > 1 {
				row.Late = append(row.Late, fmt.Sprintf("%s@%d", it.ID, sr))
			}
		}
		row.Strict.divide(row.Items)
		row.Lenient.divide(row.Items)
		rows = append(rows, row)
	}
	return rows, nil
}

// PrintQuality writes rows as a markdown table.
func PrintQuality(w io.Writer, rows []QualityRow, showMisses bool) {
	fmt.Fprintln(w, "| mode | items | strict R@1 | R@5 | R@10 | MRR | lenient R@1 | R@5 | R@10 | MRR |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", r.Mode, r.Items,
			r.Strict.R1, r.Strict.R5, r.Strict.R10, r.Strict.MRR, r.Lenient.R1, r.Lenient.R5, r.Lenient.R10, r.Lenient.MRR)
	}
	if showMisses {
		fmt.Fprintln(w)
		for _, r := range rows {
			fmt.Fprintf(w, "- %s: strict misses in the top 10: %s; found below rank 1: %s\n", r.Mode,
				strings.Join(r.Misses, ", "), strings.Join(r.Late, ", "))
		}
	}
}

// FloorRow is one item's evidence for the "no content" floor.
type FloorRow struct {
	ID         string
	Kind       string // answerable, followup, withdrawn, out_of_scope
	WantPass   bool
	BestVector float64
	BestText   float64
	Passes     bool
	// TopVRank and TopTRank are the rankers' ranks of the first passage:
	// whether the two rankers agree on the best page.
	TopVRank, TopTRank int
}

// FloorEvidence runs the hybrid search for every item that should pass the
// floor (retrievable ones) or be declined by it (out of scope, withdrawn) and
// records the rankers' best scores and the floor's verdict.
func FloorEvidence(ctx context.Context, st retrieval.Store, emb retrieval.Embedder, items []Item, opts retrieval.Options) ([]FloorRow, error) {
	s := retrieval.New(st, emb, opts)
	var rows []FloorRow
	for _, it := range items {
		row := FloorRow{ID: it.ID, Kind: it.Kind}
		switch {
		case it.Retrievable():
			row.WantPass = true
		case it.Kind == "out_of_scope":
		case it.Withdrawn():
			row.Kind = "withdrawn"
		default:
			continue
		}
		res, err := s.Search(ctx, retrieval.Query{Text: it.Question})
		if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", it.ID, err)
		}
		row.BestVector, row.BestText, row.Passes = res.BestVector, res.BestText, !res.NoContent
		if len(res.Passages) > 0 {
			row.TopVRank, row.TopTRank = res.Passages[0].VectorRank, res.Passages[0].TextRank
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// PrintFloor writes the per-kind separation, the verdict counts and, with
// detail, every item.
func PrintFloor(w io.Writer, rows []FloorRow, f retrieval.Floor, detail bool) {
	type agg struct {
		n                      int
		minV, maxV, minT, maxT float64
		pass                   int
	}
	kinds := map[string]*agg{}
	var order []string
	fp, fn := 0, 0
	for _, r := range rows {
		a := kinds[r.Kind]
		if a == nil {
			a = &agg{minV: 2, minT: 2, maxV: -1, maxT: -1}
			kinds[r.Kind] = a
			order = append(order, r.Kind)
		}
		a.n++
		a.minV, a.maxV = min(a.minV, r.BestVector), max(a.maxV, r.BestVector)
		a.minT, a.maxT = min(a.minT, r.BestText), max(a.maxT, r.BestText)
		if r.Passes {
			a.pass++
		}
		if r.Passes && !r.WantPass {
			fp++
		}
		if !r.Passes && r.WantPass {
			fn++
		}
	}
	sort.Strings(order)
	fmt.Fprintf(w, "Floor: MinVector %.2f, MinText %.2f, or both MinVectorBoth %.2f and MinTextBoth %.2f\n\n",
		f.MinVector, f.MinText, f.MinVectorBoth, f.MinTextBoth)
	fmt.Fprintln(w, "| kind | items | best cosine min | max | best text min | max | passed the floor |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, k := range order {
		a := kinds[k]
		fmt.Fprintf(w, "| %s | %d | %.3f | %.3f | %.3f | %.3f | %d |\n", k, a.n, a.minV, a.maxV, a.minT, a.maxT, a.pass)
	}
	fmt.Fprintf(w, "\nFalse positives (should decline, passed): %d. False negatives (should pass, declined): %d.\n", fp, fn)
	if !detail {
		return
	}
	sorted := append([]FloorRow(nil), rows...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].BestVector < sorted[j].BestVector })
	fmt.Fprintln(w, "\n| id | kind | best cosine | best text | first passage's vector / text rank | passes |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---|")
	for _, r := range sorted {
		fmt.Fprintf(w, "| %s | %s | %.3f | %.3f | %d / %d | %v |\n", r.ID, r.Kind, r.BestVector, r.BestText, r.TopVRank, r.TopTRank, r.Passes)
	}
}

// Sweep returns hybrid modes that each change one setting of base, so a
// table shows what every knob is worth on its own.
func Sweep(base retrieval.Options) []Mode {
	var out []Mode
	add := func(name string, f func(o *retrieval.Options)) {
		o := base
		f(&o)
		out = append(out, Mode{Name: "hybrid, " + name, Ranker: Hybrid, Opts: o})
	}
	for _, k := range []int{5, 10, 20, 30, 100} {
		add(fmt.Sprintf("rrf k=%d", k), func(o *retrieval.Options) { o.RRFK = k })
	}
	for _, d := range []int{10, 20, 80, 160} {
		add(fmt.Sprintf("ranker depths=%d", d), func(o *retrieval.Options) { o.VectorK, o.TextK = d, d })
	}
	for _, c := range []int{10, 20, 80} {
		add(fmt.Sprintf("candidates=%d", c), func(o *retrieval.Options) { o.Candidates = c })
	}
	for _, m := range []int{1, 3, 10} {
		add(fmt.Sprintf("max per page=%d", m), func(o *retrieval.Options) { o.MaxPerPage = m })
	}
	for _, b := range []int{100, 500, 10000} {
		add(fmt.Sprintf("text budget=%d", b), func(o *retrieval.Options) { o.TextBudget = b })
	}
	for _, f := range []float64{0.02, 0.1, 1} {
		add(fmt.Sprintf("text share=%.2g", f), func(o *retrieval.Options) { o.TextShare = f })
	}
	for _, w := range []float64{0.5, 0.75, 1.5, 2} {
		add(fmt.Sprintf("text weight=%.2g", w), func(o *retrieval.Options) { o.TextWeight = w })
	}
	add("no document-type weights", func(o *retrieval.Options) { o.Weights = map[string]float64{} })
	add("document-type weights doubled", func(o *retrieval.Options) {
		o.Weights = map[string]float64{}
		for t, w := range retrieval.DefaultWeights() {
			o.Weights[t] = 1 + 2*(w-1)
		}
	})
	return out
}
