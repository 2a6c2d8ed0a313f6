package chat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/llm/llmtest"
)

// The LLM router is asked through a forced tool call on the fake
// OpenAI-compatible server; its label is used unless it would remove a
// crisis or personal-data verdict, and bad output falls back to the
// offline label.
func TestLLMRouter(t *testing.T) {
	fx := corpus(t)
	router := vectorRouter(t)
	tests := []struct {
		name     string
		question string
		reply    *llmtest.Reply // nil: the LLM must not be asked
		want     chat.AnswerStatus
		decider  string
	}{
		{"llm label used", "How much does a passport cost?",
			&llmtest.Reply{ToolName: "route", ToolArguments: `{"label":"out_of_scope","confidence":0.9}`}, chat.StatusOutOfScope, "llm:route-tool"},
		{"llm adds crisis", "How much does a passport cost?",
			&llmtest.Reply{ToolName: "route", ToolArguments: `{"label":"crisis","confidence":0.6}`}, chat.StatusCrisis, "llm:route-tool"},
		{"malformed output keeps the offline label", "hello",
			&llmtest.Reply{ToolName: "route", ToolArguments: `{"label":"greetings"`}, chat.StatusFixedReply, "rule:greetings"},
		{"unknown label keeps the offline label", "hello",
			&llmtest.Reply{ToolName: "route", ToolArguments: `{"label":"weather","confidence":0.9}`}, chat.StatusFixedReply, "rule:greetings"},
		{"server error keeps the offline label", "hello",
			&llmtest.Reply{Status: 400}, chat.StatusFixedReply, "rule:greetings"},
		{"crisis never downgraded, never sent", "I want to end my life", nil, chat.StatusCrisis, "rule:crisis_end_life"},
		{"personal data never sent", "my NI number is QQ 12 34 56 C, what is my tax code", nil, chat.StatusRefusedPII, "rule:personal_data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c := llmtest.NewChat(t, 5*time.Second, 0)
			p := chat.NewPipeline(fx.ret, nil, c, chat.Config{LLMChecks: true, Router: router}, nil)
			if tt.reply != nil {
				srv.QueueChat(*tt.reply)
			}
			out, err := p.Ask(context.Background(), chat.Request{Question: tt.question, Replay: true}, chat.Events{})
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != tt.want || out.Route.Decider != tt.decider {
				t.Errorf("status %s, route %+v; want %s decided by %s", out.Status, out.Route, tt.want, tt.decider)
			}
			reqs := srv.Requests()
			if tt.reply == nil && len(reqs) != 0 {
				t.Errorf("the LLM was asked %d times; want never", len(reqs))
			}
			if tt.reply != nil {
				if len(reqs) == 0 {
					t.Fatal("the LLM router was not asked")
				}
				tools, _ := reqs[0].Body["tools"].([]any)
				if len(tools) != 1 || !strings.Contains(reqs[0].Messages[1].Content, "<message>") {
					t.Errorf("request tools %v, user message %q; want one route tool and the question fenced", tools, reqs[0].Messages[1].Content)
				}
			}
		})
	}
}
