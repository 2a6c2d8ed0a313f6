package eval

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/govchat/govchat"
)

// BEIR interop: a question set and a corpus written in the BEIR layout
// (corpus.jsonl, queries.jsonl, qrels/test.tsv) so other retrieval tools can
// be scored on the same data, and qrels read back to score a run.

type beirDoc struct {
	ID    string `json:"_id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

type beirQuery struct {
	ID   string `json:"_id"`
	Text string `json:"text"`
}

// BEIRStats counts what ExportBEIR wrote.
type BEIRStats struct {
	Docs, Queries, Qrels int
}

// ExportBEIR writes docs' chunks as the corpus (_id is the chunk's exact
// path), the items with expected sources as queries (a follow-up's text is
// its earlier user turns then the question) and qrels marking every chunk
// whose page equals an expected source (strict rule) relevant with score 1.
// Withdrawn documents are left out. Chunks sharing an exact path (variants of
// a page) get "~n" added to the fragment so ids stay unique.
func ExportBEIR(dir string, items []Item, docs []govchat.Document) (BEIRStats, error) {
	var st BEIRStats
	if err := os.MkdirAll(filepath.Join(dir, "qrels"), 0o755); err != nil {
		return st, err
	}
	corpus, byPage := beirCorpus(docs)
	var queries []beirQuery
	var qrels strings.Builder
	qrels.WriteString("query-id\tcorpus-id\tscore\n")
	for _, it := range items {
		if (it.Kind != KindAnswerable && it.Kind != KindFollowup) || len(it.ExpectedSources) == 0 {
			continue
		}
		queries = append(queries, beirQuery{ID: it.ID, Text: beirText(it)})
		done := map[string]bool{}
		for _, e := range it.ExpectedSources {
			for _, id := range byPage[pagePath(e)] {
				if !done[id] {
					done[id] = true
					fmt.Fprintf(&qrels, "%s\t%s\t1\n", it.ID, id)
					st.Qrels++
				}
			}
		}
	}
	st.Docs, st.Queries = len(corpus), len(queries)
	if err := writeJSONL(filepath.Join(dir, "corpus.jsonl"), corpus); err != nil {
		return st, err
	}
	if err := writeJSONL(filepath.Join(dir, "queries.jsonl"), queries); err != nil {
		return st, err
	}
	return st, os.WriteFile(filepath.Join(dir, "qrels", "test.tsv"), []byte(qrels.String()), 0o644)
}

// beirCorpus is one BEIR document per chunk of the live documents, with
// its exact path as its ID (made unique with a "~n" suffix where paths
// repeat), and the IDs of each page's chunks.
func beirCorpus(docs []govchat.Document) (corpus []beirDoc, byPage map[string][]string) {
	seen := map[string]int{}
	byPage = map[string][]string{}
	for _, d := range docs {
		if d.Withdrawn {
			continue
		}
		for _, c := range d.Chunks {
			id := c.ExactPath
			if n := seen[c.ExactPath]; n > 0 {
				sep := "#~"
				if strings.Contains(id, "#") {
					sep = "~"
				}
				id += sep + strconv.Itoa(n+1)
			}
			seen[c.ExactPath]++
			corpus = append(corpus, beirDoc{ID: id, Title: d.Title, Text: c.Text})
			byPage[pagePath(id)] = append(byPage[pagePath(id)], id)
		}
	}
	return corpus, byPage
}

// beirText is an item's query: a follow-up carries the citizen's earlier
// turns before the question, since BEIR queries stand alone.
func beirText(it Item) string {
	if it.Kind != KindFollowup {
		return it.Question
	}
	var parts []string
	for _, t := range it.History {
		if t.Role == "user" {
			parts = append(parts, t.Content)
		}
	}
	return strings.Join(append(parts, it.Question), " ")
}

func writeJSONL[T any](path string, rows []T) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Qrels maps a query id to its relevant corpus ids and their scores.
type Qrels map[string]map[string]int

// ReadQrels reads a BEIR qrels TSV (query-id, corpus-id, score), with or
// without its header line.
func ReadQrels(r io.Reader) (Qrels, error) {
	q := Qrels{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || (n == 1 && strings.HasPrefix(line, "query-id")) {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("eval: qrels line %d: want 3 tab-separated fields, got %d", n, len(f))
		}
		score, err := strconv.Atoi(strings.TrimSpace(f[2]))
		if err != nil {
			return nil, fmt.Errorf("eval: qrels line %d: score %q is not a whole number", n, f[2])
		}
		if q[f[0]] == nil {
			q[f[0]] = map[string]int{}
		}
		q[f[0]][f[1]] = score
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: qrels: %w", err)
	}
	return q, nil
}

// ReadRun reads ranked corpus ids per query: from a report.json (each
// item's retrieved paths) or a TREC run file ("qid Q0 docid rank score tag").
func ReadRun(r io.Reader) (map[string][]string, error) {
	br := bufio.NewReader(r)
	first, err := br.Peek(1)
	if err != nil {
		return nil, errors.New("eval: the run is empty")
	}
	run := map[string][]string{}
	if first[0] == '{' {
		rep, err := ReadReport(br)
		if err != nil {
			return nil, err
		}
		for _, it := range rep.Items {
			run[it.ID] = it.Retrieved
		}
		return run, nil
	}
	type row struct {
		doc  string
		rank int
	}
	rows := map[string][]row{}
	sc := bufio.NewScanner(br)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 6 {
			return nil, fmt.Errorf("eval: run line %d: want 6 fields (qid Q0 docid rank score tag)", n)
		}
		rank, err := strconv.Atoi(f[3])
		if err != nil {
			return nil, fmt.Errorf("eval: run line %d: rank %q is not a whole number", n, f[3])
		}
		rows[f[0]] = append(rows[f[0]], row{f[2], rank})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: run: %w", err)
	}
	for q, rs := range rows {
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].rank < rs[j].rank })
		for _, r := range rs {
			run[q] = append(run[q], r.doc)
		}
	}
	return run, nil
}

// ScoreQrels scores a run against qrels at page level (strict rule): a
// retrieved id is relevant when its page is the page of a relevant corpus id.
// It returns the scores and how many queries were scored.
func ScoreQrels(q Qrels, run map[string][]string) (RetrievalScores, int) {
	var hits [10]int
	var rr, ndcg float64
	n := 0
	for _, qid := range sortedKeys(q) {
		pages := map[string]bool{}
		for id, score := range q[qid] {
			if score > 0 {
				pages[pagePath(id)] = true
			}
		}
		if len(pages) == 0 {
			continue
		}
		n++
		expected := sortedKeys(pages)
		ranks := HitRanks(run[qid], expected, false)
		for k := 1; k <= 10; k++ {
			if RecallAt(ranks, k) {
				hits[k-1]++
			}
		}
		rr += ReciprocalRank(ranks)
		ndcg += NDCG(run[qid], expected, 10, false)
	}
	return scores(hits, rr, ndcg, n), n
}
