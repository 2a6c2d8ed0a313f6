package retrieval

import (
	"math"
	"strings"
	"unicode"

	"github.com/govchat/govchat"
)

// lexicalCover scores how much of the question each candidate's title and
// headings speak to: the idf-weighted share (idf over the candidates) of
// the question's content words found there. The fused rank says which
// passages are near the question; the title and headings say what a page
// is about ("Local laws and customs" for "arrested for leaving my ID").
func lexicalCover(question string, cands []govchat.Passage) []float64 {
	terms := contentWords(question)
	out := make([]float64, len(cands))
	if len(terms) == 0 || len(cands) == 0 {
		return out
	}
	fields := make([]map[string]bool, len(cands))
	df := map[string]int{}
	for i, p := range cands {
		fields[i] = map[string]bool{}
		for _, w := range contentWords(p.Title + " " + strings.Join(p.HeadingPath, " ")) {
			fields[i][w] = true
		}
		for w := range fields[i] {
			df[w]++
		}
	}
	total := 0.0
	idf := map[string]float64{}
	for _, t := range terms {
		idf[t] = math.Log(1 + float64(len(cands)+1)/float64(df[t]+1))
		total += idf[t]
	}
	for i := range cands {
		got := 0.0
		for _, t := range terms {
			if fields[i][t] {
				got += idf[t]
			}
		}
		out[i] = got / total
	}
	return out
}

// contentWords lower-cases s and returns its words of three or more
// letters that are not function words, each cut to a crude stem so that
// "customs" meets "custom" and "arrested" meets "arrest".
func contentWords(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len([]rune(w)) < 3 || functionWords[w] {
			continue
		}
		w = crudeStem(w)
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

func crudeStem(w string) string {
	for _, suf := range []string{"ing", "ed", "es", "s"} {
		if len(w) > len(suf)+3 && strings.HasSuffix(w, suf) {
			return w[:len(w)-len(suf)]
		}
	}
	return w
}

var functionWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`the and for are but not you your yours all any can had has have her his how its our out who what when where which why with will would could should from this that these those them they their there then than into about after before over under just also very more most much many some such only own same too was were been being does did doing done get got make made need want know like one two way even well back still yes really please thanks hello can't don't i'm it's`) {
		m[w] = true
	}
	return m
}()
