package store_test

import (
	"slices"
	"testing"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// TestBenchHelpers: InsertDocuments writes what ReplaceDocument writes (the
// same chunks, found by the same search), and SearchRows counts the rows
// Search returns, and refuses a query that does not fit the space.
func TestBenchHelpers(t *testing.T) {
	t.Parallel()
	ctx := ctxT(t)
	bulk, replaced := storetest.New(t), storetest.New(t)
	var docs []govchat.Document
	var vecs [][][]float32
	for _, p := range []struct{ path, words string }{{"/vat-registration", "register for VAT threshold"}, {"/passport-fees", "passport fee renewal cost"}} {
		d, v := doc(p.path, 3, p.words)
		docs, vecs = append(docs, d), append(vecs, v)
	}
	q := store.SearchQuery{Vector: []float32{1, 0, 0, 0}, Text: "passport or VAT", TextConfig: "english", Limit: 10}
	var found [][]int
	for _, s := range []*store.Store{bulk, replaced} {
		sp := mustSpace(ctx, t, s)
		var err error
		if s == bulk {
			err = s.InsertDocuments(ctx, sp, docs, vecs)
		}
		for i := range docs {
			if s == replaced && err == nil {
				_, err = s.ReplaceDocument(ctx, sp, docs[i], "d", vecs[i])
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if d, c, err := s.ChunkCount(ctx); err != nil || d != 2 || c != 6 {
			t.Fatalf("ChunkCount() = %d, %d, %v; want 2, 6", d, c, err)
		}
		got, err := s.Search(ctx, sp, q)
		if err != nil {
			t.Fatal(err)
		}
		var idx []int
		for _, p := range got {
			idx = append(idx, p.ChunkIndex+10*slices.IndexFunc(docs, func(d govchat.Document) bool { return d.BasePath == p.BasePath }))
		}
		found = append(found, idx)
		if n, err := s.SearchRows(ctx, sp, q); err != nil || n != len(got) || n == 0 {
			t.Errorf("SearchRows() = %d, %v; want Search's %d rows", n, err, len(got))
		}
		if _, err := s.SearchRows(ctx, sp, store.SearchQuery{Vector: []float32{1, 0}}); err == nil {
			t.Error("SearchRows() with a 2-dimension vector in a 4-dimension space succeeded")
		}
	}
	if !slices.Equal(found[0], found[1]) {
		t.Errorf("Search after InsertDocuments found chunks %v; after ReplaceDocument %v", found[0], found[1])
	}
	sp, _ := bulk.EnsureSpace(ctx, "m", 4)
	if err := bulk.InsertDocuments(ctx, sp, docs[:1], vecs[:1]); err == nil {
		t.Error("InsertDocuments() of a document already stored succeeded")
	}
	if err := bulk.InsertDocuments(ctx, sp, docs[:1], nil); err == nil {
		t.Error("InsertDocuments() without vectors succeeded")
	}
}
