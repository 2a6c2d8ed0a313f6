package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/govchat/govchat"
)

// This file serves `govchat bench`: the floors it measures the serving
// paths against. serve and ingest never call it.

// SearchRows runs the statement Search would run for q, in the same
// read-only transaction with the same settings, and returns the number of
// rows without decoding them: what retrieval's own work is timed against.
func (s *Store) SearchRows(ctx context.Context, sp Space, q SearchQuery) (int, error) {
	n := 0
	err := s.runSearch(ctx, sp, q, "", func(rows pgx.Rows) error {
		for rows.Next() {
			n++
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("store: search rows: %w", err)
	}
	return n, nil
}

// InsertDocuments writes docs, new to the store, and their chunks with
// vectors[i][j] for chunk j of docs[i] in space, in one transaction: the
// chunk INSERT of ReplaceDocument without its upsert and delete, the floor
// of what ingest could cost. The documents' digest is empty.
func (s *Store) InsertDocuments(ctx context.Context, space Space, docs []govchat.Document, vectors [][][]float32) error {
	if len(vectors) != len(docs) {
		return fmt.Errorf("store: insert documents: vectors for %d documents, %d documents", len(vectors), len(docs))
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for i, d := range docs {
			if len(vectors[i]) != len(d.Chunks) {
				return fmt.Errorf("%s: %d vectors for %d chunks", d.BasePath, len(vectors[i]), len(d.Chunks))
			}
			var id int64
			err := tx.QueryRow(ctx, s.q(`INSERT INTO {{schema}}.documents
				(content_id, locale, base_path, title, description, document_type, schema_name, digest)
				VALUES ($1, $2, $3, $4, $5, $6, $7, '') RETURNING id`),
				d.ContentID, d.Locale, d.BasePath, d.Title, d.Description, d.DocumentType, d.SchemaName).Scan(&id)
			if err != nil {
				return fmt.Errorf("%s: %w", d.BasePath, err)
			}
			if err := s.insertChunks(ctx, tx, space, id, d, vectors[i]); err != nil {
				return fmt.Errorf("%s: chunks: %w", d.BasePath, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: insert documents: %w", err)
	}
	return nil
}
