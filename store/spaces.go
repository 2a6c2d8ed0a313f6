package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Space is an embedding space: one model at one dimension, whose vectors live
// in their own table with an HNSW index.
type Space struct {
	ID         int
	Model      string
	Dimensions int
	State      string // building, active or retired
	// Floor is the "no content" floor calibrated for this space, or nil.
	Floor *SpaceFloor
}

// SpaceFloor is a "no content" floor calibrated on one embedding space
// (retrieval.Floor's fields; the store does not interpret them).
type SpaceFloor struct {
	MinVector, MinText, MinVectorBoth, MinTextBoth float64
	CalibratedAt                                   time.Time
	Note                                           string // how it was calibrated: the dataset and its counts
}

func (sp Space) table() string { return "embeddings_" + strconv.Itoa(sp.ID) }

// HNSW build parameters. pgvector's defaults; documented in docs/database.md.
const (
	hnswM              = 16
	hnswEfConstruction = 64
)

// ActiveSpace returns the space readers search, or ErrNotFound on an empty index.
func (s *Store) ActiveSpace(ctx context.Context) (Space, error) {
	return s.spaceWhere(ctx, s.pool, `state = 'active'`)
}

// BuildingSpace returns a space being built by a re-embed, or ErrNotFound.
func (s *Store) BuildingSpace(ctx context.Context) (Space, error) {
	return s.spaceWhere(ctx, s.pool, `state = 'building'`)
}

func (s *Store) spaceWhere(ctx context.Context, db *pgxpool.Pool, where string) (Space, error) {
	var sp Space
	var minV, minT, minVB, minTB *float64
	var at *time.Time
	var note *string
	err := db.QueryRow(ctx, s.q(`SELECT id, model, dimensions, state, floor_min_vector, floor_min_text,
		floor_min_vector_both, floor_min_text_both, floor_calibrated_at, floor_note
		FROM {{schema}}.embedding_spaces WHERE `+where+` ORDER BY id DESC LIMIT 1`)).
		Scan(&sp.ID, &sp.Model, &sp.Dimensions, &sp.State, &minV, &minT, &minVB, &minTB, &at, &note)
	if errors.Is(err, pgx.ErrNoRows) {
		return sp, ErrNotFound
	}
	if err != nil {
		return sp, fmt.Errorf("store: read embedding space: %w", err)
	}
	if minV != nil && minT != nil && minVB != nil && minTB != nil && at != nil {
		sp.Floor = &SpaceFloor{MinVector: *minV, MinText: *minT, MinVectorBoth: *minVB, MinTextBoth: *minTB, CalibratedAt: *at}
		if note != nil {
			sp.Floor.Note = *note
		}
	}
	return sp, nil
}

// SetSpaceFloor stores a calibrated "no content" floor with a space that is
// not retired. It returns ErrNotFound when the space is gone or retired.
func (s *Store) SetSpaceFloor(ctx context.Context, sp Space, f SpaceFloor) error {
	tag, err := s.pool.Exec(ctx, s.q(`UPDATE {{schema}}.embedding_spaces SET floor_min_vector = $2, floor_min_text = $3,
		floor_min_vector_both = $4, floor_min_text_both = $5, floor_calibrated_at = now(), floor_note = $6
		WHERE id = $1 AND state <> 'retired'`), sp.ID, f.MinVector, f.MinText, f.MinVectorBoth, f.MinTextBoth, f.Note)
	if err != nil {
		return fmt.Errorf("store: save the floor of embedding space %d: %w", sp.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("store: save the floor of embedding space %d: %w", sp.ID, ErrNotFound)
	}
	return nil
}

// EnsureSpace returns the active space when it was built by model at dims
// (any dims when 0, as in CheckSpace), creates it when the index is empty, and otherwise refuses with
// ErrModelMismatch: vectors of two models must never be compared.
func (s *Store) EnsureSpace(ctx context.Context, model string, dims int) (Space, error) {
	sp, err := s.ActiveSpace(ctx)
	switch {
	case err == nil:
		if sp.Model != model || (dims != 0 && sp.Dimensions != dims) {
			return sp, fmt.Errorf("%w: the index was built with %q (%d dimensions) but the configured embedder is %q (%d dimensions); "+
				"configure the original embedder, or run `govchat ingest --reembed` to rebuild the index with the new one",
				ErrModelMismatch, sp.Model, sp.Dimensions, model, dims)
		}
		return sp, nil
	case errors.Is(err, ErrNotFound):
		return s.createSpace(ctx, model, dims, "active")
	default:
		return sp, err
	}
}

// CheckSpace is EnsureSpace for readers: it never creates anything. dims 0
// means the embedder does not know its length yet (an OpenAI-compatible model
// at its own dimensions before its first response): only the model is
// compared, and the search checks the query vector's length. It reads the
// read replica, like the searches that use the space it returns.
func (s *Store) CheckSpace(ctx context.Context, model string, dims int) (Space, error) {
	sp, err := s.spaceWhere(ctx, s.read, `state = 'active'`)
	if err != nil {
		return sp, err
	}
	if sp.Model != model || (dims != 0 && sp.Dimensions != dims) {
		return sp, fmt.Errorf("%w: the index was built with %q (%d dimensions) but the configured embedder is %q (%d dimensions); "+
			"configure the original embedder, or run `govchat ingest --reembed`", ErrModelMismatch, sp.Model, sp.Dimensions, model, dims)
	}
	return sp, nil
}

// StartBuildingSpace creates (or resumes) a space for model at dims in the
// building state, for a re-embed. Readers keep using the active space.
func (s *Store) StartBuildingSpace(ctx context.Context, model string, dims int) (Space, error) {
	sp, err := s.BuildingSpace(ctx)
	if err == nil {
		if sp.Model == model && sp.Dimensions == dims {
			return sp, nil
		}
		if err := s.dropSpace(ctx, sp); err != nil {
			return sp, err
		}
	} else if !errors.Is(err, ErrNotFound) {
		return sp, err
	}
	return s.createSpace(ctx, model, dims, "building")
}

func (s *Store) createSpace(ctx context.Context, model string, dims int, state string) (Space, error) {
	sp := Space{Model: model, Dimensions: dims, State: state}
	if dims <= 0 {
		return sp, fmt.Errorf("store: create embedding space for %s: dimensions %d; embed a text first to learn the model's length", model, dims)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, s.q(`INSERT INTO {{schema}}.embedding_spaces (model, dimensions, state, activated_at)
			VALUES ($1, $2, $3, CASE WHEN $3 = 'active' THEN now() END) RETURNING id`), model, dims, state).Scan(&sp.ID); err != nil {
			return err
		}
		t := sp.table()
		_, err := tx.Exec(ctx, s.q(`CREATE TABLE {{schema}}.`+t+` (
				chunk_id      bigint PRIMARY KEY REFERENCES {{schema}}.chunks (id) ON DELETE CASCADE,
				locale        text NOT NULL,
				document_type text NOT NULL,
				base_path     text NOT NULL,
				embedding     vector(`+strconv.Itoa(dims)+`) NOT NULL
			);
			CREATE INDEX `+t+`_filter ON {{schema}}.`+t+` (locale, document_type);
			CREATE INDEX `+t+`_hnsw ON {{schema}}.`+t+` USING hnsw (embedding vector_cosine_ops)
				WITH (m = `+strconv.Itoa(hnswM)+`, ef_construction = `+strconv.Itoa(hnswEfConstruction)+`)`))
		return err
	})
	if err != nil {
		return sp, fmt.Errorf("store: create embedding space for %s: %w", model, err)
	}
	s.log.Info("created embedding space", "id", sp.ID, "model", model, "dimensions", dims, "state", state)
	return sp, nil
}

func (s *Store) dropSpace(ctx context.Context, sp Space) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, s.q(`DROP TABLE IF EXISTS {{schema}}.`+sp.table())); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, s.q(`UPDATE {{schema}}.embedding_spaces SET state = 'retired' WHERE id = $1`), sp.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: drop embedding space %d: %w", sp.ID, err)
	}
	return nil
}

// ChunkText is a chunk's id and the text to embed.
type ChunkText struct {
	ID        int64
	EmbedText string
}

func scanChunkText(r pgx.CollectableRow) (ChunkText, error) {
	var c ChunkText
	err := r.Scan(&c.ID, &c.EmbedText)
	return c, err
}

// MissingVectors returns up to limit chunks that have no vector in space.
func (s *Store) MissingVectors(ctx context.Context, sp Space, limit int) ([]ChunkText, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT c.id, c.embed_text FROM {{schema}}.chunks c
		WHERE NOT EXISTS (SELECT 1 FROM {{schema}}.`+sp.table()+` e WHERE e.chunk_id = c.id)
		ORDER BY c.id LIMIT $1`), limit)
	if err != nil {
		return nil, fmt.Errorf("store: find chunks without vectors: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanChunkText)
	if err != nil {
		return nil, fmt.Errorf("store: find chunks without vectors: %w", err)
	}
	return out, nil
}

// PutVectors stores vectors for existing chunks in space. Chunks deleted in
// the meantime are ignored.
func (s *Store) PutVectors(ctx context.Context, sp Space, ids []int64, vectors [][]float32) error {
	if len(ids) != len(vectors) {
		return fmt.Errorf("store: put vectors: %d ids for %d vectors", len(ids), len(vectors))
	}
	vecs := make([]string, len(vectors))
	for i, v := range vectors {
		if len(v) != sp.Dimensions {
			return fmt.Errorf("store: put vectors: vector %d has %d dimensions, the space has %d", i, len(v), sp.Dimensions)
		}
		vecs[i] = formatVector(v)
	}
	_, err := s.pool.Exec(ctx, s.q(`INSERT INTO {{schema}}.`+sp.table()+` (chunk_id, locale, document_type, base_path, embedding)
		SELECT c.id, c.locale, c.document_type, c.base_path, t.vec::vector
		FROM unnest($1::bigint[], $2::text[]) AS t(id, vec)
		JOIN {{schema}}.chunks c ON c.id = t.id
		ON CONFLICT (chunk_id) DO UPDATE SET embedding = EXCLUDED.embedding`), ids, vecs)
	if err != nil {
		return fmt.Errorf("store: put vectors: %w", err)
	}
	return nil
}

// ActivateSpace makes a fully built space the one readers search and drops
// the previous one, in one transaction. It fails with ErrConflict when chunks
// written meanwhile still lack vectors; the caller fills them and retries.
func (s *Store) ActivateSpace(ctx context.Context, sp Space) error {
	var old Space
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Block writers so no chunk can appear between the check and the switch.
		if _, err := tx.Exec(ctx, s.q(`LOCK TABLE {{schema}}.chunks IN SHARE MODE`)); err != nil {
			return err
		}
		var missing int
		if err := tx.QueryRow(ctx, s.q(`SELECT count(*) FROM {{schema}}.chunks c
			WHERE NOT EXISTS (SELECT 1 FROM {{schema}}.`+sp.table()+` e WHERE e.chunk_id = c.id)`)).Scan(&missing); err != nil {
			return err
		}
		if missing > 0 {
			return fmt.Errorf("%w: %d chunks still lack vectors", ErrConflict, missing)
		}
		err := tx.QueryRow(ctx, s.q(`SELECT id, model, dimensions FROM {{schema}}.embedding_spaces WHERE state = 'active'`)).
			Scan(&old.ID, &old.Model, &old.Dimensions)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if old.ID != 0 {
			if _, err := tx.Exec(ctx, s.q(`UPDATE {{schema}}.embedding_spaces SET state = 'retired' WHERE id = $1`), old.ID); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, s.q(`DROP TABLE {{schema}}.`+old.table())); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, s.q(`UPDATE {{schema}}.embedding_spaces SET state = 'active', activated_at = now() WHERE id = $1`), sp.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: activate embedding space %d: %w", sp.ID, err)
	}
	return nil
}
