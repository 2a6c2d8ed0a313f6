package chat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The offline router's model: multinomial logistic regression over hashed
// lexical features (words, word pairs and character n-grams, which survive
// typos and inflections), trained at start-up from the labelled examples
// in routedata/ with a fixed seed, so every process gets the same weights.

const (
	featureBits = 17
	featureDims = 1 << featureBits
)

// RouteExample is one labelled message of a routing set.
type RouteExample struct {
	Text  string   `json:"text"`
	Label Label    `json:"label"`
	Tags  []string `json:"tags,omitempty"`
}

// maxExampleRunes is the longest message a routing set may hold: longer
// than a question may be (DefaultMaxRunes), because what the service does
// with an over-long message, a crisis check and "too long", is measured too.
const maxExampleRunes = 2000

// ParseRouteExamples reads a routing set: JSON Lines of RouteExample. It
// rejects unknown labels, empty or over-long texts and unknown fields,
// naming the line.
func ParseRouteExamples(data []byte) ([]RouteExample, error) {
	var out []RouteExample
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var ex RouteExample
		if err := dec.Decode(&ex); err != nil {
			return nil, fmt.Errorf("chat: routing line %d: %w", n, err)
		}
		if !ex.Label.Valid() {
			return nil, fmt.Errorf("chat: routing line %d: unknown label %q", n, ex.Label)
		}
		if strings.TrimSpace(ex.Text) == "" || utf8.RuneCountInString(ex.Text) > maxExampleRunes {
			return nil, fmt.Errorf("chat: routing line %d: text empty or over %d characters", n, maxExampleRunes)
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("chat: routing set: %w", err)
	}
	return out, nil
}

// feature is one hashed feature and its weight in a message's vector.
type feature struct {
	idx uint32
	val float32
}

// Encoder embeds text as dense vectors: the local embedder's word
// vectors, which let the router generalise from "recipe" to "casserole".
type Encoder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// denseWeight scales the dense part against the unit-length sparse part.
const denseWeight = 1.0

// featurizer builds a message's features: the sparse lexical part, and
// the dense part after it when an encoder is set.
type featurizer struct {
	enc    Encoder
	dims   int     // dense dimensions; 0 without an encoder
	weight float32 // dense part's scale; denseWeight when 0
}

func (f featurizer) features(s string) []feature {
	fs := routeFeatures(s)
	if f.enc == nil || f.dims == 0 {
		return fs
	}
	vs, err := f.enc.Embed(context.Background(), []string{s})
	if err != nil || len(vs) != 1 || len(vs[0]) != f.dims {
		return fs
	}
	w := f.weight
	if w == 0 {
		w = denseWeight
	}
	for i, v := range vs[0] {
		if v != 0 {
			fs = append(fs, feature{uint32(featureDims + i), v * w})
		}
	}
	return fs
}

// routeFeatures turns a message into a sparse, L2-normalised vector.
func routeFeatures(s string) []feature {
	clean := foldConfusables(s)
	words := strings.Fields(foldWords(clean, false))
	counts := map[uint32]float32{}
	add := func(kind, v string, w float32) {
		h := fnv.New32a()
		h.Write([]byte(kind))
		h.Write([]byte(v))
		counts[h.Sum32()&(featureDims-1)] += w
	}
	for i, w := range words {
		add("w", w, 1)
		if i > 0 {
			add("b", words[i-1]+" "+w, 1)
		}
		g := "<" + w + ">"
		rs := []rune(g)
		for n := 3; n <= 5; n++ {
			for j := 0; j+n <= len(rs); j++ {
				add("c", string(rs[j:j+n]), 0.3)
			}
		}
	}
	if len(words) > 0 {
		add("first", words[0], 1)
	}
	for _, f := range shapeFeatures(s, words) {
		add("s", f, 1)
	}
	return normalised(counts)
}

// shapeFeatures describe a message's form: length, question marks,
// digits, capitals and the scripts it is written in.
func shapeFeatures(s string, words []string) []string {
	var fs []string
	switch n := len(words); {
	case n == 0:
		fs = append(fs, "len0")
	case n == 1:
		fs = append(fs, "len1")
	case n <= 3:
		fs = append(fs, "len2-3")
	case n <= 8:
		fs = append(fs, "len4-8")
	case n <= 20:
		fs = append(fs, "len9-20")
	default:
		fs = append(fs, "len21+")
	}
	if c := strings.Count(s, "?"); c > 1 {
		fs = append(fs, "q2+")
	} else if c == 1 {
		fs = append(fs, "q1")
	}
	letters, upper := 0, 0
	scripts := map[string]bool{}
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		if unicode.IsUpper(r) {
			upper++
		}
		scripts[scriptOf(r)] = true
	}
	if letters > 8 && upper*10 > letters*7 {
		fs = append(fs, "shouting")
	}
	for _, sc := range slices.Sorted(maps.Keys(scripts)) {
		fs = append(fs, "script:"+sc)
	}
	return fs
}

func scriptOf(r rune) string {
	for _, t := range []struct {
		name string
		tab  *unicode.RangeTable
	}{{"latin", unicode.Latin}, {"arabic", unicode.Arabic}, {"cyrillic", unicode.Cyrillic}, {"greek", unicode.Greek},
		{"han", unicode.Han}, {"devanagari", unicode.Devanagari}, {"gurmukhi", unicode.Gurmukhi}, {"bengali", unicode.Bengali}} {
		if unicode.Is(t.tab, r) {
			return t.name
		}
	}
	return "other"
}

func normalised(counts map[uint32]float32) []feature {
	fs := make([]feature, 0, len(counts))
	for i, v := range counts {
		fs = append(fs, feature{i, v})
	}
	// Sorted before summing, so the float sum is the same every run.
	slices.SortFunc(fs, func(a, b feature) int { return int(a.idx) - int(b.idx) })
	var norm float64
	for _, f := range fs {
		norm += float64(f.val * f.val)
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range fs {
			fs[i].val *= inv
		}
	}
	return fs
}

// linearModel is a trained multinomial logistic regression.
type linearModel struct {
	labels []Label
	feat   featurizer
	w      [][]float32 // per label, featureDims + dense weights
	b      []float32
}

// trainOptions tune training; the zero value is not valid, use
// defaultTrain.
type trainOptions struct {
	balance float64 // class weight (n / (labels * n_label))^balance; 0: no balancing
	epochs  int
	rate    float64
	l2      float64
	seed    uint64
}

var defaultTrain = trainOptions{balance: 0, epochs: 30, rate: 0.5, l2: 1e-5, seed: 20261130}

// trainLinear fits the model by stochastic gradient descent with
// class-balanced example weights and a fixed shuffling seed.
func trainLinear(examples []RouteExample, labels []Label, feat featurizer, opt trainOptions) *linearModel {
	index := map[Label]int{}
	for i, l := range labels {
		index[l] = i
	}
	m := &linearModel{labels: labels, feat: feat, w: make([][]float32, len(labels)), b: make([]float32, len(labels))}
	for i := range m.w {
		m.w[i] = make([]float32, featureDims+feat.dims)
	}
	xs := make([][]feature, len(examples))
	ys := make([]int, len(examples))
	perLabel := make([]int, len(labels))
	for i, ex := range examples {
		xs[i], ys[i] = feat.features(ex.Text), index[ex.Label]
		perLabel[ys[i]]++
	}
	weight := make([]float64, len(labels))
	for i, n := range perLabel {
		if n > 0 {
			weight[i] = math.Pow(float64(len(examples))/float64(len(labels)*n), opt.balance)
		}
	}
	rng := rand.New(rand.NewPCG(opt.seed, opt.seed^0x9e3779b97f4a7c15))
	order := make([]int, len(examples))
	for i := range order {
		order[i] = i
	}
	probs := make([]float64, len(labels))
	for epoch := range opt.epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		rate := opt.rate / (1 + float64(epoch)*0.2)
		for _, i := range order {
			m.probs(xs[i], probs)
			for k := range labels {
				g := probs[k]
				if k == ys[i] {
					g--
				}
				g *= weight[ys[i]] * rate
				if g == 0 {
					continue
				}
				for _, f := range xs[i] {
					m.w[k][f.idx] -= float32(g*float64(f.val)) + float32(opt.l2*rate)*m.w[k][f.idx]
				}
				m.b[k] -= float32(g)
			}
		}
	}
	return m
}

// probs writes the softmax probabilities of each label into out.
func (m *linearModel) probs(x []feature, out []float64) {
	maxZ := math.Inf(-1)
	for k := range m.labels {
		z := float64(m.b[k])
		for _, f := range x {
			z += float64(m.w[k][f.idx] * f.val)
		}
		out[k] = z
		maxZ = max(maxZ, z)
	}
	var sum float64
	for k := range out {
		out[k] = math.Exp(out[k] - maxZ)
		sum += out[k]
	}
	for k := range out {
		out[k] /= sum
	}
}

// predict returns each label's probability for a message.
func (m *linearModel) predict(s string) map[Label]float64 {
	p := make([]float64, len(m.labels))
	m.probs(m.feat.features(s), p)
	out := make(map[Label]float64, len(m.labels))
	for k, l := range m.labels {
		out[l] = p[k]
	}
	return out
}
