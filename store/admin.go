package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AdminFilter selects messages for the operators' console. A zero field
// does not filter.
type AdminFilter struct {
	From     time.Time // messages created at or after
	To       time.Time // messages created before
	Status   string    // answer status, e.g. "answered"
	Label    string    // the router's label
	Feedback string    // "useful", "not_useful", "any" or "none"
	Page     string    // a cited page: its path, matched with or without a #fragment
	Text     string    // words in the question or the answer (case-insensitive)
	Limit    int       // [50], at most 1000
	Offset   int
}

// ConversationSummary is one conversation in the console's list.
type ConversationSummary struct {
	ID            string    `json:"id"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	Messages      int       `json:"messages"`
	FirstQuestion *string   `json:"first_question"` // nil when personal data kept it from being stored
	Statuses      []string  `json:"statuses"`
	Labels        []string  `json:"labels"`
	Useful        int       `json:"useful"`
	NotUseful     int       `json:"not_useful"`
}

// AdminMessage is a message with its feedback and audit, for the console.
type AdminMessage struct {
	Message
	Useful  *bool   // nil: no feedback
	Comment *string // the redacted feedback comment
}

// messageFilter is the WHERE clause on messages m (with feedback f) that
// AdminFilter describes; its parameters are $1..$7.
const messageFilter = `($1::timestamptz IS NULL OR m.created_at >= $1)
	AND ($2::timestamptz IS NULL OR m.created_at < $2)
	AND ($3 = '' OR m.status = $3)
	AND ($4 = '' OR m.route_label = $4)
	AND ($5 = '' OR ($5 = 'useful' AND f.useful) OR ($5 = 'not_useful' AND NOT f.useful)
		OR ($5 = 'any' AND f.id IS NOT NULL) OR ($5 = 'none' AND f.id IS NULL))
	AND ($6 = '' OR EXISTS (SELECT 1 FROM jsonb_array_elements(CASE jsonb_typeof(m.sources) WHEN 'array' THEN m.sources ELSE '[]' END) s
		WHERE s->>'url' = $6 OR split_part(s->>'url', '#', 1) = $6))
	AND ($7 = '' OR strpos(lower(coalesce(m.question, '')), lower($7)) > 0 OR strpos(lower(m.answer), lower($7)) > 0)`

func (f AdminFilter) args() []any {
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t
	}
	return []any{ts(f.From), ts(f.To), f.Status, f.Label, f.Feedback, f.Page, f.Text}
}

func (f AdminFilter) limit() int {
	switch {
	case f.Limit <= 0:
		return 50
	case f.Limit > 1000:
		return 1000
	}
	return f.Limit
}

// ListConversations returns the conversations with at least one message
// that matches f, newest first.
func (s *Store) ListConversations(ctx context.Context, f AdminFilter) ([]ConversationSummary, error) {
	args := append(f.args(), f.limit(), max(0, f.Offset))
	// Walking conversations newest first and stopping at the limit lets
	// PostgreSQL use conversations_created_idx and check each one's
	// messages by its (conversation_id, seq) index, instead of reading
	// every message; the summary is made only for the rows shown. A
	// conversation created after "to" cannot have a message before it.
	rows, err := s.pool.Query(ctx, s.q(`SELECT c.id, c.created_at, c.updated_at, a.n, a.first_question, a.statuses, a.labels,
			a.useful, a.not_useful
		FROM {{schema}}.conversations c
		CROSS JOIN LATERAL (SELECT count(*)::int AS n, (array_agg(m.question ORDER BY m.seq))[1] AS first_question,
				array_agg(DISTINCT m.status ORDER BY m.status) AS statuses,
				array_remove(array_agg(DISTINCT m.route_label ORDER BY m.route_label), '') AS labels,
				count(f.id) FILTER (WHERE f.useful)::int AS useful, count(f.id) FILTER (WHERE NOT f.useful)::int AS not_useful
			FROM {{schema}}.messages m LEFT JOIN {{schema}}.feedback f ON f.message_id = m.id
			WHERE m.conversation_id = c.id) a
		WHERE ($2::timestamptz IS NULL OR c.created_at < $2)
			AND EXISTS (SELECT 1 FROM {{schema}}.messages m LEFT JOIN {{schema}}.feedback f ON f.message_id = m.id
				WHERE m.conversation_id = c.id AND `+messageFilter+`)
		ORDER BY c.created_at DESC, c.id LIMIT $8 OFFSET $9`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list conversations: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ConversationSummary, error) {
		var c ConversationSummary
		err := r.Scan(&c.ID, &c.CreatedAt, &c.UpdatedAt, &c.Messages, &c.FirstQuestion, &c.Statuses, &c.Labels,
			&c.Useful, &c.NotUseful)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list conversations: %w", err)
	}
	return list, nil
}

const adminMessageColumns = `m.id, m.conversation_id, m.seq, m.question, coalesce(m.rewritten, ''), m.answer, m.status, m.composer,
	m.sources::text, m.timings::text, m.route_label, m.route_confidence::float8, m.route_decider, m.audit::text,
	m.created_at, m.completed_at, f.useful, f.comment`

func scanAdminMessage(r pgx.CollectableRow) (AdminMessage, error) {
	var m AdminMessage
	var sources, timings, audit string
	err := r.Scan(&m.ID, &m.ConversationID, &m.Seq, &m.Question, &m.Rewritten, &m.Answer, &m.Status, &m.Composer,
		&sources, &timings, &m.RouteLabel, &m.RouteConfidence, &m.RouteDecider, &audit,
		&m.CreatedAt, &m.CompletedAt, &m.Useful, &m.Comment)
	m.Sources, m.Timings, m.Audit = json.RawMessage(sources), json.RawMessage(timings), json.RawMessage(audit)
	return m, err
}

// ConversationMessages returns every message of a conversation in order,
// with feedback and audit, or ErrNotFound.
func (s *Store) ConversationMessages(ctx context.Context, id string) ([]AdminMessage, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+adminMessageColumns+`
		FROM {{schema}}.messages m LEFT JOIN {{schema}}.feedback f ON f.message_id = m.id
		WHERE m.conversation_id = $1 ORDER BY m.seq`), id)
	if err != nil {
		return nil, fmt.Errorf("store: conversation messages: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, scanAdminMessage)
	if err != nil {
		return nil, fmt.Errorf("store: conversation messages: %w", err)
	}
	if len(msgs) == 0 {
		return nil, ErrNotFound
	}
	return msgs, nil
}

// ListMessages returns the messages that match f, newest first: the
// console's feedback page and its exports.
func (s *Store) ListMessages(ctx context.Context, f AdminFilter) ([]AdminMessage, error) {
	args := append(f.args(), f.limit(), max(0, f.Offset))
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+adminMessageColumns+`
		FROM {{schema}}.messages m LEFT JOIN {{schema}}.feedback f ON f.message_id = m.id
		WHERE `+messageFilter+`
		ORDER BY m.created_at DESC, m.id LIMIT $8 OFFSET $9`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list messages: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, scanAdminMessage)
	if err != nil {
		return nil, fmt.Errorf("store: list messages: %w", err)
	}
	return msgs, nil
}
