package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/govchat/govchat"
)

// DocumentKey identifies a stored document and the facts sync needs to decide
// whether an incoming payload changes it.
type DocumentKey struct {
	ID             int64
	BasePath       string
	Locale         string
	Digest         string
	PayloadVersion int64
	UpdatedAt      time.Time
	SchemaName     string
}

// ListDocuments returns every stored document's key.
func (s *Store) ListDocuments(ctx context.Context) ([]DocumentKey, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT id, base_path, locale, digest, payload_version, coalesce(updated_at, 'epoch'), schema_name
		FROM {{schema}}.documents ORDER BY base_path, locale`))
	if err != nil {
		return nil, fmt.Errorf("store: list documents: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DocumentKey, error) {
		var k DocumentKey
		err := r.Scan(&k.ID, &k.BasePath, &k.Locale, &k.Digest, &k.PayloadVersion, &k.UpdatedAt, &k.SchemaName)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list documents: %w", err)
	}
	return keys, nil
}

// GetDocument returns one document's key, or ErrNotFound.
func (s *Store) GetDocument(ctx context.Context, basePath, locale string) (DocumentKey, error) {
	k := DocumentKey{BasePath: basePath, Locale: locale}
	err := s.pool.QueryRow(ctx, s.q(`SELECT id, digest, payload_version, coalesce(updated_at, 'epoch'), schema_name
		FROM {{schema}}.documents WHERE base_path = $1 AND locale = $2`), basePath, locale).
		Scan(&k.ID, &k.Digest, &k.PayloadVersion, &k.UpdatedAt, &k.SchemaName)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, ErrNotFound
	}
	if err != nil {
		return k, fmt.Errorf("store: get document %s: %w", basePath, err)
	}
	return k, nil
}

// VectorsByDigest returns, for the document at basePath and locale, the stored
// vectors of its chunks in the given space keyed by chunk digest, so that an
// update re-embeds only the chunks whose text changed.
func (s *Store) VectorsByDigest(ctx context.Context, space Space, basePath, locale string) (map[string][]float32, error) {
	rows, err := s.pool.Query(ctx, s.q(`SELECT c.digest, e.embedding::text
		FROM {{schema}}.documents d
		JOIN {{schema}}.chunks c ON c.document_id = d.id
		JOIN {{schema}}.`+space.table()+` e ON e.chunk_id = c.id
		WHERE d.base_path = $1 AND d.locale = $2`), basePath, locale)
	if err != nil {
		return nil, fmt.Errorf("store: read vectors of %s: %w", basePath, err)
	}
	defer rows.Close()
	out := map[string][]float32{}
	for rows.Next() {
		var digest, text string
		if err := rows.Scan(&digest, &text); err != nil {
			return nil, fmt.Errorf("store: read vectors of %s: %w", basePath, err)
		}
		v, err := parseVector(text)
		if err != nil {
			return nil, fmt.Errorf("store: read vectors of %s: %w", basePath, err)
		}
		out[digest] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read vectors of %s: %w", basePath, err)
	}
	return out, nil
}

// ReplaceDocument writes doc and its chunks, with one vector per chunk in the
// given space, replacing whatever was stored for the same base path and
// locale. It runs in one transaction: a reader sees the old page or the new
// page, never half of one. It returns the document's id.
func (s *Store) ReplaceDocument(ctx context.Context, space Space, doc govchat.Document, digest string, vectors [][]float32) (int64, error) {
	if len(vectors) != len(doc.Chunks) {
		return 0, fmt.Errorf("store: replace %s: %d vectors for %d chunks", doc.BasePath, len(vectors), len(doc.Chunks))
	}
	for i, v := range vectors {
		if len(v) != space.Dimensions {
			return 0, fmt.Errorf("store: replace %s: chunk %d has %d dimensions, the index has %d", doc.BasePath, i, len(v), space.Dimensions)
		}
	}
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, s.q(`INSERT INTO {{schema}}.documents
			(content_id, locale, base_path, title, description, document_type, schema_name,
			 public_updated_at, updated_at, payload_version, withdrawn, origin, digest, indexed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, now())
			ON CONFLICT (base_path, locale) DO UPDATE SET
			 content_id = EXCLUDED.content_id, title = EXCLUDED.title, description = EXCLUDED.description,
			 document_type = EXCLUDED.document_type, schema_name = EXCLUDED.schema_name,
			 public_updated_at = EXCLUDED.public_updated_at, updated_at = EXCLUDED.updated_at,
			 payload_version = EXCLUDED.payload_version, withdrawn = EXCLUDED.withdrawn,
			 origin = EXCLUDED.origin, digest = EXCLUDED.digest, indexed_at = now()
			RETURNING id`),
			doc.ContentID, doc.Locale, doc.BasePath, doc.Title, doc.Description, doc.DocumentType, doc.SchemaName,
			nullTime(doc.PublicUpdatedAt), nullTime(doc.UpdatedAt), doc.PayloadVersion, doc.Withdrawn, doc.Origin, digest).Scan(&id)
		if err != nil {
			return fmt.Errorf("upsert document: %w", err)
		}
		if _, err := tx.Exec(ctx, s.q(`DELETE FROM {{schema}}.chunks WHERE document_id = $1`), id); err != nil {
			return fmt.Errorf("delete old chunks: %w", err)
		}
		if err := s.insertChunks(ctx, tx, space, id, doc, vectors); err != nil {
			return fmt.Errorf("insert chunks: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: replace %s (%s): %w", doc.BasePath, doc.Locale, err)
	}
	return id, nil
}

// insertChunks writes doc's chunks, with their vectors in space, under the
// document id. One multi-row INSERT from arrays: COPY is not available on
// every server govchat supports (PGlite), and this is nearly as fast.
func (s *Store) insertChunks(ctx context.Context, tx pgx.Tx, space Space, id int64, doc govchat.Document, vectors [][]float32) error {
	n := len(doc.Chunks)
	if n == 0 {
		return nil
	}
	idx, tokens := make([]int32, n), make([]int32, n)
	paths, heads, bodies, embeds := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	htmls, digests, vecs := make([]string, n), make([]string, n), make([]string, n)
	for i, c := range doc.Chunks {
		idx[i], tokens[i] = int32(c.Index), int32(c.Tokens)
		paths[i], heads[i], bodies[i], embeds[i] = c.ExactPath, strings.Join(c.HeadingPath, headingSep), c.Text, c.EmbedText
		htmls[i], digests[i], vecs[i] = c.HTML, c.Digest, formatVector(vectors[i])
	}
	_, err := tx.Exec(ctx, s.q(`WITH input AS (
			SELECT * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::text[])
			AS t(chunk_index, exact_path, heads, body, embed_text, html, digest, tokens, vec)
		), inserted AS (
			INSERT INTO {{schema}}.chunks (document_id, chunk_index, exact_path, heading_path, body, embed_text, html, digest, tokens,
				locale, document_type, base_path, tsv)
			SELECT $1, chunk_index, exact_path,
				CASE WHEN heads = '' THEN '{}'::text[] ELSE string_to_array(heads, E'\x1f') END,
				body, embed_text, html, digest, tokens, $11, $12, $13,
				setweight(to_tsvector($14::regconfig, $15), 'A') ||
				setweight(to_tsvector($14::regconfig, replace(heads, E'\x1f', ' ')), 'B') ||
				setweight(to_tsvector($14::regconfig, body), 'D')
			FROM input
			RETURNING id, chunk_index
		)
		INSERT INTO {{schema}}.`+space.table()+` (chunk_id, locale, document_type, base_path, embedding)
		SELECT inserted.id, $11, $12, $13, input.vec::vector
		FROM inserted JOIN input USING (chunk_index)`),
		id, idx, paths, heads, bodies, embeds, htmls, digests, tokens, vecs,
		doc.Locale, doc.DocumentType, doc.BasePath, TextSearchConfig(doc.Locale), doc.Title)
	return err
}

// DeleteDocument removes a document and all its chunks. It reports whether
// anything was there.
func (s *Store) DeleteDocument(ctx context.Context, basePath, locale string) (bool, error) {
	tag, err := s.pool.Exec(ctx, s.q(`DELETE FROM {{schema}}.documents WHERE base_path = $1 AND locale = $2`), basePath, locale)
	if err != nil {
		return false, fmt.Errorf("store: delete %s (%s): %w", basePath, locale, err)
	}
	return tag.RowsAffected() > 0, nil
}

// TextSearchConfig is the full-text configuration for a locale: English
// stemming for English, no stemming for Welsh and everything else.
func TextSearchConfig(locale string) string {
	if locale == "en" || strings.HasPrefix(locale, "en-") {
		return "english"
	}
	return "simple"
}

// headingSep joins heading paths in transit; it never occurs in page text.
const headingSep = "\x1f"

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func formatVector(v []float32) string {
	var b strings.Builder
	b.Grow(len(v) * 10)
	b.WriteByte('[')
	for i, f := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatFloat(float64(f), 'g', -1, 32))
	}
	b.WriteByte(']')
	return b.String()
}

func parseVector(s string) ([]float32, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, fmt.Errorf("malformed vector %.20q", s)
	}
	s = s[1 : len(s)-1]
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	v := make([]float32, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 32)
		if err != nil {
			return nil, fmt.Errorf("malformed vector element %q: %w", p, err)
		}
		v[i] = float32(f)
	}
	return v, nil
}
