package chat

import (
	"regexp"
	"sort"
)

// The kinds of fact a question asks for and a sentence states: the
// questions' and the sentences' patterns, and what a sentence gains for
// stating what was asked.

// features are the kinds of fact a sentence states, or a question asks for.
type features struct{ amount, time, phone, hours, count, condition, steps, list, who, address, email, change bool }

func (f features) names() []string {
	var out []string
	for _, n := range []struct {
		on   bool
		name string
	}{{f.amount, "amount"}, {f.time, "time"}, {f.phone, "phone"}, {f.hours, "hours"}, {f.count, "count"},
		{f.condition, "condition"}, {f.steps, "steps"}, {f.list, "list"}, {f.who, "who"}, {f.address, "address"}, {f.email, "email"}, {f.change, "change"}} {
		if n.on {
			out = append(out, n.name)
		}
	}
	return out
}

var (
	askAmount = regexp.MustCompile(`(?i)\bhow\s+much\b|\b(?:cost|costs|price|prices|fee|fees|charge|charges|afford|expensive|cheap|free)\b|\b(?:have|need)\s+to\s+pay\b|\bpay\s+(?:for|to)\b|£`)
	askTime   = regexp.MustCompile(`(?i)\bhow\s+(?:long|soon|quickly|often|far\s+in\s+advance)\b|(?:^|[.?!,]\s*|\band\s+)when\b|\bwhen\s+(?:do|does|did|is|are|was|were|will|can|could|should|must|would|have|has)\b|\bwhat\s+(?:date|day|time)\b|\b(?:deadline|wait|waiting|until|till|by\s+when)\b|\bhow\s+many\s+(?:days|weeks|months|years|hours)\b|\bhow\s+far\s+(?:ahead|in\s+advance)\b|\bin\s+advance\b|\bhow\s+early\b|\bhow\s+much\s+notice\b`)
	askPhone  = regexp.MustCompile(`(?i)\b(?:phone|ring|call|helpline|telephone|contact|number\s+(?:for|to|do|should|can)|what\s+number|speak\s+to|talk\s+to|get\s+in\s+touch|get\s+hold\s+of|reach|contact\s+details)\b`)
	// "Contact", "get hold of" and "email" want an email address; "ring"
	// and "call" only a number.
	askEmail     = regexp.MustCompile(`(?i)\b(?:e-?mail|contact|get\s+in\s+touch|get\s+hold\s+of|reach|write\s+to|contact\s+details)\b`)
	askHours     = regexp.MustCompile(`(?i)\b(?:open|opening|hours|saturday|sunday|weekends?|closed|what\s+time|how\s+late|how\s+early)\b`)
	askCount     = regexp.MustCompile(`(?i)\bhow\s+(?:many|old)\b|\bwhat\s+age\b|\bat\s+what\s+age\b|\blimit\b|\bwhat\s+(?:percentage|proportion|share|fraction)\b|\bhow\s+common\b`)
	askCondition = regexp.MustCompile(`(?i)^\W*(?:can|could|do|does|did|am|is|are|will|would|should|must|have|has|may)\b|\b(?:can|may|must|should)\s+(?:i|we|you|he|she|they)\b|\b(?:do|does)\s+(?:i|we|he|she|they|you)\s+(?:need|have)\b|\b(?:eligible|allowed|entitled|qualify|legal|illegal)\b|\bhave\s+to\b`)
	askSteps     = regexp.MustCompile(`(?i)\bhow\s+(?:do|can|should|would)\s+(?:i|we|you)\b|\bhow\s+to\b|\bwhat\s+(?:should|do|can|must)\s+(?:i|we)\s+do\b|\bwhat\s+happens\b|\bwhat\s+(?:are\s+)?the\s+steps\b|\bwho\s+do\s+(?:i|we)\s+(?:tell|contact|report)\b`)
	askWho       = regexp.MustCompile(`(?i)^\W*who\b|\bwho\s+(?:runs|owns|is\s+responsible|manages|maintains|decides|makes|sets|regulates|is\s+in\s+charge)\b|\bwhich\s+(?:organisation|department|body|office|agency)\b`)
	askAddress   = regexp.MustCompile(`(?i)\baddress\b|\bwhere\s+(?:do|should|can|must)\s+(?:i|we|you)\s+(?:send|write|post)\b|\bpostcode\b`)
	// "Is my class 4 NI going up?" wants the rise: "will increase from 9% to 10%".
	askChange = regexp.MustCompile(`(?i)\b(?:go(?:ing|es)?|gone|went)\s+(?:up|down)\b|\b(?:rise|rising|risen|increas(?:e|ed|es|ing)|decreas(?:e|ed|es|ing)|reduc(?:e|ed|es|ing)|cut|cuts|chang(?:e|ed|es|ing)|scrapp(?:ed|ing)|abolish(?:ed|ing)?)\b`)
	askList   = regexp.MustCompile(`(?i)\bwhat\s+(?:do|does|will|should|would)\s+(?:i|we|you|he|she|it|they)\s+(?:\w+\s+)?(?:need|have|bring|take|get)\b|\bwhat\s+(?:documents|paperwork|papers|information|details|evidence|proof)\b|\bwhich\s+\w+\b|\bwhat\s+\w+\s+(?:do|does|are|is)\s+(?:i|we|he|she|they)\s+(?:need|have|required)\b`)

	hasChange   = regexp.MustCompile(`(?i)\b(?:rise|rises|rising|increase|increases|increased|decrease|decreases|decreased|reduce|reduces|reduced|cut|cuts|changes?|changed|abolish|abolished|replaced?)\b[^.]{0,80}\bfrom\b[^.]{0,40}\bto\b|\bfrom\s+\S+\s+to\s+\S+\s+(?:in|from|on)\s+(?:\w+\s+)?(?:19|20)\d\d\b`)
	statesAge   = regexp.MustCompile(`(?i)\b(?:i'?m|i\s+am|he'?s|she'?s|they'?re|aged?)\s+\d{1,3}\b|\b\d{1,3}\s*(?:yo|y/o)\b|\b\d{1,3}[\s-]*(?:yrs?|years?)[\s-]*old\b`)
	hasAmount   = regexp.MustCompile(`[£$€]\s?\d|\b\d[\d,.]*\s?(?:pounds|pence|p)\b|\bfree\b`)
	hasDuration = regexp.MustCompile(`(?i)\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a|an)\s+(?:working\s+|calendar\s+|full\s+)?(?:days?|weeks?|months?|years?|hours?|minutes?)\b`)
	hasDate     = regexp.MustCompile(`(?i)\b(?:jan(?:uary)?|feb(?:ruary)?|april|june|july|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|spring|summer|autumn|winter)\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:march|may)\b|\b(?:march|may),?\s+\d{4}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:19|20)\d\d\b`)
	// "saith diwrnod gwaith" (seven working days), "21 diwrnod", "3 wythnos".
	hasWelshDuration = regexp.MustCompile(`(?i)\b(?:\d+|un|dau|dwy|tri|tair|pedwar|pedair|pump|pum|chwe|chwech|saith|wyth|naw|deg|deuddeg|ugain)\s+(?:diwrnod|niwrnod|diwrnodau|wythnos|wythnosau|mis|fis|misoedd|blynedd|mlynedd|blwyddyn|awr|oriau)\b`)
	hasNumber        = regexp.MustCompile(`\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred)\b`)
	hasPhone         = regexp.MustCompile(`(?i)\b0\d{2,4}\s?\d{3}\s?\d{3,4}\b|\b0\d{2}\s?\d{4}\s?\d{4}\b|\+\d{2}\s?\d|\b(?:dial|call|ring)\s+\d{3}\b|\b(?:telephone|phone|tel|textphone|helpline|contact)\b[^.\d]{0,40}\(?\+?\d[\d\s()-]{6,}`)
	hasEmail         = regexp.MustCompile(`[\w.+-]+@[\w-]+\.[\w.]+`)
	hasHours         = regexp.MustCompile(`(?i)\b\d{1,2}(?:[:.]\d{2})?\s?(?:am|pm)\b|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\bopening\s+times\b|\bclosed\b`)
	// An organisation's name after "by", "from", "to", "contact", "is" or
	// "are" ("maintained by the Government Digital Service"), or an
	// abbreviation in brackets ("(GDS)"). Capitalised words alone are too
	// common ("the Open Government Licence").
	hasName      = regexp.MustCompile(`\b(?:by|from|to|contact|is|are)\s+(?:the\s+)?(?:[A-Z][a-z]+\s+){1,4}[A-Z][a-z]+|\([A-Z]{2,6}\)`)
	hasCondition = regexp.MustCompile(`(?i)\b(?:if|unless|must|need|needs|have\s+to|has\s+to|only|cannot|can't|can|not|eligible|allowed|entitled|illegal|legal|required)\b`)
	// A step starts with a verb telling the reader what to do.
	hasStep = regexp.MustCompile(`^To\s+\w+[^.]*,|^(?:Please\s+\w+|Search|Look|Enter|Select|Submit|Wait|Allow|Provide|Claim|Order|Arrange|Speak|Log|Create|Apply|Tell|Contact|Call|Phone|Report|Fill|Send|Book|Check|Go|Use|Ask|Get|Make|Register|Pay|Complete|Write|Bring|Take|Find|Sign|Follow|Give|Choose|Read|Download|Visit|Include|Post|Email|Keep|Start|Print|Reset|Renew|Update|Cancel|Change)\b`)
)

// Welsh questions ask for the same kinds of fact in their own words:
// "faint yw" (how much), "faint o amser" / "pa mor hir" (how long),
// "pryd" (when), "ffonio" (phone), "oes angen" (do I need), "sut" (how),
// "pwy" (who).
var (
	welshAmount    = regexp.MustCompile(`(?i)\b(?:faint\s+(?:yw|mae|ydy|ydi|fydd|fyddai|fasai|mae\'n\s+costio)|pris|ffi|ffioedd|cost|costio|talu)\b`)
	welshTime      = regexp.MustCompile(`(?i)\b(?:faint\s+o\s+amser|pa\s+mor\s+(?:hir|fuan|aml)|pryd|erbyn\s+pryd|dyddiad\s+cau)\b`)
	welshPhone     = regexp.MustCompile(`(?i)\b(?:ffonio|ff[oô]n|rhif\s+ff[oô]n|galw|cysylltu)\b`)
	welshHours     = regexp.MustCompile(`(?i)\b(?:oriau|ar\s+agor|dydd\s+sadwrn|dydd\s+sul|penwythnos)\b`)
	welshCount     = regexp.MustCompile(`(?i)\b(?:sawl|pa\s+oed)\b`)
	welshCondition = regexp.MustCompile(`(?i)^\W*(?:ydw|ydy|ydi|oes|alla|allaf|galla|gallaf|ga\s+i|dylwn|a\s+oes|a\s+ydw|a\s+allaf)\b|\b(?:oes\s+angen|oes\s+rhaid|gymwys|cymwys|hawl)\b`)
	welshSteps     = regexp.MustCompile(`(?i)\bsut\s+(?:mae|ydw|ydy|alla|allaf|galla|gallaf|dw|fedra|mae\s+gwneud)\b`)
	welshWho       = regexp.MustCompile(`(?i)^\W*pwy\b`)
	welshList      = regexp.MustCompile(`(?i)\bpa\s+(?:ddogfennau|wybodaeth|bapurau)\b|\bbeth\s+(?:sydd\s+)?(?:ei\s+)?angen\b`)
)

func analyseQuestion(s string) question {
	m := func(en, cy *regexp.Regexp) bool { return en.MatchString(s) || (cy != nil && cy.MatchString(s)) }
	q := question{want: features{
		amount: m(askAmount, welshAmount), time: m(askTime, welshTime), phone: m(askPhone, welshPhone),
		hours: m(askHours, welshHours), count: m(askCount, welshCount), condition: m(askCondition, welshCondition),
		steps: m(askSteps, welshSteps), list: m(askList, welshList), who: m(askWho, welshWho),
		address: askAddress.MatchString(s), email: askEmail.MatchString(s), change: askChange.MatchString(s),
	}}
	set := stemSet(s)
	// "how much" shares no word with "It costs £34", so the kind of fact
	// asked for stands in as a term.
	if q.want.amount {
		set["cost"] = true
	}
	for t := range set {
		q.terms = append(q.terms, t)
	}
	sort.Strings(q.terms) // fixed order: float sums do not depend on map order
	return q
}

// question is what the scorer needs from the question: its terms, in a
// fixed order, and the kinds of fact it asks for.
type question struct {
	terms []string
	want  features
}

func sentenceFeatures(u unit) features {
	s := u.full()
	return features{
		amount: hasAmount.MatchString(s), time: hasDuration.MatchString(s) || hasDate.MatchString(s) || hasWelshDuration.MatchString(s),
		phone: hasPhone.MatchString(s), hours: hasHours.MatchString(s), count: hasNumber.MatchString(s),
		condition: hasCondition.MatchString(s), steps: len(u.items) > 0 || hasStep.MatchString(u.text),
		list: len(u.items) > 0, who: hasName.MatchString(s), address: postcode.MatchString(s), email: hasEmail.MatchString(s),
		change: hasChange.MatchString(s),
	}
}

// intentScore is what a sentence gains for stating a kind of fact asked
// for: the full weight the first time, half once the answer has one.
// Conditions and counts are common in any sentence, so they count for less
// than an amount or a phone number.
func intentScore(want, have, got features) float64 {
	s := 0.0
	add := func(w, h, g bool, full float64) {
		switch {
		case w && h && !g:
			s += full
		case w && h:
			s += full / 2
		}
	}
	add(want.amount, have.amount, got.amount, 0.4)
	add(want.time, have.time, got.time, 0.4)
	// "Is the helpline open on Saturday?" asks for the hours; the number
	// helps, but is not what was asked.
	phone := 0.45
	if want.hours {
		phone = 0.25
	}
	add(want.phone, have.phone, got.phone, phone)
	add(want.hours, have.hours, got.hours, 0.4)
	// Someone who asks for a number will want the opening hours too.
	add(want.phone && !want.hours, have.hours, got.hours, 0.2)
	add(want.count, have.count, got.count, 0.15)
	add(want.condition, have.condition, got.condition, 0.1)
	add(want.steps, have.steps, got.steps, 0.2)
	add(want.list, have.list, got.list, 0.3)
	add(want.who, have.who, got.who, 0.3)
	add(want.address, have.address, got.address, 0.45)
	add(want.email, have.email, got.email, 0.3)
	add(want.change, have.change, got.change, 0.3)
	return s
}

// strongIntent reports whether the question asks for a specific kind of
// fact that the lead sentence should hold.
func (f features) strong() features {
	return features{amount: f.amount, time: f.time, phone: f.phone, hours: f.hours, count: f.count, list: f.list, steps: f.steps, who: f.who, address: f.address, email: f.email, change: f.change}
}

// contact keeps the kinds of fact that say how to reach someone.
func (f features) contact() features {
	return features{phone: f.phone, email: f.email, address: f.address, hours: f.hours}
}

func (f features) any() bool {
	return f.amount || f.time || f.phone || f.hours || f.count || f.condition || f.steps || f.list || f.who || f.address || f.email || f.change
}

func (f features) overlaps(g features) bool {
	return (f.amount && g.amount) || (f.time && g.time) || (f.phone && g.phone) || (f.hours && g.hours) ||
		(f.count && g.count) || (f.condition && g.condition) || (f.steps && g.steps) || (f.list && g.list) || (f.who && g.who) || (f.address && g.address) ||
		(f.email && g.email) || (f.change && g.change)
}

func (f features) and(g features) features {
	return features{f.amount && g.amount, f.time && g.time, f.phone && g.phone, f.hours && g.hours,
		f.count && g.count, f.condition && g.condition, f.steps && g.steps, f.list && g.list, f.who && g.who, f.address && g.address,
		f.email && g.email, f.change && g.change}
}

func (f features) or(g features) features {
	return features{f.amount || g.amount, f.time || g.time, f.phone || g.phone, f.hours || g.hours,
		f.count || g.count, f.condition || g.condition, f.steps || g.steps, f.list || g.list, f.who || g.who, f.address || g.address,
		f.email || g.email, f.change || g.change}
}
