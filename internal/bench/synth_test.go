package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/govchat/govchat/ingest"
	"github.com/govchat/govchat/ingest/source"
	"github.com/govchat/govchat/internal/corpustest"
)

func corpusItems(t *testing.T) []ingest.Parsed {
	t.Helper()
	items, err := ingest.Collect(context.Background(), source.Dir{Path: corpustest.CorpusDir(t)}, ingest.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func synth(t *testing.T, items []ingest.Parsed, seed uint64, chunks int) []ingest.Parsed {
	t.Helper()
	s, err := NewSynth(items, seed)
	if err != nil {
		t.Fatal(err)
	}
	return s.Take(chunks)
}

// TestSynthDeterministicDistinctValid: the same seed gives the same pages,
// another seed others; every chunk's text is new; chunks are well formed.
func TestSynthDeterministicDistinctValid(t *testing.T) {
	items := corpusItems(t)
	const want = 5000
	a := synth(t, items, 1, want)
	if b := synth(t, items, 1, want); !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with seed 1 made different pages")
	}
	if c := synth(t, items, 2, 100); reflect.DeepEqual(a[:len(c)], c) {
		t.Error("seeds 1 and 2 made the same pages")
	}

	real := map[string]bool{}
	locales := map[string]int{}
	for _, it := range items {
		for _, c := range it.Doc.Chunks {
			real[c.Text] = true
		}
	}
	texts, paths := map[string]bool{}, map[string]bool{}
	total := 0
	for _, p := range a {
		d := p.Doc
		if !utf8.ValidString(d.BasePath) || !strings.HasPrefix(d.BasePath, "/") || paths[d.BasePath] {
			t.Errorf("base path %q: not UTF-8, relative or repeated", d.BasePath)
		}
		paths[d.BasePath] = true
		if d.Title == "" || d.Locale == "" || d.DocumentType == "" || d.ContentID == "" || len(d.Chunks) == 0 {
			t.Errorf("%s: title %q, locale %q, type %q, content id %q, %d chunks", d.BasePath, d.Title, d.Locale, d.DocumentType, d.ContentID, len(d.Chunks))
		}
		locales[d.Locale]++
		for i, c := range d.Chunks {
			total++
			sum := sha256.Sum256([]byte(c.EmbedText))
			switch {
			case !utf8.ValidString(c.EmbedText + c.ExactPath + c.HTML):
				t.Errorf("%s: chunk %d is not valid UTF-8", d.BasePath, i)
			case c.Index != i:
				t.Errorf("%s: chunk %d has index %d", d.BasePath, i, c.Index)
			case texts[c.Text]:
				t.Errorf("%s: chunk %d repeats an earlier chunk's text", d.BasePath, i)
			case real[c.Text]:
				t.Errorf("%s: chunk %d is a copy of a real chunk", d.BasePath, i)
			case c.Digest != hex.EncodeToString(sum[:]):
				t.Errorf("%s: chunk %d digest is not the SHA-256 of its embed text", d.BasePath, i)
			case !strings.HasPrefix(c.ExactPath, d.BasePath) || !strings.HasPrefix(c.EmbedText, d.Title[:min(len(d.Title), 20)]):
				t.Errorf("%s: chunk %d path %q or embed text %.40q does not start with the page's", d.BasePath, i, c.ExactPath, c.EmbedText)
			case c.Tokens <= 0 || c.Tokens > ingest.DefaultMaxTokens || len(c.HeadingPath) == 0 || c.HTML == "":
				t.Errorf("%s: chunk %d has %d tokens, headings %q, html %d bytes", d.BasePath, i, c.Tokens, c.HeadingPath, len(c.HTML))
			}
			texts[c.Text] = true
		}
	}
	if total < want {
		t.Errorf("Take(%d) made %d chunks", want, total)
	}
	if len(locales) < 2 {
		t.Errorf("locales %v: want the corpus's English and Welsh", locales)
	}
}
