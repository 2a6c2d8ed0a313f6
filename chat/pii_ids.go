package chat

import (
	"regexp"
	"sort"
	"strings"
)

// Identity documents and bank details. Each pattern is narrow on its own
// (a 9-digit number is not always a passport number), so most need wording
// nearby that says what the number is.
const (
	PIIPassport       PIIKind = "passport_number"
	PIIDrivingLicence PIIKind = "driving_licence"
	PIIBankAccount    PIIKind = "bank_account"
	PIITaxReference   PIIKind = "tax_reference"
	// PIIReference is a personal reference or ID number the text labels as
	// such: an NHS number, a Government Gateway user ID, a claim, case or
	// application reference. Public form codes (P800, SA100) have too few
	// digits to match.
	PIIReference PIIKind = "reference_number"
)

var (
	// A UK passport number is 9 digits; other countries mix letters in.
	// Counted when the message talks about a passport.
	passportContext = regexp.MustCompile(`(?i)\bpass\s?ports?\b|\bpasbort\b`)
	nineDigits      = regexp.MustCompile(`\b\d{9}\b`)
	passportLabel   = regexp.MustCompile(`(?i)\bpass\s?port\s*(?:no\.?|number|num|#)\s*(?:is|:|=|-)?\s*([a-z0-9]{6,10})\b`)

	// A GB driving licence number: 5 characters of surname (padded with 9),
	// 6 digits of birth date, 2 initials (or 9s), a digit and 2 check
	// letters — "MORGA753116SM9IJ". Distinctive enough to need no wording.
	licencePattern = regexp.MustCompile(`(?i)\b[a-z9]{5} ?\d{6} ?[a-z9]{2}\d ?[a-z]{2}(?: ?\d{2})?\b`)
	licenceLabel   = regexp.MustCompile(`(?i)\blicen[cs]e\s*(?:no\.?|number|num|#)\s*(?:is|:|=|-)?\s*([a-z0-9]{8,18})\b`)

	// Sort codes look like "20-45-77"; account numbers are 8 digits.
	sortCode       = regexp.MustCompile(`\b\d{2}[- ]\d{2}[- ]\d{2}\b`)
	sortContext    = regexp.MustCompile(`(?i)\bsort\s?code\b|\bs/c\b`)
	sortLabelled   = regexp.MustCompile(`(?i)\bsort\s?code\s*(?:is|:|=|-)?\s*(\d{6})\b`)
	accountNumber  = regexp.MustCompile(`\b\d{8}\b`)
	accountContext = regexp.MustCompile(`(?i)\b(?:account|acc|acct|a/c)\s*(?:no\.?|number|num|#)?\s*(?:is|:|=|-)?\s*$`)
	ibanPattern    = regexp.MustCompile(`(?i)\bgb\d{2} ?[a-z]{4}(?: ?\d{4}){3} ?\d{2}\b`)

	referenceLabel = regexp.MustCompile(`(?i)\b(?:reference|ref|user\s*id|gateway\s*id|id|nhs|customer|claimant|client|case|application|membership|company|registration|payroll|employee|policy|account)\s*(?:no\.?|number|num|#|id)?\s*(?:is|:|=|-)?\s*([a-z]{0,4}\d[a-z0-9 \-]{4,24}[a-z0-9])\b`)
	// Any number the asker calls their own ("my BRP number is ZX1234567")
	// identifies them, whatever the document.
	// The number is one to four groups, each with a digit, after an
	// optional short letter prefix ("PC 48213 77").
	ownNumber = regexp.MustCompile(`(?i)\b(?:my|our|his|her|their)\s+(?:[a-z']+\s+){0,4}(?:number|no\.?|num|#|ref|reference)\s*(?:is|:|=|-)?\s*((?:[a-z]{1,4}[ \-])?[a-z]{0,4}\d[a-z0-9]*(?:[ \-][a-z]{0,3}\d[a-z0-9]*){0,3})\b`)
	// A card number the text calls one is personal even when its check
	// digit is wrong (people mistype them).
	cardLabelled = regexp.MustCompile(`(?i)\bcard\s*(?:no\.?|number|num|#|details)?\s*(?:is|:|=|-)?\s*(\d(?:[ \-]?\d){11,18})\b`)

	// A Unique Taxpayer Reference is 10 digits; counted when named.
	utrPattern = regexp.MustCompile(`(?i)\b(?:utr|unique\s+tax\s*payer\s+reference|tax\s+reference)\s*(?:no\.?|number)?\s*(?:is|:|=|-)?\s*(\d{5} ?\d{5})\b`)
)

// identityNumbers finds passport, driving licence, bank and tax reference
// numbers.
func identityNumbers(s string) []PIIMatch {
	var ms []PIIMatch
	add := func(k PIIKind, start, end int) { ms = append(ms, PIIMatch{Kind: k, Start: start, End: end}) }
	if passportContext.MatchString(s) {
		for _, m := range nineDigits.FindAllStringIndex(s, -1) {
			add(PIIPassport, m[0], m[1])
		}
	}
	for _, m := range passportLabel.FindAllStringSubmatchIndex(s, -1) {
		if hasDigit(s[m[2]:m[3]]) {
			add(PIIPassport, m[2], m[3])
		}
	}
	for _, m := range licencePattern.FindAllStringIndex(s, -1) {
		if hasDigit(s[m[0]:m[1]]) && hasLetter(s[m[0]:m[1]]) {
			add(PIIDrivingLicence, m[0], m[1])
		}
	}
	for _, m := range licenceLabel.FindAllStringSubmatchIndex(s, -1) {
		if hasDigit(s[m[2]:m[3]]) {
			add(PIIDrivingLicence, m[2], m[3])
		}
	}
	ms = append(ms, bankDetails(s)...)
	for _, m := range utrPattern.FindAllStringSubmatchIndex(s, -1) {
		add(PIITaxReference, m[2], m[3])
	}
	for _, m := range referenceLabel.FindAllStringSubmatchIndex(s, -1) {
		if digitCount(s[m[2]:m[3]]) >= 5 {
			add(PIIReference, m[2], m[3])
		}
	}
	for _, m := range cardLabelled.FindAllStringSubmatchIndex(s, -1) {
		add(PIICard, m[2], m[3])
	}
	return ms
}

// bankDetails finds sort codes (when the text names one or an account
// number follows), labelled 6-digit sort codes, account numbers introduced
// as such or next to a sort code, and IBANs.
func bankDetails(s string) []PIIMatch {
	var ms []PIIMatch
	add := func(start, end int) { ms = append(ms, PIIMatch{Kind: PIIBankAccount, Start: start, End: end}) }
	accounts := accountNumber.FindAllStringIndex(s, -1)
	for _, m := range sortCode.FindAllStringIndex(s, -1) {
		if sortContext.MatchString(s) || nearAfter(accounts, m[1], 60) {
			add(m[0], m[1])
		}
	}
	for _, m := range sortLabelled.FindAllStringSubmatchIndex(s, -1) {
		add(m[2], m[3])
	}
	hasSort := sortContext.MatchString(s) || sortCode.MatchString(s)
	for _, m := range accounts {
		before := s[max(0, m[0]-30):m[0]]
		if hasSort || accountContext.MatchString(before) {
			add(m[0], m[1])
		}
	}
	for _, m := range ibanPattern.FindAllStringIndex(s, -1) {
		add(m[0], m[1])
	}
	return ms
}

// nearAfter reports whether one of spans starts within n bytes after pos.
func nearAfter(spans [][]int, pos, n int) bool {
	for _, sp := range spans {
		if sp[0] >= pos && sp[0]-pos <= n {
			return true
		}
	}
	return false
}

func digitCount(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

func hasLetter(s string) bool {
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return true
		}
	}
	return false
}

// ownNumbers finds numbers the asker calls their own that no other rule
// has claimed: a BRP, visa or claim number is as identifying as the kinds
// named above.
func ownNumbers(s string, taken []PIIMatch) []PIIMatch {
	out := taken
next:
	for _, m := range ownNumber.FindAllStringSubmatchIndex(s, -1) {
		if digitCount(s[m[2]:m[3]]) < 5 {
			continue
		}
		for _, k := range taken {
			if m[2] < k.End && k.Start < m[3] {
				continue next
			}
		}
		out = append(out, PIIMatch{Kind: PIIReference, Start: m[2], End: m[3]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}
