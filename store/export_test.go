package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ExecForTest runs a statement; tests use it to set up states the API cannot reach.
func (s *Store) ExecForTest(ctx context.Context, sql string) error {
	_, err := s.pool.Exec(ctx, sql)
	return err
}

// ShowForTest returns a run-time setting as a fresh statement on the primary
// pool sees it, outside any transaction: what a later borrower of a pooled
// connection (or of a PgBouncer server connection) would inherit.
func (s *Store) ShowForTest(ctx context.Context, name string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT current_setting($1)`, name).Scan(&v)
	return v, err
}

// ConversationExists reports whether a live (unexpired) conversation exists.
func (s *Store) ConversationExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, s.q(`SELECT EXISTS (SELECT 1 FROM {{schema}}.conversations WHERE id = $1 AND expires_at > now())`), id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store: find conversation: %w", err)
	}
	return ok, nil
}

// ExplainSearch runs Search under EXPLAIN ANALYZE and returns the plan, for
// tests that check which index serves each ranker: a branch that did not run
// is marked "never executed".
func (s *Store) ExplainSearch(ctx context.Context, sp Space, q SearchQuery) (string, error) {
	var plan string
	err := s.runSearch(ctx, sp, q, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ", func(rows pgx.Rows) error {
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, l := range lines {
			plan += l + "\n"
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store: explain search: %w", err)
	}
	return plan, nil
}

// TermChunks returns how many chunks hold each of lexemes, from the counts
// search reads (text_terms); a lexeme no chunk holds is absent.
func (s *Store) TermChunks(ctx context.Context, lexemes []string) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT lexeme, chunks FROM {{schema}}.text_terms WHERE lexeme = ANY ($1::text[])`), lexemes)
	if err != nil {
		return nil, fmt.Errorf("store: term counts: %w", err)
	}
	out := map[string]int{}
	var lexeme string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&lexeme, &n}, func() error {
		out[lexeme] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: term counts: %w", err)
	}
	return out, nil
}
