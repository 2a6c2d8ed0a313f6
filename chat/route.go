package chat

import (
	"regexp"
	"strings"
)

// RouteKind says how a question is handled.
type RouteKind string

// Route kinds. Every kind but RouteQuestion comes with a fixed reply.
const (
	RouteQuestion   RouteKind = "question"
	RouteGreeting   RouteKind = "greeting"
	RouteThanks     RouteKind = "thanks"
	RouteAbout      RouteKind = "about"
	RouteCrisis     RouteKind = "crisis"
	RouteOutOfScope RouteKind = "out_of_scope"
)

// Routing is Route's decision: the kind and, unless the kind is
// RouteQuestion, the fixed reply to send instead of an answer.
type Routing struct {
	Kind  RouteKind
	Reply string
}

// Route picks a fixed reply for messages that need no retrieval: crisis
// wording (checked first, so it is never declined as out of scope), a bare
// greeting or thanks, questions about the service, and topics that are
// clearly not about government. Everything else is RouteQuestion.
//
// The out-of-scope rules are deliberately narrow and any government word
// vetoes them: declining a real question is worse than letting an
// off-topic one through, because retrieval finds no GOV.UK content for it
// and the user gets the no-content reply anyway.
func Route(q string) Routing {
	words := foldWords(foldConfusables(q), false)
	lower := strings.ToLower(q)
	switch {
	case isCrisis(words):
		return Routing{Kind: RouteCrisis, Reply: MsgCrisis}
	case onlyWords(words, thanksWords, thanksCore):
		return Routing{Kind: RouteThanks, Reply: MsgThanks}
	case onlyWords(words, greetingWords, greetingCore):
		return Routing{Kind: RouteGreeting, Reply: MsgGreeting}
	case len(strings.Fields(words)) <= 8 && aboutBot.MatchString(words):
		return Routing{Kind: RouteAbout, Reply: MsgAbout}
	case isOutOfScope(words, lower):
		return Routing{Kind: RouteOutOfScope, Reply: MsgOutOfScope}
	}
	return Routing{Kind: RouteQuestion}
}

var (
	greetingCore  = wordSet("hi hello hey hiya heya howdy yo greetings morning afternoon evening shwmae helo hia hallo bore prynhawn noswaith")
	greetingWords = wordSet("hi hello hey hiya heya howdy yo greetings morning afternoon evening shwmae helo hia hallo bore da prynhawn noswaith dda good there all everyone folks how are you doing s it going ok okay hope well")
	thanksCore    = wordSet("thanks thank thx ty ta cheers diolch bye goodbye")
	thanksWords   = wordSet("thanks thank thx ty ta cheers diolch bye goodbye you very so much many a lot lots great brilliant perfect ok okay that s thats was is it really helpful useful lovely yn fawr see ya later cool nice awesome fab got all good for your help the info information")
)

func wordSet(s string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// onlyWords reports whether a short message is made only of allowed words
// and has at least one core word, so "hi" routes but "hi, how do I renew
// my passport" does not.
func onlyWords(words string, allowed, core map[string]bool) bool {
	fs := strings.Fields(words)
	if len(fs) == 0 || len(fs) > 8 {
		return false
	}
	hasCore := false
	for _, f := range fs {
		if !allowed[f] {
			return false
		}
		hasCore = hasCore || core[f]
	}
	return hasCore
}

var aboutBot = regexp.MustCompile(`^(?:(?:hi|hello|hey|ok|so)\s+)?(?:who|what)\s+(?:are|r)\s+(?:you|u)\b|\bare\s+(?:you|u)\s+(?:a\s+|an\s+)?(?:real\s+)?(?:robot|bot|chatbot|ai|human|person|machine|computer|chatgpt|real|artificial\s+intelligence|a\s+real\s+person)\b|\bhow\s+do\s+(?:you|u)\s+work\b|\bwhat\s+can\s+(?:you|u)\s+(?:do|help\s+(?:me\s+)?with)\b|\bwho\s+(?:made|built|created|runs|owns|programmed|designed)\s+(?:you|u|this\s+(?:bot|chatbot|service))\b|\bis\s+this\s+(?:a\s+)?(?:bot|chatbot|robot|ai|real\s+person|human|chatgpt)\b|\b(?:am\s+i|i\s+am|i\s+m)\s+(?:talking|speaking|chatting)\s+to\s+(?:a\s+)?(?:bot|robot|human|person|real\s+person|computer|ai|machine)\b|\bwhere\s+do\s+(?:you|u)\s+get\s+(?:your\s+)?(?:information|answers|data|info)\b`)

var (
	crisisPhrases = regexp.MustCompile(`\b(?:kill|killing|hurt|hurting|harm|harming|cut|cutting|starve|starving)\s+myself\b|\bend\s+my\s+(?:own\s+)?life\b|\bend\s+it\s+all\b|\btake\s+my\s+(?:own\s+)?life\b|\bsuicidal\b|\b(?:want|wanting|thinking|think|thoughts|going|plan|planning|considering|contemplating|attempt|attempted|tried|trying)\s+(?:about\s+|of\s+|to\s+)?(?:commit(?:ting)?\s+)?suicide\b|\b(?:want|wanna|going|ready)\s+to\s+die\b|\bdon\s*t\s+want\s+to\s+(?:live|be\s+alive|be\s+here\s+any\s*more|exist|wake\s+up)\b|\bno\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|going\s+on|being\s+alive)\b|\bbetter\s+off\s+dead\b|\bcan\s*t\s+go\s+on\s+(?:any\s*more|like\s+this|living)\b|\b(?:taken|take|took|taking)\s+an\s+overdose\b|\bladd\s+fy\s+hun\b`)
	selfHarm      = regexp.MustCompile(`\bself\s*harm(?:ing|ed)?\b`)
	firstPerson   = regexp.MustCompile(`\b(?:i|me|my|myself|im|ive)\b`)
)

func isCrisis(words string) bool {
	return crisisPhrases.MatchString(words) || (selfHarm.MatchString(words) && firstPerson.MatchString(words))
}

var (
	// govWords veto the out-of-scope rules: any of them means the question
	// may well be about a government service ("can I sell cakes from my
	// grandma's recipe?").
	govWords = regexp.MustCompile(`\b(?:gov|govuk|government|council|councils|hmrc|dvla|dvsa|dwp|nhs|tax|taxes|vat|benefits?|universal\s+credit|pensions?|licen[cs]es?|licensing|permits?|passports?|visas?|registers?|registration|registered|apply|application|legal|illegal|laws?|allowed|rules|regulations?|fines?|fined|penalty|grants?|funding|business|sell|selling|trading|hygiene|schools?|court|police|certificates?|ofsted|gambling|lottery|betting|copyright|employer|employment|wages?|salary|student\s+loan|apprenticeships?|planning|insurance|customs|imports?|exports?|duty|charity|minister|parliament|elections?|vote|voting|immigration|citizenship|driving|vehicles?|mot|refund|scam|fraud|report|safety|disabled|disability|grant|civil\s+service|jobcentre|tickets?)\b`)

	outOfScopeRules = []*regexp.Regexp{
		// Cooking.
		regexp.MustCompile(`\brecipes?\b|\bhow\s+(?:do\s+i|to|should\s+i|can\s+i|long\s+(?:to|do\s+i|should\s+i|does\s+it\s+take\s+to))\s+(?:cook|bake|roast|fry|grill|boil|marinate)\b`),
		// Sport results.
		regexp.MustCompile(`\b(?:premier\s+league|fa\s+cup|champions\s+league|world\s+cup|euros|wimbledon|grand\s+prix|formula\s+(?:1|one)|f1|six\s+nations|super\s+bowl|nba|nfl|football|rugby|cricket|tennis|golf|snooker|darts|boxing)\b.*\b(?:won|win|winner|winners|score|scored|scores|result|results|fixtures?|beat|lineup|odds|standings|goals?)\b|\b(?:won|win|winner|score|scored|result|results|fixtures?|beat|lineup|odds|standings|goals?)\b.*\b(?:premier\s+league|fa\s+cup|champions\s+league|world\s+cup|wimbledon|grand\s+prix|six\s+nations|super\s+bowl|football|rugby|cricket|tennis|golf|snooker|darts|boxing)\b`),
		// Programming help.
		regexp.MustCompile(`\b(?:typeerror|syntaxerror|valueerror|keyerror|indexerror|attributeerror|nullpointerexception|nonetype|traceback|stack\s+trace|segmentation\s+fault|segfault|stackoverflow)\b|\b(?:python|javascript|typescript|java|golang|rust|php|ruby|sql|html|css|react|node|nodejs|bash|powershell|vba|kotlin|swift)\b.*\b(?:error|errors|code|function|bug|exception|script|compile|compiler|syntax|loop|variable|class|debug|regex|program|query)\b`),
		// Creative writing and jokes.
		regexp.MustCompile(`\b(?:write|compose|make\s+up|give\s+me|tell\s+me)\s+(?:me\s+)?(?:a|an|some)\s+(?:\w+\s+){0,2}?(?:poems?|story|stories|songs?|limericks?|haiku|raps?|jokes?|riddles?|novel|screenplay|sonnet|fairy\s+tale|bedtime\s+story)\b`),
		// Celebrities and entertainment gossip.
		regexp.MustCompile(`\b(?:celebrity|celebrities|gossip|kardashians?|love\s+island|strictly\s+come\s+dancing|bake\s+off|taylor\s+swift|beyonce|harry\s+styles)\b|\bwho\s+is\s+\w+(?:\s+\w+)?\s+dating\b`),
		// Leisure recommendations.
		regexp.MustCompile(`\b(?:recommend|suggest)\s+(?:me\s+)?(?:a|an|some|the\s+best|good|any)\s+(?:\w+\s+){0,2}?(?:cottages?|hotels?|restaurants?|pubs?|films?|movies?|books?|novels?|tv\s+shows?|series|holidays?|bars?|cafes?|airbnbs?|wines?|games?|songs?|albums?|podcasts?|gifts?|presents?)\b|\bbest\s+(?:restaurants?|hotels?|films?|movies?|pubs?|bars?|cafes?|tv\s+shows?|books?|albums?|video\s+games?|holiday\s+destinations?|pizza|burger|takeaway)\b`),
		// Homework maths.
		regexp.MustCompile(`\bsolve\s+(?:for\s+x|this\s+equation|the\s+equation|x)\b|\b(?:derivative|integral)\s+of\b|\b(?:differentiate|integrate)\s+\d|\b(?:do|solve|answer|finish)\s+my\s+(?:maths\s+|math\s+|science\s+)?homework\b`),
	}
	// Arithmetic like "what is 12 x 12": checked on the lower-cased text
	// because the symbols are gone from the folded words.
	arithmetic = regexp.MustCompile(`\bwhat\s*(?:is|'s)\s+-?\d+(?:\.\d+)?\s*(?:x|×|\*|\+|-|/|÷|times|plus|minus|divided\s+by|multiplied\s+by)\s*-?\d+(?:\.\d+)?\s*\??$`)
)

func isOutOfScope(words, lower string) bool {
	if govWords.MatchString(words) {
		return false
	}
	if arithmetic.MatchString(lower) {
		return true
	}
	for _, re := range outOfScopeRules {
		if re.MatchString(words) {
			return true
		}
	}
	return false
}
