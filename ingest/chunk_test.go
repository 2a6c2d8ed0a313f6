package ingest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/govchat/govchat"
)

func TestEstimateTokens(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"one", 2},                          // 1 word: ceil(4/3)=2, 3 runes: 1
		{"You can renew your passport.", 7}, // 5 words: 7; 28 runes: 7
		{strings.Repeat("x", 400), 100},     // one long word: runes/4
		{"a b c d e f", 8},                  // 6 words: 8
		{strings.Repeat("ŵ", 8), 2},         // runes, not bytes
		{"https://www.gov.uk/renew-adult-passport/renew", 12},
	}
	for _, tt := range tests {
		if got := EstimateTokens(tt.in); got != tt.want {
			t.Errorf("EstimateTokens(%q) = %d; want %d", tt.in, got, tt.want)
		}
	}
}

func TestEstimateTokensSubadditive(t *testing.T) {
	texts := []string{"", "a", "one two", strings.Repeat("x", 37), "Check the fee. Then apply.", "ŵŵŵ ŵ"}
	for _, a := range texts {
		for _, b := range texts {
			for _, sep := range []string{" ", "\n", "\n\n"} {
				if got, bound := EstimateTokens(a+sep+b), EstimateTokens(a)+EstimateTokens(b)+1; got > bound {
					t.Errorf("EstimateTokens(%q+%q+%q) = %d > %d", a, sep, b, got, bound)
				}
			}
		}
	}
}

func paragraph(words int, seed string) string {
	var b strings.Builder
	for i := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s%d", seed, i)
		if i%12 == 11 {
			b.WriteByte('.')
		}
	}
	return b.String() + "."
}

func TestChunkHTMLHeadings(t *testing.T) {
	in := `<p>` + paragraph(40, "lead") + `</p>
<h2 id="eligibility">Eligibility</h2><p>` + paragraph(40, "elig") + `</p>
<h3 id="age">Age</h3><p>` + paragraph(40, "age") + `</p>
<h4>No id</h4><p>` + paragraph(40, "noid") + `</p>
<h2 id="how">How to apply</h2><p>` + paragraph(40, "how") + `</p>`
	chunks, err := ChunkHTML("Apply for a thing", "/apply", in, ChunkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		path    string
		heading []string
	}{
		{"/apply", nil},
		{"/apply#eligibility", []string{"Eligibility"}},
		{"/apply#age", []string{"Eligibility", "Age"}},
		{"/apply#age", []string{"Eligibility", "Age", "No id"}},
		{"/apply#how", []string{"How to apply"}},
	}
	if len(chunks) != len(want) {
		t.Fatalf("ChunkHTML made %d chunks; want %d: %+v", len(chunks), len(want), chunks)
	}
	for i, w := range want {
		c := chunks[i]
		if c.ExactPath != w.path || !slices.Equal(c.HeadingPath, w.heading) || c.Index != i {
			t.Errorf("chunk %d = %s %q (index %d); want %s %q", i, c.ExactPath, c.HeadingPath, c.Index, w.path, w.heading)
		}
		prefix := strings.Join(append([]string{"Apply for a thing"}, w.heading...), " > ")
		if c.EmbedText != prefix+"\n\n"+c.Text {
			t.Errorf("chunk %d EmbedText = %q; want prefix %q", i, c.EmbedText, prefix)
		}
	}
}

func TestChunkHTMLSplitsLongSections(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<h2 id="long">Long</h2>`)
	for i := range 30 {
		b.WriteString("<p>" + paragraph(30, fmt.Sprintf("p%d-", i)) + "</p>")
	}
	b.WriteString("<ul>")
	for i := range 60 {
		fmt.Fprintf(&b, "<li>item %d with a few words</li>", i)
	}
	b.WriteString("</ul><p>" + paragraph(900, "huge") + "</p>")
	opts := ChunkOptions{MaxTokens: 200, OverlapTokens: 30, MinTokens: 20}
	chunks, err := ChunkHTML("T", "/t", b.String(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 10 {
		t.Fatalf("got %d chunks; want a long section split into many", len(chunks))
	}
	doc := govchat.Document{BasePath: "/t", Origin: "test", Chunks: chunks}
	checkChunks(t, doc, opts)
	overlaps := 0
	for i, c := range chunks {
		if c.ExactPath != "/t#long" {
			t.Errorf("chunk %d path %q; want /t#long", i, c.ExactPath)
		}
		if i > 0 {
			prev := strings.Split(chunks[i-1].Text, "\n")
			first := strings.Split(c.Text, "\n")[0]
			if slices.Contains(prev, first) || strings.HasSuffix(chunks[i-1].Text, first) {
				overlaps++
			}
		}
		// A split list reopens as a list in the next chunk's HTML.
		if strings.Contains(c.Text, "- item") && !strings.Contains(c.HTML, "<ul><li>item") {
			t.Errorf("chunk %d has items but its HTML does not open a list: %q", i, c.HTML[:min(80, len(c.HTML))])
		}
	}
	if overlaps < len(chunks)/2 {
		t.Errorf("only %d of %d chunks start with the end of the previous one; want overlap", overlaps, len(chunks))
	}
}

func TestChunkHTMLMergesTinySections(t *testing.T) {
	in := `<p>` + paragraph(60, "lead") + `</p>
<h2 id="a">A</h2><p>Short.</p>
<h2 id="b">B</h2><p>` + paragraph(60, "b") + `</p>`
	chunks, err := ChunkHTML("T", "/t", in, ChunkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 2 {
		t.Fatalf("got %d chunks; want the tiny section merged into the lead: %+v", len(chunks), chunks)
	}
	if !strings.Contains(chunks[0].Text, "\n\nA\n\nShort.") || !strings.Contains(chunks[0].HTML, `<h2 id="a">A</h2>`) {
		t.Errorf("merged chunk lost the small section's heading: %q", chunks[0].Text)
	}

	// A tiny introduction merges forward into its own sub-section.
	in = `<h2 id="a">A</h2><p>You must:</p><h3 id="a1">A1</h3><p>` + paragraph(60, "a1") + `</p>`
	chunks, _ = ChunkHTML("T", "/t", in, ChunkOptions{})
	if len(chunks) != 1 || chunks[0].ExactPath != "/t#a" || !strings.Contains(chunks[0].Text, "You must:\n\nA1\n\n") {
		t.Errorf("forward merge = %+v; want one chunk at /t#a", chunks)
	}

	// But not into a sibling: the sibling would lose its heading.
	in = `<h2 id="a">A</h2><p>Tiny.</p><h2 id="b">B</h2><p>` + paragraph(60, "b") + `</p>`
	chunks, _ = ChunkHTML("T", "/t", in, ChunkOptions{})
	if len(chunks) != 2 {
		t.Errorf("got %d chunks; want a tiny first section kept apart from its sibling", len(chunks))
	}

	// MinTokens < 0 disables merging.
	in = `<p>` + paragraph(60, "lead") + `</p><h2 id="a">A</h2><p>Short.</p>`
	chunks, _ = ChunkHTML("T", "/t", in, ChunkOptions{MinTokens: -1})
	if len(chunks) != 2 {
		t.Errorf("got %d chunks with merging off; want 2", len(chunks))
	}
}

func TestChunkHTMLDeterministic(t *testing.T) {
	in := `<p>` + paragraph(500, "w") + `</p><h2 id="x">X</h2><ul><li>a</li><li>b</li></ul>`
	a, _ := ChunkHTML("T", "/t", in, ChunkOptions{})
	b, _ := ChunkHTML("T", "/t", in, ChunkOptions{})
	if !slices.EqualFunc(a, b, func(x, y govchat.Chunk) bool {
		return x.Digest == y.Digest && x.HTML == y.HTML && x.ExactPath == y.ExactPath
	}) {
		t.Error("two runs of ChunkHTML differ")
	}
}

func TestSplitText(t *testing.T) {
	long := strings.Repeat("x", 1000)
	for _, in := range []string{long, paragraph(700, "s"), "line one\nline two\n" + paragraph(300, "l")} {
		parts := splitText(in, 50)
		if len(parts) < 2 {
			t.Errorf("splitText(%.20q...) = %d parts; want several", in, len(parts))
		}
		for _, p := range parts {
			if EstimateTokens(p) > 50 || strings.TrimSpace(p) == "" {
				t.Errorf("splitText part %.30q has %d tokens; want 1..50", p, EstimateTokens(p))
			}
		}
		if got := strings.Join(strings.Fields(strings.Join(parts, "")), ""); got != strings.Join(strings.Fields(in), "") {
			t.Errorf("splitText lost text")
		}
	}
}

func TestChunkOptionsDefaults(t *testing.T) {
	o := ChunkOptions{}.withDefaults()
	if o.MaxTokens != DefaultMaxTokens || o.OverlapTokens != DefaultOverlapTokens || o.MinTokens != DefaultMinTokens {
		t.Errorf("defaults = %+v", o)
	}
	o = ChunkOptions{MaxTokens: 5, OverlapTokens: -1, MinTokens: -1}.withDefaults()
	if o.MaxTokens != minMaxTokens || o.OverlapTokens != 0 || o.MinTokens != 0 {
		t.Errorf("clamped = %+v", o)
	}
}
