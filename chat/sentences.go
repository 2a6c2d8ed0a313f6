package chat

import (
	"strings"
)

// sentenceGuard buffers streamed text and releases it a sentence at a time,
// after the output checks: no personal data, no links outside the sources,
// no forbidden terms. A sentence that fails is dropped, not sent.
type sentenceGuard struct {
	next      func(string) error
	allowed   map[string]bool
	forbidden []string
	extra     func(string) error // a composer's own check (contactCheck); nil for none
	buf       strings.Builder
	kept      int
	dropped   int
	reasons   map[string]int // dropped sentences by output check (Audit)
}

func newSentenceGuard(next func(string) error, allowed map[string]bool, forbidden []string, _ int) *sentenceGuard {
	return &sentenceGuard{next: next, allowed: allowed, forbidden: forbidden}
}

// write takes a delta from a composer.
func (g *sentenceGuard) write(delta string) error {
	g.buf.WriteString(delta)
	s := g.buf.String()
	end := lastSentenceEnd(s)
	if end <= 0 {
		return nil
	}
	g.buf.Reset()
	g.buf.WriteString(s[end:])
	return g.release(s[:end])
}

// flush releases whatever is left at the end of the answer.
func (g *sentenceGuard) flush() error {
	s := g.buf.String()
	g.buf.Reset()
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return g.release(s)
}

func (g *sentenceGuard) release(text string) error {
	for _, sentence := range splitKeepingSpace(text) {
		if strings.TrimSpace(sentence) == "" {
			if g.kept > 0 {
				if err := g.next(sentence); err != nil {
					return err
				}
			}
			continue
		}
		err := CheckOutputSentence(sentence, g.allowed, g.forbidden)
		if err == nil && g.extra != nil {
			err = g.extra(sentence)
		}
		if err != nil {
			g.dropped++
			if g.reasons == nil {
				g.reasons = map[string]int{}
			}
			g.reasons[guardName(err)]++
			continue
		}
		g.kept++
		if err := g.next(sentence); err != nil {
			return err
		}
	}
	return nil
}

// lastSentenceEnd returns the index just after the last complete sentence in
// s (a ".", "?", "!" or ":" followed by white space, or a newline), or 0.
func lastSentenceEnd(s string) int {
	for i := len(s) - 1; i > 0; i-- {
		if s[i] == '\n' {
			return i + 1
		}
		if (s[i] == ' ' || s[i] == '\t') && strings.ContainsRune(".?!", rune(s[i-1])) && !abbreviation(s[:i]) {
			return i + 1
		}
	}
	return 0
}

// abbreviation reports whether text ends with a short form whose full stop
// does not end a sentence.
func abbreviation(text string) bool {
	lower := strings.ToLower(text)
	for _, a := range []string{"e.g.", "i.e.", "etc.", "no.", "mr.", "mrs.", "ms.", "dr.", "st.", "approx.", "vs."} {
		if strings.HasSuffix(lower, " "+a) || lower == a {
			return true
		}
	}
	return false
}

// splitKeepingSpace splits text into sentences, each keeping its trailing
// white space, so joining them gives text back.
func splitKeepingSpace(text string) []string {
	var out []string
	for len(text) > 0 {
		cut := firstSentenceEnd(text)
		if cut <= 0 || cut >= len(text) {
			out = append(out, text)
			break
		}
		out = append(out, text[:cut])
		text = text[cut:]
	}
	return out
}

func firstSentenceEnd(s string) int {
	for i := 1; i < len(s); i++ {
		if s[i] == '\n' {
			j := i + 1
			for j < len(s) && s[j] == '\n' {
				j++
			}
			return j
		}
		if (s[i] == ' ' || s[i] == '\t') && strings.ContainsRune(".?!", rune(s[i-1])) && !abbreviation(s[:i]) {
			return i + 1
		}
	}
	return 0
}
