package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govchat/govchat"
)

// fuzzOpts are small limits so the fuzzer reaches splitting and merging
// with short inputs.
func fuzzOpts() ChunkOptions { return ChunkOptions{MaxTokens: 64, OverlapTokens: 12, MinTokens: 10} }

func addSeeds(f *testing.F, glob string) {
	files, _ := filepath.Glob(glob)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
}

func FuzzParseContentItem(f *testing.F) {
	addSeeds(f, "testdata/items/*.json")
	f.Add([]byte(`{"base_path":"/x","schema_name":"guide","details":{"parts":[{"slug":"a","title":"A","body":"<h2 id=\"b\">B</h2><p>x</p>"}]}}`))
	f.Add([]byte(`{"base_path":"/x","schema_name":"answer","details":{"body":[{"content_type":"text/govspeak","content":"x"}]}}`))
	f.Add([]byte(`{"base_path":"/x","schema_name":"step_by_step_nav","details":{"step_by_step_nav":{"steps":[{"title":"t","logic":"or","contents":[{"type":"list","style":"choice","contents":[{"href":"javascript:x","text":"y"}]}]}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := ParseOptions{Chunk: fuzzOpts()}
		doc, skip, err := ParseContentItem(data, "fuzz", opts)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "ingest: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if skip.Skipped() != (len(doc.Chunks) == 0) {
			t.Fatalf("skip %+v with %d chunks", skip, len(doc.Chunks))
		}
		if skip.Skipped() && skip.Reason == "" {
			t.Fatal("skip without a reason")
		}
		checkChunks(t, doc, fuzzOpts())
	})
}

func FuzzChunkHTML(f *testing.F) {
	f.Add("Title", `<p>Lead.</p><h2 id="a">A</h2><p>One. Two.</p><h3 id="b">B</h3><ul><li>x</li><li>y<ul><li>z</li></ul></li></ul>`)
	f.Add("T", `<table><thead><tr><th>H</th></tr></thead><tr><td>v</td></tr></table><script>x</script><a href="javascript:1">j</a>`)
	f.Add("", strings.Repeat("word ", 400))
	f.Add("T", `<div><sup><a class="footnote" href="#fn:1">1</a></sup><div class="footnotes">f</div><h6>deep</h6><pre> a
  b</pre></div>`)
	f.Add(strings.Repeat("long title ", 60), `<h2>`+strings.Repeat("heading ", 100)+`</h2><p>text</p>`)
	f.Fuzz(func(t *testing.T, title, fragment string) {
		chunks, err := ChunkHTML(title, "/p", fragment, fuzzOpts())
		if err != nil {
			return
		}
		checkChunks(t, govchat.Document{BasePath: "/p", Origin: "fuzz", Chunks: chunks}, fuzzOpts())
		again, _ := ChunkHTML(title, "/p", fragment, fuzzOpts())
		if len(again) != len(chunks) {
			t.Fatalf("two runs differ: %d and %d chunks", len(chunks), len(again))
		}
		for i := range chunks {
			if chunks[i].Digest != again[i].Digest || chunks[i].HTML != again[i].HTML {
				t.Fatalf("two runs differ at chunk %d", i)
			}
		}
	})
}

func FuzzParsePage(f *testing.F) {
	for _, glob := range []string{"testdata/pages/*.html", "testdata/pages/*.md"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data, filepath.Base(file))
			}
		}
	}
	f.Add([]byte("---\ntitle: x\n---\n## A\n\ntext"), "a.md")
	f.Add([]byte("<html lang=cy><link rel=canonical href=//x/y><main><h2 id=a>A</h2>b</main>"), "a.html")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		doc, skip, err := ParsePage(data, name, ParseOptions{Chunk: fuzzOpts()})
		if err != nil {
			return
		}
		if !strings.HasPrefix(doc.BasePath, "/") {
			t.Fatalf("base path %q", doc.BasePath)
		}
		if skip.Skipped() != (len(doc.Chunks) == 0) {
			t.Fatalf("skip %+v with %d chunks", skip, len(doc.Chunks))
		}
		checkChunks(t, doc, fuzzOpts())
	})
}
