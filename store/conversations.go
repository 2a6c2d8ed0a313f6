package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Message is one question and its answer in a conversation.
type Message struct {
	ID             string
	ConversationID string
	Seq            int
	Question       *string // nil when the question was refused before storage
	Rewritten      string
	Answer         string
	Status         string
	Composer       string
	Sources        json.RawMessage
	Timings        json.RawMessage
	// The question router's verdict: label, confidence and what decided.
	RouteLabel      string
	RouteConfidence float64
	RouteDecider    string
	// Audit is chat.Audit as JSON: guard verdicts, model calls and tokens,
	// retrieved passages and their scores.
	Audit       json.RawMessage
	CreatedAt   time.Time
	CompletedAt *time.Time
}

// EnsureConversation creates the conversation id when it does not exist and
// pushes its expiry to now+retention. It reports whether it was created.
func (s *Store) EnsureConversation(ctx context.Context, id string, retention time.Duration) (bool, error) {
	var created bool
	err := s.pool.QueryRow(ctx, s.q(`INSERT INTO {{schema}}.conversations (id, expires_at)
		VALUES ($1, now() + make_interval(secs => $2::float8))
		ON CONFLICT (id) DO UPDATE SET updated_at = now(), expires_at = EXCLUDED.expires_at
		RETURNING (xmax = 0)`), id, retention.Seconds()).Scan(&created)
	if err != nil {
		return false, fmt.Errorf("store: ensure conversation: %w", err)
	}
	return created, nil
}

// StartMessage records a new question in a conversation with the given status
// (usually "pending") and returns its sequence number. question is nil when
// the text must not be stored (personal data was found).
func (s *Store) StartMessage(ctx context.Context, id, conversationID string, question *string, status string) (int, error) {
	var seq int
	for attempt := 0; attempt < 3; attempt++ {
		err := s.pool.QueryRow(ctx, s.q(`INSERT INTO {{schema}}.messages (id, conversation_id, seq, question, status)
			SELECT $1, $2, coalesce(max(seq), 0) + 1, $3, $4 FROM {{schema}}.messages WHERE conversation_id = $2
			RETURNING seq`), id, conversationID, question, status).Scan(&seq)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName != "messages_pkey" {
			continue // another instance took this seq; take the next
		}
		if err != nil {
			return 0, fmt.Errorf("store: start message: %w", err)
		}
		return seq, nil
	}
	return 0, fmt.Errorf("store: start message: %w", ErrConflict)
}

// CompleteMessage records the outcome of a message.
func (s *Store) CompleteMessage(ctx context.Context, m Message) error {
	if len(m.Sources) == 0 {
		m.Sources = json.RawMessage("[]")
	}
	if len(m.Timings) == 0 {
		m.Timings = json.RawMessage("{}")
	}
	if len(m.Audit) == 0 {
		m.Audit = json.RawMessage("{}")
	}
	tag, err := s.pool.Exec(ctx, s.q(`UPDATE {{schema}}.messages SET rewritten = $2, answer = $3, status = $4, composer = $5,
		sources = $6::jsonb, timings = $7::jsonb, route_label = $8, route_confidence = $9::real, route_decider = $10,
		audit = $11::jsonb, completed_at = now() WHERE id = $1`),
		m.ID, m.Rewritten, m.Answer, m.Status, m.Composer, string(m.Sources), string(m.Timings),
		m.RouteLabel, m.RouteConfidence, m.RouteDecider, string(m.Audit))
	if err != nil {
		return fmt.Errorf("store: complete message: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: complete message %s: %w", m.ID, ErrNotFound)
	}
	return nil
}

// History returns the last n completed turns of a conversation, oldest first.
// It reads the primary, never the read replica: a follow-up question comes
// moments after the previous answer was written, and a lagging replica would
// answer it without that turn.
func (s *Store) History(ctx context.Context, conversationID string, n int) ([]Message, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT id, conversation_id, seq, question, coalesce(rewritten, ''), answer, status, composer,
			sources::text, timings::text, route_label, route_confidence::float8, route_decider, created_at, completed_at
		FROM (SELECT * FROM {{schema}}.messages WHERE conversation_id = $1 AND completed_at IS NOT NULL
			ORDER BY seq DESC LIMIT $2) m ORDER BY seq`), conversationID, n)
	if err != nil {
		return nil, fmt.Errorf("store: history: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, scanMessage)
	if err != nil {
		return nil, fmt.Errorf("store: history: %w", err)
	}
	return msgs, nil
}

// GetMessage returns one message by id.
func (s *Store) GetMessage(ctx context.Context, id string) (Message, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT id, conversation_id, seq, question, coalesce(rewritten, ''), answer, status, composer,
			sources::text, timings::text, route_label, route_confidence::float8, route_decider, created_at, completed_at
		FROM {{schema}}.messages WHERE id = $1`), id)
	if err != nil {
		return Message{}, fmt.Errorf("store: get message: %w", err)
	}
	m, err := pgx.CollectExactlyOneRow(rows, scanMessage)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("store: get message: %w", err)
	}
	return m, nil
}

func scanMessage(r pgx.CollectableRow) (Message, error) {
	var m Message
	var sources, timings string
	err := r.Scan(&m.ID, &m.ConversationID, &m.Seq, &m.Question, &m.Rewritten, &m.Answer, &m.Status, &m.Composer,
		&sources, &timings, &m.RouteLabel, &m.RouteConfidence, &m.RouteDecider, &m.CreatedAt, &m.CompletedAt)
	m.Sources = json.RawMessage(sources)
	m.Timings = json.RawMessage(timings)
	return m, err
}

// DeleteConversation removes a conversation, its messages and feedback.
func (s *Store) DeleteConversation(ctx context.Context, id string) (bool, error) {
	tag, err := s.pool.Exec(ctx, s.q(`DELETE FROM {{schema}}.conversations WHERE id = $1`), id)
	if err != nil {
		return false, fmt.Errorf("store: delete conversation: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// PurgeExpired deletes conversations past their retention and returns how many.
func (s *Store) PurgeExpired(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, s.q(`DELETE FROM {{schema}}.conversations WHERE expires_at <= now()`))
	if err != nil {
		return 0, fmt.Errorf("store: purge expired conversations: %w", err)
	}
	return tag.RowsAffected(), nil
}

// AddFeedback records whether an answer was useful. A second call for the
// same message replaces the first. The comment must already be redacted.
func (s *Store) AddFeedback(ctx context.Context, messageID string, useful bool, comment string) error {
	tag, err := s.pool.Exec(ctx, s.q(`INSERT INTO {{schema}}.feedback (message_id, useful, comment)
		SELECT id, $2, $3 FROM {{schema}}.messages WHERE id = $1
		ON CONFLICT (message_id) DO UPDATE SET useful = EXCLUDED.useful, comment = EXCLUDED.comment, created_at = now()`),
		messageID, useful, comment)
	if err != nil {
		return fmt.Errorf("store: add feedback: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: add feedback for %s: %w", messageID, ErrNotFound)
	}
	return nil
}

// Feedback is a stored feedback row.
type Feedback struct {
	MessageID string
	Useful    bool
	Comment   string
}

// GetFeedback returns the feedback on a message, or ErrNotFound.
func (s *Store) GetFeedback(ctx context.Context, messageID string) (Feedback, error) {
	f := Feedback{MessageID: messageID}
	err := s.pool.QueryRow(ctx, s.q(`SELECT useful, comment FROM {{schema}}.feedback WHERE message_id = $1`), messageID).Scan(&f.Useful, &f.Comment)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("store: get feedback: %w", err)
	}
	return f, nil
}

// Settings: small key-value flags such as the kill switch, shared by every
// server instance.

// GetSetting returns a setting's value, or "" when unset.
func (s *Store) GetSetting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, s.q(`SELECT value FROM {{schema}}.settings WHERE key = $1`), key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: get setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores a setting; an empty value deletes it.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	var err error
	if value == "" {
		_, err = s.pool.Exec(ctx, s.q(`DELETE FROM {{schema}}.settings WHERE key = $1`), key)
	} else {
		_, err = s.pool.Exec(ctx, s.q(`INSERT INTO {{schema}}.settings (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`), key, value)
	}
	if err != nil {
		return fmt.Errorf("store: set setting %s: %w", key, err)
	}
	return nil
}
