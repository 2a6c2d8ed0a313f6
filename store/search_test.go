package store_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/store"
)

func TestTextTermsCountChunks(t *testing.T) {
	ctx, s, sp := newSpace(t)
	put := func(d govchat.Document, v [][]float32) {
		t.Helper()
		mustReplace(ctx, t, s, sp, d, "digest-"+fmt.Sprint(len(d.Chunks)), v)
	}
	check := func(step string, want map[string]int) {
		t.Helper()
		got, err := s.TermChunks(ctx, []string{"section", "vat", "passport"})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: TermChunks() = %v; want %v", step, got, want)
		}
	}
	put(doc("/vat-registration", 3, "register for VAT threshold"))
	put(doc("/passport-fees", 2, "passport fee renewal cost"))
	check("after two documents", map[string]int{"section": 5, "vat": 3, "passport": 2})
	put(doc("/vat-registration", 1, "register for VAT threshold"))
	check("after replacing 3 chunks by 1", map[string]int{"section": 3, "vat": 1, "passport": 2})
	if _, err := s.DeleteDocument(ctx, "/passport-fees", "en"); err != nil {
		t.Fatal(err)
	}
	check("after deleting a document", map[string]int{"section": 1, "vat": 1})
}

// fillTerms writes 30 chunks about licences and 2 that also name a rare word.
func fillTerms(t *testing.T, s *store.Store) store.Space {
	t.Helper()
	ctx := ctxT(t)
	sp := mustSpace(ctx, t, s)
	for i := 0; i < 6; i++ {
		d, v := doc(fmt.Sprintf("/common-%d", i), 5, "apply for a licence to trade")
		mustReplace(ctx, t, s, sp, d, "x", v)
	}
	d, v := doc("/rare", 2, "apply for a zoetrope licence")
	mustReplace(ctx, t, s, sp, d, "x", v)
	return sp
}

func textHits(ps []govchat.Passage) (n int, pages map[string]int) {
	pages = map[string]int{}
	for _, p := range ps {
		if p.TextRank > 0 {
			n++
			pages[p.BasePath]++
		}
	}
	return n, pages
}

func TestSearchFullTextRanksABoundedSet(t *testing.T) {
	ctx, s := newStore(t)
	sp := fillTerms(t, s)
	q := store.SearchQuery{Vector: []float32{1, 0, 0, 0}, Text: "how do I apply for a zoetrope licence", TextConfig: "english",
		VectorK: 1, TextK: 40, Limit: 40}

	// A small budget: only the rare word matches, so only its two chunks are
	// scored, and both are found.
	q.TextBudget = 5
	got, err := s.Search(ctx, sp, q)
	if err != nil {
		t.Fatal(err)
	}
	if n, pages := textHits(got); n != 2 || pages["/rare"] != 2 {
		t.Errorf("budget 5: full-text hits %d on %v; want the 2 /rare chunks", n, pages)
	}

	// The default share (5 % of 32 chunks) lets only the rarest word select.
	q.TextBudget = 1000
	if got, err = s.Search(ctx, sp, q); err != nil {
		t.Fatal(err)
	}
	if n, pages := textHits(got); n != 2 || pages["/rare"] != 2 {
		t.Errorf("budget 1000, default share: full-text hits %d on %v; want the 2 /rare chunks", n, pages)
	}

	// A budget and share above every word's chunks (the running total counts
	// a chunk once per word it holds): all 32 match, and the chunks with
	// every word rank first.
	q.TextShare = 10
	if got, err = s.Search(ctx, sp, q); err != nil {
		t.Fatal(err)
	}
	if n, _ := textHits(got); n != 32 {
		t.Errorf("budget 1000: full-text hits %d; want 32", n)
	}
	for _, p := range got {
		if p.TextRank == 1 && p.BasePath != "/rare" {
			t.Errorf("budget 1000: full-text rank 1 is %s; want /rare", p.URL)
		}
	}

	// The share is of the chunks counted in text_chunks (32): half of them
	// (16) admits only the rare word; twice (64) admits "apply" too (2 + 32).
	for _, tc := range []struct {
		share float64
		want  int
	}{{0.5, 2}, {2, 32}} {
		q.TextShare = tc.share
		if got, err = s.Search(ctx, sp, q); err != nil {
			t.Fatal(err)
		}
		if n, _ := textHits(got); n != tc.want {
			t.Errorf("share %g: full-text hits %d; want %d", tc.share, n, tc.want)
		}
	}

	// Only common words: at most the budget is scored, never nothing.
	q.Text, q.TextBudget = "apply for a licence", 7
	if got, err = s.Search(ctx, sp, q); err != nil {
		t.Fatal(err)
	}
	if n, _ := textHits(got); n != 7 {
		t.Errorf("common words, budget 7: full-text hits %d; want 7", n)
	}

	// Quotes, backslashes and query syntax in a word are matched as text,
	// never parsed.
	q.Text, q.TextBudget, q.TextShare = `it's a\b & !zoetrope | (x) <->`, 0, 0
	if got, err = s.Search(ctx, sp, q); err != nil {
		t.Fatalf("search with query syntax in the words: %v", err)
	}
	if n, pages := textHits(got); n != 2 || pages["/rare"] != 2 {
		t.Errorf("words with syntax: full-text hits %d on %v; want the 2 /rare chunks", n, pages)
	}
}

func TestSearchFullTextPlanIsBounded(t *testing.T) {
	ctx, s := newStore(t)
	sp := fillTerms(t, s)
	execSQL(t, s, `SET enable_seqscan = off`)
	t.Cleanup(func() { execSQL(t, s, `RESET enable_seqscan`) })
	plan, err := s.ExplainSearch(ctx, sp, store.SearchQuery{Vector: []float32{1, 0, 0, 0}, Text: "apply zoetrope licence", TextConfig: "english"})
	if err != nil {
		t.Fatal(err)
	}
	// ts_rank runs above a Limit on the GIN index's candidates, and the
	// question's words are looked up in text_terms.
	i := strings.Index(plan, "Bitmap Index Scan on chunks_tsv_idx")
	if i < 0 || !ran(plan, "Bitmap Index Scan on chunks_tsv_idx") || !ran(plan, "text_terms") {
		t.Fatalf("plan does not match through the GIN index with text_terms:\n%s", plan)
	}
	if !strings.Contains(plan[:i], "Limit") {
		t.Errorf("plan has no Limit above the GIN candidates:\n%s", plan)
	}
}

func TestSelectiveFilterScansExactly(t *testing.T) {
	ctx, s, sp := newSpace(t)
	for i := 0; i < 8; i++ {
		d, v := doc(fmt.Sprintf("/english-%d", i), 5, "apply for a licence")
		mustReplace(ctx, t, s, sp, d, "x", v)
	}
	d, v := doc("/welsh", 3, "gwneud cais am drwydded")
	d.Locale = "cy"
	mustReplace(ctx, t, s, sp, d, "x", v)
	hnsw := fmt.Sprintf("Index Scan using embeddings_%d_hnsw", sp.ID)
	for _, tc := range []struct {
		name      string
		q         store.SearchQuery
		want      int
		wantExact bool
	}{
		{"rare locale: every Welsh row, exactly", store.SearchQuery{Locale: "cy"}, 3, true},
		{"common locale below the threshold", store.SearchQuery{Locale: "en"}, 10, true},
		{"common locale above the threshold", store.SearchQuery{Locale: "en", ExactBelow: 20}, 10, false},
		{"no filter", store.SearchQuery{}, 10, false},
		{"exact, no filter", store.SearchQuery{Exact: true}, 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Vector, q.VectorK, q.Limit = []float32{0, 0, 1, 0}, 10, 10
			got, err := s.Search(ctx, sp, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Errorf("Search() = %d rows; want %d", len(got), tc.want)
			}
			for i, p := range got {
				if q.Locale != "" && p.Locale != q.Locale {
					t.Errorf("row %d has locale %s; want %s", i, p.Locale, q.Locale)
				}
				if i > 0 && p.VectorScore > got[i-1].VectorScore+1e-9 {
					t.Errorf("row %d cosine %.3f above row %d's %.3f; want nearest first", i, p.VectorScore, i-1, got[i-1].VectorScore)
				}
			}
			plan, err := s.ExplainSearch(ctx, sp, q)
			if err != nil {
				t.Fatal(err)
			}
			if exactRan(plan) != tc.wantExact || (tc.wantExact && ran(plan, hnsw)) {
				t.Errorf("exact scan ran: %v, HNSW index ran: %v; want exact %v\n%s", exactRan(plan), ran(plan, hnsw), tc.wantExact, plan)
			}
		})
	}
}

// exactRan reports whether the vector ranker's exact branch, the sort by
// "distance + 0", produced rows in plan (EXPLAIN ANALYZE); when its gate is
// closed the sort runs over nothing.
func exactRan(plan string) bool {
	lines := strings.Split(plan, "\n")
	for i := 1; i < len(lines); i++ {
		if strings.Contains(lines[i], "Sort Key") && strings.Contains(lines[i], "+ '0'::double precision") {
			return !strings.Contains(lines[i-1], "never executed") && !strings.Contains(lines[i-1], "actual rows=0.00")
		}
	}
	return false
}
