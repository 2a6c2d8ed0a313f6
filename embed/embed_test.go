package embed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite testdata/tiny.bin")

const fixture = "testdata/tiny.bin"

// tinyVocab builds a small synthetic vocabulary: function words share one
// direction (the common component), and topic words cluster by topic.
func tinyVocab() ([]string, [][]float32) {
	const dims = 16
	rng := rand.New(rand.NewPCG(1, 2))
	topics := [][]string{
		{"passport", "renew", "renewal", "travel", "expire", "document"},
		{"tax", "income", "hmrc", "paye", "salary", "wage"},
		{"car", "vehicle", "driving", "licence", "dvla", "mot"},
	}
	function := []string{"the", "of", "to", "and", "a", "in", "for", "is", "my", "how", "do", "i", "your", "you", "can", "what"}
	common := make([]float32, dims)
	common[0] = 1
	var words []string
	var vecs [][]float32
	noise := func(scale float32) []float32 {
		v := make([]float32, dims)
		for i := range v {
			v[i] = float32(rng.NormFloat64()) * scale
		}
		return v
	}
	for _, w := range function {
		v := noise(0.1)
		v[0] += 2
		words, vecs = append(words, w), append(vecs, v)
	}
	for t, group := range topics {
		for _, w := range group {
			v := noise(0.2)
			v[0] += 0.5
			v[1+t] += 1.5
			words, vecs = append(words, w), append(vecs, v)
		}
	}
	return words, vecs
}

func TestFixtureUpToDate(t *testing.T) {
	words, vecs := tinyVocab()
	want, err := encodeVectors(words, vecs)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(fixture, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date with the encoder; run go test ./embed -run TestFixtureUpToDate -update", fixture)
	}
}

func tinyLocal(tb testing.TB, opts ...Option) *Local {
	tb.Helper()
	l, err := NewLocal(fixture, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

func TestRoundTrip(t *testing.T) {
	words, vecs := tinyVocab()
	v, err := LoadVectors(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() != len(words) || v.Dims() != len(vecs[0]) {
		t.Fatalf("loaded %d words × %d dims; want %d × %d", v.Len(), v.Dims(), len(words), len(vecs[0]))
	}
	for r, w := range words {
		if got := v.rank(w); got != r {
			t.Fatalf("rank(%q) = %d; want %d", w, got, r)
		}
		got := make([]float32, v.Dims())
		v.addTo(got, r, 1)
		for i := range got {
			if d := math.Abs(float64(got[i] - vecs[r][i])); d > 0.02 {
				t.Fatalf("%q[%d] = %v; want %v ± 0.02", w, i, got[i], vecs[r][i])
			}
		}
	}
	if v.rank("zzz") != -1 {
		t.Fatal("rank of unknown word should be -1")
	}
	var n float64
	for _, c := range v.common {
		n += float64(c) * float64(c)
	}
	if math.Abs(n-1) > 1e-4 || math.Abs(float64(v.common[0])) < 0.8 {
		t.Fatalf("common component = %v; want a unit vector mostly along axis 0", v.common)
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := NewLocal(filepath.Join(t.TempDir(), "nope.bin"))
	if err == nil || !strings.Contains(err.Error(), "make vectors") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("NewLocal(missing) = %v; want a not-exist error naming `make vectors`", err)
	}
}

func TestLoadCorrupt(t *testing.T) {
	good, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	mangle := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := map[string][]byte{
		"empty":       {},
		"header only": good[:headerSize],
		"truncated":   good[:len(good)-100],
		"flipped bit": mangle(func(b []byte) []byte { b[len(b)/2] ^= 1; return b }),
		"bad magic":   mangle(func(b []byte) []byte { b[0] = 'X'; return b }),
		"json":        []byte(`{"precision":8,"words":["the"]}` + strings.Repeat(" ", 64)),
		"appended":    append(bytes.Clone(good), 0),
	}
	dir := t.TempDir()
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := NewLocal(p)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "make vectors") {
				t.Fatalf("NewLocal(%s) = %v; want ErrCorrupt naming `make vectors`", name, err)
			}
		})
	}
}

// resum rewrites the checksum trailer so a mangled body reaches the parser.
func resum(b []byte) []byte {
	body := b[:len(b)-sha256.Size]
	sum := sha256.Sum256(body)
	return append(bytes.Clone(body), sum[:]...)
}

func TestParserRejectsBadHeaders(t *testing.T) {
	good, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(b []byte){
		"version":    func(b []byte) { binary.LittleEndian.PutUint32(b[8:], 9) },
		"zero dims":  func(b []byte) { binary.LittleEndian.PutUint32(b[12:], 0) },
		"huge dims":  func(b []byte) { binary.LittleEndian.PutUint32(b[12:], 1<<30) },
		"count":      func(b []byte) { binary.LittleEndian.PutUint32(b[16:], 5) },
		"word bytes": func(b []byte) { binary.LittleEndian.PutUint32(b[20:], 1<<31) },
		"nan common": func(b []byte) { binary.LittleEndian.PutUint32(b[headerSize:], math.Float32bits(float32(math.NaN()))) },
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			b := bytes.Clone(good)
			f(b)
			if _, err := decodeVectors(resum(b), true); err == nil {
				t.Fatalf("decodeVectors accepted a file with a bad %s", name)
			}
		})
	}
}

func FuzzLoadVectors(f *testing.F) {
	good, err := os.ReadFile(fixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:headerSize+40])
	f.Add([]byte(fileMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, verify := range []bool{true, false} {
			v, err := decodeVectors(data, verify)
			if err != nil {
				continue
			}
			if len(v.codes) != v.Len()*v.Dims() || len(v.scales) != v.Len() || len(v.index) != v.Len() {
				t.Fatalf("inconsistent vectors accepted: %d words, %d scales, %d codes, %d dims", v.Len(), len(v.scales), len(v.codes), v.Dims())
			}
			l, err := NewLocalFromVectors(v)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range v.words[:min(len(v.words), 3)] {
				out, _ := l.Embed(context.Background(), []string{w + " " + w})
				if len(out[0]) != l.Dimensions() {
					t.Fatalf("len = %d; want %d", len(out[0]), l.Dimensions())
				}
			}
		}
	})
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func embedOne(tb testing.TB, e interface {
	Embed(context.Context, []string) ([][]float32, error)
}, text string) []float32 {
	tb.Helper()
	out, err := e.Embed(context.Background(), []string{text})
	if err != nil {
		tb.Fatal(err)
	}
	return out[0]
}

func TestLocalDeterministicAndNormalised(t *testing.T) {
	l := tinyLocal(t)
	texts := []string{
		"How do I renew my passport?",
		"Pay income tax through PAYE; form SA100 or P60.",
		"Sut mae adnewyddu pasbort?",
		"passport passport passport tax",
	}
	a, err := l.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tinyLocal(t).Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(texts) {
		t.Fatalf("len = %d; want %d", len(a), len(texts))
	}
	for i := range a {
		if len(a[i]) != l.Dimensions() {
			t.Fatalf("dims = %d; want %d", len(a[i]), l.Dimensions())
		}
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				t.Fatalf("text %d differs between runs at %d", i, j)
			}
		}
		if n := norm(a[i]); math.Abs(n-1) > 1e-5 {
			t.Fatalf("norm(%q) = %v; want 1", texts[i], n)
		}
	}
}

func TestLocalMeaning(t *testing.T) {
	l := tinyLocal(t, WithLexicalDims(0))
	q := embedOne(t, l, "how do I renew my passport")
	same := embedOne(t, l, "travel document expire renewal")
	other := embedOne(t, l, "income tax salary")
	if cos(q, same) <= cos(q, other) {
		t.Fatalf("cos(passport query, passport text) = %.3f <= cos(passport query, tax text) = %.3f", cos(q, same), cos(q, other))
	}
	// Exact rare terms match through the lexical part.
	lx := tinyLocal(t)
	q = embedOne(t, lx, "where is form sa100")
	if c1, c2 := cos(q, embedOne(t, lx, "send the sa100 return")), cos(q, embedOne(t, lx, "send the p60 return")); c1 <= c2 {
		t.Fatalf("cos(sa100, sa100 text) = %.3f <= cos(sa100, p60 text) = %.3f", c1, c2)
	}
}

func TestLocalEdgeInputs(t *testing.T) {
	l := tinyLocal(t)
	tests := []struct {
		name string
		text string
		zero bool
	}{
		{"empty", "", true},
		{"punctuation", "?!… — ;;", true},
		{"invalid utf8", "\xff\xfe passport \xc3", false},
		{"nul and controls", "pass\x00port \x1b[31m tax", false},
		{"emoji and rtl", "🛂 passport \u202e tax مرحبا", false},
		{"welsh only", "Sut mae gwneud cais am drwydded yrru?", false},
		{"huge token", strings.Repeat("x", 1<<16), true},
		{"combining marks", "cafe\u0301 passport", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := embedOne(t, l, tt.text)
			if len(v) != l.Dimensions() {
				t.Fatalf("dims = %d; want %d", len(v), l.Dimensions())
			}
			n := norm(v)
			if math.IsNaN(n) || (tt.zero && n != 0) || (!tt.zero && math.Abs(n-1) > 1e-5) {
				t.Fatalf("norm = %v; want zero=%v", n, tt.zero)
			}
		})
	}
	out, err := l.Embed(context.Background(), nil)
	if err != nil || len(out) != 0 {
		t.Fatalf("Embed(nil) = %v, %v; want empty", out, err)
	}
}

func TestLocalTruncatesLongInput(t *testing.T) {
	l := tinyLocal(t, WithMaxTokens(8))
	head := "renew my passport before it expires please now"
	a := embedOne(t, l, head)
	b := embedOne(t, l, head+strings.Repeat(" income tax", 10000))
	if c := cos(a, b); c < 0.9999 {
		t.Fatalf("cos(head, head+tail) = %v; want tokens past the cap ignored", c)
	}
}

func TestLocalCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tinyLocal(t).Embed(ctx, []string{"x"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Embed(cancelled) = %v; want context.Canceled", err)
	}
}

func TestModelName(t *testing.T) {
	l := tinyLocal(t)
	v, _ := LoadVectors(fixture)
	if !strings.HasPrefix(l.Model(), "local-glove-sif-v1-") || !strings.HasSuffix(l.Model(), v.Checksum()[:8]) {
		t.Fatalf("Model() = %q; want local-glove-sif-v1-…-%s", l.Model(), v.Checksum()[:8])
	}
	names := map[string]bool{l.Model(): true}
	for _, o := range []Option{WithLexicalDims(0), WithLexicalWeight(0.1), WithSIF(1e-3), WithMaxTokens(10)} {
		n := tinyLocal(t, o).Model()
		if names[n] {
			t.Fatalf("Model() %q repeats for different options", n)
		}
		names[n] = true
	}
	for _, o := range []Option{WithLexicalDims(-1), WithLexicalWeight(2), WithSIF(0), WithMaxTokens(0)} {
		if _, err := NewLocal(fixture, o); err == nil {
			t.Fatal("NewLocal accepted a bad option")
		}
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"Renew your SA100, P60 & P45!", "renew your sa100 p60 p45"},
		{"don't £85.00", "don t 85 00"},
		{"Gwasanaeth Cymraeg ŵyr", "gwasanaeth cymraeg ŵyr"},
		{"ÉCOLE\u00a0naïve", "école naïve"},
		{"a\xffb", "a b"},
	}
	for _, tt := range tests {
		if got := strings.Join(tokenize(tt.in, 100), " "); got != tt.want {
			t.Errorf("tokenize(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	if got := tokenize("a b c d e", 3); len(got) != 3 {
		t.Errorf("tokenize limit 3 gave %d tokens", len(got))
	}
	for _, tok := range tokenize(strings.Repeat("é", 100)+" ok", 10) {
		if utf8.RuneCountInString(tok) > maxTokenRunes {
			t.Errorf("kept a %d-rune token", utf8.RuneCountInString(tok))
		}
	}
}

func TestLexical(t *testing.T) {
	if _, err := NewLexical(0); err == nil {
		t.Fatal("NewLexical(0) succeeded")
	}
	l, err := NewLexical(64)
	if err != nil {
		t.Fatal(err)
	}
	q := embedOne(t, l, "the SA100 tax return")
	if n := norm(q); math.Abs(n-1) > 1e-5 {
		t.Fatalf("norm = %v; want 1", n)
	}
	if n := norm(embedOne(t, l, "the of and")); n != 0 {
		t.Fatalf("norm(stopwords) = %v; want 0", n)
	}
	if c := cos(q, embedOne(t, l, "sa100 tax return")); c < 0.999 {
		t.Fatalf("cos without stopword = %v; want 1", c)
	}
	if l.Model() != "lexical-hash-v1-64d" || l.Dimensions() != 64 {
		t.Fatalf("Model, Dimensions = %q, %d", l.Model(), l.Dimensions())
	}
}
