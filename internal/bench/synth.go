package bench

import (
	"errors"
	"fmt"
	"html"
	"math/rand/v2"
	"strings"
	"unicode"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/ingest"
)

// Synth makes distinct synthetic pages from a real corpus's parts, for
// search benchmarks at scale: each page takes a real page's locale and
// document type, a title made of two real titles or headings, sections under
// real headings, and paragraphs of real sentences drawn at random from every
// page of that locale. The pages go through the ingest chunker, so their
// chunks have the shape real chunks have, and a chunk whose text repeats an
// earlier one's, or a real one's, is dropped, so every chunk it returns is
// distinct. The same
// corpus and seed give the same pages.
type Synth struct {
	rng    *rand.Rand
	models []govchat.Document // real pages whose locale and type the synthetic ones take
	pools  map[string]*pool   // by locale
	seen   map[string]bool    // texts of the chunks returned so far
	n      int                // pages made
}

type pool struct {
	sentences, headings, titles []string
}

// NewSynth collects the sentences, headings and titles of items' indexable
// documents; seed fixes the pages it makes.
func NewSynth(items []ingest.Parsed, seed uint64) (*Synth, error) {
	s := &Synth{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), pools: map[string]*pool{}, seen: map[string]bool{}}
	seenSent, seenHead := map[string]bool{}, map[string]bool{}
	for _, it := range items {
		d := it.Doc
		if it.Err != nil || it.Remove || len(d.Chunks) == 0 {
			continue
		}
		p := s.pools[d.Locale]
		if p == nil {
			p = &pool{}
			s.pools[d.Locale] = p
		}
		p.titles = append(p.titles, d.Title)
		for _, c := range d.Chunks {
			s.seen[c.Text] = true // no synthetic chunk copies a real one
			for _, h := range c.HeadingPath {
				if k := d.Locale + "\x00" + h; !seenHead[k] && len(strings.Fields(h)) > 0 {
					seenHead[k] = true
					p.headings = append(p.headings, h)
				}
			}
			for _, t := range splitSentences(c.Text) {
				if k := d.Locale + "\x00" + t; !seenSent[k] {
					seenSent[k] = true
					p.sentences = append(p.sentences, t)
				}
			}
		}
		s.models = append(s.models, d)
	}
	for loc, p := range s.pools {
		if len(p.sentences) < 20 || len(p.headings) == 0 {
			delete(s.pools, loc)
		}
	}
	kept := s.models[:0]
	for _, d := range s.models {
		if s.pools[d.Locale] != nil {
			kept = append(kept, d)
		}
	}
	s.models = kept
	if len(s.models) == 0 {
		return nil, errors.New("bench: synthetic corpus: no locale has 20 sentences and a heading to recombine")
	}
	return s, nil
}

// splitSentences splits text into lines, then after '.', '!' or '?' and a
// space, keeping pieces of 4 to 60 words.
func splitSentences(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		start := 0
		prev := rune(0)
		emit := func(end int) {
			t := strings.TrimSpace(line[start:end])
			if n := len(strings.Fields(t)); n >= 4 && n <= 60 {
				out = append(out, t)
			}
			start = end
		}
		for i, r := range line {
			if r == ' ' && (prev == '.' || prev == '!' || prev == '?') {
				emit(i)
			}
			prev = r
		}
		emit(len(line))
	}
	return out
}

// Take returns pages holding at least chunks chunks in all (fewer only when
// the pools cannot make distinct chunks any more).
func (s *Synth) Take(chunks int) []ingest.Parsed {
	var out []ingest.Parsed
	total, misses := 0, 0
	for total < chunks && misses < 1000 {
		d, ok := s.page()
		if !ok {
			misses++
			continue
		}
		misses = 0
		out = append(out, ingest.Parsed{Doc: d})
		total += len(d.Chunks)
	}
	return out
}

// page makes the next page; false when every chunk of it was a repeat.
func (s *Synth) page() (govchat.Document, bool) {
	model := s.models[s.rng.IntN(len(s.models))]
	p := s.pools[model.Locale]
	s.n++
	title := s.pick(p.titles)
	if s.rng.IntN(2) == 0 {
		title += ": " + s.pick(p.headings)
	} else {
		title = s.pick(p.headings) + " – " + title
	}
	d := govchat.Document{
		ContentID:    s.uuid(),
		Locale:       model.Locale,
		BasePath:     s.path(model.BasePath, title),
		Title:        title,
		Description:  s.pick(p.sentences),
		DocumentType: model.DocumentType,
		SchemaName:   model.SchemaName,
		Origin:       "synthetic",
	}
	chunks, err := ingest.ChunkHTML(title, d.BasePath, s.body(p), ingest.ChunkOptions{})
	if err != nil {
		return d, false // the body is generated HTML; the chunker rejects none
	}
	for _, c := range chunks {
		if s.seen[c.Text] {
			continue
		}
		s.seen[c.Text] = true
		c.Index = len(d.Chunks)
		d.Chunks = append(d.Chunks, c)
	}
	return d, len(d.Chunks) > 0
}

// body is 1 to 4 sections under h2 (sometimes an h3 too), each 1 to 3
// paragraphs of 1 to 5 sentences, or a list.
func (s *Synth) body(p *pool) string {
	var b strings.Builder
	for range 1 + s.rng.IntN(4) {
		h := s.pick(p.headings)
		fmt.Fprintf(&b, "<h2 id=%q>%s</h2>\n", slug(h), html.EscapeString(h))
		s.paragraphs(&b, p)
		if s.rng.IntN(4) == 0 {
			h := s.pick(p.headings)
			fmt.Fprintf(&b, "<h3 id=%q>%s</h3>\n", slug(h), html.EscapeString(h))
			s.paragraphs(&b, p)
		}
	}
	return b.String()
}

func (s *Synth) paragraphs(b *strings.Builder, p *pool) {
	for range 1 + s.rng.IntN(3) {
		if s.rng.IntN(5) == 0 {
			b.WriteString("<ul>")
			for range 2 + s.rng.IntN(4) {
				fmt.Fprintf(b, "<li>%s</li>", html.EscapeString(s.pick(p.sentences)))
			}
			b.WriteString("</ul>\n")
			continue
		}
		parts := make([]string, 1+s.rng.IntN(5))
		for i := range parts {
			parts[i] = html.EscapeString(s.pick(p.sentences))
		}
		fmt.Fprintf(b, "<p>%s</p>\n", strings.Join(parts, " "))
	}
}

func (s *Synth) pick(xs []string) string { return xs[s.rng.IntN(len(xs))] }

// path keeps the model's first segment when it has several ("/government/…"),
// then the title's slug and the page's number, so every path is unique.
func (s *Synth) path(model, title string) string {
	prefix := ""
	if segs := strings.Split(strings.Trim(model, "/"), "/"); len(segs) > 1 {
		prefix = "/" + segs[0]
	}
	sl := []rune(slug(title))
	if len(sl) > 60 {
		sl = []rune(strings.TrimRight(string(sl[:60]), "-"))
	}
	return fmt.Sprintf("%s/%s-%d", prefix, string(sl), s.n)
}

func (s *Synth) uuid() string {
	a, b := s.rng.Uint64(), s.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", a>>32, a>>16&0xffff, a&0xfff, b>>48&0xfff, b&0xffffffffffff)
}

// slug lower-cases s and joins its letters and digits with hyphens.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}
