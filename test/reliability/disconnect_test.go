package reliability

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/llm/llmtest"
)

// TestClientLeavesMidStream: when the citizen goes away during an answer
// (the delta callback fails, or the request context ends), the request to
// the model is cancelled and every goroutine the answer started ends.
func TestClientLeavesMidStream(t *testing.T) {
	st, ret := newIndex(t, writePages(t, guidance))
	chunks := make([]string, 40)
	for i := range chunks {
		chunks[i] = "You can renew your passport online [1]. "
	}
	for _, how := range []string{"delta fails", "context cancelled"} {
		t.Run(how, func(t *testing.T) {
			p, srv, closeLLM := llmPipeline(t, st, ret, 30*time.Second)
			srv.QueueChat(llmtest.Reply{Chunks: chunks, Delay: 100 * time.Millisecond})
			before := goleak.IgnoreCurrent()

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ev := chat.Events{Delta: func(string) error {
				if how == "delta fails" {
					return errors.New("client went away")
				}
				cancel()
				return nil
			}}
			out, _ := askGuarded(t, ctx, p, chat.Request{Question: "How do I renew my passport online?"}, ev)
			if path := srv.WaitCancelled(hangGuard); path == "" {
				t.Fatalf("the model request was not cancelled (status %q)", out.Status)
			}
			if out.Status == chat.StatusOK {
				t.Errorf("status %q; want the turn not to count as answered", out.Status)
			}
			closeLLM()
			goleak.VerifyNone(t, before)
		})
	}
}
