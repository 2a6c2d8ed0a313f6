package retrieval_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/govchat/govchat/internal/corpustest/corpusindex"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store/storetest"
)

var (
	corpusOnce     sync.Once
	corpusSearcher *retrieval.Searcher
)

// corpus is the shared corpus index searched with the default options and floor.
func corpus(t *testing.T) *retrieval.Searcher {
	t.Helper()
	ix := corpusindex.Shared(t)
	corpusOnce.Do(func() {
		corpusSearcher = retrieval.New(ix.Store, ix.Embedder, retrieval.Options{Floor: retrieval.DefaultFloor()})
	})
	return corpusSearcher
}

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropShared()
	os.Exit(code)
}

func TestSearchFindsGuidePart(t *testing.T) {
	s := corpus(t)
	tests := []struct {
		q, want string
	}{
		{"My passport still has about 6 months on it. If I renew early do I lose that time?", "/renew-adult-passport/renew"},
		{"Someone took my bag on holiday with my passport in it. Will I have to pay for a new one?", "/renew-adult-passport/replace"},
		{"Will my European health card cover hospital treatment in Turkey?", "/foreign-travel-advice/turkey/health"},
	}
	for _, tt := range tests {
		res, err := s.Search(context.Background(), retrieval.Query{Text: tt.q})
		if err != nil {
			t.Fatal(err)
		}
		if res.NoContent {
			t.Errorf("Search(%q): NoContent (best cosine %.3f, text %.3f); want content", tt.q, res.BestVector, res.BestText)
		}
		var pages []string
		found := false
		for _, p := range res.Passages[:min(5, len(res.Passages))] {
			pages = append(pages, retrieval.PagePath(p.URL))
			found = found || retrieval.PagePath(p.URL) == tt.want
		}
		if !found {
			t.Errorf("Search(%q) top 5 pages = %s; want %s among them", tt.q, strings.Join(pages, ", "), tt.want)
		}
	}
}

// The floor turns away questions far from anything in the index. Nearer
// ones ("fix this Python error: TypeError…", best cosine 0.34 with a faint
// full-text match) pass it since the floor was lowered for real questions
// with weak matches (docs/retrieval.md); the router declines those
// (chat's TestRouterLabels).
func TestFloorDeclinesOutOfScope(t *testing.T) {
	s := corpus(t)
	for _, q := range []string{
		"what's a good recipe for a veggie shepherd's pie that kids will actually eat?",
		"who won the FA cup final last year and what was the score",
	} {
		res, err := s.Search(context.Background(), retrieval.Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		if !res.NoContent {
			t.Errorf("Search(%q) passed the floor (best cosine %.3f, text %.3f); want NoContent", q, res.BestVector, res.BestText)
		}
	}
}

func TestSearchWelshQuestionPrefersWelsh(t *testing.T) {
	s := corpus(t)
	res, err := s.Search(context.Background(), retrieval.Query{Text: "Ydw i'n gallu llenwi fy ffurflen dreth ar-lein yn Gymraeg?"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Locale != "cy" {
		t.Errorf("Locale = %q; want cy", res.Locale)
	}
	if len(res.Passages) == 0 || res.Passages[0].Locale != "cy" {
		t.Errorf("first passage %+v; want a Welsh one", res.Passages[:min(1, len(res.Passages))])
	}
}

func TestSearchLocaleFilter(t *testing.T) {
	s := corpus(t)
	res, err := s.Search(context.Background(), retrieval.Query{Text: "renew passport", Locale: "cy"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Passages {
		if p.Locale != "cy" {
			t.Errorf("passage %s has locale %s; want only cy", p.URL, p.Locale)
		}
	}
}

// The rest of the best two pages follows the ranked passages, each page in
// reading order, without ranker scores and without repeating a ranked chunk.
func TestSearchAddsRestOfBestPages(t *testing.T) {
	const q = "What number do I ring about my tax code, and are they open on a Saturday?"
	s := corpus(t)
	res, err := s.Search(context.Background(), retrieval.Query{Text: q, PageContext: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.NoContent || len(res.Passages) == 0 {
		t.Fatalf("no content for a question the corpus answers")
	}
	var best []string // the first two pages ranked
	seen := map[int64]bool{}
	ranked, rest := 0, 0
	last := map[string]int{}
	for _, p := range res.Passages {
		page := retrieval.PagePath(p.URL)
		if seen[p.ChunkID] {
			t.Errorf("chunk %d (%s) given twice", p.ChunkID, p.URL)
		}
		seen[p.ChunkID] = true
		isRest := p.VectorRank == 0 && p.TextRank == 0
		switch {
		case !isRest && rest > 0:
			t.Errorf("ranked passage %s after the rest of the pages", p.URL)
		case !isRest:
			ranked++
			if len(best) < 2 && !slices.Contains(best, page) {
				best = append(best, page)
			}
		default:
			rest++
			if !slices.Contains(best, page) {
				t.Errorf("added passage %s is not on the best two pages %v", p.URL, best)
			}
			if n, ok := last[page]; ok && p.ChunkIndex <= n {
				t.Errorf("%s: added passages out of reading order: chunk %d after %d", page, p.ChunkIndex, n)
			}
			last[page] = p.ChunkIndex
		}
	}
	if rest == 0 {
		t.Fatalf("no section of the best pages %v was added (%d ranked passages)", best, ranked)
	}
	ix := corpusindex.Shared(t)
	off := retrieval.New(ix.Store, ix.Embedder, retrieval.Options{Floor: retrieval.DefaultFloor(), PageChunks: -1})
	res2, err := off.Search(context.Background(), retrieval.Query{Text: q, PageContext: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res2.Passages) != ranked {
		t.Errorf("PageChunks -1 gave %d passages; want the %d ranked ones", len(res2.Passages), ranked)
	}
	res3, err := s.Search(context.Background(), retrieval.Query{Text: q})
	if err != nil {
		t.Fatal(err)
	}
	if len(res3.Passages) != ranked {
		t.Errorf("without PageContext: %d passages; want the %d ranked ones", len(res3.Passages), ranked)
	}
}
