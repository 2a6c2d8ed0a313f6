package store

import "context"

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
