package chat

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/govchat/govchat"
)

// Status is a composer's view of how well it answered.
type Status string

// Statuses, named as in the answer statuses the rest of the service stores.
const (
	StatusAnswered      Status = "answered"
	StatusPartial       Status = "partial"
	StatusNoInformation Status = "no_information"
)

// Composition is a composed answer.
type Composition struct {
	// Answer is markdown. Citation markers "[n]" are 1-based and refer to
	// Used[n-1]. Empty when Status is StatusNoInformation: the caller sends
	// MsgNoContent.
	Answer string
	// Used holds the indices into the passages slice of the passages the
	// answer cites, in the order of their markers.
	Used   []int
	Status Status
}

// Extractive answers a question by quoting the passage sentences that best
// match it. It needs no model and no network, so it is the default when no
// API key is set and the fallback when the model fails. It is honest by
// construction: the answer holds only sentences copied from the passages
// (escaped for markdown) plus MsgExtractiveLeadIn and citation markers, and
// text inside a passage is only ever quoted, never followed.
//
// The zero value is ready to use.
type Extractive struct {
	MaxSentences int // sentences or lists quoted; default 4
	MaxWords     int // words quoted in total; default 90
	MaxPassages  int // passages quoted from; default 3
}

// unit is a quotable piece of a passage: one sentence, or a line ending in
// a colon together with the list items under it.
type unit struct {
	passage int // index into the passages slice
	pos     int // order within the passage
	text    string
	items   []string
	words   int
	stems   map[string]bool
	feat    features
}

func (u unit) full() string { return strings.Join(append([]string{u.text}, u.items...), " ") }

// features are the kinds of fact a sentence states.
type features struct{ amount, duration, date, number, phone bool }

// Compose picks 1 to MaxSentences units from at most MaxPassages passages,
// writes them as a short markdown answer with citation markers, and streams
// it through emit a word at a time. If emit returns an error or ctx ends,
// composition stops and that error is returned.
func (e Extractive) Compose(ctx context.Context, question string, passages []govchat.Passage, emit func(delta string) error) (Composition, error) {
	maxSent, maxWords, maxPass := e.MaxSentences, e.MaxWords, e.MaxPassages
	if maxSent <= 0 {
		maxSent = 4
	}
	if maxWords <= 0 {
		maxWords = 90
	}
	if maxPass <= 0 {
		maxPass = 3
	}
	if err := ctx.Err(); err != nil {
		return Composition{}, err
	}

	q := analyseQuestion(question)
	var units []unit
	for i, p := range passages {
		units = append(units, passageUnits(i, p.Text)...)
	}
	if len(q.terms) == 0 || len(units) == 0 {
		return Composition{Status: StatusNoInformation}, nil
	}
	idf := passageIDF(q.terms, units, len(passages))
	heading := make([]float64, len(passages))
	for i, p := range passages {
		heading[i] = coverage(q.terms, idf, stemSet(p.Title+" "+strings.Join(p.HeadingPath, " ")), nil)
	}

	chosen := selectUnits(q, units, idf, heading, maxSent, maxWords, maxPass)
	if len(chosen) == 0 {
		return Composition{Status: StatusNoInformation}, nil
	}

	answer, used := render(chosen)
	status := StatusAnswered
	// The pages' titles and headings count: "Apply for a Blue Badge" says
	// what "You'll need: a photo" is about.
	covered := map[string]bool{}
	for _, u := range chosen {
		for t := range u.stems {
			covered[t] = true
		}
		p := passages[u.passage]
		for t := range stemSet(p.Title + " " + strings.Join(p.HeadingPath, " ")) {
			covered[t] = true
		}
	}
	if coverage(q.terms, idf, covered, nil) < 0.4 || !q.satisfiedBy(chosen) {
		status = StatusPartial
	}
	for _, d := range deltas(answer) {
		if err := ctx.Err(); err != nil {
			return Composition{}, err
		}
		if err := emit(d); err != nil {
			return Composition{}, fmt.Errorf("chat: streaming answer: %w", err)
		}
	}
	return Composition{Answer: answer, Used: used, Status: status}, nil
}

// question is what the scorer needs from the question: its terms and the
// kinds of fact it asks for.
type question struct {
	terms map[string]bool
	want  features
}

var (
	askAmount   = regexp.MustCompile(`(?i)\bhow\s+much\b|\b(?:cost|costs|price|prices|fee|fees|charge|charges|pay|paid|afford|expensive|cheap|money)\b|£`)
	askDuration = regexp.MustCompile(`(?i)\bhow\s+(?:long|soon|quickly|often|far\s+in\s+advance)\b|\b(?:deadline|wait|waiting|time\s+limit|till|until)\b|\bhow\s+many\s+(?:days|weeks|months|years|hours)\b`)
	askDate     = regexp.MustCompile(`(?i)\bwhen\b|\bby\s+when\b|\bwhat\s+(?:date|day|time)\b|\bdeadline\b|\bopen\b`)
	askNumber   = regexp.MustCompile(`(?i)\bhow\s+(?:many|old)\b|\bwhat\s+age\b|\bat\s+what\s+age\b|\blimit\b`)
	askPhone    = regexp.MustCompile(`(?i)\b(?:phone|ring|call|helpline|telephone|number\s+(?:for|to|do))\b`)

	hasAmount   = regexp.MustCompile(`[£$€]\s?\d|\b\d[\d,.]*\s?(?:pounds|pence|p)\b|\bfree\b`)
	hasDuration = regexp.MustCompile(`(?i)\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a|an)\s+(?:working\s+|calendar\s+|full\s+)?(?:days?|weeks?|months?|years?|hours?|minutes?)\b`)
	hasDate     = regexp.MustCompile(`(?i)\b(?:jan(?:uary)?|feb(?:ruary)?|march|april|may|june|july|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|spring|summer|autumn|winter)\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b`)
	hasNumber   = regexp.MustCompile(`\d`)
	hasPhone    = regexp.MustCompile(`\b0\d{2,4}\s\d{3}\s?\d{3,4}\b|\b\d{3}\s\d{3}\b|\b1\d\d\b`)
)

func analyseQuestion(s string) question {
	q := question{terms: stemSet(s)}
	q.want = features{
		amount:   askAmount.MatchString(s),
		duration: askDuration.MatchString(s),
		date:     askDate.MatchString(s),
		number:   askNumber.MatchString(s),
		phone:    askPhone.MatchString(s),
	}
	// "how much" shares no word with "It costs £34", so the kind of fact
	// asked for stands in as a term.
	if q.want.amount {
		q.terms["cost"] = true
	}
	return q
}

// wantsAny reports whether a unit states a kind of fact the question asks for.
func (q question) wantsAny(f features) bool {
	return (q.want.amount && f.amount) || ((q.want.duration || q.want.date) && (f.duration || f.date)) ||
		(q.want.number && f.number) || (q.want.phone && f.phone)
}

func (q question) satisfiedBy(us []unit) bool {
	var got features
	for _, u := range us {
		got.amount = got.amount || u.feat.amount
		got.duration = got.duration || u.feat.duration || u.feat.date
		got.date = got.date || u.feat.date || u.feat.duration
		got.number = got.number || u.feat.number
		got.phone = got.phone || u.feat.phone
	}
	return (!q.want.amount || got.amount) && (!q.want.duration || got.duration) &&
		(!q.want.number || got.number) && (!q.want.phone || got.phone)
}

func sentenceFeatures(s string) features {
	return features{
		amount:   hasAmount.MatchString(s),
		duration: hasDuration.MatchString(s),
		date:     hasDate.MatchString(s),
		number:   hasNumber.MatchString(s),
		phone:    hasPhone.MatchString(s),
	}
}

// passageIDF weighs question terms by how few passages use them, so a
// question's distinctive words count for more than words every passage
// shares.
func passageIDF(terms map[string]bool, units []unit, n int) map[string]float64 {
	df := map[string]map[int]bool{}
	for _, u := range units {
		for t := range u.stems {
			if terms[t] {
				if df[t] == nil {
					df[t] = map[int]bool{}
				}
				df[t][u.passage] = true
			}
		}
	}
	idf := make(map[string]float64, len(terms))
	for t := range terms {
		idf[t] = math.Log(1 + float64(n+1)/float64(len(df[t])+1))
	}
	return idf
}

// coverage is the idf-weighted share of question terms found in stems; a
// term in covered counts a third, so later picks favour what is still
// unanswered.
func coverage(terms map[string]bool, idf map[string]float64, stems, covered map[string]bool) float64 {
	var total, got float64
	for t := range terms {
		total += idf[t]
		if stems[t] {
			if covered[t] {
				got += idf[t] / 3
			} else {
				got += idf[t]
			}
		}
	}
	if total == 0 {
		return 0
	}
	return got / total
}

// selectUnits picks units greedily, rescoring after each pick so that a
// two-part question ("how much, and how long?") gets both facts.
func selectUnits(q question, units []unit, idf map[string]float64, heading []float64, maxSent, maxWords, maxPass int) []unit {
	covered := map[string]bool{}
	var gotAmount, gotTime bool
	var chosen []unit
	picked := make([]bool, len(units))
	passagesUsed := map[int]bool{}
	words := 0
	best := 0.0
	for len(chosen) < maxSent {
		bi, bs := -1, 0.0
		for i, u := range units {
			if picked[i] {
				continue
			}
			if !passagesUsed[u.passage] && len(passagesUsed) >= maxPass {
				continue
			}
			if len(chosen) > 0 && words+u.words > maxWords {
				continue
			}
			s := scoreUnit(q, u, idf, heading[u.passage], covered, gotAmount, gotTime)
			if s > 0 && i > 0 && picked[i-1] && units[i-1].passage == u.passage {
				// The sentence after a quoted one often finishes its thought:
				// "If you fail, you can book again. You must wait 10 days."
				s += 0.3
			}
			if s > bs {
				bi, bs = i, s
			}
		}
		// A first pick needs real overlap; later picks must be in the same
		// league as the first, or the answer drifts off topic.
		if bi < 0 || bs < 0.08 || (len(chosen) > 0 && bs < best*0.45) {
			break
		}
		u := units[bi]
		picked[bi] = true
		if nearDuplicate(u, chosen) || CheckJailbreak(u.full()).Blocked || (len(chosen) == 0 && u.words > maxWords*3/2) {
			continue // injected text in a page is never quoted
		}
		if len(chosen) == 0 {
			best = bs
		}
		chosen = append(chosen, u)
		passagesUsed[u.passage] = true
		words += u.words
		for t := range u.stems {
			covered[t] = true
		}
		gotAmount = gotAmount || u.feat.amount
		gotTime = gotTime || u.feat.duration || u.feat.date
	}
	sort.SliceStable(chosen, func(i, j int) bool {
		if chosen[i].passage != chosen[j].passage {
			return chosen[i].passage < chosen[j].passage
		}
		return chosen[i].pos < chosen[j].pos
	})
	return chosen
}

func scoreUnit(q question, u unit, idf map[string]float64, heading float64, covered map[string]bool, gotAmount, gotTime bool) float64 {
	rel := coverage(q.terms, idf, u.stems, covered)
	if rel == 0 && heading == 0 {
		return 0
	}
	if rel == 0 && !q.wantsAny(u.feat) {
		return 0
	}
	s := rel + 0.3*heading*boolf(rel > 0)
	// The kind of fact asked for counts once per answer: the second price
	// is worth less than the first deadline.
	if q.want.amount && u.feat.amount && !gotAmount {
		s += 0.25
	}
	if (q.want.duration || q.want.date) && (u.feat.duration || u.feat.date) && !gotTime {
		s += 0.25
	}
	if q.want.number && u.feat.number {
		s += 0.1
	}
	if q.want.phone && u.feat.phone {
		s += 0.25
	}
	if rel == 0 {
		s *= 0.5 // on-topic page, but the sentence shares no question word
	}
	switch {
	case u.words < 4:
		s *= 0.7
	case u.words > 45:
		s *= 0.8
	}
	// Retrieval ranked the passages; earlier ones are more likely right.
	return s / (1 + 0.12*float64(u.passage))
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

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

// render writes the chosen units as markdown, one paragraph per passage
// with its marker at the end, and returns the passage indices in marker
// order.
func render(chosen []unit) (string, []int) {
	var b strings.Builder
	b.WriteString(MsgExtractiveLeadIn)
	var used []int
	for i := 0; i < len(chosen); {
		j := i
		for j < len(chosen) && chosen[j].passage == chosen[i].passage {
			j++
		}
		used = append(used, chosen[i].passage)
		marker := fmt.Sprintf(" [%d]", len(used))
		b.WriteString("\n\n")
		for k := i; k < j; k++ {
			u := chosen[k]
			if k > i {
				if len(chosen[k-1].items) > 0 {
					b.WriteString("\n\n")
				} else {
					b.WriteString(" ")
				}
			}
			b.WriteString(escapeMarkdown(u.text))
			for _, it := range u.items {
				b.WriteString("\n- " + escapeMarkdown(it))
			}
		}
		b.WriteString(marker)
		i = j
	}
	return b.String(), used
}

// escapeMarkdown backslash-escapes characters that would turn quoted page
// text into markup: links, emphasis, code and raw HTML such as <script>.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '~', '|':
			b.WriteByte('\\')
		case '#', '+', '-', '=':
			if i == 0 {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// deltas splits an answer into word-sized pieces, each word with the
// whitespace after it, so the concatenation is the answer.
func deltas(s string) []string {
	var out []string
	start := 0
	inSpace := false
	for i, r := range s {
		sp := unicode.IsSpace(r)
		if inSpace && !sp {
			out = append(out, s[start:i])
			start = i
		}
		inSpace = sp
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

var (
	bulletPrefix = regexp.MustCompile(`^(?:[-*•·–]|\d{1,2}[.)])\s+`)
	// Abbreviations whose full stop does not end a sentence.
	abbreviations = wordSet("e.g eg i.e ie no nos mr mrs ms dr st approx incl inc ltd co vs v a.m p.m am pm jan feb mar apr jun jul aug sep sept oct nov dec fig para paras ref tel ch sec art reg regs op cf al")
)

// passageUnits splits passage text into quotable units. A line ending in
// a colon followed by list lines becomes one unit with items, so "You'll
// need:" is never quoted without what you need.
func passageUnits(passage int, text string) []unit {
	var lines []string
	var bullet []bool
	for _, l := range strings.Split(text, "\n") {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			continue
		}
		isB := bulletPrefix.MatchString(l)
		if isB {
			l = bulletPrefix.ReplaceAllString(l, "")
		}
		lines = append(lines, l)
		bullet = append(bullet, isB)
	}
	var out []unit
	add := func(text string, items []string) {
		u := unit{passage: passage, pos: len(out), text: text, items: items}
		full := u.full()
		u.words = len(strings.Fields(full))
		u.stems = stemSet(full)
		u.feat = sentenceFeatures(full)
		if u.words > 0 {
			out = append(out, u)
		}
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasSuffix(l, ":") && i+1 < len(lines) && (bullet[i+1] || len([]rune(lines[i+1])) < 80) {
			sents := splitSentences(l)
			for _, s := range sents[:len(sents)-1] {
				add(s, nil)
			}
			var items []string
			for i+1 < len(lines) && (bullet[i+1] || (!endsSentence(lines[i+1]) && len([]rune(lines[i+1])) < 80)) && len(items) < 12 {
				i++
				if strings.IndexFunc(lines[i], func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
					items = append(items, lines[i]) // skip empty bullets like "-"
				}
			}
			add(sents[len(sents)-1], items)
			continue
		}
		for _, s := range splitSentences(l) {
			add(s, nil)
		}
	}
	return out
}

func endsSentence(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(s, `"'’”)`))
	return r == '.' || r == '!' || r == '?'
}

// splitSentences splits a line at ". ", "! " and "? " when the next word
// starts like a sentence, except after abbreviations ("e.g.", "No. 5") and
// initials. Decimal points ("£1.50") are never followed by a space, so
// they never split.
func splitSentences(line string) []string {
	var out []string
	start := 0
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		if rs[i] != '.' && rs[i] != '!' && rs[i] != '?' {
			continue
		}
		j := i + 1
		for j < len(rs) && strings.ContainsRune(`"'’”)]`, rs[j]) {
			j++
		}
		if j >= len(rs) || rs[j] != ' ' {
			continue
		}
		k := j
		for k < len(rs) && rs[k] == ' ' {
			k++
		}
		if k >= len(rs) {
			continue
		}
		next := rs[k]
		if !(unicode.IsUpper(next) || unicode.IsDigit(next) || strings.ContainsRune(`"'‘“(£$€`, next)) {
			continue
		}
		if rs[i] == '.' {
			w := lastWord(rs[:i])
			if abbreviations[strings.ToLower(w)] || (utf8.RuneCountInString(w) == 1 && unicode.IsUpper([]rune(w)[0])) {
				continue
			}
		}
		out = append(out, strings.TrimSpace(string(rs[start:j])))
		start = k
		i = k - 1
	}
	if rest := strings.TrimSpace(string(rs[start:])); rest != "" {
		out = append(out, rest)
	}
	return out
}

func lastWord(rs []rune) string {
	i := len(rs)
	for i > 0 && !unicode.IsSpace(rs[i-1]) && rs[i-1] != '(' {
		i--
	}
	return string(rs[i:])
}

// stopwords carry no topic. The list is small on purpose: words like
// "need", "apply" or "online" do carry meaning in government questions.
var stopwords = wordSet(`a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have having he
her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not of off
on once only or other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours yourself yourselves s t d ll m re ve don doesn didn isn aren wasn weren
can't won wouldn shouldn couldn im ive id youre also actually really just please thanks ok okay yes get got still
much many long roughly exactly anyone someone something thing things way true another go able whether`)

// synonyms map everyday words onto the words GOV.UK uses. Keys are
// lower-case words as typed; values are stems.
var synonyms = map[string]string{
	"price": "cost", "prices": "cost", "fee": "cost", "fees": "cost", "charge": "cost", "charges": "cost",
	"pay": "cost", "paid": "cost", "paying": "cost", "costs": "cost", "costing": "cost",
	"license": "licenc", "licenses": "licenc", "licence": "licenc", "licences": "licenc",
	"renewal": "renew", "renewing": "renew", "taxman": "hmrc", "kid": "child", "kids": "child", "children": "child",
	"phone": "call", "ring": "call", "telephone": "call", "helpline": "call", "calls": "call", "calling": "call",
}

// stemSet returns the stems of the content words of s.
func stemSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range termWords(s) {
		out[stem(w)] = true
	}
	return out
}

// termWords returns the lower-cased content words of s.
func termWords(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stopwords[w] || (utf8.RuneCountInString(w) < 2 && !unicode.IsDigit([]rune(w)[0])) {
			continue
		}
		out = append(out, w)
	}
	return out
}

// stem strips common English suffixes. It only has to make the question's
// and the passage's forms of a word meet, not produce real roots.
func stem(w string) string {
	if s, ok := synonyms[w]; ok {
		return s
	}
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		w = w[:n-3] + "y"
	case n > 5 && strings.HasSuffix(w, "ing"):
		w = w[:n-3]
	case n > 4 && strings.HasSuffix(w, "ed"):
		w = w[:n-2]
	case n > 4 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "xes")):
		w = w[:n-2]
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:n-1]
	}
	if len(w) > 4 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1] // "licence"/"licenc", "renewe"/"renew"
	}
	return w
}
