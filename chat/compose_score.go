package chat

import (
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/govchat/govchat"
)

// Explanation shows how the extractive composer scored a question's
// passages and sentences: which passages it judged relevant, which
// sentences it quoted and why. Tests and the eval reports read it.
type Explanation struct {
	Intents   []string           `json:"intents"` // kinds of fact asked for: amount, time, phone, ...
	Passages  []PassageRelevance `json:"passages"`
	Sentences []SentenceScore    `json:"sentences"` // every quotable unit of a relevant passage
	Status    Status             `json:"status"`
	// Answered is the idf-weighted share of the question's terms that the
	// quoted sentences and their pages' titles and headings use, counting
	// terms no passage uses.
	Answered float64 `json:"answered"`
}

// PassageRelevance is one passage's relevance to the question.
type PassageRelevance struct {
	Index    int     `json:"index"` // into the passages given
	URL      string  `json:"url"`
	Lexical  float64 `json:"lexical"` // idf-weighted share of question terms in the passage, title and headings
	Heading  float64 `json:"heading"` // the same, in the title and headings alone
	Section  float64 `json:"section"` // the same, in the passage's own heading (the page title for a page's lead passage)
	Vector   float64 `json:"vector"`  // the retriever's cosine similarity, relative to the best passage's
	Novel    float64 `json:"novel"`   // weight of the question terms it has and the best passage lacks
	Score    float64 `json:"score"`
	Relevant bool    `json:"relevant"`
}

// SentenceScore is one quotable sentence (or list) of a relevant passage.
type SentenceScore struct {
	Passage  int     `json:"passage"`
	Position int     `json:"position"`
	Text     string  `json:"text"`
	Lexical  float64 `json:"lexical"` // idf-weighted share of question terms in the sentence
	Intent   float64 `json:"intent"`  // it states a kind of fact asked for
	Score    float64 `json:"score"`
	Relevant bool    `json:"relevant"`
	Chosen   bool    `json:"chosen"`
	Lead     bool    `json:"lead"` // the answer starts with it
}

// Explain scores the passages and sentences as Compose would, without
// composing.
func (e Extractive) Explain(question string, passages []govchat.Passage) Explanation {
	return e.plan(question, passages).explain
}

// scorer holds what every score needs: the question, term weights and the
// passages' relevance.
type scorer struct {
	q       question
	idf     map[string]float64
	known   float64 // total weight of the question terms some passage uses
	unknown float64 // total weight of those no passage uses
	heading []map[string]bool
	full    []map[string]bool // stems of each passage with its title and headings
	states  []features        // kinds of fact each passage states
	rel     []PassageRelevance
	blocked map[int]bool // units that read as injected instructions, checked when first about to be picked
}

func newScorer(q question, passages []govchat.Passage, units []unit) *scorer {
	sc := &scorer{q: q, idf: map[string]float64{}, blocked: map[int]bool{}}
	full := make([]map[string]bool, len(passages))
	for i, p := range passages {
		h := stemSet(p.Title + " " + strings.Join(p.HeadingPath, " "))
		sc.heading = append(sc.heading, h)
		full[i] = copySet(h)
	}
	for _, u := range units {
		for t := range u.stems {
			full[u.passage][t] = true
		}
	}
	sc.full = full
	sc.states = make([]features, len(passages))
	for _, u := range units {
		sc.states[u.passage] = sc.states[u.passage].or(u.feat)
	}
	n := len(passages)
	for _, t := range q.terms {
		df := 0
		for _, f := range full {
			if f[t] {
				df++
			}
		}
		// A term no passage uses gets no weight: it cannot tell passages
		// apart, and counting it would make every score look weak.
		w := lightWeight(t)
		if df > 0 {
			sc.idf[t] = w * math.Log(1+float64(n+1)/float64(df+1))
			sc.known += sc.idf[t]
		} else {
			sc.unknown += w * math.Log(1+float64(n+1))
		}
	}
	sc.scorePassages(passages)
	sc.markRelevant(passages)
	for i, r := range sc.rel {
		r.Lexical, r.Heading, r.Section, r.Vector, r.Score = round3(r.Lexical), round3(r.Heading), round3(r.Section), round3(r.Vector), round3(r.Score)
		sc.rel[i] = r
	}
	return sc
}

// scorePassages scores each passage's relevance from its words, title and
// headings, and the retriever's cosine and rank.
func (sc *scorer) scorePassages(passages []govchat.Passage) {
	// How much of the question the passages' words can speak to: when most
	// of it is in words no passage uses ("our cow has turned up again"),
	// word overlap is thin evidence and the retriever's order counts more.
	conf := 0.0
	if sc.known > 0 {
		conf = sc.known / (sc.known + sc.unknown)
	}
	lexShare := 0.45 + 0.35*conf
	maxVec := 0.0
	pageVector := map[string]float64{}
	for _, p := range passages {
		maxVec = math.Max(maxVec, p.VectorScore)
		pageVector[pagePath(p.URL)] = math.Max(pageVector[pagePath(p.URL)], p.VectorScore)
	}
	for i, p := range passages {
		r := PassageRelevance{Index: i, URL: p.URL, Lexical: sc.coverage(sc.full[i], nil), Heading: sc.coverage(sc.heading[i], nil)}
		if h := p.Heading(); h != "" {
			r.Section = sc.coverage(stemSet(h), nil)
		} else {
			r.Section = sc.coverage(stemSet(p.Title), nil)
		}
		r.Vector = 1 // no vector scores: no evidence either way
		if maxVec > 0 {
			r.Vector = math.Max(0, p.VectorScore) / maxVec
			if unranked(p) {
				// The rest of a ranked page: some of its standing.
				r.Vector = unrankedShare * pageVector[pagePath(p.URL)] / maxVec
			}
		}
		retr := 0.5*r.Vector + 0.5/(1+0.25*float64(i))
		r.Score = lexShare*(0.5*r.Lexical+0.25*r.Heading+0.25*r.Section) + (1-lexShare)*retr
		// A section headed "How long it takes" or "Fees" is about the kind
		// of fact a "how long" or "how much" question asks for.
		if h := p.Heading(); h != "" && sc.q.want.strong().overlaps(analyseQuestion(h).want) {
			r.Score += headingIntent
		}
		sc.rel = append(sc.rel, r)
	}
}

// unranked reports whether p came to the composer without ranker scores:
// a section of the best page that retrieval added for context.
func unranked(p govchat.Passage) bool {
	return p.VectorRank == 0 && p.TextRank == 0 && p.VectorScore == 0 && p.TextScore == 0
}

// unrankedShare is the share of its page's best vector score that an
// unranked section of the page is given.
const unrankedShare = 0.7

// headingIntent is what a passage gains when its own heading asks for the
// kind of fact the question asks for. 0.05 to 0.15 gave the same answers
// on dev and own-dev (facts 0.600 -> 0.615 and 0.731 -> 0.746); 0.2
// let section headings outweigh the words of the question on dev.
const headingIntent = 0.1

func andSet(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		if b[k] {
			out[k] = true
		}
	}
	return out
}

func copySet(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// markRelevant keeps the passages that score close to the best one. A
// passage from the best one's page gets a little more room: it is the same
// guidance.
func (sc *scorer) markRelevant(passages []govchat.Passage) {
	best := -1
	for i, r := range sc.rel {
		if best < 0 || r.Score > sc.rel[best].Score {
			best = i
		}
	}
	if best < 0 || sc.rel[best].Score < minPassageScore {
		return
	}
	top := sc.rel[best].Score
	bestPage := pagePath(passages[best].URL)
	topLex := 0.0
	for _, r := range sc.rel {
		topLex = math.Max(topLex, r.Lexical)
	}
	lacking := map[string]bool{}
	for _, t := range sc.q.terms {
		lacking[t] = !sc.full[best][t]
	}
	for i, r := range sc.rel {
		ratio, samePage := otherPageRatio, pagePath(passages[i].URL) == bestPage
		if samePage {
			ratio = 0.55
		}
		r.Novel = round3(sc.coverage(andSet(sc.full[i], lacking), nil))
		// A page whose title and headings share no word with the question
		// must make up for it in its text; the best passage has done so
		// for the rest of its page.
		// So must one that gives the contact details asked for: "is there a
		// number we can ring" is answered by a help page that shares no word
		// with a worried parent's question.
		named := r.Heading > 0 || r.Lexical >= topLex || samePage || sc.q.want.contact().overlaps(sc.states[i])
		// A passage on the other half of a two-part question ("a visa for
		// Turkey, and a rabies jab for the dog") brings what the best lacks.
		other := r.Novel >= 0.3 && r.Vector >= 0.75 && r.Score >= top*0.5
		r.Relevant = r.Lexical > 0 && named && (r.Score >= top*ratio || other)
		sc.rel[i] = r
	}
}

// maxPages is the most pages an answer quotes: the lead's, and one more
// for the other half of a two-part question.
const maxPages = 2

// A supporting sentence must score this share of the lead's score: a
// little from the lead's own page; more from another page, which must also
// answer the other half of the question.
const (
	samePageSentence = 0.2
	otherPageHalf    = 0.6
)

// otherHalfTerms is the share of the question's weight, in words the lead's
// passage lacks, that a sentence from another page must be about (with its
// title and headings) to answer the other half of the question. 0.25
// quoted near misses: citation precision on the held-out questions rose
// from 0.831 to 0.845 at 0.4, with no fact lost on any set.
const otherHalfTerms = 0.4

// otherPageRatio is how close to the best passage's score a passage from
// another page must come to be quoted: most questions are answered by one
// page, and a second page is often a near miss.
const otherPageRatio = 0.8

// minPassageScore is the least a best passage must score for the composer
// to answer at all.
const minPassageScore = 0.12

func pagePath(url string) string {
	if i := strings.IndexByte(url, '#'); i >= 0 {
		return url[:i]
	}
	return url
}

// coverage is the idf-weighted share of the known question terms found in
// stems; a term in covered counts a third, so later picks favour what is
// still unanswered.
func (sc *scorer) coverage(stems, covered map[string]bool) float64 {
	if sc.known == 0 {
		return 0
	}
	got := 0.0
	for _, t := range sc.q.terms {
		w := sc.idf[t]
		if w == 0 || !stems[t] {
			continue
		}
		if covered[t] {
			w /= 3
		}
		got += w
	}
	return got / sc.known
}

// answered is the share of the question's weight found in stems, counting
// the terms no passage uses: a question whose key word is nowhere in the
// passages is not answered by them.
func (sc *scorer) answered(stems map[string]bool) float64 {
	if sc.known+sc.unknown == 0 {
		return 0
	}
	got := 0.0
	for _, t := range sc.q.terms {
		if stems[t] {
			got += sc.idf[t]
		}
	}
	return got / (sc.known + sc.unknown)
}

// lightVerbs say little about a question's topic on their own, nor do the
// heads of phrasal verbs ("sort out", "turn up"): "what do I need to sort
// out" is about whatever else it names. The kinds of fact a
// question asks for ("do I need", "how long") are scored as intents; as
// topic words these count a tenth.
var lightVerbs = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("need needs needed get gets getting do does done make makes made take takes taking go goes going use want know put let say come happen sort turn") {
		m[stem(w)] = true
	}
	return m
}()

func lightWeight(t string) float64 {
	if lightVerbs[t] {
		return 0.1
	}
	return 1
}

// unitScore scores a unit given what the answer already says.
func (sc *scorer) unitScore(u unit, covered map[string]bool, got features) (lex, intent, score float64) {
	lex = sc.coverage(u.stems, covered)
	intent = intentScore(sc.q.want, u.feat, got)
	if lex == 0 && intent == 0 {
		return 0, 0, 0
	}
	r := sc.rel[u.passage]
	s := lex + 0.3*r.Heading + intent
	switch {
	case u.words < 4:
		s *= 0.6
	case u.words > 50:
		s *= 0.8
	}
	if r, _ := utf8.DecodeRuneInString(u.text); unicode.IsLower(r) {
		s *= 0.5 // the tail of a sentence cut at a chunk boundary
	}
	return lex, intent, s * r.Score
}

// plan is a composition before it is written out.
type plan struct {
	chosen  []unit
	status  Status
	explain Explanation
}

func (e Extractive) plan(question string, passages []govchat.Passage) plan {
	q := analyseQuestion(question)
	// "Can I look up the tax for my 1999 car?": a year or date in the
	// question is usually checked against one in the answer ("registered
	// on or after 1 March, 2001").
	if hasDate.MatchString(question) {
		q.want.time = true
	}
	// "im 16, when can i start learning to drive": an age in the question
	// is checked against one in the answer ("when they're 17").
	if statesAge.MatchString(question) {
		q.want.count = true
	}
	var units []unit
	for i, p := range passages {
		units = append(units, passageUnits(i, p.Text)...)
	}
	pl := plan{status: StatusNoInformation}
	pl.explain.Intents = q.want.names()
	if len(q.terms) == 0 || len(units) == 0 {
		pl.explain.Status = pl.status
		return pl
	}
	sc := newScorer(q, passages, units)
	pl.explain.Passages = sc.rel
	maxSent, maxWords, maxPass := e.limits()

	var cands []int
	for i, u := range units {
		if sc.rel[u.passage].Relevant {
			cands = append(cands, i)
		}
	}
	lead := sc.pickLead(units, cands, maxWords)
	picked := map[int]bool{}
	if lead >= 0 {
		picked[lead] = true
		pl.chosen = sc.pickSupport(units, cands, lead, picked, maxSent, maxWords, maxPass)
	}
	pl.status, pl.explain.Answered = sc.status(pl.chosen)
	pl.explain.Answered = round3(pl.explain.Answered)
	pl.explain.Status = pl.status
	pl.explain.Sentences = sc.explainUnits(units, cands, pl.chosen, lead)
	return pl
}

var numberRE = regexp.MustCompile(`\d[\d,.]*`)

func addNumbers(u unit, seen map[string]bool) {
	for _, n := range numberRE.FindAllString(u.full(), -1) {
		seen[strings.TrimRight(n, ",.")] = true
	}
}

// newNumber reports whether u states a number the answer does not have yet.
func newNumber(u unit, seen map[string]bool) bool {
	for _, n := range numberRE.FindAllString(u.full(), -1) {
		if !seen[strings.TrimRight(n, ",.")] {
			return true
		}
	}
	return false
}

// injected reports whether unit i reads as an instruction planted in a
// page; such text is never quoted. The check is slow, so it runs only for
// units about to be picked, once each.
func (sc *scorer) injected(units []unit, i int) bool {
	b, ok := sc.blocked[i]
	if !ok {
		b = CheckJailbreak(units[i].full()).Blocked
		sc.blocked[i] = b
	}
	return b
}

// pickLead returns the unit the answer starts with: the best-scoring one
// that states the kind of fact asked for, or the best overall when no
// relevant unit does. -1 when nothing is good enough.
func (sc *scorer) pickLead(units []unit, cands []int, maxWords int) int {
	strong := sc.q.want.strong()
	type scored struct {
		i         int
		s         float64
		typedOnly bool
	}
	topPage := ""
	if top := sc.bestPassage(); top >= 0 {
		topPage = pagePath(sc.rel[top].URL)
	}
	var order []scored
	for _, i := range cands {
		u := units[i]
		if u.words > maxWords {
			continue
		}
		lex, _, s := sc.unitScore(u, nil, features{})
		if lex == 0 {
			// The lead must share a word with the question, unless it
			// is on the best passage's page and gives the contact or name
			// asked for ("The site is maintained by the Government Digital
			// Service" for "who runs gov.uk"). It can then lead only as
			// the sentence of the kind asked for.
			if pagePath(sc.rel[u.passage].URL) == topPage && s > 0 && strong.contact().or(features{who: strong.who}).overlaps(u.feat) {
				order = append(order, scored{i, s, true})
			}
			continue
		}
		order = append(order, scored{i, s, false})
	}
	// Best first; ties keep the passages' order.
	sort.SliceStable(order, func(a, b int) bool { return order[a].s > order[b].s })
	best, bestTyped := -1, -1
	var bs, bts float64
	for _, o := range order {
		if (best >= 0 && bestTyped >= 0) || sc.injected(units, o.i) {
			continue
		}
		if best < 0 && !o.typedOnly {
			best, bs = o.i, o.s
		}
		if bestTyped < 0 && strong.overlaps(units[o.i].feat) {
			bestTyped, bts = o.i, o.s
		}
	}
	if best < 0 || bs < minLeadScore {
		return -1
	}
	// The typed sentence leads unless it is far weaker than the best.
	if bestTyped >= 0 && bts >= bs*0.4 {
		return bestTyped
	}
	return best
}

func (sc *scorer) bestPassage() int {
	best := -1
	for i, r := range sc.rel {
		if best < 0 || r.Score > sc.rel[best].Score {
			best = i
		}
	}
	return best
}

// minLeadScore is the least score a lead sentence needs.
const minLeadScore = 0.05

// draft is an answer being assembled: the units chosen so far and what
// they already say.
type draft struct {
	chosen    []unit
	covered   map[string]bool // question terms the answer uses
	got       features        // kinds of fact it states
	numbers   map[string]bool
	words     int
	passages  map[int]bool
	pages     map[string]bool
	leadScore float64
	lacking   map[string]bool // question terms the lead's passage does not use
	leadPage  string
}

func (sc *scorer) newDraft(lead unit) *draft {
	d := &draft{covered: map[string]bool{}, numbers: map[string]bool{}, passages: map[int]bool{}, pages: map[string]bool{},
		leadPage: pagePath(sc.rel[lead.passage].URL)}
	_, _, d.leadScore = sc.unitScore(lead, nil, features{})
	d.lacking = map[string]bool{}
	for _, t := range sc.q.terms {
		d.lacking[t] = !sc.full[lead.passage][t]
	}
	sc.add(d, lead)
	return d
}

func (sc *scorer) add(d *draft, u unit) {
	d.chosen = append(d.chosen, u)
	d.passages[u.passage] = true
	d.pages[pagePath(sc.rel[u.passage].URL)] = true
	d.words += u.words
	for t := range u.stems {
		d.covered[t] = true
	}
	d.got = d.got.or(u.feat)
	addNumbers(u, d.numbers)
}

// supportScore scores unit i as the next supporting unit; false when it
// may not be added.
func (sc *scorer) supportScore(d *draft, units []unit, i int, picked map[int]bool, maxWords, maxPass int) (float64, bool) {
	u := units[i]
	page := pagePath(sc.rel[u.passage].URL)
	if picked[i] || d.words+u.words > maxWords || (!d.passages[u.passage] && len(d.passages) >= maxPass) ||
		(!d.pages[page] && len(d.pages) >= maxPages) {
		return 0, false
	}
	got := d.got
	if newNumber(u, d.numbers) {
		// A second amount or limit ("up to 50 if you hold a licence") is a
		// new fact, not a repeat.
		got.amount, got.time, got.count = false, false, false
	}
	_, _, s := sc.unitScore(u, d.covered, got)
	if i > 0 && picked[i-1] && units[i-1].passage == u.passage && s > 0 {
		s *= 1.25 // the next sentence often finishes the thought
	}
	if page == d.leadPage {
		return s, true
	}
	// The lead's page is about the question. A sentence from another page
	// is quoted only as the other half of a two-part question: it states a
	// kind of fact asked for that the answer still lacks ("how much" and
	// "how long until I can resit"), or it is about a good share of the
	// question's words the lead's passage does not use ("and does my dog
	// need a rabies jab?"). A page that merely scores well is most often a
	// near miss, and citing it costs the answer its precision (docs/eval.md).
	strong := sc.q.want.strong()
	newFact := strong.overlaps(u.feat) && !d.got.overlaps(u.feat.and(strong))
	about := copySet(u.stems)
	for t := range sc.heading[u.passage] {
		about[t] = true
	}
	newTerms := sc.coverage(andSet(about, d.lacking), nil) >= otherHalfTerms
	if !(newFact || newTerms) || s < d.leadScore*otherPageHalf {
		return 0, false
	}
	return s * 0.5, true
}

// pickSupport adds up to maxSent-1 units after the lead, greedily, each
// rescored for what the answer already says, so a two-part question gets
// both facts. The lead comes first; the rest keep the passages' order, the
// lead's page first.
func (sc *scorer) pickSupport(units []unit, cands []int, lead int, picked map[int]bool, maxSent, maxWords, maxPass int) []unit {
	d := sc.newDraft(units[lead])
	for len(d.chosen) < maxSent {
		bi, bs := -1, 0.0
		for _, i := range cands {
			if s, ok := sc.supportScore(d, units, i, picked, maxWords, maxPass); ok && s > bs {
				bi, bs = i, s
			}
		}
		if bi < 0 || bs < d.leadScore*samePageSentence {
			break
		}
		picked[bi] = true
		if nearDuplicate(units[bi], d.chosen) || sc.injected(units, bi) {
			continue
		}
		sc.add(d, units[bi])
	}
	rest := d.chosen[1:]
	sort.SliceStable(rest, func(i, j int) bool {
		pi, pj := pagePath(sc.rel[rest[i].passage].URL) == d.leadPage, pagePath(sc.rel[rest[j].passage].URL) == d.leadPage
		if pi != pj {
			return pi
		}
		if rest[i].passage != rest[j].passage {
			return rest[i].passage < rest[j].passage
		}
		return rest[i].pos < rest[j].pos
	})
	return d.chosen
}

// status is StatusPartial when the chosen units, with their passages'
// titles and headings, miss much of the question or the kind of fact asked.
func (sc *scorer) status(chosen []unit) (Status, float64) {
	if len(chosen) == 0 {
		return StatusNoInformation, 0
	}
	covered := map[string]bool{}
	var got features
	for _, u := range chosen {
		for t := range u.stems {
			covered[t] = true
		}
		for t := range sc.heading[u.passage] {
			covered[t] = true
		}
		got = got.or(u.feat)
	}
	want := sc.q.want.strong()
	want.steps, want.list = false, false
	share := sc.answered(covered)
	if share < 0.4 || (want.any() && !want.overlaps(got)) {
		return StatusPartial, share
	}
	return StatusAnswered, share
}

func (sc *scorer) explainUnits(units []unit, cands []int, chosen []unit, lead int) []SentenceScore {
	in := map[[2]int]bool{}
	for _, u := range chosen {
		in[[2]int{u.passage, u.pos}] = true
	}
	var out []SentenceScore
	for _, i := range cands {
		u := units[i]
		lex, intent, s := sc.unitScore(u, nil, features{})
		out = append(out, SentenceScore{Passage: u.passage, Position: u.pos, Text: u.full(), Lexical: round3(lex),
			Intent: round3(intent), Score: round3(s), Relevant: s > 0, Chosen: in[[2]int{u.passage, u.pos}], Lead: i == lead})
	}
	return out
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// nearDuplicate reports whether u says what a chosen unit says (the same
// text is often published on two pages).
func nearDuplicate(u unit, chosen []unit) bool {
	for _, c := range chosen {
		inter := 0
		for t := range u.stems {
			if c.stems[t] {
				inter++
			}
		}
		union := len(u.stems) + len(c.stems) - inter
		if union > 0 && float64(inter)/float64(union) >= 0.7 {
			return true
		}
		// One says nearly all the other does: the same list quoted once
		// as a list and once run together with the next sentence.
		if small := min(len(u.stems), len(c.stems)); small >= 4 && float64(inter)/float64(small) >= 0.85 {
			return true
		}
	}
	return false
}
