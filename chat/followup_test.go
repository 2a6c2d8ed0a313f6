package chat

import "testing"

func TestRewriteFollowup(t *testing.T) {
	drive := []Turn{
		{RoleUser, "What age can my son start learning to drive?"},
		{RoleAssistant, "Most people can start learning to drive at 17. He'll need a provisional driving licence before he can take lessons."},
	}
	turkey := []Turn{
		{RoleUser, "Do I need a visa for Turkey?"},
		{RoleAssistant, "Yes. British nationals need a visa; you can get an e-Visa online before you travel, and it costs $20."},
	}
	passport := []Turn{
		{RoleUser, "how much does it cost to replace a lost passport?"},
		{RoleAssistant, "It costs £75.50 if you apply online or £85 with a paper form. Because it was lost, you may also have to attend an interview."},
	}
	chain := append(append([]Turn{}, passport...),
		Turn{RoleUser, "and how long does it take?"},
		Turn{RoleAssistant, "It should take around 3 weeks."},
	)
	tests := []struct {
		name    string
		history []Turn
		q       string
		want    string
	}{
		{"dev-026", drive, "how much is that?", "provisional driving licence, age son start learning drive: how much is that?"},
		{"dev-045", turkey, "ok and how long am I allowed to stay on it?", "British nationals, visa Turkey: ok and how long am I allowed to stay on it?"},
		{"dev-049", passport, "and roughly how long till I get it?", "paper form, replace lost passport: and roughly how long till I get it?"},
		{"what about", turkey, "what about Greece?", "British nationals, visa Turkey: what about Greece?"},
		{"bare question", passport, "when?", "paper form, replace lost passport: when?"},
		{"earlier follow-up skipped", chain, "and can I pay for it by card?", "replace lost passport: and can I pay for it by card?"},
		{"own topic", drive, "How much does a provisional driving licence cost?", "How much does a provisional driving licence cost?"},
		{"standalone with it", drive, "Is it legal to fly a drone over a park?", "Is it legal to fly a drone over a park?"},
		{"new question", turkey, "What is the minimum wage for apprentices?", "What is the minimum wage for apprentices?"},
		{"no history", nil, "how much is that?", "how much is that?"},
		{"only assistant history", []Turn{{RoleAssistant, "Hello"}}, "how much is it?", "how much is it?"},
		{"trims", nil, "  what is a P60?  ", "what is a P60?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RewriteFollowup(tt.history, tt.q); got != tt.want {
				t.Errorf("RewriteFollowup(%q) = %q; want %q", tt.q, got, tt.want)
			}
		})
	}
}
