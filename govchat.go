// Package govchat holds the domain types shared by every part of govchat:
// the documents and chunks that ingest writes, and the passages that
// retrieval returns to the chat pipeline. It has no dependencies beyond the
// standard library, so every other package can import it.
package govchat

import "time"

// Document is one indexable page: a content item at a base path in one locale.
// Parsers fill everything but ID and Digest-derived state; the store assigns ID.
type Document struct {
	ContentID       string
	Locale          string // "en", "cy", ...
	BasePath        string // "/renew-adult-passport"
	Title           string
	Description     string
	DocumentType    string
	SchemaName      string
	PublicUpdatedAt time.Time
	UpdatedAt       time.Time // the item's updated_at; orders payloads when PayloadVersion is 0
	PayloadVersion  int64     // 0 when the source has none
	Withdrawn       bool
	Origin          string // where the item came from: a file path or URL, for logs
	Chunks          []Chunk
}

// Chunk is one retrievable passage of a Document.
type Chunk struct {
	Index       int
	ExactPath   string   // base path, part slug and "#heading-id" when there is one
	HeadingPath []string // part title first for guides, then h2..h6 headings
	Text        string   // readable plain text of the section (no title or headings)
	EmbedText   string   // "Title > Heading > Sub-heading\n\nText": what is embedded and searched
	HTML        string   // sanitised HTML of the section
	Digest      string   // hex SHA-256 of EmbedText
	Tokens      int      // approximate token count of EmbedText
}

// Passage is a chunk as retrieval returns it, with the scores that ranked it.
type Passage struct {
	ChunkID         int64
	DocumentID      int64
	ChunkIndex      int    // position in its document; adjacent passages can be merged
	URL             string // exact path with #fragment, no host
	BasePath        string
	Title           string
	HeadingPath     []string
	Text            string
	DocumentType    string
	Locale          string
	PublicUpdatedAt time.Time
	Score           float64 // final fused and weighted score; higher is better

	VectorRank  int     // 1-based rank in the vector ranker; 0 when absent
	VectorScore float64 // cosine similarity (1 - distance)
	TextRank    int     // 1-based rank in the full-text ranker; 0 when absent
	TextScore   float64 // ts_rank_cd
}

// Heading returns the deepest heading of the passage, or "" for a page's lead text.
func (p Passage) Heading() string {
	if len(p.HeadingPath) == 0 {
		return ""
	}
	return p.HeadingPath[len(p.HeadingPath)-1]
}
