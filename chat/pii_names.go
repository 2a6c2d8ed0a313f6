package chat

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PIIName is a person's name given in the message: the asker's own ("my
// name is…", "I'm Priya Sharma") or someone they know ("my son Oliver
// Jones"). Names of public figures and offices in guidance ("what did the
// Chancellor announce", "Mr Sunak's budget") are not personal data here:
// only names introduced by the asker count.
const PIIName PIIKind = "name"

var (
	// "my name is X", "my name's X", "name: X", "I'm called X", "call me X",
	// "fy enw i yw X" (Welsh). The name itself is checked by nameAfter.
	nameIntroStrong = regexp.MustCompile(`(?i)\b(?:(?:my|our|his|her|their)\s+(?:\w+(?:'s|’s|s)\s+)?(?:full\s+|first\s+|last\s+|maiden\s+|legal\s+|real\s+)?name\s*(?:is\b|'s\b|’s\b|was\b|:|=|-)|my\s+names\s|(?:under|in)\s+the\s+name(?:\s+of)?\s|my\s+surname\s*(?:is|'s|’s|:)|(?:i\s*(?:am|'m|’m)|im)\s+called|(?:^|[.!?]\s*)name\s*:|fy\s+enw\s+(?:i\s+)?(?:yw|ydy)|(?:^|\s)enw\s*:)\s*`)
	// "I'm X", "this is X", "it's X here": X must look like a name.
	nameIntroWeak = regexp.MustCompile(`(?i)\b(?:i\s*(?:am|'m|’m)|im|this\s+is|it\s*(?:is|'s|’s)|its|here\s+is|here's|regards|thanks|thank\s+you|cheers|best\s+wishes|yours\s+sincerely|yours\s+faithfully|sincerely|signed)[,:]?\s+`)
	// Someone the asker knows, named: "my husband David Evans", "my
	// landlord, Mr Patel,".
	nameRelation = regexp.MustCompile(`(?i)\b(?:my|our)\s+(?:late\s+|ex\s*-?\s*|elderly\s+|disabled\s+|adult\s+|eldest\s+|youngest\s+|little\s+|step\s*-?\s*)?(?:son|daughter|husband|wife|partner|mum|mother|mom|dad|father|brother|sister|friend|neighbour|neighbor|tenant|landlord|landlady|employee|employer|boss|manager|grandson|granddaughter|nan|nana|gran|granny|grandma|grandmother|grandad|grandpa|grandfather|uncle|aunt|auntie|cousin|child|kid|baby|carer|client|colleague|lodger|flatmate|fiance|fiancee|fiancé|fiancée|girlfriend|boyfriend|stepson|stepdaughter|nephew|niece|mate)\s*,?\s+(?:is\s+)?(?:called\s+|named\s+)?`)
	nameTitle    = regexp.MustCompile(`^(?:mr|mrs|ms|miss|mx|dr|sir|dame|lady|lord)\.?\s+`)
)

// notNameWords follow "my name is" or "I'm" without being names: "my
// name is wrong on my passport", "I'm Self Employed".
var notNameWords = wordSet(`a an the not wrong spelt spelled misspelt misspelled missing on in incorrect different still listed
	shown written printed changing changed being also too same now under used getting going hyphenated longer
	very quite really so unusual common foreign welsh english double barrelled included there only no nothing
	down up at as for to of by with and or but if when because been being just currently self employed unemployed
	retired disabled pregnant married divorced single widowed separated british a looking trying applying
	worried confused struggling new moving living working claiming renting buying selling planning thinking
	wondering asking over under about after before going sure unsure happy sorry afraid here there back home
	registered eligible entitled allowed able unable due owed late early ill sick off away abroad overseas
	stuck homeless carer disabled student apprentice landlord tenant employer employee sole trader director
	partner parent mum dad mother father grandparent guardian veteran pensioner citizen resident national
	hmrc dvla dwp council government gov the uk england wales scotland ireland london cardiff`)

// findNames returns the spans of names introduced by the asker.
func findNames(s string) []PIIMatch {
	var ms []PIIMatch
	for _, m := range nameIntroStrong.FindAllStringIndex(s, -1) {
		if end := nameAfter(s, m[1], true); end > m[1] {
			ms = append(ms, PIIMatch{Kind: PIIName, Start: m[1], End: end})
		}
	}
	if m := nameHere.FindStringSubmatchIndex(s); m != nil && firstNames[strings.ToLower(firstWord(s[m[2]:m[3]]))] {
		ms = append(ms, PIIMatch{Kind: PIIName, Start: m[2], End: m[3]})
	}
	for _, re := range []*regexp.Regexp{nameIntroWeak, nameRelation} {
		for _, m := range re.FindAllStringIndex(s, -1) {
			if end := nameAfter(s, m[1], false); end > m[1] {
				ms = append(ms, PIIMatch{Kind: PIIName, Start: m[1], End: end})
			}
		}
	}
	return ms
}

// nameAfter returns the end of a name starting at pos, or pos when there
// is none. After a strong introduction ("my name is") any word that is not
// an ordinary English word counts, lower case included. After a weak one
// ("I'm", "this is", "my son") the words must look like a name: a known
// first name or a title. Two capitalised words alone are not enough:
// "it's Council Tax I'm asking about".
func nameAfter(s string, pos int, strong bool) int {
	rest := s[pos:]
	if t := nameTitle.FindString(strings.ToLower(rest)); t != "" {
		// A title makes the next words a name whatever their case: "mr
		// aziz hussain", "Mrs O'Neill".
		words := nameWords(rest[len(t):], 3)
		if len(words) > 0 && !notNameWords[strings.ToLower(words[0])] {
			return pos + len(t) + wordsEnd(rest[len(t):], titledRun(words))
		}
	}
	words := nameWords(rest, 3)
	if len(words) == 0 || notNameWords[strings.ToLower(words[0])] {
		return pos
	}
	first := strings.ToLower(words[0])
	switch {
	case strong:
		return pos + wordsEnd(rest, nameRun(words))
	case firstNames[first] && (capitalised(words[0]) || !ambiguousNames[first]):
		return pos + wordsEnd(rest, nameRun(words))
	}
	return pos
}

// nameRun keeps the first word and up to two following words that look
// like surnames (capitalised, or known surname shapes), so "john smith
// and I need" stops before "and".
func nameRun(words []string) []string {
	n := 1
	for n < len(words) && !notNameWords[strings.ToLower(words[n])] && !commonFollowers[strings.ToLower(words[n])] &&
		(capitalised(words[n]) || surnameLike(words[n]) && n == 1 && !capitalised(words[0])) {
		n++
	}
	return words[:n]
}

// titledRun keeps the words after a title that are not ordinary words:
// "mr colin barrett, aged 67" stops at the comma, "mrs j o'neill here" at
// "here".
func titledRun(words []string) []string {
	n := 1
	for n < len(words) && !notNameWords[strings.ToLower(words[n])] && !commonFollowers[strings.ToLower(words[n])] {
		n++
	}
	return words[:n]
}

// nameHere finds "<first name> [surname] here" at the start of a message,
// the way people sign in: "hello, tomasz kowalczyk here", and the Welsh
// "Siân Roberts ydw i" ("I am"), "Rhys yma" ("here") and "Huw yw fy enw".
var nameHere = regexp.MustCompile(`(?i)^(?:(?:hi|hello|hiya|hey|morning|afternoon|evening|helo|shwmae|bore\s+da|prynhawn\s+da|noswaith\s+dda)\W+)?([\p{L}'’\-]+(?:\s+[\p{L}'’\-]+){0,2}?)\s+(?:here|yma|ydw\s+i|dw\s+i|(?:yw|ydy|ydi)\s+fy\s+enw)\b`)

// commonFollowers are words that often follow a first name in a question
// and end the name: "I'm Sarah and", "this is Tom asking".
var commonFollowers = wordSet(`and i im i'm my we can could would should will do does did is was am are have has had
	need want asking here from in at of to for about please hello hi`)

// surnameLike rejects words that are plainly not names: very short, or
// digits.
func surnameLike(w string) bool {
	return utf8.RuneCountInString(w) >= 2 && !strings.ContainsAny(w, "0123456789")
}

// nameWords splits up to n leading words made of letters, apostrophes and
// hyphens, stopping at punctuation.
func nameWords(s string, n int) []string {
	var out []string
	for len(out) < n {
		s = strings.TrimLeft(s, " ")
		end := strings.IndexFunc(s, func(r rune) bool {
			return !(unicode.IsLetter(r) || r == '\'' || r == '’' || r == '-')
		})
		if end < 0 {
			end = len(s)
		}
		if end == 0 {
			break
		}
		out = append(out, s[:end])
		if end < len(s) && s[end] != ' ' {
			break
		}
		s = s[end:]
	}
	return out
}

// wordsEnd returns the byte offset in s just after the given leading words.
func wordsEnd(s string, words []string) int {
	off := 0
	for _, w := range words {
		i := strings.Index(s[off:], w)
		if i < 0 {
			break
		}
		off += i + len(w)
	}
	return off
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

func capitalised(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

// ambiguousNames are first names that are also everyday words; they count
// only when capitalised.
var ambiguousNames = wordSet(`will grace hope faith joy rose mark bill pat sue jack april may june summer dawn amber ruby
	crystal iris holly ivy daisy lily jade heather ray rob art guy dean chase miles drew frank
	sunny sky rich bob carol harry max gene lee sam jo rae hazel olive pearl rowan`)

// firstNames are common first names in the UK, across its communities.
// The list only widens the "I'm X" and "my son X" patterns; "my name is"
// catches any name.
var firstNames = wordSet(`ceri emyr gethin lowri seren eirian gwion hywel mali mared meleri rhodri steffan teleri heledd hedd llŷr mererid cai tirion bryn
	aaron abdul abdullah abigail adam adrian ahmed aidan aisha alan alex alexander alexandra alfie ali
	alice alison amanda amber amelia amir amy andrea andrew angela anita ann anna anne annie anthony april archie
	arjun arthur ashley aled alun aneurin angharad arwel bethan bronwen cerys dafydd dai dan delyth dewi dylan eleri
	elin emrys eirlys ffion gareth geraint glyn gwen gwenllian gwyneth huw ieuan iestyn ioan iwan llinos llyr
	meinir megan nia owain rhian rhiannon rhys sian siân sioned tegan tomos carys catrin elis
	barbara barry ben benjamin beth bethany bilal bill billy bob bobby brian bridget callum cameron carl carol
	caroline catherine charles charlie charlotte chloe chris christine christopher claire clare colin connor
	craig daniel danielle darren david dawn dean debbie deborah declan denise dennis derek diane dominic donna
	dorothy dylan eddie edward eileen elaine eleanor elizabeth ella ellie emily emma eric ethan evie fatima
	fiona florence frances francesca frank freddie freya gail gary gemma george georgia gerald gillian gordon
	grace graham hannah harriet harry harvey hassan hayley heather helen henry holly hussain ian imran isaac
	isabel isabella isla ivy jack jackie jacob jacqueline jake james jamie jan jane janet jasmine jason jayden
	jean jeff jennifer jenny jeremy jessica jill joan joanne joe joel john jonathan joseph josh joshua joyce
	julia julie justin karen kate katherine kathleen katie kayleigh keith kelly kenneth kerry kevin khadija
	kieran kim kirsty laura lauren leah lee leo leon lesley leslie liam lily linda lisa logan louis louise
	lucy luke lydia maisie malcolm mandy margaret maria marie mark martin mary matthew maureen max maya
	megan melanie michael michelle mohammed mohammad muhammad molly nadia naomi natalie nathan neil nicholas
	nicola noah norman olivia oliver oscar owen pamela patricia patrick paul paula pauline peter philip
	phoebe poppy priya rachel rajesh ravi rebecca richard rob robert robin roger ronald rosie ross ruby ruth
	ryan sadia sally samantha samuel sandra sara sarah scott sean shabana shaun sharon sheila shirley simon
	sophie sophia stacey stephen steve steven stuart susan suzanne tanya teresa terry theo thomas tim timothy
	toby tom tommy tony tracey tracy usman valerie vanessa victoria vincent wayne wendy william yasmin yusuf
	zara zoe zainab zahid sanjay sunita anil deepak pooja rahul rohan neha amit vikram harpreet gurpreet
	manjit jaspreet kamal parveen nasreen shazia tariq omar yousef aaliyah amara chidi chiamaka emeka ngozi
	oluwaseun tunde kwame kofi ama abena adebayo funmilayo piotr pawel katarzyna agnieszka tomasz marek
	magdalena krzysztof andrzej ewa anna joanna lukasz mateusz ionut andrei elena mihai alexandru florin
	cristina giuseppe marco francesco luca sofia mia maria jose juan carlos ahmad mustafa hamza ibrahim
	kaur singh sian aoife niamh ciara siobhan sinead padraig seamus eilidh ailsa morag hamish fraser
	ken kenny dave davey mike mick jim jimmy jon nick pete andy danny dan ed eddie fred ted tom rick ricky
	jamal jamil kareem karim rashid rashida samir sameer salma aisha ayesha hafsa halima jamila yasmeen
	nadeem naveen nikhil priyanka shreya anjali divya kavita lakshmi meera sita gita arun vijay suresh
	ramesh mahesh dinesh ganesh prakash raj rajiv sanjeev ashok asif faisal farhan imtiaz irfan javed
	kamran khalid naveed rizwan shahid tahir waqas zubair noor nusrat rubina shamim tasnim
	chinedu obinna uchenna adaeze folake kemi yetunde segun femi dayo lola temi tayo kayode
	marcin michal jakub kamil dawid bartosz szymon wojciech zofia alicja natalia weronika ola kasia gosia
	bogdan vasile gheorghe ioana andreea bianca daria irina olena oksana yulia dmytro oleksandr
	kyle jordan brandon tyler dylan reece kai jayden ellis alfie ollie freddie harley lewis
	shannon chantelle jade leanne kerry stacey tasha toni jodie kirsty gemma kelly amy beth
	glenys gwyn idris ifan meirion morgan nerys osian sion tudur wyn`)
