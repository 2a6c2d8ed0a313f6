// Package retrieval turns a question into the passages the answer is built
// from: it embeds the question, runs the store's hybrid (HNSW + full-text,
// fused by reciprocal rank) search, weights document types, caps passages per
// page, merges neighbours and decides whether anything relevant was found.
package retrieval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/store"
)

// Embedder turns texts into vectors. The index's embedder must be used.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	Model() string
	Dimensions() int
}

// Store is what retrieval needs from the database.
type Store interface {
	CheckSpace(ctx context.Context, model string, dims int) (store.Space, error)
	Search(ctx context.Context, sp store.Space, q store.SearchQuery) ([]govchat.Passage, error)
	PageChunks(ctx context.Context, documentID int64, page string, limit int) ([]govchat.Passage, error)
}

// ErrEmptyIndex means nothing has been ingested yet.
var ErrEmptyIndex = errors.New("retrieval: the index is empty; run `govchat ingest`")

// Options tune retrieval. The zero value of each field means its default.
type Options struct {
	K          int     // passages returned; 6
	Candidates int     // fused rows read before weighting and capping; 40
	VectorK    int     // vector ranker depth; 40
	TextK      int     // full-text ranker depth; 40
	TextBudget int     // most chunks the full-text ranker scores; store.DefaultTextBudget
	TextShare  float64 // share of all chunks its matching words may hold; store.DefaultTextShare
	RRFK       int     // k in 1/(k+rank); 20
	EfSearch   int     // hnsw.ef_search; 200
	MaxPerPage int     // passages from one page (path without #fragment); 2
	// PageChunks is how many chunks of each of the best two pages are
	// read to add the rest of those pages after the ranked passages; 8.
	// Negative turns it off.
	PageChunks int
	// TitleWeight multiplies a candidate's fused score by 1 + TitleWeight ×
	// the idf-weighted share of the question's words in its title and
	// headings (lexicalCover); 1.5. Negative turns it off.
	TitleWeight  float64
	VectorWeight float64 // weight of the vector ranker in the fusion; 1
	TextWeight   float64 // weight of the full-text ranker; 1
	// Weights multiply a passage's fused score by its document type.
	// Missing types get DefaultWeight (1).
	Weights       map[string]float64
	DefaultWeight float64
	// Floor decides "no relevant content" unless SpaceFloor is set.
	Floor Floor
	// SpaceFloor takes the floor of the index's embedding space instead
	// (FloorFor), with Override's thresholds replacing its own.
	SpaceFloor bool
	Override   *FloorOverride
}

// Floor is the "no content" decision. RRF scores are rank-based and say
// nothing about relevance, so the floor reads the rankers' own scores: the
// best cosine similarity of the vector ranker and the best full-text rank.
// Content is found when either is strong enough on its own, or when both are
// fair. See docs/retrieval.md for how the numbers were calibrated.
type Floor struct {
	MinVector     float64 // best cosine alone that counts as relevant
	MinText       float64 // best ts_rank alone that counts as relevant
	MinVectorBoth float64 // cosine that counts when full-text also matched at MinTextBoth
	MinTextBoth   float64
}

// DefaultWeights are the document-type weights: guidance written for citizens
// above news and speeches. Milder than GOV.UK Chat's because they multiply a
// rank-fused score, not a similarity.
func DefaultWeights() map[string]float64 {
	w := map[string]float64{}
	for _, t := range []string{"answer", "guide", "simple_smart_answer", "step_by_step_nav", "transaction", "travel_advice"} {
		w[t] = 1.3
	}
	for _, t := range []string{"detailed_guide", "help_page", "local_transaction", "manual_section", "hmrc_manual_section", "contact", "licence", "place"} {
		w[t] = 1.15
	}
	for _, t := range []string{"guidance", "statutory_guidance", "form", "html_publication", "manual", "specialist_document"} {
		w[t] = 1.05
	}
	for _, t := range []string{"news_story", "press_release", "speech", "oral_statement", "written_statement", "fatality_notice",
		"notice", "service_manual_guide", "take_part", "case_study", "world_news_story", "government_response"} {
		w[t] = 0.8
	}
	return w
}

// ParseWeights reads "type=weight,type=weight" over the defaults.
func ParseWeights(s string) (map[string]float64, error) {
	w := DefaultWeights()
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || err != nil || f < 0 || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("retrieval: weight %q is not type=number", part)
		}
		w[strings.TrimSpace(k)] = f
	}
	return w, nil
}

// withDefaults fills in unset options. Counts and TextShare not above zero
// take the default; the weights only when zero.
func (o Options) withDefaults() Options {
	o.K = cmp.Or(max(o.K, 0), 6)
	o.Candidates = cmp.Or(max(o.Candidates, 0), 40)
	o.VectorK = cmp.Or(max(o.VectorK, 0), 40)
	o.TextK = cmp.Or(max(o.TextK, 0), 40)
	o.TextBudget = cmp.Or(max(o.TextBudget, 0), store.DefaultTextBudget)
	o.RRFK = cmp.Or(max(o.RRFK, 0), 20)
	o.EfSearch = cmp.Or(max(o.EfSearch, 0), 200)
	o.MaxPerPage = cmp.Or(max(o.MaxPerPage, 0), 2)
	o.PageChunks = cmp.Or(o.PageChunks, 8)             // negative: off
	o.TitleWeight = max(cmp.Or(o.TitleWeight, 1.5), 0) // negative: off
	o.TextShare = cmp.Or(max(o.TextShare, 0), store.DefaultTextShare)
	o.VectorWeight = cmp.Or(o.VectorWeight, 1)
	o.TextWeight = cmp.Or(o.TextWeight, 1)
	o.DefaultWeight = cmp.Or(o.DefaultWeight, 1)
	if o.Weights == nil {
		o.Weights = DefaultWeights()
	}
	return o
}

// Searcher runs retrieval. It is safe for concurrent use.
type Searcher struct {
	store Store
	emb   Embedder
	opts  Options
}

// New returns a Searcher over st using emb for questions.
func New(st Store, emb Embedder, opts Options) *Searcher {
	return &Searcher{store: st, emb: emb, opts: opts.withDefaults()}
}

// Options returns the effective options.
func (s *Searcher) Options() Options { return s.opts }

// Query is one retrieval request.
type Query struct {
	Text string
	K    int // overrides Options.K when > 0
	// Filters.
	Locale         string // restrict to one locale; "" means any (a Welsh question still prefers Welsh)
	DocumentTypes  []string
	BasePathPrefix string
	// PageContext adds the rest of the best two pages after the ranked
	// passages (Options.PageChunks), for a composer; without it Search
	// returns the ranked passages alone, at most K.
	PageContext bool
}

// Result is what retrieval found.
type Result struct {
	Passages []govchat.Passage
	// NoContent is true when nothing passed the floor; Passages may still
	// hold the best (weak) candidates, for debugging.
	NoContent  bool
	BestVector float64
	BestText   float64
	// Floor is the floor applied and FloorRule where it came from.
	Floor      Floor
	FloorRule  string
	Locale     string // the question's detected locale: "cy" or "en"
	EmbedTime  time.Duration
	SearchTime time.Duration
}

// Search retrieves passages for q.
func (s *Searcher) Search(ctx context.Context, q Query) (Result, error) {
	var res Result
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return res, errors.New("retrieval: empty question")
	}
	sp, err := s.store.CheckSpace(ctx, s.emb.Model(), s.emb.Dimensions())
	if errors.Is(err, store.ErrNotFound) {
		return res, ErrEmptyIndex
	}
	if err != nil {
		return res, fmt.Errorf("retrieval: %w", err)
	}
	res.Locale = DetectLocale(text)

	start := time.Now()
	vecs, err := s.emb.Embed(ctx, []string{text})
	if err != nil {
		return res, fmt.Errorf("retrieval: embed question: %w", err)
	}
	if len(vecs) != 1 {
		return res, fmt.Errorf("retrieval: embedder returned %d vectors for 1 question", len(vecs))
	}
	res.EmbedTime = time.Since(start)

	cfg := store.TextSearchConfig(res.Locale)
	sq := store.SearchQuery{
		Vector: vecs[0], Text: TextQuery(text), TextConfig: cfg,
		VectorK: s.opts.VectorK, TextK: s.opts.TextK, TextBudget: s.opts.TextBudget, TextShare: s.opts.TextShare, Limit: s.opts.Candidates, RRFK: s.opts.RRFK, EfSearch: s.opts.EfSearch,
		VectorWeight: s.opts.VectorWeight, TextWeight: s.opts.TextWeight,
		Locale: q.Locale, DocumentTypes: q.DocumentTypes, BasePathPrefix: q.BasePathPrefix,
	}
	start = time.Now()
	cands, err := s.store.Search(ctx, sp, sq)
	if err != nil {
		return res, fmt.Errorf("retrieval: %w", err)
	}
	res.SearchTime = time.Since(start)

	for _, p := range cands {
		res.BestVector = math.Max(res.BestVector, p.VectorScore)
		res.BestText = math.Max(res.BestText, p.TextScore)
	}
	k := s.opts.K
	if q.K > 0 {
		k = q.K
	}
	kept := s.rerank(text, cands, res.Locale, k)
	res.Passages = mergeAdjacent(kept)
	res.Floor, res.FloorRule = s.floorFor(sp)
	res.NoContent = !res.Floor.passes(res.BestVector, res.BestText)
	if q.PageContext && !res.NoContent && len(kept) > 0 && s.opts.PageChunks > 0 {
		rest, err := s.restOfPage(ctx, kept)
		if err != nil {
			return res, err
		}
		res.Passages = append(res.Passages, rest...)
		res.SearchTime = time.Since(start)
	}
	return res, nil
}

// restPages is how many pages, best first, restOfPage reads the rest of.
// Two: the best page is often a near miss, and the second one the page
// the question is about (docs/retrieval.md).
const restPages = 2

// restOfPage returns the chunks of the best two ranked pages that were not
// ranked, in reading order: the answer to "how much" or "what number" is
// often in the section next to the one that matched the question. They
// carry no ranker scores and come after the ranked passages.
func (s *Searcher) restOfPage(ctx context.Context, kept []govchat.Passage) ([]govchat.Passage, error) {
	have := map[int64]bool{}
	for _, p := range kept {
		have[p.ChunkID] = true
	}
	pages := map[string]bool{}
	var rest []govchat.Passage
	for _, best := range kept {
		if pages[PagePath(best.URL)] {
			continue
		}
		if len(pages) == restPages {
			break
		}
		pages[PagePath(best.URL)] = true
		chunks, err := s.store.PageChunks(ctx, best.DocumentID, PagePath(best.URL), s.opts.PageChunks)
		if err != nil {
			return nil, fmt.Errorf("retrieval: %w", err)
		}
		for _, c := range chunks {
			if !have[c.ChunkID] {
				rest = append(rest, c)
			}
		}
	}
	return rest, nil
}

func (f Floor) passes(vec, text float64) bool {
	if f == (Floor{}) {
		return true
	}
	if f.MinVector > 0 && vec >= f.MinVector {
		return true
	}
	if f.MinText > 0 && text >= f.MinText {
		return true
	}
	return f.MinVectorBoth > 0 && vec >= f.MinVectorBoth && text >= f.MinTextBoth
}

// rerank applies document-type weights and the locale preference and caps
// passages per page.
func (s *Searcher) rerank(question string, cands []govchat.Passage, locale string, k int) []govchat.Passage {
	ps := make([]govchat.Passage, len(cands))
	copy(ps, cands)
	cover := lexicalCover(question, cands)
	for i := range ps {
		w, ok := s.opts.Weights[ps[i].DocumentType]
		if !ok {
			w = s.opts.DefaultWeight
		}
		if locale == "cy" && ps[i].Locale == "cy" {
			w *= 1.5 // a Welsh question prefers Welsh content
		}
		ps[i].Score *= w * (1 + s.opts.TitleWeight*cover[i])
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Score > ps[j].Score })

	perPage := map[string]int{}
	var kept []govchat.Passage
	for _, p := range ps {
		page := PagePath(p.URL)
		if perPage[page] >= s.opts.MaxPerPage {
			continue
		}
		perPage[page]++
		kept = append(kept, p)
		if len(kept) == k {
			break
		}
	}
	return kept
}

// mergeAdjacent joins passages that are consecutive chunks of one document
// into the better-ranked one, so the composer sees one continuous passage.
func mergeAdjacent(ps []govchat.Passage) []govchat.Passage {
	out := make([]govchat.Passage, 0, len(ps))
	// first and last chunk index covered by each merged passage
	type span struct{ first, last int }
	spans := make([]span, 0, len(ps))
	for _, p := range ps {
		merged := false
		for i := range out {
			q := &out[i]
			if q.DocumentID != p.DocumentID || PagePath(q.URL) != PagePath(p.URL) {
				continue
			}
			switch p.ChunkIndex {
			case spans[i].last + 1:
				q.Text = q.Text + "\n\n" + p.Text
				spans[i].last = p.ChunkIndex
				merged = true
			case spans[i].first - 1:
				q.Text = p.Text + "\n\n" + q.Text
				q.URL, q.HeadingPath, q.ChunkIndex = p.URL, p.HeadingPath, p.ChunkIndex
				spans[i].first = p.ChunkIndex
				merged = true
			}
			if merged {
				break
			}
		}
		if !merged {
			out = append(out, p)
			spans = append(spans, span{p.ChunkIndex, p.ChunkIndex})
		}
	}
	return out
}

// PagePath is a passage URL without its #fragment: the page it is on.
func PagePath(url string) string {
	if i := strings.IndexByte(url, '#'); i >= 0 {
		return url[:i]
	}
	return url
}

// TextQuery turns a question into the words the full-text ranker matches,
// any of them: citizens' questions are sentences, and requiring every word
// would match almost nothing. Only letters and digits survive; the store's
// text-search configuration drops stop words and stems the rest, and matches
// the rarest of them first.
func TextQuery(q string) string {
	var words []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if seen[w] || (len(w) < 2 && !unicode.IsDigit(rune(w[0]))) {
			continue
		}
		seen[w] = true
		words = append(words, w)
		if len(words) == 40 {
			break
		}
	}
	return strings.Join(words, " ")
}

// welshWords are common Welsh function words and question words that are
// rare in English. Two or more mark a question as Welsh.
var welshWords = map[string]bool{
	"ydw": true, "ydy": true, "yw": true, "mae": true, "oes": true, "sut": true, "beth": true, "pryd": true, "ble": true,
	"pam": true, "fy": true, "eich": true, "ein": true, "gallu": true, "gallaf": true, "allaf": true, "angen": true,
	"ar": true, "gyda": true, "ddim": true, "yn": true, "yr": true, "i'r": true, "y": true, "a'r": true, "chi": true,
	"dw": true, "rwy": true, "rydw": true, "ffurflen": true, "dreth": true, "treth": true, "cymraeg": true, "llenwi": true,
	"ar-lein": true, "gwasanaeth": true, "gwasanaethau": true, "swydd": true, "cael": true, "gan": true,
	"hefyd": true, "os": true, "neu": true, "ond": true, "iawn": true, "hwn": true, "hon": true, "sydd": true,
}

// DetectLocale returns "cy" for a Welsh question and "en" otherwise, cheaply:
// by counting Welsh function words, or Welsh circumflexed letters.
func DetectLocale(q string) string {
	lower := strings.ToLower(q)
	if strings.ContainsAny(lower, "ŵŷ") {
		return "cy"
	}
	n, total := 0, 0
	for _, w := range strings.FieldsFunc(lower, func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\'' && r != '-'
	}) {
		total++
		if welshWords[w] {
			n++
		}
	}
	// "y" and "a" collide with English only rarely in pairs; demand a
	// share of the words as well as a count.
	if n >= 2 && float64(n) >= 0.25*float64(total) {
		return "cy"
	}
	return "en"
}

// DefaultFloor is the "no content" floor calibrated for the local embedder on
// the dev set (docs/retrieval.md).
func DefaultFloor() Floor {
	return Floor{MinVector: 0.45, MinText: 0.03, MinVectorBoth: 0.28, MinTextBoth: 0.003}
}
