package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"

	"github.com/govchat/govchat"
)

// SearchQuery is one hybrid search. Retrieval builds it; the store runs it as
// one SQL statement.
type SearchQuery struct {
	Vector []float32
	// Text holds the words to match, any of them; the configuration TextConfig
	// ("english" or "simple") turns them into lexemes. "" skips full-text.
	Text       string
	TextConfig string

	VectorK int // candidates from the vector ranker
	TextK   int // candidates from the full-text ranker
	// TextBudget bounds the full-text ranker's work: only chunks holding the
	// question's rarest lexemes, up to this many, are scored; 1000 when 0.
	TextBudget int
	// TextShare also bounds the chunks those lexemes may hold, as a share of
	// all chunks, so that only words rare in the index select candidates;
	// 0.05 when 0.
	TextShare float64
	Limit     int // fused rows returned
	RRFK      int // the k in 1/(k+rank); 60 when 0
	EfSearch  int // hnsw.ef_search for this query; pgvector's default when 0

	VectorWeight float64 // multiplies the vector ranker's 1/(k+rank); 1 when 0
	TextWeight   float64 // likewise for full-text

	// Filters. Empty means no filter.
	Locale         string
	DocumentTypes  []string
	BasePathPrefix string
	// Exact makes the vector ranker an exact scan, for recall checks. Without
	// it an exact scan is used when the filters leave fewer than ExactBelow
	// rows (5000 when 0; never when negative), and the HNSW index otherwise.
	Exact      bool
	ExactBelow int
}

// DefaultTextBudget is the most chunks the full-text ranker scores for one
// question (docs/retrieval.md, "Bounded full-text cost").
const DefaultTextBudget = 1000

// DefaultTextShare is the share of all chunks that the lexemes selecting
// full-text candidates may hold between them (docs/retrieval.md).
const DefaultTextShare = 0.05

// DefaultExactBelow is the filtered row count under which the vector ranker
// scans the filtered rows exactly instead of walking the HNSW graph
// (docs/benchmarks.md, "Selective filters").
const DefaultExactBelow = 5000

// searchSQL fuses a vector kNN ranker and a full-text ranker with reciprocal
// rank fusion. The kNN CTE reads the embeddings table alone, with filters on
// its own denormalised columns, so the HNSW index serves it; metadata is
// joined only to the fused top rows.
const searchSQL = `
WITH exact AS (
	-- An exact scan when asked for, or when the filters leave fewer than $15
	-- rows: the HNSW index would walk much of its graph for a few matches
	-- and could still come back short.
	SELECT $14::bool OR (($2::text <> '' OR cardinality($3::text[]) > 0 OR $4::text <> '') AND (
		SELECT count(*) FROM (
			SELECT 1 FROM {{schema}}.{{embeddings}}
			WHERE ($2::text = '' OR locale = $2::text)
			  AND (cardinality($3::text[]) = 0 OR document_type = ANY ($3::text[]))
			  AND ($4 = '' OR starts_with(base_path, $4))
			LIMIT $15::int) AS f) < $15::int) AS yes
), vec AS (
	-- "+ 0" keeps the HNSW index out of the exact branch, whatever the planner
	-- settings; only one branch runs.
	(SELECT chunk_id, embedding <=> $1 AS distance
	FROM {{schema}}.{{embeddings}}
	WHERE (SELECT yes FROM exact)
	  AND ($2::text = '' OR locale = $2::text)
	  AND (cardinality($3::text[]) = 0 OR document_type = ANY ($3::text[]))
	  AND ($4 = '' OR starts_with(base_path, $4))
	ORDER BY (embedding <=> $1) + 0, chunk_id
	LIMIT $5::int)
	UNION ALL
	(SELECT chunk_id, embedding <=> $1 AS distance
	FROM {{schema}}.{{embeddings}}
	WHERE NOT (SELECT yes FROM exact)
	  AND ($2::text = '' OR locale = $2::text)
	  AND (cardinality($3::text[]) = 0 OR document_type = ANY ($3::text[]))
	  AND ($4 = '' OR starts_with(base_path, $4))
	ORDER BY embedding <=> $1
	LIMIT $5::int)
), vec_ranked AS (
	SELECT chunk_id, distance, row_number() OVER (ORDER BY distance, chunk_id) AS rank FROM vec
), words AS (
	-- The question's lexemes, rarest first, with the chunks that hold each
	-- (text_terms; NULL for none), the running total of those and the
	-- number of lexemes so far that some chunk holds.
	SELECT w.lexeme, t.chunks,
		sum(t.chunks) OVER (ORDER BY coalesce(t.chunks, 0), w.lexeme) AS running,
		count(t.chunks) OVER (ORDER BY coalesce(t.chunks, 0), w.lexeme) AS n,
		-- the lexeme as a quoted tsquery operand (quotes and backslashes doubled)
		chr(39) || replace(replace(w.lexeme, chr(92), chr(92) || chr(92)), chr(39), chr(39) || chr(39)) || chr(39) AS quoted
	FROM unnest(to_tsvector($6::regconfig, $7)) AS w
	LEFT JOIN {{schema}}.text_terms t ON t.lexeme = w.lexeme
), tq AS (
	-- match: the rarest lexemes that some chunk holds whose chunks add up to
	-- at most $13, and to at most the share $16 of all chunks (at least one
	-- lexeme); rank: every lexeme, as ts_rank's scale (and the "no content"
	-- floor) depends on the number of lexemes in the query.
	SELECT string_agg(quoted, ' | ') FILTER (WHERE chunks IS NOT NULL AND (n = 1 OR running <= least($13::int,
		$16::float8 * (SELECT chunks FROM {{schema}}.text_chunks))))::tsquery AS match,
		string_agg(quoted, ' | ')::tsquery AS rank
	FROM words
), txt_cands AS (
	-- At most $13 chunks are ranked, however many hold a common word.
	SELECT c.id, c.tsv
	FROM {{schema}}.chunks c, tq
	WHERE c.tsv @@ tq.match
	  AND ($2 = '' OR c.locale = $2)
	  AND (cardinality($3::text[]) = 0 OR c.document_type = ANY ($3::text[]))
	  AND ($4 = '' OR starts_with(c.base_path, $4))
	LIMIT $13::int
), txt AS (
	SELECT c.id AS chunk_id, ts_rank(c.tsv, tq.rank, 1) AS score
	FROM txt_cands c, tq
	ORDER BY score DESC, c.id
	LIMIT $8::int
), txt_ranked AS (
	SELECT chunk_id, score, row_number() OVER (ORDER BY score DESC, chunk_id) AS rank FROM txt
), fused AS (
	SELECT coalesce(v.chunk_id, t.chunk_id) AS chunk_id,
		coalesce(v.rank, 0) AS vrank, coalesce(1 - v.distance, 0) AS vscore,
		coalesce(t.rank, 0) AS trank, coalesce(t.score, 0) AS tscore,
		coalesce($9::float8 / ($11::float8 + v.rank), 0) + coalesce($10::float8 / ($11::float8 + t.rank), 0) AS rrf
	FROM vec_ranked v FULL OUTER JOIN txt_ranked t ON v.chunk_id = t.chunk_id
)
SELECT f.chunk_id, c.document_id, c.chunk_index, c.exact_path, c.base_path, d.title, c.heading_path, c.body,
	c.document_type, c.locale, coalesce(d.public_updated_at, 'epoch'),
	f.rrf, f.vrank, f.vscore, f.trank, f.tscore
FROM fused f
JOIN {{schema}}.chunks c ON c.id = f.chunk_id
JOIN {{schema}}.documents d ON d.id = c.document_id
ORDER BY f.rrf DESC, f.chunk_id
LIMIT $12::int`

// Search runs a hybrid search in the active space sp. Passages come back in
// fused order with each ranker's rank and score.
func (s *Store) Search(ctx context.Context, sp Space, q SearchQuery) ([]govchat.Passage, error) {
	var out []govchat.Passage
	err := s.runSearch(ctx, sp, q, "", func(rows pgx.Rows) (err error) {
		out, err = pgx.CollectRows(rows, scanPassage)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	return out, nil
}

// runSearch runs Search's statement for q, after prefix, with the search
// settings (readTuned) and hands its rows to read. A query that does not fit
// sp fails before any transaction.
func (s *Store) runSearch(ctx context.Context, sp Space, q SearchQuery, prefix string, read func(pgx.Rows) error) error {
	sql, args, err := s.searchStatement(sp, q)
	if err != nil {
		return err
	}
	return s.readTuned(ctx, s.read, q, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, prefix+sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return read(rows)
	})
}

// readTuned runs fn in a read-only transaction on db with q's search
// settings (tuneSearch), which end with the transaction.
func (s *Store) readTuned(ctx context.Context, db *pgxpool.Pool, q SearchQuery, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, db, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := s.tuneSearch(ctx, tx, q); err != nil {
			return err
		}
		return fn(tx)
	})
}

func (s *Store) searchStatement(sp Space, q SearchQuery) (string, []any, error) {
	if len(q.Vector) != sp.Dimensions {
		return "", nil, fmt.Errorf("query vector has %d dimensions, the index has %d", len(q.Vector), sp.Dimensions)
	}
	if q.VectorK <= 0 {
		q.VectorK = 40
	}
	if q.TextK <= 0 {
		q.TextK = 40
	}
	if q.Limit <= 0 {
		q.Limit = 10
	}
	if q.TextBudget <= 0 {
		q.TextBudget = DefaultTextBudget
	}
	if q.TextShare <= 0 {
		q.TextShare = DefaultTextShare
	}
	switch {
	case q.ExactBelow == 0:
		q.ExactBelow = DefaultExactBelow
	case q.ExactBelow < 0:
		q.ExactBelow = 0 // count(*) < 0 never holds
	}
	if q.RRFK <= 0 {
		q.RRFK = 60
	}
	if q.VectorWeight == 0 {
		q.VectorWeight = 1
	}
	if q.TextWeight == 0 {
		q.TextWeight = 1
	}
	if q.TextConfig == "" {
		q.TextConfig = "english"
	}
	types := q.DocumentTypes
	if types == nil {
		types = []string{}
	}
	sql := s.q(searchSQL)
	sql = strings.ReplaceAll(sql, "{{embeddings}}", sp.table())
	args := []any{
		pgvector.NewVector(q.Vector), q.Locale, types, q.BasePathPrefix, q.VectorK,
		q.TextConfig, q.Text, q.TextK, q.VectorWeight, q.TextWeight, float64(q.RRFK), q.Limit, q.TextBudget, q.Exact, q.ExactBelow, q.TextShare,
	}
	return sql, args, nil
}

func (s *Store) tuneSearch(ctx context.Context, tx pgx.Tx, q SearchQuery) error {
	if q.EfSearch > 0 {
		if _, err := tx.Exec(ctx, `SET LOCAL hnsw.ef_search = `+strconv.Itoa(min(q.EfSearch, 1000))); err != nil {
			return err
		}
	}
	if q.Locale != "" || len(q.DocumentTypes) > 0 || q.BasePathPrefix != "" {
		// pgvector 0.8: keep scanning the index until enough rows pass the
		// filter, so filtered queries still return VectorK rows.
		if _, err := tx.Exec(ctx, `SET LOCAL hnsw.iterative_scan = relaxed_order`); err != nil {
			return err
		}
	}
	return nil
}

func scanPassage(r pgx.CollectableRow) (govchat.Passage, error) {
	var p govchat.Passage
	var updated time.Time
	err := r.Scan(&p.ChunkID, &p.DocumentID, &p.ChunkIndex, &p.URL, &p.BasePath, &p.Title, &p.HeadingPath, &p.Text,
		&p.DocumentType, &p.Locale, &updated, &p.Score, &p.VectorRank, &p.VectorScore, &p.TextRank, &p.TextScore)
	if updated.Year() > 1970 {
		p.PublicUpdatedAt = updated
	}
	return p, err
}

// ChunkIDsNear returns the ids of the k chunks nearest to v, by the HNSW index
// or, with exact, by a sequential scan. The recall monitor compares the two.
func (s *Store) ChunkIDsNear(ctx context.Context, sp Space, v []float32, k, efSearch int, exact bool) ([]int64, error) {
	order := "embedding <=> $1"
	if exact {
		order = "(embedding <=> $1) + 0, chunk_id" // not an index ordering: a sequential scan
	}
	ids, err := s.idsNear(ctx, s.read, efSearch, s.q(`SELECT chunk_id FROM {{schema}}.`+sp.table()+` ORDER BY `+order+` LIMIT $2`), pgvector.NewVector(v), k)
	if err != nil {
		return nil, fmt.Errorf("store: nearest chunks: %w", err)
	}
	return ids, nil
}

// idsNear runs a nearest-chunks query with hnsw.ef_search set to efSearch
// and returns the chunk ids it selects.
func (s *Store) idsNear(ctx context.Context, db *pgxpool.Pool, efSearch int, sql string, args ...any) ([]int64, error) {
	var ids []int64
	err := s.readTuned(ctx, db, SearchQuery{EfSearch: efSearch}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	return ids, err
}

// SampleChunkTexts returns up to n chunk texts spread over the index, for
// recall monitoring with realistic query vectors.
func (s *Store) SampleChunkTexts(ctx context.Context, n int) ([]ChunkText, error) {
	rows, err := s.read.Query(ctx, s.q(`SELECT id, embed_text FROM {{schema}}.chunks ORDER BY md5(id::text) LIMIT $1`), n)
	if err != nil {
		return nil, fmt.Errorf("store: sample chunks: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanChunkText)
	if err != nil {
		return nil, fmt.Errorf("store: sample chunks: %w", err)
	}
	return out, nil
}
