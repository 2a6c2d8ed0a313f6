package chat

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// PIIKind names a kind of personal data. The values double as the
// placeholders Redact writes, so they are short and safe to log.
type PIIKind string

// The kinds of personal data DetectPII finds: the ones the evaluation
// lists, which are also the ones a citizen most often pastes into a chat.
// Names (pii_names.go) and identity and bank numbers (pii_ids.go) are
// declared beside their patterns.
const (
	PIINationalInsurance PIIKind = "ni_number"
	PIIEmail             PIIKind = "email"
	PIIPhone             PIIKind = "phone"
	PIICard              PIIKind = "card_number"
	PIIAddress           PIIKind = "address"
	PIIDateOfBirth       PIIKind = "date_of_birth"
)

// PIIMatch is one piece of personal data found in a string: its kind and
// byte span. It deliberately has no field holding the text, and String
// prints only the kind and span, so a match can be logged safely.
type PIIMatch struct {
	Kind       PIIKind
	Start, End int // byte offsets, s[Start:End]
}

func (m PIIMatch) String() string {
	return fmt.Sprintf("%s[%d:%d]", m.Kind, m.Start, m.End)
}

const (
	// A date with a year, in the ways people write birth dates.
	dateExpr  = `(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})\b|\d{4}-\d{1,2}-\d{1,2}\b|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?` + monthExpr + `\.?,?\s+\d{4}\b|` + monthExpr + `\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b)`
	monthExpr = `(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|` + welshMonths + `)\b`
	// Welsh months, with the soft mutation after "o" ("o Fawrth") and "ym"
	// forms folded in: Ionawr, Chwefror, Mawrth, Ebrill, Mai, Mehefin,
	// Gorffennaf, Awst, Medi, Hydref, Tachwedd, Rhagfyr.
	welshMonths = `ionawr|chwefror|[mf]awrth|ebrill|[mf]ai|[mf]ehefin|[gf]?orffennaf|awst|[mf]edi|[h]?ydref|[td]achwedd|rhagfyr`
)

var (
	// Two prefix letters, three pairs of digits, an optional suffix A–D,
	// each part optionally separated: "QQ123456C", "QQ 12 34 56 C".
	niPattern = regexp.MustCompile(`(?i)\b([a-z])([a-z])[ -]?(\d{2})[ -]?(\d{2})[ -]?(\d{2})(?:[ -]?([a-d]))?\b`)
	// Text that says a number is a National Insurance number, which lets a
	// number without its suffix letter count.
	niContext = regexp.MustCompile(`(?i)\b(?:national\s+insurance|ni\s*(?:no|number)|nino|n\.i\.)`)

	emailPattern = regexp.MustCompile(`(?i)[a-z0-9._%+\-]+@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,}\b`)
	// "name at example dot com" and "name [at] example [dot] co [dot] uk".
	emailSpelled = regexp.MustCompile(`(?i)\b[a-z0-9._%+\-]+\s*(?:\[at\]|\(at\)|\bat\b)\s*[a-z0-9\-]+\s*(?:(?:\[dot\]|\(dot\)|\bdot\b)\s*[a-z0-9\-]+\s*)*(?:\[dot\]|\(dot\)|\bdot\b)\s*(?:com|org|net|uk|co|ie)\b`)

	// Phone candidates: +44/0044 or a leading 0, then digits with single
	// spaces, dashes or brackets. ukPhone decides whether the digits are a
	// real UK number.
	phonePattern = regexp.MustCompile(`(?:\+ ?44|\b0044)[ \-]?(?:\(0\)[ \-]?)?\(?\d[\d \-()]{7,14}\d|\(?\b0\d[\d \-()]{7,14}\d`)
	// Wording that makes even an organisation-style number personal:
	// "my number is 0800…", "call me on 0345…".
	phonePersonal = regexp.MustCompile(`(?i)(?:\b(?:my|our|his|her|their)\s+(?:(?:mobile|home|work|landline|contact|phone|telephone|tel|daytime)\s+)*(?:number|no\.?|phone|mobile|landline|tel)\s*(?:is|:|=|-)?\s*|\b(?:call|ring|phone|text|reach|contact)\s+(?:me|us|him|her|them)\s+(?:on|at)\s*|\b(?:me|us)\s+on\s*)\(?$`)

	// 13–19 digits, optionally grouped; cardGroupsOK and Luhn decide.
	cardPattern = regexp.MustCompile(`\b\d(?:[ \-]?\d){12,18}\b`)

	// A card's security code or expiry date, which only count when labelled:
	// "cvv 123", "exp 09/27". Reported as card numbers.
	cardExtra = regexp.MustCompile(`(?i)\b(?:cvv2?|cvc2?|csc|security\s+code)\s*(?:is|:|-)?\s*\d{3,4}\b|\b(?:exp(?:iry)?(?:\s+date)?|expires|valid\s+(?:thru|to|until))\.?\s*(?:is|:|-)?\s*\d{1,2}\s?/\s?(?:\d{4}|\d{2})\b`)

	// Full UK postcode (outward and inward code), as Royal Mail defines the
	// letter positions. A postcode alone is not treated as personal data.
	postcodePattern = regexp.MustCompile(`(?i)\b[a-pr-uwyz][a-hk-y]?\d[a-z\d]? ?\d[abd-hjlnp-uw-z]{2}\b`)
	// A Welsh street puts its kind first: "14 Heol y Deri", "4 Stryd Fawr".
	welshStreet = regexp.MustCompile(`(?i)\b\d{1,4}[a-z]?,?\s+(?:stryd|heol|ffordd|lon|lôn|rhodfa|teras|cilgant|maes|llwyn|parc|clos|cae)\s+(?:[a-z'’\-]+\s*){1,3}`)
	// A house number and a street: "27 Marlborough Road", "3a High St".
	streetPattern = regexp.MustCompile(`(?i)\b\d{1,4}[a-z]?,?\s+(?:[a-z'’\-]+\s+){1,3}(?:road|rd|street|st|avenue|ave|lane|ln|close|drive|dr|way|court|ct|crescent|cres|place|pl|gardens|gdns|terrace|grove|hill|park|square|sq|mews|row|view|walk|rise|green|parade|mount|vale|cottages|boulevard|wharf|yard|croft|meadows?|fields|heights|gate|wynd|brae|chase|approach|embankment|circus)\b`)
	// Street abbreviations end in a full stop that does not end a sentence.
	streetAbbrevDot = regexp.MustCompile(`(?i)\b(?:rd|st|ave|ln|dr|ct|pl|sq|cres|gdns)\.`)
	// A house number and a capitalised name then a comma: "27 Marlborough,
	// Swindon SN3 1QP". Only counted when a postcode follows.
	houseNamePattern = regexp.MustCompile(`\b\d{1,4}[a-z]?,?\s+[A-Z][a-z'’\-]+(?:\s+[A-Z][a-z'’\-]+){0,2},`)
	// Wording that makes a street address the user's own.
	addressPersonal = regexp.MustCompile(`(?i)\b(?:i|we|he|she|they)\s+(?:live|lives|living|reside|resides|am\s+living|are\s+living|is\s+living)\s+(?:at|in)\s*$|\b(?:my|our|his|her|their)\s+(?:home\s+|postal\s+|full\s+|current\s+|new\s+|old\s+)?address\s*(?:is|:|-)?\s*$|\baddress\s*:\s*$`)

	// A date only counts as personal data when the text says it is a birth
	// date; deadlines and appointment dates are not personal data.
	dobBefore = regexp.MustCompile(`(?i)\b(?:born|date\s+of\s+birth|birth\s*date|birthday|dob\b|d\.\s?o\.\s?b\.?|(?:d|dd|n|nh)yddiad\s+geni|(?:fy\s+)?mhen-?blwydd|(?:ces\s+i|cefais|ganwyd|ganed)\s+(?:i\s+|fi\s+)?(?:fy\s+ngeni\s+)?)[^.?!\d]{0,25}?(` + dateExpr + `)`)
	dobAfter  = regexp.MustCompile(`(?i)(` + dateExpr + `)\s+(?:is|was)\s+(?:my|his|her|their)\s+(?:date\s+of\s+birth|birth\s*date|birthday|dob)\b`)
)

// DetectPII finds personal data in s and returns non-overlapping matches in
// order. It aims for fewer false positives than a plain digit-run pattern:
// amounts, years ("2024 2025"), counts ("100000"), tax years, times, form
// codes ("SA100", "P60") and public helpline numbers are not personal data.
//
// Decisions:
//   - National Insurance numbers must use a valid prefix, or QQ (the prefix
//     HMRC uses in examples, which people copy when typing their own). The
//     suffix letter may be left off only when the text says it is an NI
//     number.
//   - Phone numbers starting 03, 08 or 09 are organisation numbers (the
//     helplines GOV.UK publishes), so they only count when the wording
//     makes them the user's own: "my number is", "call me on". Mobile (07)
//     and geographic (01, 02) numbers always count.
//   - A postcode alone is not personal data: it names an area of about 15
//     homes, and people need it to ask which council covers them. A house
//     number and street followed by a postcode, or a street address the
//     user says is theirs ("I live at ..."), is.
//   - A date is a date of birth only when the wording says so ("born on",
//     "DOB", "date of birth is").
func DetectPII(s string) []PIIMatch {
	var ms []PIIMatch
	add := func(k PIIKind, start, end int) { ms = append(ms, PIIMatch{Kind: k, Start: start, End: end}) }

	for _, m := range niPattern.FindAllStringSubmatchIndex(s, -1) {
		if niValid(s, m) {
			add(PIINationalInsurance, m[0], m[1])
		}
	}
	for _, m := range emailPattern.FindAllStringIndex(s, -1) {
		add(PIIEmail, m[0], m[1])
	}
	for _, m := range emailSpelled.FindAllStringIndex(s, -1) {
		add(PIIEmail, m[0], m[1])
	}
	for _, m := range phonePattern.FindAllStringIndex(s, -1) {
		start, end, ok := ukPhone(s, m[0], m[1])
		if ok {
			add(PIIPhone, start, end)
		}
	}
	for _, m := range cardPattern.FindAllStringIndex(s, -1) {
		if cardNumber(s[m[0]:m[1]]) {
			add(PIICard, m[0], m[1])
		}
	}
	for _, m := range cardExtra.FindAllStringIndex(s, -1) {
		add(PIICard, m[0], m[1])
	}
	ms = append(ms, addresses(s)...)
	ms = append(ms, identityNumbers(s)...)
	ms = append(ms, findNames(s)...)
	for _, re := range []*regexp.Regexp{dobBefore, dobAfter} {
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			add(PIIDateOfBirth, m[2], m[3])
		}
	}
	return ownNumbers(s, resolveOverlaps(ms))
}

// Redact replaces each piece of personal data with "[kind]", for text that
// has to be kept, such as feedback comments. It repeats until nothing is
// found, because removing one match can expose another. Placeholders hold
// no digit, "@" or letter that starts a word, so no pattern matches them;
// if something is still found after a few passes the whole text goes.
func Redact(s string) string {
	for range 16 {
		ms := DetectPII(s)
		if len(ms) == 0 {
			return s
		}
		var b strings.Builder
		last := 0
		for _, m := range ms {
			b.WriteString(s[last:m.Start])
			b.WriteString("[" + string(m.Kind) + "]")
			last = m.End
		}
		b.WriteString(s[last:])
		s = b.String()
	}
	return "[redacted]"
}

// resolveOverlaps sorts matches and keeps the longest of any that overlap,
// so an address is not split by the phone-like digits inside it.
func resolveOverlaps(ms []PIIMatch) []PIIMatch {
	if len(ms) < 2 {
		return ms
	}
	sort.Slice(ms, func(i, j int) bool {
		li, lj := ms[i].End-ms[i].Start, ms[j].End-ms[j].Start
		if li != lj {
			return li > lj
		}
		return ms[i].Start < ms[j].Start
	})
	var kept []PIIMatch
next:
	for _, m := range ms {
		for _, k := range kept {
			if m.Start < k.End && k.Start < m.End {
				continue next
			}
		}
		kept = append(kept, m)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Start < kept[j].Start })
	return kept
}

// niValid applies HMRC's prefix rules to a niPattern submatch.
func niValid(s string, m []int) bool {
	a, b := upper(s[m[2]]), upper(s[m[4]])
	lower := s[m[2]] != a || s[m[4]] != b
	if (s[m[2]] == a) != (s[m[4]] == b) {
		return false // "As 12..." is a word, not a prefix
	}
	hasSuffix := m[12] >= 0
	if !hasSuffix || lower {
		// Without the suffix or in lower case the shape is too common to
		// trust without the text saying what it is.
		if !niContext.MatchString(s) {
			return false
		}
	}
	if a == 'Q' && b == 'Q' {
		return true
	}
	if strings.IndexByte("DFIQUV", a) >= 0 || strings.IndexByte("DFIOQUV", b) >= 0 {
		return false
	}
	switch string([]byte{a, b}) {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return false
	}
	return true
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// ukPhone checks a phonePattern candidate s[start:end] and returns the span
// to report. It rejects digit runs that continue past the candidate, wrong
// lengths for the number range, and organisation numbers quoted without
// personal wording.
func ukPhone(s string, start, end int) (int, int, bool) {
	// Trim a trailing ")" or separator the class may have taken.
	for end > start && strings.IndexByte(" -(", s[end-1]) >= 0 {
		end--
	}
	if end < len(s) && isDigitByte(s[end]) {
		return 0, 0, false
	}
	if start > 0 && (isDigitByte(s[start-1]) || s[start-1] == '+') {
		return 0, 0, false
	}
	cand := s[start:end]
	if strings.Contains(cand, "  ") || strings.Contains(cand, "--") {
		return 0, 0, false
	}
	var d []byte
	for i := 0; i < len(cand); i++ {
		if isDigitByte(cand[i]) {
			d = append(d, cand[i])
		}
	}
	digits := string(d)
	if strings.HasPrefix(cand, "+") || strings.HasPrefix(cand, "0044") {
		digits = strings.TrimPrefix(strings.TrimPrefix(digits, "00"), "44")
		digits = "0" + strings.TrimPrefix(digits, "0") // drop the "(0)"
	}
	n := len(digits)
	if n < 10 || n > 11 || digits[0] != '0' {
		return 0, 0, false
	}
	switch digits[1] {
	case '1':
	case '2', '7':
		if n != 11 {
			return 0, 0, false
		}
	case '3', '5', '8', '9':
		// Organisation and helpline ranges: personal only if the words
		// before the number say so.
		if !phonePersonal.MatchString(s[:start]) {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	return start, end, true
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// cardNumber accepts 13–19 digits that start like a payment card, are
// written either without separators or in the 4-4-4-4(-x) or 4-6-5/4-6-4
// groupings cards use, and pass the Luhn check.
func cardNumber(cand string) bool {
	var digits []byte
	for i := 0; i < len(cand); i++ {
		if isDigitByte(cand[i]) {
			digits = append(digits, cand[i])
		}
	}
	if len(digits) < 13 || len(digits) > 19 || digits[0] < '2' || digits[0] > '6' {
		return false
	}
	if strings.Count(string(digits), string(digits[:1])) == len(digits) {
		return false // 4444 4444 4444 4444 style filler
	}
	if !cardGroupsOK(cand) {
		return false
	}
	return luhn(digits)
}

func cardGroupsOK(cand string) bool {
	groups := strings.FieldsFunc(cand, func(r rune) bool { return r == ' ' || r == '-' })
	if len(groups) == 1 {
		return true
	}
	if strings.Contains(cand, " ") && strings.Contains(cand, "-") {
		return false
	}
	lens := make([]int, len(groups))
	for i, g := range groups {
		lens[i] = len(g)
	}
	if len(lens) == 3 && lens[0] == 4 && lens[1] == 6 && (lens[2] == 4 || lens[2] == 5) {
		return true
	}
	if len(lens) < 3 {
		return false
	}
	for i, l := range lens {
		if i < len(lens)-1 && l != 4 {
			return false
		}
		if i == len(lens)-1 && (l < 1 || l > 4) {
			return false
		}
	}
	return true
}

func luhn(digits []byte) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// addresses finds street addresses: a house number and street (or house
// number and capitalised name) followed by a postcode in the same sentence,
// or a street address introduced as the user's own.
func addresses(s string) []PIIMatch {
	var ms []PIIMatch
	postcodes := postcodePattern.FindAllStringIndex(s, -1)
	// followingPostcode returns the end of a postcode starting within 60
	// bytes after pos with no sentence break in between, or -1.
	followingPostcode := func(pos int) int {
		for _, p := range postcodes {
			if p[0] < pos {
				continue
			}
			gap := streetAbbrevDot.ReplaceAllString(s[pos:p[0]], "")
			if p[0]-pos > 60 || strings.ContainsAny(gap, ".?!;") {
				return -1
			}
			return p[1]
		}
		return -1
	}
	for _, m := range streetPattern.FindAllStringIndex(s, -1) {
		if m[1] < len(s) && s[m[1]] == '.' && streetAbbrevDot.MatchString(s[m[0]:m[1]+1]) {
			m[1]++ // keep "Rd." whole
		}
		if end := followingPostcode(m[1]); end >= 0 {
			ms = append(ms, PIIMatch{Kind: PIIAddress, Start: m[0], End: end})
			continue
		}
		if addressPersonal.MatchString(s[:m[0]]) {
			ms = append(ms, PIIMatch{Kind: PIIAddress, Start: m[0], End: m[1]})
		}
	}
	for _, m := range welshStreet.FindAllStringIndex(s, -1) {
		if end := followingPostcode(m[1]); end >= 0 {
			ms = append(ms, PIIMatch{Kind: PIIAddress, Start: m[0], End: end})
		}
	}
	for _, m := range houseNamePattern.FindAllStringIndex(s, -1) {
		if end := followingPostcode(m[1]); end >= 0 {
			ms = append(ms, PIIMatch{Kind: PIIAddress, Start: m[0], End: end})
		}
	}
	return ms
}
