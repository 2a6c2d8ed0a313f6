package store_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

func TestTextTermsCountChunks(t *testing.T) {
	s := storetest.New(t)
	ctx := ctxT(t)
	sp, err := s.EnsureSpace(ctx, "m", 4)
	if err != nil {
		t.Fatal(err)
	}
	put := func(d govchat.Document, v [][]float32) {
		t.Helper()
		if _, err := s.ReplaceDocument(ctx, sp, d, "digest-"+fmt.Sprint(len(d.Chunks)), v); err != nil {
			t.Fatal(err)
		}
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
	sp, err := s.EnsureSpace(ctx, "m", 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		d, v := doc(fmt.Sprintf("/common-%d", i), 5, "apply for a licence to trade")
		if _, err := s.ReplaceDocument(ctx, sp, d, "x", v); err != nil {
			t.Fatal(err)
		}
	}
	d, v := doc("/rare", 2, "apply for a zoetrope licence")
	if _, err := s.ReplaceDocument(ctx, sp, d, "x", v); err != nil {
		t.Fatal(err)
	}
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
	s := storetest.New(t)
	ctx := ctxT(t)
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

	// A budget above every word's chunks: all 32 match, and the chunks with
	// every word rank first.
	q.TextBudget = 1000
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
	q.Text, q.TextBudget = `it's a\b & !zoetrope | (x) <->`, 0
	if got, err = s.Search(ctx, sp, q); err != nil {
		t.Fatalf("search with query syntax in the words: %v", err)
	}
	if n, pages := textHits(got); n != 2 || pages["/rare"] != 2 {
		t.Errorf("words with syntax: full-text hits %d on %v; want the 2 /rare chunks", n, pages)
	}
}

func TestSearchFullTextPlanIsBounded(t *testing.T) {
	s := storetest.New(t)
	ctx := ctxT(t)
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
	if i < 0 || !strings.Contains(plan, "text_terms") || strings.Contains(plan, "Disabled") {
		t.Fatalf("plan does not match through the GIN index with text_terms:\n%s", plan)
	}
	if !strings.Contains(plan[:i], "Limit") {
		t.Errorf("plan has no Limit above the GIN candidates:\n%s", plan)
	}
	t.Log(plan)
}
