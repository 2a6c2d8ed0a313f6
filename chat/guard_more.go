package chat

import (
	"regexp"
	"strings"
)

// More jailbreak rules, matched like phraseRules on folded words. They were
// written from the misses of the rules above on the training routing set
// (chat/routedata), in general form: no rule names a training message's
// own words.
var morePhraseRules = []phraseRule{
	// Welsh. Welsh mutates the first letter of a word after some words
	// ("cyfarwyddiadau" → "dy gyfarwyddiadau", "prompt" → "dy brompt"), so
	// each stem allows its mutated forms.
	{name: RuleIgnoreInstructions, re: regexp.MustCompile(`\b(?:anwybydd\w*|anghofi\w*|diystyr\w*)\s+(?:\w+\s+){0,3}?(?:(?:c|g|ngh|ch)yfarwyddiad\w*|(?:rh|r)eol\w*|bopeth|popeth)\b`)},
	{name: RuleRevealPrompt, re: regexp.MustCompile(`\b(?:p|b|mh|ph)rompt\b|\b(?:c|g|ngh|ch)yfarwyddiad\w*\s+(?:c|g|ngh|ch)yfrinachol\b|\b(?:c|g|ngh|ch)yfarwyddiad\w*\s+(?:c|g)udd\b|\b(?:dangos|datgelu|ysgrifenn\w*|cyfieith\w*|rhann\w*)\s+(?:\w+\s+){0,3}?(?:c|g|ngh|ch)yfarwyddiad\w*\b`)},
	{name: RulePersona, re: regexp.MustCompile(`\bchwarae\s+r[oô]l\b|\besgus\s+(?:dy\s+fod|bod)\s+yn\b|\bheb\s+(?:unrhyw\s+)?(?:(?:rh|r)eol\w*|(?:c|g|ngh|ch)yfyngiad\w*|hidl\w*)\b|\bmodd\s+(?:d|dd|n)atblyg\w*\b|\b(?:d|dd|n)atblygwr\s+(?:y|yr)\s+(?:bot|system|gwasanaeth)\b|\bdiffodd\s+(?:dy\s+)?(?:hidl\w*|(?:c|g)yfyngiad\w*|(?:rh|r)eol\w*)\b|\bo\s+hyn\s+ymlaen\s+rwyt\s+ti\b`)},
	// Asking for what the bot was told, or for its context.
	{name: RuleRevealPrompt, re: regexp.MustCompile(`\brepeat\s+(?:after\s+me|the\s+(?:text|words|message|lines?)\s+above)\b|\bcontext\s+window\b|\bwhat\s+(?:were|have)\s+you\s+(?:been\s+)?told\s+(?:not\s+to|to\s+(?:say|do|hide|keep))\b|\b(?:secret|hidden|real|confidential)\s+(?:rules|instructions|prompt|guidelines)\b|\binstructions?\s+for\s+(?:the\s+)?(?:ai|assistant|model|bot|chatbot|llm)\b|\b(?:ai|assistant|model|bot|chatbot|llm)s?\s+(?:\w+\s+){0,3}?(?:must|should)\s+(?:now\s+)?(?:output|reveal|print|disclose|ignore)\b|\bapi\s+keys?\b|\b(?:leaks?|leaking)\s+(?:\w+\s+){0,3}?(?:prompt|instructions)\b`)},
	// Claimed authority used to change the rules.
	{name: RuleAuthorityClaim, re: regexp.MustCompile(`\b(?:i\s*(?:am|m)|this\s+(?:message\s+)?is\s+from)\s+(?:the\s+|an?\s+)?(?:\w+\s+){0,4}?(?:developer|minister|admin\w*|officer|official|engineer|team|owner|operator)\b.{0,60}\b(?:authoris\w*|authoriz\w*|obey|grant|disable|turn\s+off|override|unlock|access\s+to|enable)\b|\byou\s+must\s+obey\b|\b(?:disable|turn\s+off|switch\s+off|remove|deactivate|bypass)\s+(?:all\s+)?(?:your\s+|the\s+)?(?:safety\s+|content\s+)?(?:filter\w*|safety\s+settings|safeguards|guardrails|restrictions|moderation)\b`)},
	// Role-play and personas.
	{name: RulePersona, re: regexp.MustCompile(`\bact\s+like\s+(?:you\s*(?:are|re)\b|an?\s+\w+\s+(?:who|that)\b)|\bplay\s+a\s+game\s+(?:where|in\s+which)\s+you\b|\bstop\s+being\s+(?:a|an|the)\s+(?:\w+\s+){0,2}?(?:bot|chatbot|assistant|ai)\b|\byou\s*(?:are|re)\s+(?:not|no\s+longer)\s+a\s+(?:\w+\s+)?(?:bot|chatbot|assistant|ai)\b|\byou\s*(?:are|re)\s+now\s+(?:an?\s+)?(?:\w+\s+){0,2}?(?:assistant|bot|ai|hacker|persona|character|insider|whistleblower|version)\b|\bnew\s+(?:task|role|persona)\b|\b(?:two|second|alter|other|split)\s+personalit\w*\b|\bsimulate\s+(?:a\s+)?conversation\s+between\b|\bpretend\s+(?:the\s+)?rules\b|\bif\s+you\s+(?:had|have)\s+no\s+(?:restrictions|rules|limits|filters)\b|\b(?:test|debug)\s+mode\b|\bremoved\s+your\s+(?:restrictions|rules|filters)\b|\b(?:answer|reply|respond|speak|talk)\w*\s+(?:\w+\s+){0,4}?(?:without|with\s+no)\s+(?:any\s+)?(?:restrictions|warnings|filters|rules|limits|censorship)\b|\bspeak\s+freely\b|\bfrom\s+now\s+on\s+(?:every|all|each|your)\s+(?:answer|response|reply|message)s?\b`)},
}

// compactAttack matches phrases spelled out one letter at a time ("i g n o
// r e  y o u r  r u l e s"), which joinSpelledOut turns into one long
// word.
var compactAttack = regexp.MustCompile(`ignore(?:your|all|previous|the)|(?:your|system)(?:prompt|instructions|rules)|developermode|jailbreak|disregard(?:your|all|previous)`)

// checkMore applies morePhraseRules, and the compact check to the words
// that joinSpelledOut made from single letters.
func checkMore(words string) string {
	for _, r := range morePhraseRules {
		if r.re.MatchString(words) {
			return r.name
		}
	}
	for _, w := range strings.Fields(words) {
		if len(w) >= 12 && compactAttack.MatchString(w) {
			return RuleIgnoreInstructions
		}
	}
	return ""
}
