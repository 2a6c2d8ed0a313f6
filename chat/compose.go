package chat

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
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
// The answer leads with the sentence that holds what was asked (an amount
// for "how much", a phone number for "what number"), then adds a few
// sentences from passages judged relevant; Explain shows the scores behind
// every choice. The same question and passages always give the same answer.
//
// The zero value is ready to use.
type Extractive struct {
	MaxSentences int // sentences or lists quoted; default 4
	MaxWords     int // words quoted in total; default 105
	MaxPassages  int // passages quoted from; default 3
}

func (e Extractive) limits() (maxSent, maxWords, maxPass int) {
	return cmp.Or(e.MaxSentences, 4), cmp.Or(e.MaxWords, 105), cmp.Or(e.MaxPassages, 3)
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

// Compose picks 1 to MaxSentences units from at most MaxPassages relevant
// passages, writes them as a short markdown answer with citation markers,
// and streams it through emit a word at a time. If emit returns an error or
// ctx ends, composition stops and that error is returned.
func (e Extractive) Compose(ctx context.Context, question string, passages []govchat.Passage, emit func(delta string) error) (Composition, error) {
	if err := ctx.Err(); err != nil {
		return Composition{}, err
	}
	pl := e.plan(question, passages)
	if len(pl.chosen) == 0 {
		return Composition{Status: StatusNoInformation}, nil
	}
	answer, used := render(pl.chosen, passages)
	for _, d := range deltas(answer) {
		if err := ctx.Err(); err != nil {
			return Composition{}, err
		}
		if err := emit(d); err != nil {
			return Composition{}, fmt.Errorf("chat: streaming answer: %w", err)
		}
	}
	return Composition{Answer: answer, Used: used, Status: pl.status}, nil
}

// render writes the chosen units as markdown in the order given: a
// paragraph per run of units from one URL, a list or a line that is not a
// full sentence ("Telephone: 0300 200 3300") ending its paragraph,
// each paragraph closed by its passage's marker. It returns the passage
// indices in marker order; passages with the same URL share a marker.
func render(chosen []unit, passages []govchat.Passage) (string, []int) {
	var b strings.Builder
	b.WriteString(MsgExtractiveLeadIn)
	number := map[string]int{} // passages with one URL share a marker
	var used []int
	for i := 0; i < len(chosen); {
		j := i + 1
		for j < len(chosen) && passages[chosen[j].passage].URL == passages[chosen[i].passage].URL && len(chosen[j-1].items) == 0 && endsSentence(chosen[j-1].text) {
			j++
		}
		url := passages[chosen[i].passage].URL
		n, ok := number[url]
		if !ok {
			used = append(used, chosen[i].passage)
			n = len(used)
			number[url] = n
		}
		b.WriteString("\n\n")
		for k := i; k < j; k++ {
			if k > i {
				b.WriteString(" ")
			}
			b.WriteString(escapeMarkdown(chosen[k].text))
			for _, it := range chosen[k].items {
				b.WriteString("\n- " + escapeMarkdown(it))
			}
		}
		fmt.Fprintf(&b, " [%d]", n)
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
	var bullet, numbered []bool
	for _, l := range strings.Split(text, "\n") {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			continue
		}
		m := bulletPrefix.FindString(l)
		l = l[len(m):]
		lines = append(lines, l)
		bullet = append(bullet, m != "")
		numbered = append(numbered, m != "" && unicode.IsDigit(rune(m[0])))
	}
	var out []unit
	add := func(text string, items []string) {
		u := unit{passage: passage, pos: len(out), text: text, items: items}
		full := u.full()
		u.words = len(strings.Fields(full))
		u.stems = stemSet(full)
		u.feat = sentenceFeatures(u)
		if u.words > 0 {
			out = append(out, u)
		}
	}
	for i := 0; i < len(lines); i++ {
		if end := addressEnd(lines, bullet, i); end > i {
			add(lines[i], lines[i+1:end+1]) // an address stays one block
			i = end
			continue
		}
		l := lines[i]
		colon := strings.HasSuffix(l, ":")
		// "You'll need the following to apply" heads a bulleted list too.
		if i+1 < len(lines) && ((colon && (bullet[i+1] || len([]rune(lines[i+1])) < 80)) || (!endsSentence(l) && bullet[i+1])) {
			sents := splitSentences(l)
			for _, s := range sents[:len(sents)-1] {
				add(s, nil)
			}
			var items []string
			// A list keeps the marker it starts with: "3. Between…" after
			// "- 67 per cent…" is the next numbered note, not an item.
			first := i + 1
			for i+1 < len(lines) && (bullet[i+1] || (colon && !endsSentence(lines[i+1]) && len([]rune(lines[i+1])) < 80)) && len(items) < 12 {
				if i+1 > first && numbered[i+1] != numbered[first] {
					break
				}
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

var postcode = regexp.MustCompile(`\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b`)

// addressEnd returns the index of the last line of a postal address that
// starts at line i (2 to 8 short lines, none a sentence or a bullet, one a
// postcode), or -1.
func addressEnd(lines []string, bullet []bool, i int) int {
	hasPostcode := false
	j := i
	for ; j < len(lines) && j < i+8 && !bullet[j] && !endsSentence(lines[j]) && !strings.HasSuffix(lines[j], ":") && len([]rune(lines[j])) < 60; j++ {
		hasPostcode = hasPostcode || postcode.MatchString(lines[j])
	}
	if !hasPostcode || j-i < 2 {
		return -1
	}
	return j - 1
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
much many long roughly exactly anyone someone something thing things way true another go able whether one ones`)

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
	case n > 6 && strings.HasSuffix(w, "ment"):
		w = w[:n-4] // "replacement"/"replace"
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
