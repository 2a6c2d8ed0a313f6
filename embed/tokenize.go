package embed

import (
	"math"
	"strings"
	"unicode"
)

// maxTokenRunes drops longer tokens: they are identifiers, hashes or junk,
// never words a citizen would type.
const maxTokenRunes = 40

// tokenize lowercases s and splits it on every rune that is not a letter or
// digit, so form codes such as "sa100" and "p60" stay whole. It returns at
// most limit tokens.
func tokenize(s string, limit int) []string {
	var toks []string
	start, runes := -1, 0
	flush := func(end int) {
		if start >= 0 && runes <= maxTokenRunes {
			toks = append(toks, strings.ToLower(s[start:end]))
		}
		start, runes = -1, 0
	}
	for i, r := range s {
		if len(toks) >= limit {
			return toks
		}
		if r != unicode.ReplacementChar && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if start < 0 {
				start = i
			}
			runes++
			continue
		}
		flush(i)
	}
	if len(toks) < limit {
		flush(len(s))
	}
	return toks
}

// hash64 is FNV-1a over a feature kind byte and a string.
func hash64(kind byte, s string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	h = (h ^ uint64(kind)) * prime
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * prime
	}
	// Final avalanche so the low bits (the bucket) and top bit (the sign)
	// depend on every byte.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

// Feature kinds, hashed into the same buckets but never colliding by design.
const (
	featWord  = 'w'
	featGram  = 'g'
	featGram4 = 'G'
)

// addHashed adds w to the signed bucket of feature s.
func addHashed(dst []float32, kind byte, s string, w float32) {
	h := hash64(kind, s)
	i := h % uint64(len(dst))
	if h>>63 == 1 {
		w = -w
	}
	dst[i] += w
}

// addGrams adds character 3- and 4-grams of tok (with boundary marks), their
// total weight w, so inflections and unseen spellings still overlap.
func addGrams(dst []float32, tok string, w float32) {
	r := []rune("<" + tok + ">")
	n := 0
	if len(r) >= 3 {
		n += len(r) - 2
	}
	if len(r) >= 4 {
		n += len(r) - 3
	}
	if n == 0 {
		return
	}
	gw := w / float32(math.Sqrt(float64(n)))
	for i := 0; i+3 <= len(r); i++ {
		addHashed(dst, featGram, string(r[i:i+3]), gw)
	}
	for i := 0; i+4 <= len(r); i++ {
		addHashed(dst, featGram4, string(r[i:i+4]), gw)
	}
}

// normalize scales v to unit length in place and reports whether it was
// non-zero.
func normalize(v []float32) bool {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		clear(v)
		return false
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return true
}
