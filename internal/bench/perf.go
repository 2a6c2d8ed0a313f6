package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/ingest"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
)

// Replicate copies the indexable documents of items until about chunks
// chunks exist. Copy r lives under /bench-r/base-path and drops a different
// tenth of each chunk's words, so its vectors and full-text entries differ
// from the original's the way near-duplicate pages do.
func Replicate(items []ingest.Parsed, chunks int) []ingest.Parsed {
	var docs []govchat.Document
	per := 0
	seen := map[[2]string]bool{}
	for _, it := range items {
		// One variant per base path and locale, as sync would keep.
		key := [2]string{it.Doc.BasePath, it.Doc.Locale}
		if it.Err == nil && !it.Remove && len(it.Doc.Chunks) > 0 && !seen[key] {
			seen[key] = true
			docs = append(docs, it.Doc)
			per += len(it.Doc.Chunks)
		}
	}
	if per == 0 {
		return nil
	}
	var out []ingest.Parsed
	total := 0
	for r := 0; total < chunks; r++ {
		rng := rand.New(rand.NewPCG(uint64(r), 7))
		for _, d := range docs {
			if total >= chunks {
				break
			}
			prefix := fmt.Sprintf("/bench-%04d", r)
			d.BasePath = prefix + d.BasePath
			cs := make([]govchat.Chunk, len(d.Chunks))
			for i, c := range d.Chunks {
				c.ExactPath = prefix + c.ExactPath
				if r > 0 {
					c.Text = dropWords(c.Text, rng)
					c.EmbedText = dropWords(c.EmbedText, rng)
				}
				sum := sha256.Sum256([]byte(c.EmbedText))
				c.Digest = hex.EncodeToString(sum[:])
				cs[i] = c
			}
			d.Chunks = cs
			out = append(out, ingest.Parsed{Doc: d})
			total += len(cs)
		}
	}
	return out
}

func dropWords(s string, rng *rand.Rand) string {
	words := strings.Fields(s)
	kept := words[:0:0]
	for _, w := range words {
		if rng.IntN(10) != 0 {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}

// Durations summarises timings.
type Durations []time.Duration

// Pct is the p-th percentile (0-100) by nearest rank.
func (d Durations) Pct(p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

// MemPeak samples the Go heap until stop is called and returns the peak of
// the bytes obtained from the OS (runtime.MemStats.Sys) and in use (HeapInuse).
func MemPeak() (stop func() (sys, heap uint64)) {
	done := make(chan struct{})
	res := make(chan [2]uint64)
	go func() {
		var peak [2]uint64
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak[0], peak[1] = max(peak[0], m.Sys), max(peak[1], m.HeapInuse)
			select {
			case <-done:
				res <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		p := <-res
		return p[0], p[1]
	}
}

// Fill writes docs with store.ReplaceDocument, embedding their chunks in
// batches of about batch texts; it returns the chunks written.
func Fill(ctx context.Context, st *store.Store, emb retrieval.Embedder, docs []ingest.Parsed, batch int, progress func(int)) (int, error) {
	dims, err := ingest.Dimensions(ctx, emb)
	if err != nil {
		return 0, err
	}
	sp, err := st.EnsureSpace(ctx, emb.Model(), dims)
	if err != nil {
		return 0, err
	}
	n := 0
	for start := 0; start < len(docs); {
		end, texts := start, []string(nil)
		for end < len(docs) && len(texts) < batch {
			for _, c := range docs[end].Doc.Chunks {
				texts = append(texts, c.EmbedText)
			}
			end++
		}
		vecs, err := emb.Embed(ctx, texts)
		if err != nil {
			return n, err
		}
		for _, p := range docs[start:end] {
			k := len(p.Doc.Chunks)
			if _, err := st.ReplaceDocument(ctx, sp, p.Doc, p.Doc.Chunks[0].Digest, vecs[:k]); err != nil {
				return n, err
			}
			vecs = vecs[k:]
			n += k
		}
		if progress != nil {
			progress(n)
		}
		start = end
	}
	return n, nil
}

// SearchReport holds the search benchmark's measurements.
type SearchReport struct {
	Chunks, Queries, Rounds int
	Searcher, Direct        Durations
	Exact                   Durations
	HNSW                    map[int]Durations // by ef_search
	Recall                  map[int]float64   // recall@10 against the exact scan, by ef_search
	EfSearch                []int
	Filters                 []FilterRow
}

// FilterRow is the effect of a locale filter on the vector ranker.
type FilterRow struct {
	Locale         string
	HNSWOnly       bool // the selective-filter switch to an exact scan turned off
	Latency        Durations
	ExactLatency   Durations
	Recall         float64 // recall@10 of the filtered HNSW ranker against a filtered exact scan
	ShortResults   int     // queries that got fewer than 10 rows from HNSW
	ExpectedShorts int     // ... and from the exact scan
}

// BenchSearch times retrieval.Searcher.Search against the same SQL run
// directly, HNSW against an exact scan at several ef_search values, and a
// locale filter, over the questions qs.
func BenchSearch(ctx context.Context, st *store.Store, emb retrieval.Embedder, opts retrieval.Options, qs []string, rounds int, efs []int) (SearchReport, error) {
	rep := SearchReport{Queries: len(qs), Rounds: rounds, HNSW: map[int]Durations{}, Recall: map[int]float64{}, EfSearch: efs}
	_, rep.Chunks, _ = st.ChunkCount(ctx)
	// Fresh statistics, as autovacuum would have them on a server.
	if err := st.Analyze(ctx); err != nil {
		return rep, err
	}
	sp, err := st.CheckSpace(ctx, emb.Model(), emb.Dimensions())
	if err != nil {
		return rep, err
	}
	s := retrieval.New(st, emb, opts)
	vecs, err := emb.Embed(ctx, qs)
	if err != nil {
		return rep, err
	}
	if err := timePaths(ctx, &rep, st, sp, s, emb, qs, rounds); err != nil {
		return rep, err
	}
	if err := timeKNN(ctx, &rep, st, sp, vecs, efs); err != nil {
		return rep, err
	}
	rep.Filters, err = timeFilters(ctx, st, sp, vecs, s.Options().EfSearch)
	return rep, err
}

// timePaths times the Searcher and the same SQL run directly on every
// question, rounds times, after warming the caches once.
func timePaths(ctx context.Context, rep *SearchReport, st *store.Store, sp store.Space, s *retrieval.Searcher, emb retrieval.Embedder,
	qs []string, rounds int) error {
	for _, q := range qs {
		if _, err := s.Search(ctx, retrieval.Query{Text: q}); err != nil {
			return err
		}
	}
	// Alternate which path runs first, so neither always finds the pages the
	// other has just read in the buffer cache.
	for r := range rounds {
		for _, q := range qs {
			for i := range 2 {
				if (i+r)%2 == 0 {
					d, err := timeSearcher(ctx, s, q)
					if err != nil {
						return err
					}
					rep.Searcher = append(rep.Searcher, d)
				} else {
					d, err := timeDirect(ctx, st, sp, emb, s.Options(), q)
					if err != nil {
						return err
					}
					rep.Direct = append(rep.Direct, d)
				}
			}
		}
	}
	return nil
}

// timeKNN times the exact top-10 scan and the HNSW index at each ef_search,
// with the index's recall@10 against the exact scan.
func timeKNN(ctx context.Context, rep *SearchReport, st *store.Store, sp store.Space, vecs [][]float32, efs []int) error {
	exact := make([][]int64, len(vecs))
	for i, v := range vecs {
		t := time.Now()
		var err error
		if exact[i], err = st.ChunkIDsNear(ctx, sp, v, 10, 0, true); err != nil {
			return err
		}
		rep.Exact = append(rep.Exact, time.Since(t))
	}
	for _, ef := range efs {
		total := 0.0
		for i, v := range vecs {
			t := time.Now()
			got, err := st.ChunkIDsNear(ctx, sp, v, 10, ef, false)
			if err != nil {
				return err
			}
			rep.HNSW[ef] = append(rep.HNSW[ef], time.Since(t))
			total += retrieval.Overlap(exact[i], got)
		}
		rep.Recall[ef] = total / float64(len(vecs))
	}
	return nil
}

// timeFilters times the vector ranker with no locale filter and with each
// locale, with and without the switch to an exact scan for selective
// filters, against a filtered exact scan.
func timeFilters(ctx context.Context, st *store.Store, sp store.Space, vecs [][]float32, efSearch int) ([]FilterRow, error) {
	var rows []FilterRow
	for _, f := range []struct {
		loc      string
		hnswOnly bool
	}{{"", false}, {"en", false}, {"cy", false}, {"en", true}, {"cy", true}} {
		row := FilterRow{Locale: f.loc, HNSWOnly: f.hnswOnly}
		total := 0.0
		for _, v := range vecs {
			q := store.SearchQuery{Vector: v, VectorK: 10, Limit: 10, EfSearch: efSearch, Locale: f.loc}
			if f.hnswOnly {
				q.ExactBelow = -1
			}
			t := time.Now()
			got, err := st.Search(ctx, sp, q)
			if err != nil {
				return rows, err
			}
			row.Latency = append(row.Latency, time.Since(t))
			q.Exact = true
			t = time.Now()
			want, err := st.Search(ctx, sp, q)
			if err != nil {
				return rows, err
			}
			row.ExactLatency = append(row.ExactLatency, time.Since(t))
			total += retrieval.Overlap(ids(want), ids(got))
			if len(got) < 10 {
				row.ShortResults++
			}
			if len(want) < 10 {
				row.ExpectedShorts++
			}
		}
		row.Recall = total / float64(len(vecs))
		rows = append(rows, row)
	}
	return rows, nil
}

func timeSearcher(ctx context.Context, s *retrieval.Searcher, q string) (time.Duration, error) {
	t := time.Now()
	_, err := s.Search(ctx, retrieval.Query{Text: q})
	return time.Since(t), err
}

// timeDirect times the Searcher's statement built and run without retrieval
// around it; the question's embedding is part of both timings.
func timeDirect(ctx context.Context, st *store.Store, sp store.Space, emb retrieval.Embedder, o retrieval.Options, q string) (time.Duration, error) {
	t := time.Now()
	v, err := emb.Embed(ctx, []string{q})
	if err != nil {
		return 0, err
	}
	sq := store.SearchQuery{Vector: v[0], Text: retrieval.TextQuery(q), TextConfig: store.TextSearchConfig(retrieval.DetectLocale(q)),
		VectorK: o.VectorK, TextK: o.TextK, TextBudget: o.TextBudget, TextShare: o.TextShare, Limit: o.Candidates, RRFK: o.RRFK, EfSearch: o.EfSearch,
		VectorWeight: o.VectorWeight, TextWeight: o.TextWeight}
	if _, err := st.SearchRows(ctx, sp, sq); err != nil {
		return 0, err
	}
	return time.Since(t), nil
}

func ids(ps []govchat.Passage) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ChunkID
	}
	return out
}

// Print writes the report as markdown tables.
func (r SearchReport) Print(w io.Writer) {
	fmt.Fprintf(w, "%d chunks; %d questions x %d rounds\n\n", r.Chunks, r.Queries, r.Rounds)
	fmt.Fprintln(w, "| path | p50 ms | p95 ms |")
	fmt.Fprintln(w, "|---|---:|---:|")
	fmt.Fprintf(w, "| retrieval.Searcher.Search | %s | %s |\n", ms(r.Searcher.Pct(50)), ms(r.Searcher.Pct(95)))
	fmt.Fprintf(w, "| same SQL via store.SearchRows | %s | %s |\n", ms(r.Direct.Pct(50)), ms(r.Direct.Pct(95)))
	fmt.Fprintf(w, "| ratio | %.2f | %.2f |\n\n", ratio(r.Searcher.Pct(50), r.Direct.Pct(50)), ratio(r.Searcher.Pct(95), r.Direct.Pct(95)))
	fmt.Fprintln(w, "| top-10 kNN | p50 ms | p95 ms | speed-up over exact (p50) | recall@10 |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	fmt.Fprintf(w, "| exact scan | %s | %s | 1.0 | 1.000 |\n", ms(r.Exact.Pct(50)), ms(r.Exact.Pct(95)))
	for _, ef := range r.EfSearch {
		d := r.HNSW[ef]
		fmt.Fprintf(w, "| HNSW ef_search=%d | %s | %s | %.1f | %.3f |\n", ef, ms(d.Pct(50)), ms(d.Pct(95)), ratio(r.Exact.Pct(50), d.Pct(50)), r.Recall[ef])
	}
	fmt.Fprintln(w, "\n| vector ranker (store.Search, top 10) | p50 ms | p95 ms | exact p50 ms | recall@10 | short lists | exact short lists |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, f := range r.Filters {
		name := "no filter"
		switch {
		case f.Locale != "" && f.HNSWOnly:
			name = "locale = " + f.Locale + ", HNSW only (iterative scan)"
		case f.Locale != "":
			name = fmt.Sprintf("locale = %s (exact scan below %d rows)", f.Locale, store.DefaultExactBelow)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.3f | %d | %d |\n", name, ms(f.Latency.Pct(50)), ms(f.Latency.Pct(95)), ms(f.ExactLatency.Pct(50)),
			f.Recall, f.ShortResults, f.ExpectedShorts)
	}
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
