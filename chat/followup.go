package chat

import (
	"strings"
	"unicode"
)

// Turn is one earlier message in a conversation.
type Turn struct {
	Role    string // RoleUser or RoleAssistant
	Content string
}

// Turn roles.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// followupWords are words a follow-up uses without naming a topic: the
// question shapes ("how much", "how long"), pronouns pointing back, and
// verbs that apply to any service. A question made only of these needs
// the conversation to make sense.
var followupWords = wordSet(`how much many long soon quickly often when where what which who why is are was were
does do did can could would should will shall it that this they them there those these its their he she him her his
one ones cost costs price fee fees pay take takes taking get getting got allowed allow stay need needed roughly about
around approximately time till until happen happens mean means work works same too again else more instead way ways
still also exactly usually normally typically apply applying online long much tell know i me my we our you your a an
the and but so ok okay then plus if or for on in to of at by with from be been being have has had just really actually
please thanks right sure yes no not any there's that's it's what's how's i'm i've i'd i'll till`)

// anaphora point back to something said before.
var anaphora = wordSet("it that this they them there those these its their he she him her one ones")

// continuations open a question that carries on from the last one.
var continuations = []string{"and ", "but ", "so ", "ok ", "okay ", "also ", "what about ", "how about ", "and if ", "what if ", "then ", "plus ", "what else"}

// RewriteFollowup turns a follow-up ("how much is that?") into a question
// retrieval can use on its own, by putting the topic of the conversation in
// front of it: "provisional driving licence, learning drive son: how much
// is that?". It needs no model, so it works offline and is deterministic.
// Questions that name their own topic come back unchanged, as do questions
// with no history to draw on.
func RewriteFollowup(history []Turn, q string) string {
	q = strings.TrimSpace(q)
	if !looksLikeFollowup(q) {
		return q
	}
	context := conversationTopic(history)
	if context == "" {
		return q
	}
	return context + ": " + q
}

// looksLikeFollowup reports a short question that points back (a pronoun or
// a continuation like "and", "what about") and names at most one topic
// word of its own.
func looksLikeFollowup(q string) bool {
	words := lowerWords(q)
	if len(words) == 0 || len(words) > 14 {
		return false
	}
	lower := strings.Join(words, " ") + " "
	continues := false
	for _, c := range continuations {
		if strings.HasPrefix(lower, c) {
			continues = true
			break
		}
	}
	pointsBack := false
	topic := 0
	for _, w := range words {
		if anaphora[w] {
			pointsBack = true
		}
		if !followupWords[w] {
			topic++
		}
	}
	switch {
	case topic == 0:
		return continues || pointsBack || len(words) <= 4
	case topic == 1:
		return continues || (pointsBack && len(words) <= 8)
	case topic == 2:
		return continues && len(words) <= 6
	}
	return false
}

// conversationTopic returns the topic words of the most recent user turn
// that had a topic of its own (skipping earlier follow-ups), and the last
// noun phrase of the assistant's reply to it, which is often what "that"
// or "it" refers to.
func conversationTopic(history []Turn) string {
	var parts []string
	seen := map[string]bool{}
	addWords := func(ws []string) {
		var kept []string
		for _, w := range ws {
			k := strings.ToLower(w)
			if !seen[k] {
				seen[k] = true
				kept = append(kept, w)
			}
		}
		if len(kept) > 0 {
			parts = append(parts, strings.Join(kept, " "))
		}
	}
	userAt := -1
	var userTopic []string
	for i := len(history) - 1; i >= 0 && i >= len(history)-10; i-- {
		if history[i].Role != RoleUser {
			continue
		}
		ws := topicWords(history[i].Content)
		if len(ws) == 0 {
			continue
		}
		userTopic = append(ws, userTopic...)
		userAt = i
		if !looksLikeFollowup(history[i].Content) {
			break
		}
	}
	if userAt < 0 {
		return ""
	}
	for i := len(history) - 1; i > userAt; i-- {
		if history[i].Role == RoleAssistant {
			if np := lastNounPhrase(history[i].Content); len(np) > 0 {
				addWords(np)
			}
			break
		}
	}
	if len(userTopic) > 10 {
		userTopic = userTopic[len(userTopic)-10:]
	}
	addWords(userTopic)
	return strings.Join(parts, ", ")
}

// topicWords keeps the words of s that name things, in order, with their
// original case.
func topicWords(s string) []string {
	var out []string
	for _, w := range splitKeepCase(s) {
		l := strings.ToLower(w)
		if followupWords[l] || stopwords[l] || len([]rune(l)) < 2 || isNumber(l) {
			continue
		}
		out = append(out, w)
	}
	return out
}

// lastNounPhrase approximates the last noun phrase of a reply as its last
// run of two to four adjacent topic words: "a provisional driving licence
// before" gives "provisional driving licence".
func lastNounPhrase(s string) []string {
	var runs [][]string
	var cur []string
	flush := func() {
		if len(cur) >= 2 {
			if len(cur) > 4 {
				cur = cur[len(cur)-4:]
			}
			runs = append(runs, cur)
		}
		cur = nil
	}
	for _, tok := range splitWithBreaks(s) {
		l := strings.ToLower(tok)
		if tok == "" || followupWords[l] || stopwords[l] || isNumber(l) || len([]rune(l)) < 2 {
			flush()
			continue
		}
		cur = append(cur, tok)
	}
	flush()
	if len(runs) == 0 {
		return nil
	}
	return runs[len(runs)-1]
}

func lowerWords(s string) []string {
	ws := splitKeepCase(s)
	for i, w := range ws {
		ws[i] = strings.ToLower(w)
	}
	return ws
}

// splitKeepCase splits s into words of letters, digits, inner hyphens and
// apostrophes ("e-Visa", "there's").
func splitKeepCase(s string) []string {
	var out []string
	for _, t := range splitWithBreaks(s) {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// splitWithBreaks is splitKeepCase with an empty string wherever
// punctuation other than a hyphen or apostrophe breaks a phrase.
func splitWithBreaks(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		w := strings.Trim(string(cur), "-'’")
		if w != "" {
			out = append(out, w)
		}
		cur = cur[:0]
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '\'' || r == '’':
			cur = append(cur, r)
		case unicode.IsSpace(r):
			flush()
		default:
			flush()
			out = append(out, "")
		}
	}
	flush()
	return out
}

func isNumber(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) && r != '.' && r != ',' {
			return false
		}
	}
	return s != ""
}
