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

// features are the kinds of fact a sentence states, or a question asks for.
type features struct{ amount, time, phone, hours, count, condition, steps, list, who, address, email, change bool }

func (f features) names() []string {
	var out []string
	for _, n := range []struct {
		on   bool
		name string
	}{{f.amount, "amount"}, {f.time, "time"}, {f.phone, "phone"}, {f.hours, "hours"}, {f.count, "count"},
		{f.condition, "condition"}, {f.steps, "steps"}, {f.list, "list"}, {f.who, "who"}, {f.address, "address"}, {f.email, "email"}, {f.change, "change"}} {
		if n.on {
			out = append(out, n.name)
		}
	}
	return out
}

var (
	askAmount = regexp.MustCompile(`(?i)\bhow\s+much\b|\b(?:cost|costs|price|prices|fee|fees|charge|charges|afford|expensive|cheap|free)\b|\b(?:have|need)\s+to\s+pay\b|\bpay\s+(?:for|to)\b|£`)
	askTime   = regexp.MustCompile(`(?i)\bhow\s+(?:long|soon|quickly|often|far\s+in\s+advance)\b|(?:^|[.?!,]\s*|\band\s+)when\b|\bwhen\s+(?:do|does|did|is|are|was|were|will|can|could|should|must|would|have|has)\b|\bwhat\s+(?:date|day|time)\b|\b(?:deadline|wait|waiting|until|till|by\s+when)\b|\bhow\s+many\s+(?:days|weeks|months|years|hours)\b|\bhow\s+far\s+(?:ahead|in\s+advance)\b|\bin\s+advance\b|\bhow\s+early\b|\bhow\s+much\s+notice\b`)
	askPhone  = regexp.MustCompile(`(?i)\b(?:phone|ring|call|helpline|telephone|contact|number\s+(?:for|to|do|should|can)|what\s+number|speak\s+to|talk\s+to|get\s+in\s+touch|get\s+hold\s+of|reach|contact\s+details)\b`)
	// "Contact", "get hold of" and "email" want an email address; "ring"
	// and "call" only a number.
	askEmail     = regexp.MustCompile(`(?i)\b(?:e-?mail|contact|get\s+in\s+touch|get\s+hold\s+of|reach|write\s+to|contact\s+details)\b`)
	askHours     = regexp.MustCompile(`(?i)\b(?:open|opening|hours|saturday|sunday|weekends?|closed|what\s+time|how\s+late|how\s+early)\b`)
	askCount     = regexp.MustCompile(`(?i)\bhow\s+(?:many|old)\b|\bwhat\s+age\b|\bat\s+what\s+age\b|\blimit\b|\bwhat\s+(?:percentage|proportion|share|fraction)\b|\bhow\s+common\b`)
	askCondition = regexp.MustCompile(`(?i)^\W*(?:can|could|do|does|did|am|is|are|will|would|should|must|have|has|may)\b|\b(?:can|may|must|should)\s+(?:i|we|you|he|she|they)\b|\b(?:do|does)\s+(?:i|we|he|she|they|you)\s+(?:need|have)\b|\b(?:eligible|allowed|entitled|qualify|legal|illegal)\b|\bhave\s+to\b`)
	askSteps     = regexp.MustCompile(`(?i)\bhow\s+(?:do|can|should|would)\s+(?:i|we|you)\b|\bhow\s+to\b|\bwhat\s+(?:should|do|can|must)\s+(?:i|we)\s+do\b|\bwhat\s+happens\b|\bwhat\s+(?:are\s+)?the\s+steps\b|\bwho\s+do\s+(?:i|we)\s+(?:tell|contact|report)\b`)
	askWho       = regexp.MustCompile(`(?i)^\W*who\b|\bwho\s+(?:runs|owns|is\s+responsible|manages|maintains|decides|makes|sets|regulates|is\s+in\s+charge)\b|\bwhich\s+(?:organisation|department|body|office|agency)\b`)
	askAddress   = regexp.MustCompile(`(?i)\baddress\b|\bwhere\s+(?:do|should|can|must)\s+(?:i|we|you)\s+(?:send|write|post)\b|\bpostcode\b`)
	// "Is my class 4 NI going up?" wants the rise: "will increase from 9% to 10%".
	askChange = regexp.MustCompile(`(?i)\b(?:go(?:ing|es)?|gone|went)\s+(?:up|down)\b|\b(?:rise|rising|risen|increas(?:e|ed|es|ing)|decreas(?:e|ed|es|ing)|reduc(?:e|ed|es|ing)|cut|cuts|chang(?:e|ed|es|ing)|scrapp(?:ed|ing)|abolish(?:ed|ing)?)\b`)
	askList   = regexp.MustCompile(`(?i)\bwhat\s+(?:do|does|will|should|would)\s+(?:i|we|you|he|she|it|they)\s+(?:\w+\s+)?(?:need|have|bring|take|get)\b|\bwhat\s+(?:documents|paperwork|papers|information|details|evidence|proof)\b|\bwhich\s+\w+\b|\bwhat\s+\w+\s+(?:do|does|are|is)\s+(?:i|we|he|she|they)\s+(?:need|have|required)\b`)

	hasChange   = regexp.MustCompile(`(?i)\b(?:rise|rises|rising|increase|increases|increased|decrease|decreases|decreased|reduce|reduces|reduced|cut|cuts|changes?|changed|abolish|abolished|replaced?)\b[^.]{0,80}\bfrom\b[^.]{0,40}\bto\b|\bfrom\s+\S+\s+to\s+\S+\s+(?:in|from|on)\s+(?:\w+\s+)?(?:19|20)\d\d\b`)
	statesAge   = regexp.MustCompile(`(?i)\b(?:i'?m|i\s+am|he'?s|she'?s|they'?re|aged?)\s+\d{1,3}\b|\b\d{1,3}\s*(?:yo|y/o)\b|\b\d{1,3}[\s-]*(?:yrs?|years?)[\s-]*old\b`)
	hasAmount   = regexp.MustCompile(`[£$€]\s?\d|\b\d[\d,.]*\s?(?:pounds|pence|p)\b|\bfree\b`)
	hasDuration = regexp.MustCompile(`(?i)\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a|an)\s+(?:working\s+|calendar\s+|full\s+)?(?:days?|weeks?|months?|years?|hours?|minutes?)\b`)
	hasDate     = regexp.MustCompile(`(?i)\b(?:jan(?:uary)?|feb(?:ruary)?|april|june|july|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|spring|summer|autumn|winter)\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:march|may)\b|\b(?:march|may),?\s+\d{4}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:19|20)\d\d\b`)
	// "saith diwrnod gwaith" (seven working days), "21 diwrnod", "3 wythnos".
	hasWelshDuration = regexp.MustCompile(`(?i)\b(?:\d+|un|dau|dwy|tri|tair|pedwar|pedair|pump|pum|chwe|chwech|saith|wyth|naw|deg|deuddeg|ugain)\s+(?:diwrnod|niwrnod|diwrnodau|wythnos|wythnosau|mis|fis|misoedd|blynedd|mlynedd|blwyddyn|awr|oriau)\b`)
	hasNumber        = regexp.MustCompile(`\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred)\b`)
	hasPhone         = regexp.MustCompile(`(?i)\b0\d{2,4}\s?\d{3}\s?\d{3,4}\b|\b0\d{2}\s?\d{4}\s?\d{4}\b|\+\d{2}\s?\d|\b(?:dial|call|ring)\s+\d{3}\b|\b(?:telephone|phone|tel|textphone|helpline|contact)\b[^.\d]{0,40}\(?\+?\d[\d\s()-]{6,}`)
	hasEmail         = regexp.MustCompile(`[\w.+-]+@[\w-]+\.[\w.]+`)
	hasHours         = regexp.MustCompile(`(?i)\b\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm)\b|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\bopening\s+times\b|\bclosed\b`)
	// An organisation's name after "by", "from", "to", "contact", "is" or
	// "are" ("maintained by the Government Digital Service"), or an
	// abbreviation in brackets ("(GDS)"). Capitalised words alone are too
	// common ("the Open Government Licence").
	hasName      = regexp.MustCompile(`\b(?:by|from|to|contact|is|are)\s+(?:the\s+)?(?:[A-Z][a-z]+\s+){1,4}[A-Z][a-z]+|\([A-Z]{2,6}\)`)
	hasCondition = regexp.MustCompile(`(?i)\b(?:if|unless|must|need|needs|have\s+to|has\s+to|only|cannot|can't|can|not|eligible|allowed|entitled|illegal|legal|required)\b`)
	// A step starts with a verb telling the reader what to do.
	hasStep = regexp.MustCompile(`^To\s+\w+[^.]*,|^(?:Please\s+\w+|Search|Look|Enter|Select|Submit|Wait|Allow|Provide|Claim|Order|Arrange|Speak|Log|Create|Apply|Tell|Contact|Call|Phone|Report|Fill|Send|Book|Check|Go|Use|Ask|Get|Make|Register|Pay|Complete|Write|Bring|Take|Find|Sign|Follow|Give|Choose|Read|Download|Visit|Include|Post|Email|Keep|Start|Print|Reset|Renew|Update|Cancel|Change)\b`)
)

// Welsh questions ask for the same kinds of fact in their own words:
// "faint yw" (how much), "faint o amser" / "pa mor hir" (how long),
// "pryd" (when), "ffonio" (phone), "oes angen" (do I need), "sut" (how),
// "pwy" (who).
var (
	welshAmount    = regexp.MustCompile(`(?i)\b(?:faint\s+(?:yw|mae|ydy|ydi|fydd|fyddai|fasai|mae\'n\s+costio)|pris|ffi|ffioedd|cost|costio|talu)\b`)
	welshTime      = regexp.MustCompile(`(?i)\b(?:faint\s+o\s+amser|pa\s+mor\s+(?:hir|fuan|aml)|pryd|erbyn\s+pryd|dyddiad\s+cau)\b`)
	welshPhone     = regexp.MustCompile(`(?i)\b(?:ffonio|ff[oô]n|rhif\s+ff[oô]n|galw|cysylltu)\b`)
	welshHours     = regexp.MustCompile(`(?i)\b(?:oriau|ar\s+agor|dydd\s+sadwrn|dydd\s+sul|penwythnos)\b`)
	welshCount     = regexp.MustCompile(`(?i)\b(?:sawl|pa\s+oed)\b`)
	welshCondition = regexp.MustCompile(`(?i)^\W*(?:ydw|ydy|ydi|oes|alla|allaf|galla|gallaf|ga\s+i|dylwn|a\s+oes|a\s+ydw|a\s+allaf)\b|\b(?:oes\s+angen|oes\s+rhaid|gymwys|cymwys|hawl)\b`)
	welshSteps     = regexp.MustCompile(`(?i)\bsut\s+(?:mae|ydw|ydy|alla|allaf|galla|gallaf|dw|fedra|mae\s+gwneud)\b`)
	welshWho       = regexp.MustCompile(`(?i)^\W*pwy\b`)
	welshList      = regexp.MustCompile(`(?i)\bpa\s+(?:ddogfennau|wybodaeth|bapurau)\b|\bbeth\s+(?:sydd\s+)?(?:ei\s+)?angen\b`)
)

func analyseQuestion(s string) question {
	m := func(en, cy *regexp.Regexp) bool { return en.MatchString(s) || (cy != nil && cy.MatchString(s)) }
	q := question{want: features{
		amount: m(askAmount, welshAmount), time: m(askTime, welshTime), phone: m(askPhone, welshPhone),
		hours: m(askHours, welshHours), count: m(askCount, welshCount), condition: m(askCondition, welshCondition),
		steps: m(askSteps, welshSteps), list: m(askList, welshList), who: m(askWho, welshWho),
		address: askAddress.MatchString(s), email: askEmail.MatchString(s), change: askChange.MatchString(s),
	}}
	set := stemSet(s)
	// "how much" shares no word with "It costs £34", so the kind of fact
	// asked for stands in as a term.
	if q.want.amount {
		set["cost"] = true
	}
	for t := range set {
		q.terms = append(q.terms, t)
	}
	sort.Strings(q.terms) // fixed order: float sums do not depend on map order
	return q
}

// question is what the scorer needs from the question: its terms, in a
// fixed order, and the kinds of fact it asks for.
type question struct {
	terms []string
	want  features
}

func sentenceFeatures(u unit) features {
	s := u.full()
	return features{
		amount: hasAmount.MatchString(s), time: hasDuration.MatchString(s) || hasDate.MatchString(s) || hasWelshDuration.MatchString(s),
		phone: hasPhone.MatchString(s), hours: hasHours.MatchString(s), count: hasNumber.MatchString(s),
		condition: hasCondition.MatchString(s), steps: len(u.items) > 0 || hasStep.MatchString(u.text),
		list: len(u.items) > 0, who: hasName.MatchString(s), address: postcode.MatchString(s), email: hasEmail.MatchString(s),
		change: hasChange.MatchString(s),
	}
}

// intentScore is what a sentence gains for stating a kind of fact asked
// for: the full weight the first time, half once the answer has one.
// Conditions and counts are common in any sentence, so they count for less
// than an amount or a phone number.
func intentScore(want, have, got features) float64 {
	s := 0.0
	add := func(w, h, g bool, full float64) {
		switch {
		case w && h && !g:
			s += full
		case w && h:
			s += full / 2
		}
	}
	add(want.amount, have.amount, got.amount, 0.4)
	add(want.time, have.time, got.time, 0.4)
	// "Is the helpline open on Saturday?" asks for the hours; the number
	// helps, but is not what was asked.
	phone := 0.45
	if want.hours {
		phone = 0.25
	}
	add(want.phone, have.phone, got.phone, phone)
	add(want.hours, have.hours, got.hours, 0.4)
	// Someone who asks for a number will want the opening hours too.
	add(want.phone && !want.hours, have.hours, got.hours, 0.2)
	add(want.count, have.count, got.count, 0.15)
	add(want.condition, have.condition, got.condition, 0.1)
	add(want.steps, have.steps, got.steps, 0.2)
	add(want.list, have.list, got.list, 0.3)
	add(want.who, have.who, got.who, 0.3)
	add(want.address, have.address, got.address, 0.45)
	add(want.email, have.email, got.email, 0.3)
	add(want.change, have.change, got.change, 0.3)
	return s
}

// strongIntent reports whether the question asks for a specific kind of
// fact that the lead sentence should hold.
func (f features) strong() features {
	return features{amount: f.amount, time: f.time, phone: f.phone, hours: f.hours, count: f.count, list: f.list, steps: f.steps, who: f.who, address: f.address, email: f.email, change: f.change}
}

// contact keeps the kinds of fact that say how to reach someone.
func (f features) contact() features {
	return features{phone: f.phone, email: f.email, address: f.address, hours: f.hours}
}

func (f features) any() bool {
	return f.amount || f.time || f.phone || f.hours || f.count || f.condition || f.steps || f.list || f.who || f.address || f.email || f.change
}

func (f features) overlaps(g features) bool {
	return (f.amount && g.amount) || (f.time && g.time) || (f.phone && g.phone) || (f.hours && g.hours) ||
		(f.count && g.count) || (f.condition && g.condition) || (f.steps && g.steps) || (f.list && g.list) || (f.who && g.who) || (f.address && g.address) ||
		(f.email && g.email) || (f.change && g.change)
}

func (f features) and(g features) features {
	return features{f.amount && g.amount, f.time && g.time, f.phone && g.phone, f.hours && g.hours,
		f.count && g.count, f.condition && g.condition, f.steps && g.steps, f.list && g.list, f.who && g.who, f.address && g.address,
		f.email && g.email, f.change && g.change}
}

func (f features) or(g features) features {
	return features{f.amount || g.amount, f.time || g.time, f.phone || g.phone, f.hours || g.hours,
		f.count || g.count, f.condition || g.condition, f.steps || g.steps, f.list || g.list, f.who || g.who, f.address || g.address,
		f.email || g.email, f.change || g.change}
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
	}
	return false
}
