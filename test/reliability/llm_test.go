package reliability

import (
	"context"
	"testing"
	"time"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/llm/llmtest"
)

// TestLLMFaultsGiveFallback: whatever the model does wrong, the citizen gets
// the fallback ("these pages may help", with sources) once the configured
// timeout has passed, never a hang or an error.
func TestLLMFaultsGiveFallback(t *testing.T) {
	st, ret := newIndex(t, writePages(t, guidance))
	const timeout = 2 * time.Second
	for _, tc := range []struct {
		name  string
		reply llmtest.Reply
	}{
		{"server error", llmtest.Reply{Status: 500}},
		{"rate limited", llmtest.Reply{Status: 429, ErrorType: "rate_limit_exceeded", RetryAfter: "1"}},
		{"hangs before the first token", llmtest.Reply{HangBeforeFirst: true}},
		{"hangs before replying", llmtest.Reply{HangBeforeReply: true}},
		{"slow: each chunk after the timeout", llmtest.Reply{Chunks: []string{"You can ", "renew ", "online [1]."}, Delay: 3 * timeout}},
		{"fails mid-stream", llmtest.Reply{Chunks: []string{"You can renew online [1]. ", "More"}, FailAfter: 1}},
		{"drops the connection mid-stream", llmtest.Reply{Chunks: []string{"You can renew online [1]. ", "More"}, AbortAfter: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, srv, _ := llmPipeline(t, st, ret, timeout)
			// Every attempt, retries included, gets the faulty reply.
			srv.QueueChat(tc.reply, tc.reply, tc.reply)
			out, err := askGuarded(t, context.Background(), p, chat.Request{Question: "How do I renew my passport online?"}, chat.Events{})
			if err != nil {
				t.Fatalf("Ask: %v", err)
			}
			if out.Status != chat.StatusFallback || len(out.Sources) == 0 {
				t.Errorf("status %q with %d sources; want %q with sources (answer %q)", out.Status, len(out.Sources), chat.StatusFallback, out.Answer)
			}
		})
	}
}
