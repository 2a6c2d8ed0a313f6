package eval

import (
	"math"
	"slices"
	"testing"

	"github.com/govchat/govchat/chat"
)

func TestMatches(t *testing.T) {
	tests := []struct {
		got, want       string
		strict, lenient bool
	}{
		{"/a/b#x", "/a/b", true, true},
		{"/a/b", "/a", false, true},    // a part of the expected guide
		{"/a", "/a/b", false, true},    // the guide of the expected part
		{"/a/c", "/a/b", false, false}, // siblings
		{"/ab", "/a", false, false},
		{"/a/b/c", "/a", false, false}, // only one level
		{"https://www.gov.uk/a/b?x=1", "/a/b", true, true},
		{"/a/b/", "/a/b", true, true},
	}
	for _, tt := range tests {
		if got := Matches(tt.got, tt.want, false); got != tt.strict {
			t.Errorf("Matches(%q, %q, strict) = %v; want %v", tt.got, tt.want, got, tt.strict)
		}
		if got := Matches(tt.got, tt.want, true); got != tt.lenient {
			t.Errorf("Matches(%q, %q, lenient) = %v; want %v", tt.got, tt.want, got, tt.lenient)
		}
	}
}

func TestRankMetrics(t *testing.T) {
	l2 := func(i int) float64 { return 1 / math.Log2(float64(i+1)) }
	tests := []struct {
		name      string
		retrieved []string
		expected  []string
		ranks     []int
		r1, r5    bool
		rr        float64
		ndcg      float64
	}{
		{"first", []string{"/x#a", "/y"}, []string{"/x"}, []int{1}, true, true, 1, 1},
		{"third", []string{"/p", "/q", "/x#a", "/x#b"}, []string{"/x"}, []int{3, 4}, false, true, 1.0 / 3, l2(3)},
		{"miss", []string{"/p", "/q"}, []string{"/x"}, nil, false, false, 0, 0},
		{"sixth", []string{"/1", "/2", "/3", "/4", "/5", "/x"}, []string{"/x"}, []int{6}, false, false, 1.0 / 6, l2(6)},
		{"two sources, one found second", []string{"/p", "/x"}, []string{"/x", "/y"}, []int{2}, false, true, 0.5, l2(2) / (l2(1) + l2(2))},
		{"two sources both found", []string{"/y", "/x"}, []string{"/x", "/y"}, []int{1, 2}, true, true, 1, 1},
		{"same page twice earns once", []string{"/x#a", "/x#b"}, []string{"/x", "/y"}, []int{1, 2}, true, true, 1, l2(1) / (l2(1) + l2(2))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ranks := HitRanks(tt.retrieved, tt.expected, false)
			if !slices.Equal(ranks, tt.ranks) {
				t.Fatalf("HitRanks = %v; want %v", ranks, tt.ranks)
			}
			if got := RecallAt(ranks, 1); got != tt.r1 {
				t.Errorf("RecallAt(1) = %v; want %v", got, tt.r1)
			}
			if got := RecallAt(ranks, 5); got != tt.r5 {
				t.Errorf("RecallAt(5) = %v; want %v", got, tt.r5)
			}
			if got := ReciprocalRank(ranks); math.Abs(got-tt.rr) > 1e-9 {
				t.Errorf("ReciprocalRank = %v; want %v", got, tt.rr)
			}
			if got := NDCG(tt.retrieved, tt.expected, 10, false); math.Abs(got-tt.ndcg) > 1e-9 {
				t.Errorf("NDCG = %v; want %v", got, tt.ndcg)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	if got := percentile(xs, 50); got != 5 {
		t.Errorf("p50 = %v; want 5", got)
	}
	if got := percentile(xs, 95); got != 10 {
		t.Errorf("p95 = %v; want 10", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v; want 0", got)
	}
}

// The pipeline's fixed words around quotes state no fact: "May" is not
// found in "This may not answer all of your question", nor "GOV.UK" in the
// lead-in.
func TestAnswerContent(t *testing.T) {
	answer := chat.MsgExtractiveLeadIn + "\n\nTests are held in July [1].\n\n" + chat.MsgPartialAnswer
	for fact, want := range map[string]bool{"July": true, "May": false, "GOV.UK": false, "search": false} {
		if got := HasFact(AnswerContent(answer), fact); got != want {
			t.Errorf("HasFact(AnswerContent(answer), %q) = %v; want %v", fact, got, want)
		}
	}
	if got := AnswerContent("GOV.UK is run by GDS. It may change."); got != "GOV.UK is run by GDS. It may change." {
		t.Errorf("AnswerContent changed an answer with no fixed words: %q", got)
	}
}

func TestHasFact(t *testing.T) {
	tests := []struct {
		answer, fact string
		want         bool
	}{
		{"It costs £85.00 to apply.", "£85", true},
		{"It costs £85 to apply.", "£85.00", true},
		{"It costs £85.50 to apply.", "£85", false},
		{"within ten working days", "10 working days", true},
		{"within 10 working days", "ten working days", true},
		{"within 17 days", "7 days", false},
		{"Report to the   POLICE\nnow", "police", true},
		{"call 0300&nbsp;200 1900", "0300 200 1900", true},
		{"Tom &amp; Jerry", "Tom & Jerry", true},
		{"Your parents’ income", "parents' income", true},
		{"up to £10000", "£10,000", true},
		{"often", "ten", false},
		{"the BCMS office", "bcms", true},
		{"anything", "", false},
	}
	for _, tt := range tests {
		if got := HasFact(tt.answer, tt.fact); got != tt.want {
			t.Errorf("HasFact(%q, %q) = %v; want %v", tt.answer, tt.fact, got, tt.want)
		}
	}
}
