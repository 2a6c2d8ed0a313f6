package embed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
)

// algorithmVersion changes whenever Local's output for the same file and
// options changes, so an index built by an older algorithm is never mixed
// with new vectors.
const algorithmVersion = 1

// Defaults for Local, chosen on the dev question set (docs/embeddings.md).
const (
	DefaultLexicalDims   = 156
	DefaultLexicalWeight = 0.4
	// rareRank: words less frequent than this also get character n-grams,
	// as unseen words always do.
	defaultRareRank = 20_000
)

// Local embeds text with GloVe word vectors and hashed lexical features:
//
//   - semantic part: the SIF-weighted (a/(a+p(w))) sum of word vectors, with
//     the vocabulary's common component removed, normalised;
//   - lexical part: signed feature hashing of words weighted the same way,
//     plus character n-grams of rare and unknown words, normalised;
//   - output: the two parts concatenated with squared weights 1-λ and λ, so
//     cosine similarity is (1-λ)·semantic + λ·lexical.
//
// Words without a vector (Welsh, typos, new terms) still match through the
// lexical part. Local is safe for concurrent use.
type Local struct {
	vec       *Vectors
	z         zipfModel
	lexDims   int
	lexWeight float64
	sif       float64
	maxTokens int
	rareRank  int
	model     string
}

// Option configures NewLocal.
type Option func(*Local)

// WithLexicalDims sets the size of the hashed lexical part; 0 gives GloVe-SIF
// vectors alone.
func WithLexicalDims(n int) Option { return func(l *Local) { l.lexDims = n } }

// WithLexicalWeight sets λ, the share of cosine similarity that comes from
// the lexical part, in [0,1].
func WithLexicalWeight(w float64) Option { return func(l *Local) { l.lexWeight = w } }

// WithSIF sets the SIF smoothing parameter a; smaller values down-weight
// frequent words more.
func WithSIF(a float64) Option { return func(l *Local) { l.sif = a } }

// WithMaxTokens caps the tokens embedded per text; the rest are ignored.
func WithMaxTokens(n int) Option { return func(l *Local) { l.maxTokens = n } }

// NewLocal loads the vector file at path (built by `make vectors`).
func NewLocal(path string, opts ...Option) (*Local, error) {
	v, err := LoadVectors(path)
	if err != nil {
		return nil, err
	}
	return NewLocalFromVectors(v, opts...)
}

// NewLocalFromVectors builds a Local over already loaded vectors, so several
// configurations can share one load.
func NewLocalFromVectors(v *Vectors, opts ...Option) (*Local, error) {
	l := &Local{
		vec:       v,
		z:         zipf(v.Len()),
		lexDims:   DefaultLexicalDims,
		lexWeight: DefaultLexicalWeight,
		sif:       defaultSIF,
		maxTokens: DefaultMaxTokens,
		rareRank:  defaultRareRank,
	}
	for _, o := range opts {
		o(l)
	}
	switch {
	case l.lexDims < 0:
		return nil, fmt.Errorf("embed: lexical dimensions %d must not be negative", l.lexDims)
	case math.IsNaN(l.lexWeight) || l.lexWeight < 0 || l.lexWeight > 1:
		return nil, fmt.Errorf("embed: lexical weight %v must be in [0,1]", l.lexWeight)
	case !(l.sif > 0):
		return nil, fmt.Errorf("embed: SIF parameter %v must be positive", l.sif)
	case l.maxTokens <= 0:
		return nil, fmt.Errorf("embed: max tokens %d must be positive", l.maxTokens)
	}
	if l.lexDims == 0 {
		l.lexWeight = 0
	}
	l.model = l.name()
	return l, nil
}

// name is "local-glove-sif-v<algorithm>-<dims>d-<file checksum prefix>",
// with a hash of the options appended when they are not the defaults.
func (l *Local) name() string {
	n := fmt.Sprintf("local-glove-sif-v%d-%dd-%s", algorithmVersion, l.Dimensions(), l.vec.Checksum()[:8])
	params := fmt.Sprintf("lex=%d/%g sif=%g max=%d rare=%d", l.lexDims, l.lexWeight, l.sif, l.maxTokens, l.rareRank)
	if params != fmt.Sprintf("lex=%d/%g sif=%g max=%d rare=%d", DefaultLexicalDims, DefaultLexicalWeight, defaultSIF, DefaultMaxTokens, defaultRareRank) {
		sum := sha256.Sum256([]byte(params))
		n += "-o" + hex.EncodeToString(sum[:3])
	}
	return n
}

// Model is the stable name stored in the index. It changes with the
// algorithm version, the vector file and the options.
func (l *Local) Model() string { return l.model }

// Dimensions is the vector length: the word vector dimension plus the
// lexical dimensions.
func (l *Local) Dimensions() int { return l.vec.Dims() + l.lexDims }

// Embed returns one unit vector per text, in order. A text with no words
// gives a zero vector.
func (l *Local) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return embedEach(ctx, texts, l.embed)
}

func (l *Local) embed(text string) []float32 {
	d := l.vec.Dims()
	out := make([]float32, d+l.lexDims)
	sem, lex := out[:d], out[d:]
	toks, counts := countTokens(tokenize(text, l.maxTokens))
	for i, t := range toks {
		r := l.vec.rank(t)
		w := 1.0 // unknown words are rare words
		if r >= 0 {
			w = sifWeight(l.z.p(r), l.sif)
			l.vec.addTo(sem, r, float32(w*float64(counts[i])))
		}
		if l.lexDims == 0 {
			continue
		}
		lw := float32(w * (1 + math.Log(float64(counts[i]))))
		addHashed(lex, featWord, t, lw)
		if r < 0 || r >= l.rareRank {
			addGrams(lex, t, lw*0.5)
		}
	}
	l.removeCommon(sem)
	hasSem := normalize(sem)
	hasLex := normalize(lex)
	if hasSem && hasLex {
		a, b := float32(math.Sqrt(1-l.lexWeight)), float32(math.Sqrt(l.lexWeight))
		for i := range sem {
			sem[i] *= a
		}
		for i := range lex {
			lex[i] *= b
		}
	}
	return out
}

func (l *Local) removeCommon(v []float32) {
	var dot float32
	for i, u := range l.vec.common {
		dot += v[i] * u
	}
	for i, u := range l.vec.common {
		v[i] -= dot * u
	}
}

// embedEach embeds each text with embed, stopping when ctx ends.
func embedEach(ctx context.Context, texts []string, embed func(string) []float32) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("embed: %w", err)
		}
		out[i] = embed(t)
	}
	return out, nil
}
