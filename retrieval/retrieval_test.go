package retrieval

import (
	"strings"
	"testing"

	"github.com/govchat/govchat"
)

// checkEach checks f(q) against want for each case; name is f's, for the
// failure messages.
func checkEach(t *testing.T, name string, f func(string) string, cases []struct{ q, want string }) {
	t.Helper()
	for _, tt := range cases {
		if got := f(tt.q); got != tt.want {
			t.Errorf("%s(%q) = %q; want %q", name, tt.q, got, tt.want)
		}
	}
}

func TestDetectLocale(t *testing.T) {
	checkEach(t, "DetectLocale", DetectLocale, []struct{ q, want string }{
		{"Ydw i'n gallu llenwi fy ffurflen dreth ar-lein yn Gymraeg?", "cy"},
		{"Dw i wedi anghofio'r cyfrinair ar gyfer y wefan chwilio am waith", "cy"},
		{"Sut mae gwneud cais am basbort?", "cy"},
		{"Beth yw'r dŵr?", "cy"}, // a circumflexed w is Welsh on its own
		{"How do I renew my passport?", "en"},
		{"I'd rather speak Welsh when I phone the tax office", "en"},
		{"Is there a Welsh language helpline, y or n?", "en"},
		{"", "en"},
		{"12345 !!", "en"},
	})
}

func TestTextQuery(t *testing.T) {
	checkEach(t, "TextQuery", TextQuery, []struct{ q, want string }{
		{"How do I renew my passport?", "how do renew my passport"},
		{"a' OR 1=1; --", "or 1"},
		{"!!&|<->", ""},
		{`"quoted" -negated (grouped) & | !`, "quoted negated grouped"},
		{"passport passport PASSPORT", "passport"},
		{"form P60 in 2024", "form p60 in 2024"},
		{"Ydw i'n gallu llenwi fy ffurflen dreth", "ydw gallu llenwi fy ffurflen dreth"},
		{"x", ""},
	})
}

func TestTextQueryIsAWordList(t *testing.T) {
	long := strings.Repeat("word", 1) + " " + strings.Repeat("abc def ghi jkl mno pqr stu vwx yz1 yz2 ", 10) +
		"'; DROP TABLE chunks; -- <-> !term"
	words := strings.Fields(TextQuery(long))
	if len(words) > 40 {
		t.Errorf("TextQuery kept %d words; want at most 40", len(words))
	}
	for _, w := range words {
		for _, r := range w {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
				t.Fatalf("TextQuery word %q holds %q; want letters and digits only", w, r)
			}
		}
	}
}

func passage(doc int64, idx int, url, text string) govchat.Passage {
	return govchat.Passage{DocumentID: doc, ChunkIndex: idx, URL: url, Text: text}
}

func TestMergeAdjacent(t *testing.T) {
	in := []govchat.Passage{
		passage(1, 3, "/guide/part#b", "three"),
		passage(2, 0, "/other", "other"),
		passage(1, 4, "/guide/part#c", "four"),   // after #b: appended
		passage(1, 2, "/guide/part#a", "two"),    // before #b: merged in front, takes its URL
		passage(1, 5, "/guide/second#a", "five"), // next chunk but another part: kept apart
		passage(3, 1, "/third", "gap"),
		passage(3, 3, "/third", "no neighbour"),
	}
	got := mergeAdjacent(in)
	want := []struct {
		url, text string
	}{
		{"/guide/part#a", "two\n\nthree\n\nfour"},
		{"/other", "other"},
		{"/guide/second#a", "five"},
		{"/third", "gap"},
		{"/third", "no neighbour"},
	}
	if len(got) != len(want) {
		t.Fatalf("mergeAdjacent gave %d passages; want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].URL != w.url || got[i].Text != w.text {
			t.Errorf("passage %d = %q %q; want %q %q", i, got[i].URL, got[i].Text, w.url, w.text)
		}
	}
}

func TestRerankCapsPassagesPerPage(t *testing.T) {
	var cands []govchat.Passage
	// Five far-apart chunks of one page outrank everything else.
	for i := range 5 {
		p := passage(1, i*2, "/big#s"+string(rune('a'+i)), "big")
		p.Score, p.DocumentType = 1-float64(i)/100, "guide"
		cands = append(cands, p)
	}
	for i := range 5 {
		p := passage(int64(10+i), 0, "/small-"+string(rune('a'+i)), "small")
		p.Score, p.DocumentType = 0.5, "guide"
		cands = append(cands, p)
	}
	for _, max := range []int{1, 2, 3} {
		s := New(nil, nil, Options{MaxPerPage: max})
		got := s.rerank("", cands, "en", 6)
		if len(got) != 6 {
			t.Fatalf("MaxPerPage %d: %d passages; want 6", max, len(got))
		}
		n := 0
		for _, p := range got {
			if PagePath(p.URL) == "/big" {
				n++
			}
		}
		if n != max {
			t.Errorf("MaxPerPage %d: %d passages from /big; want %d", max, n, max)
		}
	}
}

func TestRerankWeightsAndWelshPreference(t *testing.T) {
	news := govchat.Passage{URL: "/news", DocumentType: "news_story", Score: 1, Locale: "en"}
	guide := govchat.Passage{URL: "/guide", DocumentType: "guide", Score: 0.7, Locale: "en", DocumentID: 2}
	welsh := govchat.Passage{URL: "/cy", DocumentType: "guide", Score: 0.6, Locale: "cy", DocumentID: 3}
	s := New(nil, nil, Options{})
	got := s.rerank("", []govchat.Passage{news, guide, welsh}, "en", 3)
	if got[0].URL != "/guide" {
		t.Errorf("English question: first passage %s; want /guide (guide weight beats news)", got[0].URL)
	}
	got = s.rerank("", []govchat.Passage{news, guide, welsh}, "cy", 3)
	if got[0].URL != "/cy" {
		t.Errorf("Welsh question: first passage %s; want /cy", got[0].URL)
	}
}

func TestFloorPasses(t *testing.T) {
	f := Floor{MinVector: 0.5, MinText: 0.1, MinVectorBoth: 0.3, MinTextBoth: 0.05}
	tests := []struct {
		vec, text float64
		want      bool
	}{
		{0.5, 0, true},
		{0, 0.1, true},
		{0.3, 0.05, true},
		{0.29, 0.09, false},
		{0.49, 0.04, false},
	}
	for _, tt := range tests {
		if got := f.passes(tt.vec, tt.text); got != tt.want {
			t.Errorf("passes(%.2f, %.2f) = %v; want %v", tt.vec, tt.text, got, tt.want)
		}
	}
	if !(Floor{}).passes(0, 0) {
		t.Error("the zero Floor declined; want it to pass everything")
	}
}

// A passage merged in front must not stop a later one merging behind.
func TestMergeAdjacentBothSides(t *testing.T) {
	got := mergeAdjacent([]govchat.Passage{
		passage(1, 3, "/p#c", "three"),
		passage(1, 2, "/p#b", "two"),
		passage(1, 4, "/p#d", "four"),
	})
	if len(got) != 1 || got[0].Text != "two\n\nthree\n\nfour" || got[0].URL != "/p#b" {
		t.Errorf("mergeAdjacent = %+v; want one passage two, three, four at /p#b", got)
	}
}

// A page whose title or headings name what was asked moves up the fused
// list; with TitleWeight off the fused order stands.
func TestRerankByTitleAndHeadings(t *testing.T) {
	q := "I found a stray dog in my garden, who do I report it to?"
	pets := govchat.Passage{URL: "/take-pet-abroad", Title: "Taking your pet dog, cat or ferret abroad", HeadingPath: []string{"Overview"}, Score: 1.0, Locale: "en"}
	stray := govchat.Passage{URL: "/report-stray-dog", Title: "Report a stray dog", HeadingPath: []string{"Keeping a stray dog"}, Score: 0.9, Locale: "en"}
	cover := lexicalCover(q, []govchat.Passage{pets, stray})
	if cover[1] <= cover[0] || cover[0] <= 0 {
		t.Errorf("lexicalCover = %v; want the stray dog page above the pets page, both above 0 (both say dog)", cover)
	}
	got := New(nil, nil, Options{}).rerank(q, []govchat.Passage{pets, stray}, "en", 2)
	if got[0].URL != stray.URL {
		t.Errorf("rerank = %s first; want %s, whose title names what was asked", got[0].URL, stray.URL)
	}
	got = New(nil, nil, Options{TitleWeight: -1}).rerank(q, []govchat.Passage{pets, stray}, "en", 2)
	if got[0].URL != pets.URL {
		t.Errorf("TitleWeight -1: rerank = %s first; want the fused order", got[0].URL)
	}
	if c := lexicalCover("", []govchat.Passage{pets}); c[0] != 0 {
		t.Errorf("lexicalCover of an empty question = %v; want 0", c)
	}
}
