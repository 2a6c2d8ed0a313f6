package chat

import (
	"strings"
	"testing"
)

func TestRoute(t *testing.T) {
	tests := []struct {
		in   string
		want RouteKind
	}{
		{"hi", RouteGreeting},
		{"Hello there!", RouteGreeting},
		{"good morning :)", RouteGreeting},
		{"Shwmae", RouteGreeting},
		{"hi, how do I renew my passport?", RouteQuestion},
		{"thanks", RouteThanks},
		{"Thank you so much, that's really helpful!", RouteThanks},
		{"Diolch yn fawr", RouteThanks},
		{"ok bye", RouteThanks},
		{"thanks, and how much is it?", RouteQuestion},
		{"who are you?", RouteAbout},
		{"Are you a robot?", RouteAbout},
		{"are you AI", RouteAbout},
		{"Am I talking to a real person?", RouteAbout},
		{"How do you work?", RouteAbout},
		{"what can you help me with", RouteAbout},
		{"who actually runs gov.uk, is it a private company?", RouteQuestion},
		{"Are you able to tell me how long it takes to get a new passport when the old one was lost abroad?", RouteQuestion},
		{"I want to kill myself", RouteCrisis},
		{"i don't want to be alive anymore", RouteCrisis},
		{"I've been self harming again", RouteCrisis},
		{"I'm feeling suicidal and I lost my job", RouteCrisis},
		{"thinking about suicide", RouteCrisis},
		{"hi, I want to end my life", RouteCrisis},
		{"What support is there for a child who is self-harming at school?", RouteQuestion},
		{"How do I end my tenancy early?", RouteQuestion},
		{"Can I kill a pest in my garden?", RouteQuestion},
		{"what's a good recipe for a veggie shepherd's pie that kids will actually eat?", RouteOutOfScope},
		{"Recommend a cosy cottage for a romantic weekend in the Lake District", RouteOutOfScope},
		{"Can you help me fix this Python error: TypeError: 'NoneType' object is not subscriptable", RouteOutOfScope},
		{"who won the FA cup final last year and what was the score", RouteOutOfScope},
		{"write me a poem about cats", RouteOutOfScope},
		{"what is 12 x 12?", RouteOutOfScope},
		{"Who is Harry Styles dating", RouteOutOfScope},
		{"Can I sell cakes made from my grandma's recipe?", RouteQuestion},
		{"Do I need a licence to show football matches in my pub?", RouteQuestion},
		{"When are the final exam results published?", RouteQuestion},
		{"What's the HMRC API error code for a late return?", RouteQuestion},
		{"Do I need to learn Python for a civil service job?", RouteQuestion},
		{"What is the tax on a £12 x 12 month contract?", RouteQuestion},
		{"Can I get a refund for cancelled football tickets?", RouteQuestion},
		{"How long should I cook a turkey?", RouteOutOfScope},
		{"Is it legal to cook food at home and sell it?", RouteQuestion},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Route(tt.in)
			if got.Kind != tt.want {
				t.Fatalf("Route(%q).Kind = %q; want %q", tt.in, got.Kind, tt.want)
			}
			if (got.Kind == RouteQuestion) != (got.Reply == "") {
				t.Errorf("Route(%q) = %+v; reply must be set for fixed routes only", tt.in, got)
			}
		})
	}
}

func TestFixedRepliesAreSafe(t *testing.T) {
	if !strings.Contains(MsgCrisis, "116 123") || !strings.Contains(MsgCrisis, "85258") ||
		!strings.Contains(MsgCrisis, "111") || !strings.Contains(MsgCrisis, "999") {
		t.Errorf("MsgCrisis = %q; want Samaritans, SHOUT, NHS 111 and 999", MsgCrisis)
	}
	for _, m := range []string{MsgOutOfScope, MsgNoContent} {
		if !strings.Contains(m, GOVUKSearchURL) {
			t.Errorf("message %q does not point to GOV.UK search", m)
		}
	}
	for _, m := range []string{MsgPIIRefusal, MsgJailbreakDecline, MsgNoContent, MsgOutOfScope, MsgError, MsgTimeout,
		MsgKillSwitch, MsgRateLimited, MsgTooLong, MsgEmpty, MsgGreeting, MsgThanks, MsgAbout, MsgCrisis} {
		if v := CheckJailbreak(m); v.Blocked {
			t.Errorf("fixed message %q trips the jailbreak rule %s", m, v.Rule)
		}
		if ms := DetectPII(m); len(ms) > 0 {
			t.Errorf("fixed message %q looks like personal data: %v", m, ms)
		}
	}
}
