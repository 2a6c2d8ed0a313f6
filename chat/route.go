package chat

import (
	"regexp"
	"strings"
)

// ruleLabel applies the deterministic rules for short, unambiguous
// messages: a bare greeting or thanks, a question about the service, and
// topics that are plainly not about government.
func ruleLabel(q string) (Label, bool) {
	words := foldWords(foldConfusables(q), false)
	lower := strings.ToLower(q)
	switch {
	case onlyWords(words, thanksWords, thanksCore):
		return LabelPositiveAck, true
	case onlyWords(words, greetingWords, greetingCore):
		return LabelGreetings, true
	case len(strings.Fields(words)) <= 8 && aboutBot.MatchString(words):
		return LabelAboutBot, true
	case isOutOfScope(words, lower):
		return LabelOutOfScope, true
	}
	return "", false
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

// crisisRule returns the name of the crisis rule a message matches, or
// "". The rules are a fail-safe under the model: phrases that always mean
// someone may be at risk, matched on folded words so case, punctuation
// and spacing do not matter.
func crisisRule(q string) string {
	words := foldWords(foldConfusables(q), false)
	for _, r := range crisisRules {
		if r.re.MatchString(words) {
			return "crisis_" + r.name
		}
	}
	if selfHarm.MatchString(words) && !selfHarmService.MatchString(words) {
		return "crisis_self_harm"
	}
	return ""
}

var crisisRules = []struct {
	name string
	re   *regexp.Regexp
}{
	{"suicide", regexp.MustCompile(`\bsuicidal\b|\bsuicidle\b|\bsucidal\b|\b(?:want|wanting|wanna|thinking|think|thought|thoughts|going|gonna|plan|planning|considering|contemplating|attempt|attempted|tried|trying|about|commit|committing|ready|close)\s+(?:about\s+|of\s+|to\s+)?(?:commit(?:ting)?\s+)?(?:suicide|suicde|sucide)\b|\bhunanladdiad\b`)},
	{"kill_self", regexp.MustCompile(`\b(?:kill|killing|killed|hurting|harm|harming|cutting|starve|starving|hang|hanging|drown|drowning|unalive|unaliving|off|offing|offin|top|topping|toppin)\s+(?:my\s*self|myslef|meself|mysef)\b|\b(?:want|wanna|going|gonna|urge|urges|thinking\s+about|feel\s+like)\s+(?:to\s+)?(?:hurt|hurting|cut|cutting|harm|burn|burning)\s+(?:my\s*self|meself)\b|\bkms\b|\bunalive\b|\b(?:lladd|ladd|niweidio|anafu)\s+fy\s+hun\b`)},
	{"end_life", regexp.MustCompile(`\b(?:end|ending|ended|take|taking|took)\s+(?:my|me)\s+(?:own\s+)?life\b|\b(?:end|ending)\s+it\s+(?:all|now|tonight|today)\b|\bend\s+(?:it|things)\b.{0,20}\b(?:tonight|for good|once and for all)\b|\b(?:diweddu|gorffen)\s+fy\s+mywyd\b|\b(?:want|wanna|going|gonna|ready)\s+(?:to\s+)?end\s+it\b|\bdod\s+a\s+r\s+cyfan\s+i\s+ben\b`)},
	{"want_die", regexp.MustCompile(`\b(?:want|wanna|ready|wish|wishing|rather|prefer)\s+(?:to\s+)?(?:be\s+)?(?:die|dead)\b|\bwish\s+i\s+(?:was|were|d\s+never\s+been\s+born)\s*(?:dead|gone)?\b|\bdon\s*t\s+want\s+to\s+(?:live|be\s+alive|be\s+here|exist|wake\s+up|carry\s+on|go\s+on)\b|\bdo\s+not\s+want\s+to\s+(?:live|be\s+alive|be\s+here|exist|wake\s+up)\b|\b(?:ddim\s+)?(?:eisiau|isio|isho|isie)\s+(?:marw|byw\s+rhagor)\b|\b(?:painless|quickest|easiest|quick|best)\s+way\s+to\s+(?:die|kill\s+(?:my|me)\s*self|end\s+it)\b|\bhow\s+(?:many|much)\s+\w+(?:\s+\w+)?\s+(?:would\s+it\s+take\s+|does\s+it\s+take\s+|to\s+take\s+)?to\s+(?:die|kill|overdose|od)\b|\bdw\s+i\s+ddim\s+(?:eisiau|isio)\s+byw\b`)},
	{"no_point", regexp.MustCompile(`\bno\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|going\s+on|being\s+alive|carrying\s+on)\b|\bwhat\s*s?\s+(?:is\s+)?(?:even\s+)?the\s+point\s+(?:of|in)\s+(?:living|life|going\s+on|being\s+alive|carrying\s+on|anything|it\s+all)\b|\bno\s+point\s+(?:in|to)\s+(?:anything|it\s+all)\b|\bdim\s+pwynt\s+(?:i\s+fi\s+)?(?:byw|fyw|mewn\s+byw)\b|\b(?:dim|ddim)\s+rheswm\s+i\s+fyw\b`)},
	{"better_off", regexp.MustCompile(`\bbetter\s+off\s+(?:dead|without\s+me|if\s+i\s+(?:was|were)(?:n\s*t|\s+not)\s+(?:here|around|alive))\b|\b(?:world|everyone|everybody|family|kids|they)\s+(?:would|d)\s+be\s+better\b.{0,20}\bwithout\s+me\b|\bwell\s+eu\s+byd\s+hebdda\s+i\b|\bnobody\s+(?:would|will)\s+(?:notice|care|miss\s+me)\b.{0,20}\b(?:gone|dead|died|if\s+i)\b`)},
	{"indirect", regexp.MustCompile(`\bwant\s+(?:it\s+all|everything|the\s+pain|this|all\s+of\s+this|the\s+world)\s+to\s+(?:stop|end|be\s+over|go\s+away)\b|\b(?:tired|sick)\s+of\s+(?:living|being\s+alive|life|existing)\b|\bno\s+way\s+out\b|\b(?:a|such\s+a)\s+burden\s+(?:to|on)\s+(?:everyone|everybody|my\s+family|my\s+kids|them)\b|\b(?:sleep|disappear)\s+(?:forever|for\s+good)\b|\bnot\s+(?:be\s+)?(?:here|around)\s+(?:tomorrow|next\s+week|much\s+longer|any\s*more)\b|\bwon\s*t\s+be\s+here\s+(?:tomorrow|next\s+week|much\s+longer|any\s*more)\b`)},
	{"cant_go_on", regexp.MustCompile(`\bcan\s*(?:no|n\s*)?t\s+(?:go\s+on|carry\s+on|take\s+(?:it|this)\s+any\s*more|do\s+this\s+any\s*more|cope\s+any\s*more)\b|\bcannot\s+(?:go\s+on|carry\s+on|take\s+it\s+any\s*more)\b`)},
	{"overdose", regexp.MustCompile(`\b(?:taken|take|took|taking)\s+(?:an\s+)?overdose\b|\boverdos(?:e|ed|ing)\b|\b(?:pills|tablets)\s+(?:ready|saved|stockpiled|lined\s+up)\b|\b(?:saved|saving|stockpiling)\s+(?:up\s+)?(?:my\s+)?(?:pills|tablets)\b|\b(?:taken|took|take|taking|swallowed)\s+(?:\d+|a\s+load\s+of|loads\s+of|too\s+many|all\s+(?:my|the|of\s+my|of\s+the))\s+(?:\w+\s+)?(?:pills|tablets|tabs|paracetamol|painkillers|sleeping\s+pills|meds|medication|sertraline|co\s+codamol|codeine|insulin)\b|\bcymr\w*\s+gormod\s+o\s+(?:dabledi|bils|dabs)\b|\b[gn]?orddos\b`)},
	{"goodbye", regexp.MustCompile(`\b(?:written|wrote|writing)\s+(?:a\s+|my\s+)?(?:suicide\s+)?(?:goodbye\s+)?(?:note|notes|letters?)\s+(?:to|for)\b.{0,30}\b(?:in\s+case|goodbye|when\s+i\s*m\s+gone)\b|\bgiving\s+(?:all\s+)?my\s+(?:things|stuff|belongings)\s+away\b|\bwon\s*t\s+be\s+(?:around|here)\s+(?:much\s+)?(?:longer|for\s+long)\b|\bsaying\s+goodbye\b.{0,30}\b(?:for\s+good|forever|last\s+time)\b`)},
	{"other_at_risk", regexp.MustCompile(`\b(?:kill|killing|harm|harming|cutting|burning|hang|hanging)\s+(?:him|her|them)\s*self\b|\b(?:himself|herself|themselves|themself)\b.{0,10}\b(?:kill|killing|harm|harming|cutting)\b|\b(?:end|ending|take|taking)\s+(?:his|her|their)\s+(?:own\s+)?life\b|\b(?:he|she|they)\s+(?:wants?|wanna|is\s+going|s\s+going|are\s+going|re\s+going|threaten\w*|talk\w*\s+about|keeps?\s+saying)\s+(?:to\s+|about\s+)?(?:die|dying|suicide|end\s+it)\b|\b(?:lladd|ladd)\s+ei\s+hun\b`)},
	{"danger", regexp.MustCompile(`\b(?:he|she|they|partner|husband|wife|boyfriend|girlfriend|ex|dad|father|mum|mother|son|someone)\s+(?:will|ll|is\s+going\s+to|s\s+going\s+to|gonna|threatened\s+to|says?\s+(?:he|she|they)\s*(?:ll|will))\s+kill\s+(?:me|us|my)\b|\b(?:scared|afraid|frightened|terrified)\s+(?:for\s+my\s+life|to\s+go\s+home|he\s+will\s+kill|she\s+will\s+kill)\b|\bin\s+(?:immediate\s+)?danger\s+(?:right\s+)?now\b|\b(?:hits|beats|strangled|choked|chokes)\s+me\b|\b(?:trying\s+to|is)\s+break(?:ing)?\s+in(?:to)?\s+(?:my|our|the)\b|\bwon\s*t\s+let\s+me\s+(?:leave|go\s+out)\b|\bfy\s+lladd\b`)},
	{"emergency", emergency},
	// Asking for a method or a dose: "quickest painless way to go", "how
	// many co-codamol would it take", "what's a lethal dose of".
	{"method", regexp.MustCompile(`\b(?:painless|quickest|easiest|quick|best|quietest|surest|peaceful|least\s+painful)\s+(?:(?:and\s+)?(?:painless|quickest|easiest|quick|quiet|peaceful|surest)\s+)?way\s+to\s+(?:die|go|end\s+(?:it|things|my\s+life)|kill\s+(?:my|me)\s*self|do\s+it)\b|\bhow\s+many\s+(?:\w+\s+){0,2}?(?:pills|tablets|tabs|paracetamol|co\s+codamol|codeine|ibuprofen|aspirin|sleeping\s+pills|sertraline|meds|painkillers|insulin|diazepam|tramadol|antidepressants|propranolol|amitriptyline)\s+(?:would|does|will|do|did)\s+(?:it\s+)?(?:take|kill|i\s+need|be\s+enough)\b|\b(?:lethal|fatal|deadly)\s+(?:dose|amount|overdose)\b|\bhow\s+(?:many|much)\s+(?:\w+\s+){1,2}(?:is|are|would\s+be)\s+(?:a\s+)?(?:lethal|fatal|deadly|enough\s+to\s+die)\b`)},
	{"jump", regexp.MustCompile(`\b(?:jump|jumping|throw\s+(?:my|him|her)self)\b.{0,40}\b(?:off|from|bridge|roof|building|car\s+park|multi\s+storey|cliff|train|platform)\b|\b(?:standing|stood|sitting)\s+on\s+(?:a|the)\s+(?:bridge|roof|ledge|edge|cliff)\b|\bhow\s+high\s+(?:is\s+)?the\s+(?:bridge|car\s+park|multi\s+storey|building|cliff)\b|\bneidio\s+oddi\s+ar\b`)},
}

var (
	selfHarm        = regexp.MustCompile(`\bself\s*harm(?:ing|ed)?\b`)
	selfHarmService = regexp.MustCompile(`\b(?:support|services?|funding|strategy|policy|policies|statistics|training|guidance|resources|schools?|teachers?|staff)\b`)
	otherPerson     = regexp.MustCompile(`\b(?:my|our)\s+(?:\w+\s+)?(?:friend|mate|son|daughter|child|kid|husband|wife|partner|mum|mother|dad|father|brother|sister|boyfriend|girlfriend|colleague|flatmate|neighbour|student|nan|gran|grandad|uncle|aunt|cousin|teen|teenager)\b|\b(?:he|she|they|himself|herself|themselves)\b|\bsomeone\s+i\s+know\b|\bffrind\b`)
	selfDistress    = regexp.MustCompile(`\b(?:myself|i\s+(?:want|wanna|feel|am|m|can\s*t|don\s*t)\b)`)
)

// emergency is wording of danger happening now: fire, someone not
// breathing or collapsed, poison swallowed, heavy bleeding, a weapon or an
// intruder. Such a message gets 999 first (MsgEmergency), not words about
// feelings.
var emergency = regexp.MustCompile(`\b(?:there\s*s\s+a\s+fire|there\s+is\s+a\s+fire|on\s+fire|is\s+burning\s+down|trapped\s+(?:by|in)\s+(?:the\s+|a\s+)?(?:fire|smoke)|smoke\s+(?:is\s+)?(?:coming|pouring|everywhere|filling))\b|\b(?:not\s+breathing|isn\s*t\s+breathing|isnt\s+breathing|stopped\s+breathing|can\s*t\s+breathe|unconscious|unresponsive|collapsed|won\s*t\s+wake\s+up|having\s+a\s+(?:stroke|heart\s+attack|seizure|fit)|had\s+a\s+stroke|heart\s+attack|choking|bleeding\s+(?:heavily|badly|a\s+lot)|(?:swallowed|drunk|drank|eaten|ate)\s+(?:some\s+)?(?:bleach|poison|weed\s*killer|antifreeze|batteries|a\s+battery|washing\s+(?:tablets|pods|capsules)|detergent|rat\s+poison))\b|\b(?:threaten\w*|waving|pointing|came\s+at\s+me)\b.{0,20}\b(?:knife|gun|weapon|machete)\b|\b(?:knife|gun|machete)\b.{0,20}\b(?:outside\s+my|at\s+my\s+door|in\s+my\s+house|threaten\w*)\b|\b(?:someone|somebody|a\s+man|a\s+woman|an\s+intruder)\s+(?:is\s+)?(?:breaking\s+in|trying\s+to\s+(?:get|break)\s+in|in\s+my\s+house)\b|\b(?:mae\s+tân|ar\s+dân|ddim\s+yn\s+anadlu|anymwybodol)\b`)

func emergencyNow(q string) bool {
	return emergency.MatchString(foldWords(foldConfusables(q), false))
}

// aboutSomeoneElse reports whether a crisis message is about another
// person ("my friend says she's going to kill herself") rather than the
// writer.
func aboutSomeoneElse(q string) bool {
	words := foldWords(foldConfusables(q), false)
	return otherPerson.MatchString(words) && !selfDistress.MatchString(words)
}

var (
	// govWords veto the out-of-scope rules: any of them means the question
	// may well be about a government service ("can I sell cakes from my
	// grandma's recipe?").
	govWords = regexp.MustCompile(`\b(?:gov|govuk|government|council|councils|hmrc|dvla|dvsa|dwp|nhs|tax|taxes|vat|benefits?|universal\s+credit|pensions?|licen[cs]es?|licensing|permits?|passports?|visas?|registers?|registration|registered|apply|application|legal|illegal|laws?|allowed|rules|regulations?|fines?|fined|penalty|grants?|funding|business|sell|selling|trading|hygiene|schools?|court|police|certificates?|ofsted|gambling|lottery|betting|copyright|employer|employment|wages?|salary|student\s+loan|apprenticeships?|planning|insurance|customs|imports?|exports?|duty|charity|minister|parliament|elections?|vote|voting|immigration|citizenship|driving|vehicles?|mot|refund|scam|fraud|report|safety|disabled|disability|grant|civil\s+service|jobcentre|tickets?|gp|medicines?|vaccin\w*|immunis\w*|mhra|prescriptions?|curriculum|gcses?|exams?|ofqual)\b`)

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
		// Weather forecasts (weather warnings for drivers carry a word of
		// government and are vetoed above).
		regexp.MustCompile(`\b(?:weather|forecast|rain|raining|snow|snowing|sunny|temperature|tywydd)\b.{0,40}\b(?:today|tomorrow|tonight|this\s+(?:weekend|week|afternoon|evening|morning)|next\s+week|at\s+the\s+weekend|on\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|yfory|heddiw)\b|\b(?:will|is)\s+it\s+(?:rain|snow|be\s+sunny)\b`),
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
