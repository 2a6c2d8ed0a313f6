package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/govchat/govchat"
)

// pageChunksSQL reads the chunks of one page of a document: those whose
// path without its #fragment is the page's, in reading order. The unique
// (document_id, chunk_index) index serves it.
const pageChunksSQL = `
SELECT c.id, c.document_id, c.chunk_index, c.exact_path, c.base_path, d.title, c.heading_path, c.body,
	c.document_type, c.locale, coalesce(d.public_updated_at, 'epoch'),
	0::float8, 0::bigint, 0::float8, 0::bigint, 0::float8
FROM {{schema}}.chunks c
JOIN {{schema}}.documents d ON d.id = c.document_id
WHERE c.document_id = $1 AND split_part(c.exact_path, '#', 1) = $2
ORDER BY c.chunk_index
LIMIT $3::int`

// PageChunks returns up to limit chunks of the page at path page (a part
// of a guide, or a whole page) of document documentID, in reading order,
// with no ranker scores. Retrieval uses it to show the composer the rest
// of the best page: the fee or phone number asked for is often in the
// section next to the one that matched.
func (s *Store) PageChunks(ctx context.Context, documentID int64, page string, limit int) ([]govchat.Passage, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.read.Query(ctx, s.q(pageChunksSQL), documentID, page, limit)
	if err != nil {
		return nil, fmt.Errorf("store: page chunks: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanPassage)
	if err != nil {
		return nil, fmt.Errorf("store: page chunks: %w", err)
	}
	return out, nil
}
