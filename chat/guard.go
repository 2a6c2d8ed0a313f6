package chat

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Verdict is the result of CheckJailbreak. Rule names the rule that
// matched, for logs and metrics; it is never shown to the user, so the
// decline message gives nothing away about how the check works.
type Verdict struct {
	Blocked bool
	Rule    string
}

// Rule names. Encoded payloads are reported as "encoded:" plus the rule
// that matched the decoded text.
const (
	RuleIgnoreInstructions = "ignore_instructions"
	RuleNewInstructions    = "new_instructions"
	RuleRevealPrompt       = "reveal_prompt"
	RulePersona            = "persona"
	RuleAuthorityClaim     = "authority_claim"
	RuleEmbeddedRole       = "embedded_instructions"
	RuleOffensive          = "offensive_content"
	RuleHarmful            = "harmful_content"
	RuleEncoded            = "encoded"
)

// phraseRule is a pattern matched against folded text: lower case, letters
// and digits only, single spaces. Folding first means one pattern covers
// punctuation, spacing, leetspeak and look-alike letter tricks.
type phraseRule struct {
	name string
	re   *regexp.Regexp
	// qualified, when set, lists words of which one must appear in the
	// pattern's first group: "ignore your rules" is an attack, "can I
	// ignore the rules" is a question.
	qualified map[string]bool
}

var strongQualifiers = map[string]bool{
	"all": true, "any": true, "your": true, "previous": true, "previously": true, "prior": true,
	"above": true, "earlier": true, "preceding": true, "original": true, "initial": true,
	"system": true, "safety": true, "default": true, "preset": true, "given": true,
	"hidden": true, "developer": true,
}

const groupExpr = `(?:immigrants?|migrants?|refugees?|asylum seekers?|foreigners?|muslims?|jews?|jewish people|christians?|hindus?|sikhs?|black people|white people|asians?|gays?|gay people|lesbians?|trans people|transgender people|women|disabled people|gypsies|travellers|roma|poles|polish people|romanians?|africans?|arabs?|pakistanis?|indians?|chinese people|irish people|benefit claimants)`

var phraseRules = []phraseRule{
	{name: RuleIgnoreInstructions, re: regexp.MustCompile(`\b(?:ignore|disregard|forget|override|bypass|skip|abandon|discard|neglect|drop)\s+((?:(?:all|any|every|of|the|your|these|those|previous|previously|prior|above|earlier|preceding|original|initial|system|existing|current|safety|default|preset|given|old|other|hidden|developer)\s+){1,5})(?:instructions?|guidelines?|rules?|prompts?|directions?|programming|guardrails?|restrictions?|constraints?|polic(?:y|ies)|filters?|directives?|training|commands?|settings)\b`),
		qualified: strongQualifiers},
	{name: RuleIgnoreInstructions, re: regexp.MustCompile(`\b(?:ignore|disregard|forget)\s+(?:all\s+)?(?:of\s+)?(?:everything|the above|all of the above|what you (?:were|have been|ve been) told|what i said before)\b`)},
	{name: RuleIgnoreInstructions, re: regexp.MustCompile(`\banwybydd\w*\s+(?:\w+\s+){0,3}?(?:cyfarwyddiadau|rheolau)\b`)},
	{name: RuleNewInstructions, re: regexp.MustCompile(`\byour\s+(?:new|real|true|actual|updated)\s+(?:instructions?|rules|task|role|persona|directives?|purpose|prompt)\b|\bfrom now on\s+(?:you\s+(?:will|are|re|must|should|shall|have|answer|respond|reply|act|speak|only|can say)|answer|respond|reply|act|talk|speak|only answer|ignore)\b`)},
	{name: RuleRevealPrompt, re: regexp.MustCompile(`\bsystem\s*prompts?\b|\bsystem\s+(?:message|instructions?)\b|\b(?:initial|original|hidden|secret|internal|pre)\s*(?:prompts?|instructions|directives)\b|\bhidden\s+rules\b|\bprompt\s+injection\b`)},
	{name: RuleRevealPrompt, re: regexp.MustCompile(`\b(?:reveal|show|print|display|output|repeat|recite|tell|give|share|list|dump|leak|translate|summari[sz]e|paraphrase|write|spell|echo|copy|paste|expose|disclose|provide|send|what|encode|rewrite|read|explain)\b(?:\s+\w+){0,6}?\s+(?:your\s+(?:\w+\s+){0,2}?(?:instructions|prompt|configuration|config|directives|programming|guidelines|rules|settings|parameters)|(?:the\s+)?instructions\s+(?:you\s+(?:were|have been|ve been|got|received|are)|(?:given|provided)\s+to\s+you|that\s+you\s+(?:were|have|got)|above|before this)|(?:the|those|these|any|all)\s+(?:hidden|secret|internal|initial|original|system|preset|developer)\s+(?:instructions|rules|prompt|guidelines|configuration|settings))\b`)},
	{name: RulePersona, re: regexp.MustCompile(`\b(?:stay|remain|keep|staying)\s+in\s+(?:character|role)\b|\bin\s+character\s+as\b|\brole\s*play\b|\b(?:pretend|imagine)\s+(?:to\s+be|you\s+are|you\s+re|that\s+you|you\s+have\s+no|you\s+can|you\s+were)\b|\bact\s+as\s+(?:if\s+you|though\s+you|an?\s+(?:ai|assistant|chatbot|bot|model|llm|unfiltered|unrestricted|uncensored|evil|rogue|different|jailbroken)|my\s+(?:deceased|dead|late)?\s*(?:grandma|grandmother|gran|nan))\b`)},
	{name: RulePersona, re: regexp.MustCompile(`\byou\s+(?:are|re)\s+now\s+(?:in\s+)?(?:an?\s+)?(?:developer|dev|god|admin|debug|unrestricted|unfiltered|uncensored|jailbreak|jailbroken|dan|evil|opposite|maintenance|sudo|root|free)\b|\byou\s+(?:are|re)\s+now\s+(?:called|named|known\s+as)\b|\b(?:developer|dev|god|debug|jailbreak|jailbroken|admin|sudo|unrestricted|unfiltered|opposite|dan|evil)\s+mode\b|\bjailbr(?:eak|eaking|oken)\b|\bdo\s+anything\s+now\b`)},
	{name: RulePersona, re: regexp.MustCompile(`\b(?:ai|assistant|chatbot|bot|model|llm|you|yourself)\s+(?:\w+\s+){0,3}?(?:with|have|has|having|without)\s+(?:no|any)\s+(?:rules|restrictions|limits|limitations|filters|guidelines|boundaries|morals|ethics|censorship|guardrails)\b|\b(?:ai|assistant|chatbot|bot|model|llm)\s+(?:that|who|which)\s+(?:can|will)\s+(?:say|do|answer)\s+anything\b|\b(?:unfiltered|uncensored)\s+(?:ai|answer|response|reply|mode|version|assistant|chatbot|bot|opinion)\b|\bwithout\s+(?:any\s+)?your\s+(?:rules|restrictions|filters|guidelines|censorship|guardrails)\b`)},
	{name: RuleAuthorityClaim, re: regexp.MustCompile(`\b(?:developers?|creators?|admins?|administrators?|engineers?|programmers?|owners?|makers?|designers?|operators?|trainers?)\s+(?:who|that)\s+(?:built|made|created|trained|programmed|designed|wrote|maintains?|runs?|deployed|coded)\s+(?:you|this\s+(?:bot|chatbot|assistant|ai|system|model|service))\b|\b(?:i\s*(?:am|m)|as)\s+(?:your|this\s+(?:bot|chatbot|assistant|ai|system|model)\s*s?)\s+(?:\w+\s+)?(?:developer|developers|creator|creators|admin|administrator|owner|engineer|programmer|maker|operator|supervisor)\b`)},
	{name: RuleAuthorityClaim, re: regexp.MustCompile(`\bauthori[sz]ed\s+(?:by\s+(?:gds|the\s+gds|(?:the\s+)?government\s+digital\s+service|your\s+\w+|openai|anthropic)|to\s+(?:debug|test|override|bypass|unlock|disable|jailbreak|access\s+your|see\s+your|view\s+your|change\s+your|modify\s+your|inspect\s+your|audit\s+your|reconfigure))\b|\b(?:admin|developer|root|sudo|special|elevated|debug)\s+(?:access|privileges?|permissions?|clearance|override|code)\b|\boverride\s+code\b|\bmaintenance\s+mode\b`)},
	{name: RuleOffensive, re: regexp.MustCompile(`\b(?:write|generate|tell|give|compose|create|say|produce|make|draft|list)\b(?:\s+\w+){0,5}?\s+(?:racist|sexist|homophobic|transphobic|xenophobic|antisemitic|islamophobic|hateful|offensive|abusive|derogatory|bigoted|misogynistic|vulgar|obscene|nsfw|sexually explicit|dirty)\s+(?:\w+\s+)?(?:jokes?|paragraphs?|essays?|poems?|rants?|insults?|content|speech|slurs?|comments?|things|remarks|story|stories|words|names|messages?|posts?|tweets?|songs?|lyrics|limericks?)\b|\b(?:write|generate|say|tell\s+me|compose|create|produce|post)\s+(?:me\s+)?(?:something|anything|stuff)\s+(?:racist|sexist|homophobic|transphobic|xenophobic|antisemitic|islamophobic|hateful|offensive|abusive|derogatory|bigoted|misogynistic|vulgar|obscene|rude|nasty)\b|\b(?:insult|swear\s+at|curse\s+at)\s+(?:me|them|him|her|us)\b|\b(?:list|give|write|tell|say|use)\s+(?:me\s+)?(?:some\s+)?(?:racial\s+)?slurs\b`)},
	{name: RuleOffensive, re: regexp.MustCompile(`\b` + groupExpr + `\s+(?:are\s+|is\s+)?(?:(?:all|just|really|basically|only)\s+)?(?:ruining|destroying|invading|infesting|taking\s+over|polluting|parasites|vermin|scum|inferior|subhuman|animals|savages|a\s+plague|a\s+disease|stealing\s+our|scroungers|leeches|evil|filthy|dirty)\b|\bwhy\s+` + groupExpr + `\s+(?:are|is)\s+(?:bad|evil|worse|stupid|lazy|dangerous|criminals)\b|\b` + groupExpr + `\s+should\s+(?:all\s+)?(?:be\s+)?(?:killed|exterminated|wiped\s+out|gassed|shot)\b`)},
	{name: RuleHarmful, re: regexp.MustCompile(`\b(?:how\s+(?:do\s+i|to|can\s+i|would\s+i|would\s+you)|instructions\s+(?:for|to|on)|steps\s+to|help\s+me|tell\s+me\s+how\s+to|explain\s+how\s+to)\s+(?:make|build|create|synthesi[sz]e|cook|manufacture|produce)\s+(?:a\s+|an\s+|some\s+)?(?:homemade\s+)?(?:bomb|explosives?|pipe\s+bomb|nerve\s+agent|ricin|sarin|anthrax|meth|methamphetamine|napalm|molotov|chemical\s+weapon|bioweapon|ghost\s+gun)\b`)},
}

// Rules matched against the text with case and punctuation kept: role
// markers and chat-template tokens pasted inside "page" text.
var (
	embeddedRole  = regexp.MustCompile(`(?i)(?:^|[\[(<{"'“‘>|\n])\s*(?:system|assistant|developer|admin|operator)\s*(?:note|message|prompt|instructions?|override|update)?\s*(?:to\s+(?:the\s+)?(?:assistant|ai|model|chatbot|bot|llm))?\s*:|\[/?inst\]|<\|im_(?:start|end)\|>|<\|(?:system|assistant|user)\|>|<</?sys>>|</?(?:system|instructions?)>|#{2,}\s*(?:instructions?|system|new\s+instructions?|response)\b|\bnote\s+to\s+(?:the\s+)?(?:assistant|ai|model|chatbot|bot|llm|gpt|claude)\b`)
	embeddedUpper = regexp.MustCompile(`\b(?:SYSTEM|ASSISTANT|INSTRUCTIONS?)(?:\s+(?:NOTE|MESSAGE|PROMPT|OVERRIDE|UPDATE))?\s*:`)
	danUpper      = regexp.MustCompile(`\bDAN\b`)
	// "decode this and do what it says", even when the payload is not
	// something the check can decode.
	decodeAndObey = regexp.MustCompile(`\b(?:decode|decrypt|deobfuscate|unscramble|reverse)\s+(?:this|the\s+following|it|the\s+text)\b(?:\s+\w+){0,8}?\s+(?:follow|obey|execute|run|do\s+what|carry\s+out|act\s+on)\b`)

	base64Blob = regexp.MustCompile(`[A-Za-z0-9+/_\-]{16,}={0,2}`)
	hexBlob    = regexp.MustCompile(`\b(?:[0-9a-fA-F]{2}){12,}\b`)
)

// CheckJailbreak applies deterministic prompt-injection and jailbreak rules
// to a question. It is meant to run on every question before anything is
// sent to a model, and to err towards letting real questions through:
// patterns need the wording of an attack ("ignore your previous
// instructions"), not just a risky word ("rules"), because "what are the
// new rules for e-scooters?" must still be answered.
func CheckJailbreak(s string) Verdict {
	return checkJailbreak(s, 0)
}

func checkJailbreak(s string, depth int) Verdict {
	clean := foldConfusables(stripInvisible(norm.NFKC.String(strings.ToValidUTF8(s, ""))))
	if embeddedRole.MatchString(clean) || embeddedUpper.MatchString(clean) {
		return Verdict{Blocked: true, Rule: RuleEmbeddedRole}
	}
	if danUpper.MatchString(clean) {
		return Verdict{Blocked: true, Rule: RulePersona}
	}
	words := foldWords(clean, false)
	variants := []string{words, foldWords(clean, true), rot13(words), reverseWords(words)}
	for _, v := range variants {
		if r := matchPhraseRules(v); r != "" {
			return Verdict{Blocked: true, Rule: r}
		}
	}
	if r := checkMore(words); r != "" {
		return Verdict{Blocked: true, Rule: r}
	}
	if decodeAndObey.MatchString(words) {
		return Verdict{Blocked: true, Rule: RuleEncoded}
	}
	if depth < 2 {
		for _, d := range decodedBlobs(clean) {
			if v := checkJailbreak(d, depth+1); v.Blocked {
				return Verdict{Blocked: true, Rule: RuleEncoded + ":" + strings.TrimPrefix(v.Rule, RuleEncoded+":")}
			}
		}
	}
	return Verdict{}
}

func matchPhraseRules(v string) string {
	for _, r := range phraseRules {
		if r.qualified == nil {
			if r.re.MatchString(v) {
				return r.name
			}
			continue
		}
		for _, m := range r.re.FindAllStringSubmatch(v, -1) {
			for _, w := range strings.Fields(m[1]) {
				if r.qualified[w] {
					return r.name
				}
			}
		}
	}
	return ""
}

// foldWords lower-cases s, strips accents, optionally undoes leetspeak,
// turns everything but letters and digits into single spaces, and joins
// runs of single letters ("i g n o r e" becomes "ignore").
func foldWords(s string, leet bool) string {
	s = stripMarks(strings.ToLower(s))
	var b strings.Builder
	for _, r := range s {
		if leet {
			switch r {
			case '0':
				r = 'o'
			case '1', '!', '|':
				r = 'i'
			case '3':
				r = 'e'
			case '4', '@':
				r = 'a'
			case '5', '$':
				r = 's'
			case '7', '+':
				r = 't'
			case '8':
				r = 'b'
			}
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte(' ')
		}
	}
	return joinSpelledOut(strings.Fields(b.String()))
}

// joinSpelledOut merges runs of four or more one-letter words, which is how
// people hide a phrase from a word-based filter.
func joinSpelledOut(fields []string) string {
	var out []string
	for i := 0; i < len(fields); {
		j := i
		for j < len(fields) && utf8.RuneCountInString(fields[j]) == 1 {
			j++
		}
		if j-i >= 4 {
			out = append(out, strings.Join(fields[i:j], ""))
			i = j
			continue
		}
		out = append(out, fields[i])
		i++
	}
	return strings.Join(out, " ")
}

// stripMarks removes combining accents so "ïgnörë" folds to "ignore".
func stripMarks(s string) string {
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	for _, r := range d {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

// confusables maps Cyrillic and Greek letters that look like Latin ones;
// NFKC leaves them alone, so "ignоre" with a Cyrillic о would slip past.
var confusables = strings.NewReplacer(
	"а", "a", "е", "e", "о", "o", "р", "p", "с", "c", "у", "y", "х", "x", "і", "i", "ј", "j", "ѕ", "s", "ԁ", "d", "һ", "h", "ӏ", "l", "к", "k", "м", "m", "т", "t", "в", "b", "н", "h",
	"А", "A", "Е", "E", "О", "O", "Р", "P", "С", "C", "У", "Y", "Х", "X", "І", "I", "Ј", "J", "Ѕ", "S", "К", "K", "М", "M", "Т", "T", "В", "B", "Н", "H",
	"α", "a", "ο", "o", "ρ", "p", "ε", "e", "ι", "i", "κ", "k", "ν", "v", "τ", "t", "υ", "u",
	"Α", "A", "Β", "B", "Ε", "E", "Η", "H", "Ι", "I", "Κ", "K", "Μ", "M", "Ν", "N", "Ο", "O", "Ρ", "P", "Τ", "T", "Υ", "Y", "Χ", "X", "Ζ", "Z",
)

func foldConfusables(s string) string { return confusables.Replace(s) }

func rot13(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, s)
}

func reverseWords(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// decodedBlobs returns the readable text hidden in base64 or hex runs.
func decodedBlobs(s string) []string {
	var out []string
	for _, blob := range base64Blob.FindAllString(s, 8) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(blob); err == nil && readable(b) {
				out = append(out, string(b))
				break
			}
		}
	}
	for _, blob := range hexBlob.FindAllString(s, 8) {
		if b, err := hex.DecodeString(blob); err == nil && readable(b) {
			out = append(out, string(b))
		}
	}
	return out
}

// readable reports whether decoded bytes look like text rather than noise,
// so random IDs and reference numbers are not treated as hidden messages.
func readable(b []byte) bool {
	if len(b) < 8 || !utf8.Valid(b) {
		return false
	}
	ok := 0
	for _, c := range b {
		if c == ' ' || c == '\n' || c == '\t' || (c >= 0x21 && c < 0x7f) || c >= 0x80 {
			ok++
		}
	}
	return ok*10 >= len(b)*9 && strings.ContainsRune(string(b), ' ')
}

// Output check errors. Wrapped errors add the kind, link or term, never
// the text around it.
var (
	ErrOutputPII       = errors.New("chat: output contains personal data")
	ErrOutputLink      = errors.New("chat: output links outside its sources")
	ErrOutputForbidden = errors.New("chat: output contains a forbidden term")
)

var (
	outputURL = regexp.MustCompile(`https?://[^\s<>()\[\]"'` + "`" + `]+|\bwww\.[^\s<>()\[\]"'` + "`" + `]+|\]\(([^)\s]+)\)`)
	// Public-sector mail domains: GOV.UK pages publish these addresses, so
	// an answer quoting them is not leaking anyone's personal data.
	publicEmailDomain = regexp.MustCompile(`(?i)(?:\.|@)(?:gov\.uk|gov\.scot|gov\.wales|llyw\.cymru|nhs\.uk|nhs\.net|police\.uk|parliament\.uk|mod\.uk|gsi\.gov\.uk|judiciary\.uk|ac\.uk|sch\.uk)$`)
)

// CheckOutputSentence checks one sentence of a composed answer before it is
// sent. It returns nil when the sentence may be shown, or an error wrapping
// ErrOutputPII, ErrOutputLink or ErrOutputForbidden.
//
// GOV.UK pages publish organisations' phone numbers, postal addresses and
// mailboxes, so the personal data rule only fires for data no GOV.UK answer
// contains: National Insurance and card numbers, dates of birth, mobile
// numbers and email addresses outside public-sector domains. The user's own
// data never gets this far: the question is refused first.
//
// Links must be in allowedURLs, either as given or, for GOV.UK, as a path
// ("/renew-adult-passport"); the fragment is ignored when the page is
// allowed. forbidden terms match whole words, case-insensitively.
func CheckOutputSentence(sentence string, allowedURLs map[string]bool, forbidden []string) error {
	for _, m := range DetectPII(sentence) {
		text := sentence[m.Start:m.End]
		switch m.Kind {
		case PIIAddress:
			continue
		case PIIPhone:
			if !mobileNumber(text) {
				continue
			}
		case PIIEmail:
			if publicEmailDomain.MatchString(text) {
				continue
			}
		}
		return fmt.Errorf("%w: %s", ErrOutputPII, m.Kind)
	}
	for _, m := range outputURL.FindAllStringSubmatch(sentence, -1) {
		link := m[0]
		if m[1] != "" {
			link = m[1]
		}
		link = strings.TrimRight(link, ".,;:!?")
		if !linkAllowed(link, allowedURLs) {
			return fmt.Errorf("%w: %q", ErrOutputLink, link)
		}
	}
	lower := strings.ToLower(sentence)
	for _, term := range forbidden {
		if term = strings.ToLower(strings.TrimSpace(term)); term != "" && containsWord(lower, term) {
			return fmt.Errorf("%w: %q", ErrOutputForbidden, term)
		}
	}
	return nil
}

func mobileNumber(text string) bool {
	var d []byte
	for i := 0; i < len(text); i++ {
		if isDigitByte(text[i]) {
			d = append(d, text[i])
		}
	}
	s := string(d)
	return strings.HasPrefix(s, "07") || strings.HasPrefix(s, "447") || strings.HasPrefix(s, "4407") || strings.HasPrefix(s, "00447")
}

func linkAllowed(link string, allowed map[string]bool) bool {
	candidates := []string{link}
	if strings.HasPrefix(link, "www.") {
		link = "https://" + link
		candidates = append(candidates, link)
	}
	if u, err := url.Parse(link); err == nil {
		noFrag := *u
		noFrag.Fragment = ""
		candidates = append(candidates, noFrag.String())
		host := strings.ToLower(u.Host)
		if host == "" || host == "www.gov.uk" || host == "gov.uk" {
			p := u.Path
			candidates = append(candidates, p, strings.TrimSuffix(p, "/"))
			if u.Fragment != "" {
				candidates = append(candidates, p+"#"+u.Fragment)
			}
		}
	}
	for _, c := range candidates {
		if c != "" && allowed[c] {
			return true
		}
	}
	return false
}

// containsWord reports whether term occurs in s with no letter or digit
// directly either side, so "ass" does not match "passport".
func containsWord(s, term string) bool {
	for i := 0; i <= len(s)-len(term); {
		j := strings.Index(s[i:], term)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(term)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (start == 0 || !isWordRune(before)) && (end == len(s) || !isWordRune(after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(s[start:])
		i = start + size
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }
