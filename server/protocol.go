package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/govchat/govchat/chat"
)

// ProtocolVersion is the websocket protocol version sent in hello. It changes
// only when a change would break an existing client; new message types and
// new fields do not change it (clients ignore what they do not know).
const ProtocolVersion = 1

// Error codes sent in error messages. docs/protocol.md lists them.
const (
	CodeInvalidMessage = "invalid_message" // not JSON, unknown type, a field missing or of the wrong kind, a binary frame
	CodeTooLarge       = "too_large"       // a question over max_question_chars
	CodeRateLimited    = "rate_limited"    // too many questions from this address or in this conversation
	CodeBusy           = "busy"            // a question on this connection is still being answered
	CodeServiceOff     = "service_off"     // the kill switch is on
	CodeUnavailable    = "unavailable"     // the database is down, or the server is shutting down
	CodeInternal       = "internal"        // a fault in the server
)

// Limits on client fields. A message over them is invalid.
const (
	maxClientRef     = 128 // the client's "id" for an ask
	maxIDLen         = 64  // conversation and message ids (the server's are 22 characters)
	maxCommentRunes  = 1000
	maxCommentInput  = 8000 // runes accepted before redaction; the rest is cut first
	notAnswerMessage = "Sorry, I did not understand that message."
)

// Notices shown before the first question, by composer.
const (
	noticeLLM = "Answers are written by an AI model using guidance published on GOV.UK. " +
		"They can be wrong, so check the GOV.UK pages linked with each answer before you act. " +
		"Do not enter personal details like your name, address or National Insurance number."
	noticeOffline = "Answers are put together from sentences in guidance published on GOV.UK, without an AI model. " +
		"They can be wrong or incomplete, so check the GOV.UK pages linked with each answer before you act. " +
		"Do not enter personal details like your name, address or National Insurance number."
)

// ClientMessage is a decoded message from a client. Only the fields of its
// Type are set.
type ClientMessage struct {
	Type           string // ask, feedback or cancel
	ID             string // ask: the client's reference, echoed in accepted and error
	Question       string // ask
	ConversationID string // ask: continue this conversation; "" starts one
	MessageID      string // feedback, cancel ("" cancels the current question)
	Useful         bool   // feedback
	Comment        string // feedback, as sent (redact before storing)
}

// wireClient is the JSON shape of every client message. Unknown fields are
// ignored; json.RawMessage lets the decoder say which field is wrong.
type wireClient struct {
	Type           *string `json:"type"`
	ID             *string `json:"id"`
	Question       *string `json:"question"`
	ConversationID *string `json:"conversation_id"`
	MessageID      *string `json:"message_id"`
	Useful         *bool   `json:"useful"`
	Comment        *string `json:"comment"`
}

// DecodeError says why a client message was refused. ID is the client's
// reference when it could be read, so the error can be matched to the ask.
type DecodeError struct {
	ID     string
	Code   string
	Reason string // for the citizen-facing message and the logs; never echoes input
	// question is an over-long question's text, kept only so that it can
	// be checked for crisis wording; it is never logged or echoed.
	question string
}

func (e *DecodeError) Error() string { return "server: " + e.Code + ": " + e.Reason }

// DecodeClientMessage parses one text frame. It is pure: no I/O, no state,
// so it can be fuzzed. maxQuestionChars caps ask questions (in characters);
// 0 means no cap. The error, when not nil, is a *DecodeError.
func DecodeClientMessage(data []byte, maxQuestionChars int) (ClientMessage, error) {
	w, err := decodeWire(data)
	if err != nil {
		return ClientMessage{}, err
	}
	m := ClientMessage{}
	if w.ID != nil {
		if len(*w.ID) > maxClientRef {
			return ClientMessage{}, &DecodeError{Code: CodeInvalidMessage, Reason: "the id is too long"}
		}
		m.ID = *w.ID
	}
	fail := func(reason string) (ClientMessage, error) {
		return ClientMessage{}, &DecodeError{ID: m.ID, Code: CodeInvalidMessage, Reason: reason}
	}
	if w.Type == nil {
		return fail("the message has no type")
	}
	m.Type = *w.Type
	switch m.Type {
	case "ask":
		if w.Question == nil {
			return fail("an ask has no question")
		}
		m.Question = *w.Question
		if maxQuestionChars > 0 && utf8.RuneCountInString(m.Question) > maxQuestionChars {
			return ClientMessage{}, &DecodeError{ID: m.ID, Code: CodeTooLarge, Reason: "the question is too long", question: m.Question}
		}
		if w.ConversationID != nil && *w.ConversationID != "" {
			if !ValidID(*w.ConversationID) {
				return fail("the conversation_id is not one this service made")
			}
			m.ConversationID = *w.ConversationID
		}
	case "feedback":
		if w.MessageID == nil || !ValidID(*w.MessageID) {
			return fail("feedback needs the message_id of an answer")
		}
		if w.Useful == nil {
			return fail("feedback needs useful: true or false")
		}
		m.MessageID, m.Useful = *w.MessageID, *w.Useful
		if w.Comment != nil {
			m.Comment = *w.Comment
		}
	case "cancel":
		if w.MessageID != nil && *w.MessageID != "" {
			if !ValidID(*w.MessageID) {
				return fail("the message_id is not one this service made")
			}
			m.MessageID = *w.MessageID
		}
	default:
		return fail("the message type is not known")
	}
	return m, nil
}

// decodeWire parses a frame as a JSON object of the client's fields.
func decodeWire(data []byte) (wireClient, error) {
	var w wireClient
	if !utf8.Valid(data) {
		return w, &DecodeError{Code: CodeInvalidMessage, Reason: "the message is not valid UTF-8"}
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return w, &DecodeError{Code: CodeInvalidMessage, Reason: "the message is not a JSON object"}
	}
	if err := json.Unmarshal(trimmed, &w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return w, &DecodeError{Code: CodeInvalidMessage, Reason: fmt.Sprintf("the field %q has the wrong type", te.Field)}
		}
		return w, &DecodeError{Code: CodeInvalidMessage, Reason: "the message is not valid JSON"}
	}
	return w, nil
}

// ValidID reports whether s looks like a conversation or message id: 1 to 64
// URL-safe characters. Ids are made by chat.NewID (random, 22 characters).
func ValidID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ServerMessage is every message the server sends; only the fields of its
// Type are set, and empty fields are left out of the JSON. The client in
// this package decodes into it too.
type ServerMessage struct {
	Type string `json:"type"`

	// hello
	V                int                 `json:"v,omitempty"`
	MaxQuestionChars int                 `json:"max_question_chars,omitempty"`
	Notice           string              `json:"notice,omitempty"`
	Statuses         []chat.AnswerStatus `json:"statuses,omitempty"`

	ID             string        `json:"id,omitempty"` // the client's reference (accepted, error)
	ConversationID string        `json:"conversation_id,omitempty"`
	MessageID      string        `json:"message_id,omitempty"`
	Stage          string        `json:"stage,omitempty"`
	Text           string        `json:"text,omitempty"`
	Sources        []chat.Source `json:"sources,omitempty"`
	Status         string        `json:"status,omitempty"`
	Composer       string        `json:"composer,omitempty"` // hello and done
	Route          *Route        `json:"route,omitempty"`    // done
	Answer         string        `json:"answer,omitempty"`
	Code           string        `json:"code,omitempty"`
	Message        string        `json:"message,omitempty"`
}

// Route is the question router's verdict, sent in done.
type Route struct {
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
	Decider    string  `json:"decider"`
}

func routeOf(d chat.Decision) *Route {
	if d.Label == "" {
		return nil
	}
	return &Route{Label: string(d.Label), Confidence: math.Round(d.Confidence*1000) / 1000, Decider: d.Decider}
}

func helloMessage(composer string, maxChars int) ServerMessage {
	notice := noticeOffline
	if composer == "llm" {
		notice = noticeLLM
	}
	return ServerMessage{Type: "hello", V: ProtocolVersion, Composer: composer, MaxQuestionChars: maxChars,
		Notice: notice, Statuses: chat.AllStatuses()}
}

func errorMessage(id, code, msg string) ServerMessage {
	return ServerMessage{Type: "error", ID: id, Code: code, Message: msg}
}

// refusalText is the citizen-facing text for a refused message: the
// crisis signposting for an over-long question with crisis wording.
func (s *Server) refusalText(e *DecodeError) string {
	if e.Code == CodeTooLarge {
		if reply, ok := s.door.CrisisReply(e.question); ok {
			return reply
		}
	}
	return decodeErrorText(e)
}

// decodeErrorText is the citizen-facing text for a refused message.
func decodeErrorText(e *DecodeError) string {
	if e.Code == CodeTooLarge {
		return chat.MsgTooLong
	}
	return notAnswerMessage + " " + upperFirst(e.Reason) + "."
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
