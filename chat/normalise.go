// Package chat holds the offline parts of the conversation pipeline: input
// normalisation, personal data detection, jailbreak rules, fixed routes,
// follow-up rewriting and the extractive composer. Nothing here touches a
// database or the network, so every check can run before a question leaves
// the process.
package chat

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// DefaultMaxRunes is the question length limit the reference service uses.
const DefaultMaxRunes = 300

var (
	// ErrEmpty means nothing visible was left after normalisation.
	ErrEmpty = errors.New("chat: empty question")
	// ErrTooLong means the normalised question is over the length limit.
	ErrTooLong = errors.New("chat: question too long")
)

// Normalise cleans a question before any check sees it: it drops invalid
// UTF-8, invisible and control characters (tag characters and bidi
// overrides are used to hide instructions from human reviewers), folds
// compatibility forms such as fullwidth letters with NFKC (so "ｉｇｎｏｒｅ"
// is checked as "ignore"), collapses runs of whitespace and trims.
// maxRunes <= 0 means DefaultMaxRunes. The limit applies after cleaning, so
// padding with invisible characters cannot push a short question over it.
func Normalise(s string, maxRunes int) (string, error) {
	if maxRunes <= 0 {
		maxRunes = DefaultMaxRunes
	}
	// Strip before and after NFKC: removing an invisible character can bring
	// a base letter and a combining mark together, and NFKC can produce
	// spaces; doing both passes makes the result stable under re-normalising.
	s = stripInvisible(strings.ToValidUTF8(s, ""))
	s = stripInvisible(norm.NFKC.String(s))
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "", ErrEmpty
	}
	if utf8.RuneCountInString(s) > maxRunes {
		return "", ErrTooLong
	}
	return s, nil
}

// stripInvisible removes format and control characters and maps every kind
// of whitespace to a plain space for strings.Fields to collapse.
func stripInvisible(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case isInvisible(r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isInvisible reports characters that render as nothing but can carry
// hidden text: the Cf category covers tag characters (U+E0000–E007F), bidi
// embeddings and isolates (U+202A–202E, U+2066–2069), zero-width
// characters (U+200B–200D, U+2060, U+FEFF) and the soft hyphen. Variation
// selectors are Mn, not Cf, but they too are used to smuggle bytes.
func isInvisible(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return true
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Cc, r):
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF:
		return true
	case r >= 0xE0000 && r <= 0xE007F: // unassigned tag code points too
		return true
	}
	return false
}
