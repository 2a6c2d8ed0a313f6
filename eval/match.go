package eval

import (
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/retrieval"
)

// pagePath is a URL without host, #fragment, query or trailing slash.
func pagePath(u string) string {
	u = strings.TrimPrefix(u, "https://www.gov.uk")
	u = retrieval.PagePath(u)
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if len(u) > 1 {
		u = strings.TrimRight(u, "/")
	}
	return u
}

// parent strips the last path segment: "/a/b" -> "/a"; "/a" -> "".
func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// Matches reports whether a retrieved or cited path matches an expected
// source. Strict: the paths (without #fragment) are equal. Lenient also
// accepts a part and its guide: the retrieved path's parent equals the
// expected path ("/a/b" retrieved for "/a" expected), or the expected path's
// parent equals the retrieved path ("/a" retrieved for "/a/b" expected).
// Siblings ("/a/b" for "/a/c") never match.
func Matches(got, want string, lenient bool) bool {
	g, w := pagePath(got), pagePath(want)
	if g == w {
		return true
	}
	if !lenient {
		return false
	}
	return (parent(g) != "" && parent(g) == w) || (parent(w) != "" && parent(w) == g)
}

func matchesAny(got string, want []string, lenient bool) bool {
	for _, w := range want {
		if Matches(got, w, lenient) {
			return true
		}
	}
	return false
}

// HitRanks returns the 1-based ranks of the retrieved paths that match an
// expected source.
func HitRanks(retrieved, expected []string, lenient bool) []int {
	var ranks []int
	for i, r := range retrieved {
		if matchesAny(r, expected, lenient) {
			ranks = append(ranks, i+1)
		}
	}
	return ranks
}

var (
	spaces = regexp.MustCompile(`\s+`)
	// "£85.00" -> "£85", "£1,250" -> "£1250": amounts written either way.
	pence     = regexp.MustCompile(`(£\d[\d,]*)\.00\b`)
	thousands = regexp.MustCompile(`(\d),(\d{3})\b`)
	numWords  = map[string]string{"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
		"seven": "7", "eight": "8", "nine": "9", "ten": "10"}
	wordRE = regexp.MustCompile(`\b(one|two|three|four|five|six|seven|eight|nine|ten)\b`)
	quotes = strings.NewReplacer("\u2018", "'", "\u2019", "'", "\u201c", `"`, "\u201d", `"`, "\u2013", "-", "\u2014", "-", "\u00a0", " ")
)

// NormaliseFact puts an answer or a fact in the form facts are compared in:
// HTML entities decoded, lower case, curly quotes and dashes made plain,
// whitespace collapsed, "£85.00" written "£85", thousands separators
// dropped, and the number words one to ten written as digits.
func NormaliseFact(s string) string {
	s = html.UnescapeString(s)
	s = quotes.Replace(strings.ToLower(s))
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	s = pence.ReplaceAllString(s, "$1")
	for thousands.MatchString(s) {
		s = thousands.ReplaceAllString(s, "$1$2")
	}
	return wordRE.ReplaceAllStringFunc(s, func(w string) string { return numWords[w] })
}

// AnswerContent is the part of an answer that can state a fact: without
// the fixed words the pipeline puts around quotes ("This is what GOV.UK
// says:", the note that an answer may be partial), which would otherwise
// "find" facts such as "May" or "GOV.UK".
func AnswerContent(answer string) string {
	answer = strings.TrimPrefix(answer, chat.MsgExtractiveLeadIn)
	return strings.Replace(answer, chat.MsgPartialAnswer, "", 1)
}

// HasFact reports whether answer states fact, after NormaliseFact on both.
// A fact that starts or ends with a letter or digit must sit on a word
// boundary, so "7 days" is not found in "17 days" nor "£85" in "£85.50".
func HasFact(answer, fact string) bool {
	a, f := NormaliseFact(answer), NormaliseFact(fact)
	if f == "" {
		return false
	}
	for from := 0; ; {
		i := strings.Index(a[from:], f)
		if i < 0 {
			return false
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(a[:i])
		after, _ := utf8.DecodeRuneInString(a[i+len(f):])
		first, _ := utf8.DecodeRuneInString(f)
		last, _ := utf8.DecodeLastRuneInString(f)
		okBefore := i == 0 || !wordRune(first) || !wordRune(before)
		okAfter := i+len(f) == len(a) || !wordRune(last) || !wordRune(after)
		if okAfter && unicode.IsDigit(last) && (after == '.' || after == ',') {
			// "£85" is not in "£85.50".
			next, _ := utf8.DecodeRuneInString(a[i+len(f)+1:])
			okAfter = !unicode.IsDigit(next)
		}
		if okBefore && okAfter {
			return true
		}
		_, size := utf8.DecodeRuneInString(a[i:])
		from = i + size
	}
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
