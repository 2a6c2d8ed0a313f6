package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
)

// This file serves `govchat bench search --index`: the HNSW index's build
// time and size, and an experiment storing the same vectors as halfvec in a
// schema of their own. Nothing else calls it; the schema serve and ingest use
// is unchanged.

// VectorIndexSize is the size on disk, in bytes, of sp's HNSW index and of
// its table without indexes.
func (s *Store) VectorIndexSize(ctx context.Context, sp Space) (index, table int64, err error) {
	t := s.schema + "." + sp.table()
	err = s.pool.QueryRow(ctx, `SELECT pg_relation_size(($1 || '_hnsw')::regclass), pg_table_size($1::regclass)`, t).Scan(&index, &table)
	if err != nil {
		return 0, 0, fmt.Errorf("store: vector index size: %w", err)
	}
	return index, table, nil
}

// RebuildVectorIndex rebuilds sp's HNSW index from the stored vectors, as
// after a bulk load, with maintenance_work_mem set to memMB megabytes, and
// returns how long it took.
func (s *Store) RebuildVectorIndex(ctx context.Context, sp Space, memMB int) (time.Duration, error) {
	t := time.Now()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '`+strconv.Itoa(memMB)+`MB'`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, s.q(`REINDEX INDEX {{schema}}.`+sp.table()+`_hnsw`))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: rebuild vector index: %w", err)
	}
	return time.Since(t), nil
}

// HalfvecCopy is sp's vectors stored as halfvec (16-bit floats) in schema
// Schema, with an HNSW index (halfvec_cosine_ops, the store's m and
// ef_construction) built after the copy.
type HalfvecCopy struct {
	Schema       string
	Build        time.Duration // the index build alone
	Index, Table int64         // bytes
}

// CopyToHalfvec makes a HalfvecCopy of sp in the schema named after the
// store's with "_halfvec" added, replacing any earlier one. Drop it with
// DropHalfvec.
func (s *Store) CopyToHalfvec(ctx context.Context, sp Space, memMB int) (HalfvecCopy, error) {
	hc := HalfvecCopy{Schema: s.schema + "_halfvec"}
	schema := pgx.Identifier{hc.Schema}.Sanitize()
	stmts := []string{
		`DROP SCHEMA IF EXISTS ` + schema + ` CASCADE`,
		`CREATE SCHEMA ` + schema,
		`CREATE TABLE ` + schema + `.embeddings (chunk_id bigint PRIMARY KEY, embedding halfvec(` + strconv.Itoa(sp.Dimensions) + `) NOT NULL)`,
		s.q(`INSERT INTO ` + schema + `.embeddings SELECT chunk_id, embedding::halfvec FROM {{schema}}.` + sp.table()),
	}
	for _, q := range stmts {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			return hc, fmt.Errorf("store: copy vectors to halfvec: %w", err)
		}
	}
	t := time.Now()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '`+strconv.Itoa(memMB)+`MB'`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE INDEX embeddings_hnsw ON `+schema+`.embeddings USING hnsw (embedding halfvec_cosine_ops)
			WITH (m = `+strconv.Itoa(hnswM)+`, ef_construction = `+strconv.Itoa(hnswEfConstruction)+`)`)
		return err
	})
	if err != nil {
		return hc, fmt.Errorf("store: build halfvec index: %w", err)
	}
	hc.Build = time.Since(t)
	if _, err := s.pool.Exec(ctx, `ANALYZE `+schema+`.embeddings`); err != nil {
		return hc, fmt.Errorf("store: analyze halfvec copy: %w", err)
	}
	err = s.pool.QueryRow(ctx, `SELECT pg_relation_size($1::regclass), pg_table_size($2::regclass)`,
		hc.Schema+".embeddings_hnsw", hc.Schema+".embeddings").Scan(&hc.Index, &hc.Table)
	if err != nil {
		return hc, fmt.Errorf("store: halfvec copy size: %w", err)
	}
	return hc, nil
}

// HalfvecNear is ChunkIDsNear over a HalfvecCopy, through its HNSW index.
func (s *Store) HalfvecNear(ctx context.Context, hc HalfvecCopy, v []float32, k, efSearch int) ([]int64, error) {
	ids, err := s.idsNear(ctx, s.pool, efSearch, `SELECT chunk_id FROM `+pgx.Identifier{hc.Schema}.Sanitize()+`.embeddings
		ORDER BY embedding <=> $1::halfvec LIMIT $2`, pgvector.NewHalfVector(v), k)
	if err != nil {
		return nil, fmt.Errorf("store: nearest chunks by halfvec: %w", err)
	}
	return ids, nil
}

// DropHalfvec drops a HalfvecCopy's schema.
func (s *Store) DropHalfvec(ctx context.Context, hc HalfvecCopy) error {
	if _, err := s.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{hc.Schema}.Sanitize()+` CASCADE`); err != nil {
		return fmt.Errorf("store: drop halfvec copy: %w", err)
	}
	return nil
}
