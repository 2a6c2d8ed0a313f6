package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// IngestRun is one run of `govchat ingest`.
type IngestRun struct {
	ID         int64
	Source     string
	StartedAt  time.Time
	FinishedAt *time.Time
	Status     string // running, succeeded, failed
	Stats      json.RawMessage
	Error      string
}

// StartRun records the start of an ingest run.
func (s *Store) StartRun(ctx context.Context, source string) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, s.q(`INSERT INTO {{schema}}.ingest_runs (source) VALUES ($1) RETURNING id`), source).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: start ingest run: %w", err)
	}
	return id, nil
}

// FinishRun records how a run ended. runErr nil means success.
func (s *Store) FinishRun(ctx context.Context, id int64, stats any, runErr error) error {
	b, err := json.Marshal(stats)
	if err != nil {
		return fmt.Errorf("store: finish ingest run: %w", err)
	}
	status, msg := "succeeded", ""
	if runErr != nil {
		status, msg = "failed", runErr.Error()
	}
	_, err = s.pool.Exec(ctx, s.q(`UPDATE {{schema}}.ingest_runs SET finished_at = now(), status = $2, stats = $3::jsonb, error = $4 WHERE id = $1`),
		id, status, string(b), msg)
	if err != nil {
		return fmt.Errorf("store: finish ingest run: %w", err)
	}
	if runErr == nil {
		return s.Analyze(ctx)
	}
	return nil
}

// Analyze refreshes the planner's statistics of the tables search reads.
// PostgreSQL's autovacuum does this on its own in time; PGlite has none, and
// without statistics the planner may read a common locale through the filter
// index instead of the HNSW index.
func (s *Store) Analyze(ctx context.Context) error {
	tables := []string{"documents", "chunks", "text_terms"}
	if sp, err := s.ActiveSpace(ctx); err == nil {
		tables = append(tables, sp.table())
	} else if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("store: analyze: %w", err)
	}
	for _, t := range tables {
		if _, err := s.pool.Exec(ctx, s.q(`ANALYZE {{schema}}.`+t)); err != nil {
			return fmt.Errorf("store: analyze %s: %w", t, err)
		}
	}
	return nil
}

// LastRun returns the most recent ingest run, or ErrNotFound.
func (s *Store) LastRun(ctx context.Context) (IngestRun, error) {
	var r IngestRun
	var stats string
	err := s.read.QueryRow(ctx, s.q(`SELECT id, source, started_at, finished_at, status, stats::text, error
		FROM {{schema}}.ingest_runs ORDER BY id DESC LIMIT 1`)).
		Scan(&r.ID, &r.Source, &r.StartedAt, &r.FinishedAt, &r.Status, &stats, &r.Error)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("store: last ingest run: %w", err)
	}
	r.Stats = json.RawMessage(stats)
	return r, nil
}

// SchemaCount is the number of documents and chunks of one schema and locale.
type SchemaCount struct {
	SchemaName string
	Locale     string
	Documents  int
	Chunks     int
}

// IndexCounts returns document and chunk counts per schema and locale.
func (s *Store) IndexCounts(ctx context.Context) ([]SchemaCount, error) {
	rows, err := s.read.Query(ctx, s.q(`SELECT d.schema_name, d.locale, count(DISTINCT d.id), count(c.id)
		FROM {{schema}}.documents d LEFT JOIN {{schema}}.chunks c ON c.document_id = d.id
		GROUP BY 1, 2 ORDER BY 1, 2`))
	if err != nil {
		return nil, fmt.Errorf("store: index counts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (SchemaCount, error) {
		var c SchemaCount
		err := r.Scan(&c.SchemaName, &c.Locale, &c.Documents, &c.Chunks)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: index counts: %w", err)
	}
	return out, nil
}

// ChunkCount returns the number of chunks and of documents in the index.
func (s *Store) ChunkCount(ctx context.Context) (docs, chunks int, err error) {
	err = s.read.QueryRow(ctx, s.q(`SELECT (SELECT count(*) FROM {{schema}}.documents), (SELECT count(*) FROM {{schema}}.chunks)`)).Scan(&docs, &chunks)
	if err != nil {
		return 0, 0, fmt.Errorf("store: count chunks: %w", err)
	}
	return docs, chunks, nil
}
