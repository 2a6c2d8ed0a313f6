package chat

import (
	"context"
	"encoding/json"
	"time"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/llm"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
)

// AnswerStatus is how a turn ended. The list is fixed and documented in
// docs/protocol.md; clients may rely on it.
type AnswerStatus string

// Every status a turn can end with.
const (
	StatusOK               AnswerStatus = "answered"          // an answer with sources
	StatusFallback         AnswerStatus = "fallback"          // the LLM failed; "these pages may help" with sources
	StatusNoContent        AnswerStatus = "no_content"        // nothing on GOV.UK answers it
	StatusOutOfScope       AnswerStatus = "out_of_scope"      // not about government services
	StatusFixedReply       AnswerStatus = "fixed_reply"       // the router's fixed reply: greeting, thanks, about the bot, opinions, ...
	StatusCrisis           AnswerStatus = "crisis"            // signposted to urgent help
	StatusRefusedPII       AnswerStatus = "refused_pii"       // personal data in the question
	StatusRefusedJailbreak AnswerStatus = "refused_jailbreak" // an attempt to change the bot's rules
	StatusRefusedIllegal   AnswerStatus = "refused_illegal"   // a request for help breaking the law
	StatusRefusedHarmful   AnswerStatus = "refused_harmful"   // abuse, hate or a divisive controversy
	StatusGuardrail        AnswerStatus = "guardrail"         // the answer failed the output checks
	StatusInvalid          AnswerStatus = "invalid_question"  // empty or too long
	StatusBusy             AnswerStatus = "busy"              // another question in this conversation is being answered
	StatusRateLimited      AnswerStatus = "rate_limited"      // set by the server
	StatusServiceOff       AnswerStatus = "service_off"       // set by the server: kill switch
	StatusCancelled        AnswerStatus = "cancelled"         // the citizen cancelled or left
	StatusError            AnswerStatus = "error"             // something failed on our side
)

// AllStatuses lists every status, for documentation and metrics.
func AllStatuses() []AnswerStatus {
	return []AnswerStatus{StatusOK, StatusFallback, StatusNoContent, StatusOutOfScope, StatusFixedReply, StatusCrisis,
		StatusRefusedPII, StatusRefusedJailbreak, StatusRefusedIllegal, StatusRefusedHarmful, StatusGuardrail, StatusInvalid, StatusBusy, StatusRateLimited,
		StatusServiceOff, StatusCancelled, StatusError}
}

// Source is a page an answer came from, as shown to the citizen.
type Source struct {
	Index   int    `json:"index"` // the [n] used in the answer text
	Title   string `json:"title"`
	Heading string `json:"heading,omitempty"`
	URL     string `json:"url"` // path with #fragment, no host
	Updated string `json:"updated,omitempty"`
	Used    bool   `json:"-"` // cited by the answer
}

// Request is one question.
type Request struct {
	// ConversationID continues a conversation; "" starts a new one.
	ConversationID string
	Question       string
	// Replay answers the question with History as the conversation so far,
	// and stores and loads nothing (the eval harness replays dataset
	// histories this way).
	Replay  bool
	History []Turn
}

// Events receive a turn's progress as it happens. Any field may be nil.
// Delta returning an error (the client went away) cancels the turn.
type Events struct {
	Accepted func(conversationID, messageID string)
	Progress func(stage string) // "checking", "searching", "composing"
	Delta    func(text string) error
	Sources  func([]Source)
}

// Outcome is everything about a finished turn.
type Outcome struct {
	ConversationID string
	MessageID      string
	Status         AnswerStatus
	Answer         string
	Sources        []Source
	Composer       string // offline, llm, fallback or fixed
	// Standalone is the question retrieval saw (after follow-up rewriting);
	// empty when the question was refused before retrieval.
	Standalone string
	Retrieved  []govchat.Passage
	NoContent  bool
	Guarded    int // sentences dropped by the output checks
	// Route is the question router's decision (label, confidence, decider).
	Route   Decision
	Timings map[string]time.Duration
	// Audit is filled as the turn goes and stored with the message.
	Audit Audit
}

// Retriever finds passages for a question.
type Retriever interface {
	Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error)
}

// Store keeps conversations.
type Store interface {
	EnsureConversation(ctx context.Context, id string, retention time.Duration) (bool, error)
	StartMessage(ctx context.Context, id, conversationID string, question *string, status string) (int, error)
	CompleteMessage(ctx context.Context, m store.Message) error
	History(ctx context.Context, conversationID string, n int) ([]store.Message, error)
}

// LLM is an OpenAI-compatible chat model.
type LLM interface {
	StreamChat(ctx context.Context, req llm.ChatRequest, onDelta func(string) error) (llm.ChatResult, error)
	Complete(ctx context.Context, req llm.ChatRequest) (string, error)
	CallTool(ctx context.Context, req llm.ChatRequest, tool llm.Tool) (json.RawMessage, error)
}
