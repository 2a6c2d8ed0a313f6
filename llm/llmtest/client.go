package llmtest

import (
	"testing"
	"time"

	"github.com/govchat/govchat/llm"
)

// ChatModel is the chat model of the clients NewChat makes.
const ChatModel = "fake-model"

// NewChat starts a fake server and returns it with a chat client of it that
// closes when the test ends: the model ChatModel, timeout for each of the
// client's timeouts, maxRetries as llm.Config.MaxRetries (0: its default)
// and a millisecond between retries.
func NewChat(tb testing.TB, timeout time.Duration, maxRetries int) (*Server, *llm.Client) {
	tb.Helper()
	s := NewServer(tb)
	c := llm.NewClient(llm.Config{BaseURL: s.URL, APIKey: "test", ChatModel: ChatModel, MaxRetries: maxRetries,
		RetryBaseDelay: time.Millisecond, Timeout: timeout, FirstTokenTimeout: timeout, IdleTimeout: timeout})
	tb.Cleanup(c.Close)
	return s, c
}
