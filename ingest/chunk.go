package ingest

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/govchat/govchat"
)

// ChunkOptions bound chunk sizes, in tokens as EstimateTokens counts them.
type ChunkOptions struct {
	// MaxTokens caps a chunk's EmbedText (title, heading path and text).
	// Sections longer than this are split at paragraph, list item or table
	// row boundaries, then at sentences, then at words. 350 when 0.
	MaxTokens int
	// OverlapTokens is how much of the end of one piece of a split section
	// starts the next, so a fact at a boundary is in both. 40 when 0;
	// negative for none.
	OverlapTokens int
	// MinTokens is the size below which a chunk is merged into a neighbour
	// in the same part when the result fits. 40 when 0; negative for none.
	MinTokens int
}

// Defaults for ChunkOptions. 350 tokens keeps a chunk to a few paragraphs:
// small enough for a precise embedding, large enough to hold an answer with
// its conditions.
const (
	DefaultMaxTokens     = 350
	DefaultOverlapTokens = 40
	DefaultMinTokens     = 40
	minMaxTokens         = 32 // smaller limits cannot hold a heading and a sentence
)

// withDefaults fills in unset (zero) sizes. A negative MaxTokens is the
// default too; a negative overlap or minimum means none.
func (o ChunkOptions) withDefaults() ChunkOptions {
	o.MaxTokens = max(cmp.Or(max(o.MaxTokens, 0), DefaultMaxTokens), minMaxTokens)
	o.OverlapTokens = min(max(cmp.Or(o.OverlapTokens, DefaultOverlapTokens), 0), o.MaxTokens/4)
	o.MinTokens = min(max(cmp.Or(o.MinTokens, DefaultMinTokens), 0), o.MaxTokens/2)
	return o
}

// EstimateTokens approximates how many tokens a model's tokenizer makes of s:
// the larger of 4/3 tokens per word and one token per 4 characters (runes).
// Words dominate for English prose; the character count takes over for long
// words, numbers, URLs and scripts without spaces. It overestimates a little
// rather than under, so chunks stay within model limits. It is subadditive:
// joining two texts with whitespace costs at most one token more than the
// sum, which the chunker relies on to pack blocks without re-counting.
func EstimateTokens(s string) int {
	words := 0
	in := false
	runes := 0
	for _, r := range s {
		runes++
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			words++
		}
	}
	return max((words*4+2)/3, (runes+3)/4)
}

// source is one run of a document's text that is chunked on its own: the
// page body, one guide part, one extra field such as a consultation outcome.
type source struct {
	path   string   // exact path without fragment: base_path or base_path/slug
	prefix []string // headings that come before the HTML's own: part title, field name
	html   string
	blocks []block // used instead of html when set (description, made-up lines)
	part   int     // chunks merge only within one part
}

// heading is one level of a section's heading path.
type heading struct {
	level int
	text  string
	id    string
}

// piece is a chunk in the making.
type piece struct {
	path     string
	headings []heading
	blocks   []block
	part     int
	tokens   int // upper bound of EstimateTokens(renderText(blocks))
}

// chunker holds what every piece of a document shares.
type chunker struct {
	title string
	opts  ChunkOptions
}

// ChunkHTML chunks one HTML fragment served at path, with title as the page
// title in every chunk's EmbedText. It is the chunker that documents use,
// exposed for pages from other sources and for tests.
func ChunkHTML(title, path, fragment string, opts ChunkOptions) ([]govchat.Chunk, error) {
	blocks, err := parseBlocks(fragment)
	if err != nil {
		return nil, err
	}
	c := chunker{title: strings.ToValidUTF8(title, "\uFFFD"), opts: opts.withDefaults()}
	return c.chunks([]source{{path: path, blocks: blocks}}), nil
}

// chunks turns sources into numbered chunks.
func (c chunker) chunks(sources []source) []govchat.Chunk {
	var pieces []piece
	for _, s := range sources {
		for _, sec := range sections(s) {
			pieces = append(pieces, c.split(sec)...)
		}
	}
	pieces = c.merge(pieces)
	out := make([]govchat.Chunk, 0, len(pieces))
	for _, p := range pieces {
		out = append(out, c.chunk(len(out), p))
	}
	return out
}

// sections splits a source at its headings. A heading opens a section whose
// path is every open heading of a higher level plus itself; sections with no
// text (a heading directly followed by a sub-heading) are dropped.
func sections(s source) []piece {
	var stack []heading
	for _, p := range s.prefix {
		stack = append(stack, heading{level: 1, text: p})
	}
	base := len(stack)
	cur := piece{path: s.path, headings: slices.Clone(stack), part: s.part}
	var out []piece
	for _, b := range s.blocks {
		if b.kind != kindHeading {
			cur.blocks = append(cur.blocks, b)
			continue
		}
		if len(cur.blocks) > 0 {
			out = append(out, cur)
		}
		for len(stack) > base && stack[len(stack)-1].level >= b.level {
			stack = stack[:len(stack)-1]
		}
		stack = append(stack, heading{level: b.level, text: b.text, id: b.id})
		cur = piece{path: s.path, headings: slices.Clone(stack), part: s.part}
	}
	if len(cur.blocks) > 0 {
		out = append(out, cur)
	}
	return out
}

// prefixLine is the first line of EmbedText: title and heading path.
func (c chunker) prefixLine(hs []heading) string {
	parts := make([]string, 0, len(hs)+1)
	if t := shorten(collapseSpace(c.title), maxHeadingRunes); t != "" {
		parts = append(parts, t)
	}
	for _, h := range hs {
		parts = append(parts, h.text)
	}
	return strings.Join(parts, " > ")
}

// budget is how many tokens of text fit next to the prefix line. A prefix
// that takes more than half the limit (only hostile input has one) still
// leaves half the limit for text, so every chunk holds some text.
func (c chunker) budget(hs []heading) int {
	return max(c.opts.MaxTokens-EstimateTokens(c.prefixLine(hs))-1, c.opts.MaxTokens/2)
}

// split packs a section's blocks into pieces that fit the budget, carrying
// an overlap from the end of each piece into the next.
func (c chunker) split(sec piece) []piece {
	budget := c.budget(sec.headings)
	var blocks []block
	for _, b := range sec.blocks {
		if EstimateTokens(b.text) <= budget {
			blocks = append(blocks, b)
			continue
		}
		for _, t := range splitText(b.text, budget) {
			blocks = append(blocks, block{kind: kindPara, text: t, html: "<p>" + html.EscapeString(t) + "</p>", meta: b.meta})
		}
	}
	var out []piece
	cur := piece{path: sec.path, headings: sec.headings, part: sec.part}
	fresh := 0 // blocks in cur that are not overlap
	for _, b := range blocks {
		t := EstimateTokens(b.text)
		if len(cur.blocks) > 0 && cur.tokens+1+t > budget {
			if fresh == 0 {
				// Only overlap so far: drop it rather than overflow.
				cur.blocks, cur.tokens = nil, 0
			} else {
				out = append(out, cur)
				over := c.overlap(cur.blocks, budget-t-1)
				cur = piece{path: sec.path, headings: sec.headings, part: sec.part, blocks: over, tokens: blocksTokens(over)}
				fresh = 0
			}
		}
		if len(cur.blocks) > 0 {
			cur.tokens++
		}
		cur.blocks = append(cur.blocks, b)
		cur.tokens += t
		fresh++
	}
	if fresh > 0 {
		out = append(out, cur)
	}
	return out
}

// overlap returns the trailing blocks of a full piece that fit in the overlap
// (and in room), never the whole piece; when the last block alone is too big,
// its last sentences that fit.
func (c chunker) overlap(blocks []block, room int) []block {
	limit := min(c.opts.OverlapTokens, room)
	if limit <= 0 || len(blocks) < 1 {
		return nil
	}
	total := 0
	i := len(blocks)
	for i > 1 {
		t := EstimateTokens(blocks[i-1].text)
		if blocks[i-1].kind == kindHeading || total+t+1 > limit {
			break
		}
		total += t + 1
		i--
	}
	if i < len(blocks) {
		return slices.Clone(blocks[i:])
	}
	last := blocks[len(blocks)-1]
	if last.kind != kindPara {
		return nil
	}
	sents := sentences(last.text)
	var tail []string
	total = 0
	for j := len(sents) - 1; j > 0; j-- {
		t := EstimateTokens(sents[j])
		if total+t+1 > limit {
			break
		}
		total += t + 1
		tail = append([]string{sents[j]}, tail...)
	}
	if len(tail) == 0 {
		return nil
	}
	t := strings.Join(tail, " ")
	return []block{{kind: kindPara, text: t, html: "<p>" + html.EscapeString(t) + "</p>", meta: last.meta}}
}

func blocksTokens(bs []block) int {
	n := 0
	for i, b := range bs {
		if i > 0 {
			n++
		}
		n += EstimateTokens(b.text)
	}
	return n
}

// merge folds chunks smaller than MinTokens into a neighbour of the same
// part when the result fits: into the previous chunk, with the small chunk's
// own headings kept as lines of text; or, when the small chunk comes first,
// into the next chunk if that one sits under the small chunk's headings (an
// introduction followed by its sub-sections), keeping the small chunk's path.
func (c chunker) merge(pieces []piece) []piece {
	if c.opts.MinTokens <= 0 {
		return pieces
	}
	var out []piece
	for _, p := range pieces {
		if len(out) == 0 {
			out = append(out, p)
			continue
		}
		last := &out[len(out)-1]
		if last.part == p.part && last.path == p.path {
			// Equal heading paths mean one section that came from two
			// sources (a lead and a body field): join them when they fit.
			if p.tokens < c.opts.MinTokens || last.tokens < c.opts.MinTokens || slices.Equal(last.headings, p.headings) {
				if m, ok := c.join(*last, p); ok {
					*last = m
					continue
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// join appends b to a under a's headings, inserting the headings b adds.
// It reports false when the result would not fit or would move b out from
// under a heading a does not share (a forward merge into a sibling).
func (c chunker) join(a, b piece) (piece, bool) {
	common := 0
	for common < len(a.headings) && common < len(b.headings) && a.headings[common] == b.headings[common] {
		common++
	}
	if b.tokens >= c.opts.MinTokens && common < len(a.headings) {
		// Only a is small and b is not under a's headings: b would lose its place.
		return piece{}, false
	}
	blocks := slices.Clone(a.blocks)
	for _, h := range b.headings[common:] {
		if h.level < 2 {
			blocks = append(blocks, block{kind: kindPara, text: h.text, html: "<p><strong>" + html.EscapeString(h.text) + "</strong></p>"})
			continue
		}
		blocks = append(blocks, headingBlock(h))
	}
	blocks = append(blocks, b.blocks...)
	m := piece{path: a.path, headings: a.headings, part: a.part, blocks: blocks, tokens: blocksTokens(blocks)}
	if m.tokens > c.budget(m.headings) {
		return piece{}, false
	}
	return m, true
}

// headingBlock is a heading kept inside a merged chunk's text. It is a
// paragraph for chunking purposes, so it does not open a new section.
func headingBlock(h heading) block {
	tag := "h" + string(rune('0'+min(max(h.level, 2), 6)))
	idAttr := ""
	if h.id != "" {
		idAttr = ` id="` + html.EscapeString(h.id) + `"`
	}
	return block{kind: kindPara, text: h.text, html: "<" + tag + idAttr + ">" + html.EscapeString(h.text) + "</" + tag + ">"}
}

func (c chunker) chunk(index int, p piece) govchat.Chunk {
	path := p.path
	for i := len(p.headings) - 1; i >= 0; i-- {
		if p.headings[i].id != "" {
			path += "#" + p.headings[i].id
			break
		}
	}
	hp := make([]string, 0, len(p.headings))
	for _, h := range p.headings {
		hp = append(hp, h.text)
	}
	text := renderText(p.blocks)
	embed := c.prefixLine(p.headings) + "\n\n" + text
	sum := sha256.Sum256([]byte(embed))
	return govchat.Chunk{
		Index:       index,
		ExactPath:   path,
		HeadingPath: hp,
		Text:        text,
		EmbedText:   embed,
		HTML:        renderHTML(p.blocks),
		Digest:      hex.EncodeToString(sum[:]),
		Tokens:      EstimateTokens(embed),
	}
}

// splitText cuts a text too long for one chunk into pieces of at most budget
// tokens: at line breaks first, then sentences, then words, then characters.
func splitText(s string, budget int) []string {
	for _, sep := range []func(string) []string{lines, sentences, strings.Fields} {
		parts := sep(s)
		if len(parts) > 1 {
			var out []string
			for _, p := range pack(parts, budget) {
				if EstimateTokens(p) <= budget {
					out = append(out, p)
				} else {
					out = append(out, splitText(p, budget)...)
				}
			}
			return out
		}
	}
	// One word longer than the budget: cut it by characters.
	n := max(budget*4-3, 1)
	var out []string
	for len(s) > 0 {
		i, count := 0, 0
		for i < len(s) && count < n {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			count++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

// pack joins consecutive parts with spaces while they fit.
func pack(parts []string, budget int) []string {
	var out []string
	var cur []string
	tokens := 0
	for _, p := range parts {
		t := EstimateTokens(p)
		if len(cur) > 0 && tokens+1+t > budget {
			out = append(out, strings.Join(cur, " "))
			cur, tokens = nil, 0
		}
		if len(cur) > 0 {
			tokens++
		}
		cur = append(cur, p)
		tokens += t
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, " "))
	}
	return out
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// sentences splits after '.', '!', '?' (and their CJK and Arabic forms)
// followed by a space. Abbreviations may split a sentence in two; pack
// rejoins neighbours, so that only moves a boundary.
func sentences(s string) []string {
	var out []string
	start := 0
	prev := rune(0)
	for i, r := range s {
		if (r == ' ' || r == '\n') && (prev == '.' || prev == '!' || prev == '?' || prev == '。' || prev == '؟') {
			if t := strings.TrimSpace(s[start:i]); t != "" {
				out = append(out, t)
			}
			start = i
		}
		prev = r
	}
	if t := strings.TrimSpace(s[start:]); t != "" {
		out = append(out, t)
	}
	return out
}
