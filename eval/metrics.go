package eval

import (
	"math"
	"sort"
)

// RecallAt reports whether a hit (1-based rank) is within the top k.
func RecallAt(ranks []int, k int) bool {
	return len(ranks) > 0 && ranks[0] <= k
}

// ReciprocalRank is 1/rank of the first hit, 0 without one.
func ReciprocalRank(ranks []int) float64 {
	if len(ranks) == 0 {
		return 0
	}
	return 1 / float64(ranks[0])
}

// NDCG is binary-relevance nDCG@k. Each expected source earns a gain once,
// at the first retrieved position that matches it; the ideal ranking puts
// min(len(expected), k) matches first.
func NDCG(retrieved, expected []string, k int, lenient bool) float64 {
	if len(expected) == 0 || k <= 0 {
		return 0
	}
	credited := make([]bool, len(expected))
	var dcg float64
	for i, r := range retrieved {
		if i >= k {
			break
		}
		for j, e := range expected {
			if !credited[j] && Matches(r, e, lenient) {
				credited[j] = true
				dcg += 1 / math.Log2(float64(i+2))
				break
			}
		}
	}
	var ideal float64
	for i := 0; i < min(len(expected), k); i++ {
		ideal += 1 / math.Log2(float64(i+2))
	}
	return dcg / ideal
}

// percentile is the nearest-rank percentile (p in 0..100) of xs.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// round4 keeps reports readable and stable across platforms.
func round4(f float64) float64 { return math.Round(f*10000) / 10000 }
