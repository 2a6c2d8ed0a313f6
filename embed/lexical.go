package embed

import (
	"context"
	"fmt"
	"math"
)

// DefaultMaxTokens caps the tokens embedded per text. Chunks are far shorter;
// the cap bounds the work a hostile input can cause.
const DefaultMaxTokens = 2048

// Lexical is a hashed bag-of-words embedder: signed feature hashing of
// lowercased words with sublinear term frequency and common function words
// dropped. It only matches shared words; it is the baseline Local must beat.
type Lexical struct {
	dims int
}

// NewLexical returns a lexical embedder with dims dimensions.
func NewLexical(dims int) (*Lexical, error) {
	if dims <= 0 {
		return nil, fmt.Errorf("embed: lexical dimensions %d must be positive", dims)
	}
	return &Lexical{dims: dims}, nil
}

// Model names the embedder and its dimension.
func (l *Lexical) Model() string { return fmt.Sprintf("lexical-hash-v1-%dd", l.dims) }

// Dimensions is the vector length.
func (l *Lexical) Dimensions() int { return l.dims }

// Embed returns one unit vector per text, or a zero vector for a text with
// no words.
func (l *Lexical) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return embedEach(ctx, texts, l.embed)
}

func (l *Lexical) embed(text string) []float32 {
	v := make([]float32, l.dims)
	toks, counts := countTokens(tokenize(text, DefaultMaxTokens))
	for i, t := range toks {
		if isStopword(t) {
			continue
		}
		addHashed(v, featWord, t, float32(1+math.Log(float64(counts[i]))))
	}
	normalize(v)
	return v
}

// countTokens returns the distinct tokens in first-seen order with their
// counts; the fixed order keeps float sums, and so vectors, deterministic.
func countTokens(toks []string) ([]string, []int) {
	seen := make(map[string]int, len(toks))
	var uniq []string
	var counts []int
	for _, t := range toks {
		if i, ok := seen[t]; ok {
			counts[i]++
			continue
		}
		seen[t] = len(uniq)
		uniq = append(uniq, t)
		counts = append(counts, 1)
	}
	return uniq, counts
}

// isStopword reports English and Welsh function words the lexical baseline
// ignores; Local instead down-weights words by frequency.
func isStopword(w string) bool {
	switch w {
	case "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "do", "does", "for", "from",
		"had", "has", "have", "how", "i", "if", "in", "is", "it", "its", "me", "my", "of", "on", "or", "our",
		"so", "that", "the", "their", "them", "there", "they", "this", "to", "was", "we", "were", "what",
		"when", "where", "which", "who", "will", "with", "would", "you", "your", "s", "t",
		"y", "yr", "yn", "ac", "ar", "am", "o", "eich", "chi", "fy", "ei", "mae", "sy", "neu", "gan":
		return true
	}
	return false
}
