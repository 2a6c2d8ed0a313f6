// Package ingest turns content into indexed chunks. This half is pure (no
// database, network or embedding): ParseContentItem reads a GOV.UK Content
// API item and ParsePage an HTML or Markdown page of another service; both
// sanitise the HTML and chunk it.
//
// Chunking follows GOV.UK Chat (a section per h2-h6 heading, the heading
// path kept, a deep link to the deepest heading with an id) and adds a size
// limit: a section longer than ChunkOptions.MaxTokens is split at paragraph,
// list item or table row boundaries, then sentences, with a small overlap;
// fragments under MinTokens are merged into a neighbour of the same part.
// The description is folded into the first chunk as its first paragraph
// (for guides and travel advice, whose parts each have their own path, it is
// a chunk of its own at the bare base path). Token counts are estimated,
// see EstimateTokens.
package ingest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/govchat/govchat"
)

// DefaultMaxBytes caps the size of one item or page given to a parser.
// The largest real GOV.UK content items (HMRC manuals, budget reports) are
// a few megabytes.
const DefaultMaxBytes = 10 << 20

// Errors a parser returns, for errors.Is. Each is wrapped with detail.
var (
	ErrTooLarge  = errors.New("ingest: input too large")
	ErrMalformed = errors.New("ingest: malformed input")
)

// DefaultSchemas returns the GOV.UK schemas whose items are indexed. They are the
// schemas that carry text a citizen's question can be answered from.
// Left out on purpose: navigation and index pages (homepage, browse pages,
// taxons, finders, organisation and world indexes, ministers index, topics,
// landing pages), sign-up pages, completed transactions, statistics
// announcements and the like, whose content is links and metadata; their
// titles would only crowd retrieval with pages that answer nothing.
// gone, redirect, vanish and unpublishing are never indexed whatever the list
// says: they mean the page is no longer there.
func DefaultSchemas() []string {
	return []string{
		"answer",
		"call_for_evidence",
		"case_study",
		"consultation",
		"contact",
		"corporate_information_page",
		"detailed_guide",
		"document_collection",
		"fatality_notice",
		"guide",
		"help_page",
		"history",
		"hmrc_manual",
		"hmrc_manual_section",
		"html_publication",
		"licence",
		"local_transaction",
		"manual",
		"manual_section",
		"news_article",
		"organisation",
		"place",
		"publication",
		"role",
		"service_manual_guide",
		"service_manual_service_standard",
		"simple_smart_answer",
		"specialist_document",
		"speech",
		"statistical_data_set",
		"step_by_step_nav",
		"take_part",
		"topical_event",
		"topical_event_about_page",
		"transaction",
		"travel_advice",
		"working_group",
		"worldwide_corporate_information_page",
		"worldwide_office",
		"worldwide_organisation",
	}
}

// ParseOptions tune the parsers. The zero value is ready to use.
type ParseOptions struct {
	// MaxBytes caps the input size; DefaultMaxBytes when 0.
	MaxBytes int
	// Schemas is the allow-list of schema names to index; DefaultSchemas()
	// when nil. Items of other schemas are skipped.
	Schemas []string
	// Locales, when set, is the allow-list of locales; others are skipped.
	// All locales are indexed when nil (GOV.UK Chat drops non-English
	// content; we keep Welsh and the rest).
	Locales []string
	// Chunk sizes the chunks.
	Chunk ChunkOptions
}

// maxBytes is MaxBytes, or DefaultMaxBytes when it is not above zero.
func (o ParseOptions) maxBytes() int { return cmp.Or(max(o.MaxBytes, 0), DefaultMaxBytes) }

// SkipKind says why an item produced no chunks.
type SkipKind uint8

const (
	// NotSkipped: the document has chunks to store.
	NotSkipped SkipKind = iota
	// Removed: the page is gone, redirected, unpublished or withdrawn. The
	// caller deletes whatever it stored for the base path and locale.
	Removed
	// Unindexable: the page exists but has nothing to index (a schema not
	// on the allow-list, a locale not wanted, no body text). Nothing is
	// stored for it either, so the caller treats it like Removed; the kind
	// only keeps the reasons apart in reports.
	Unindexable
)

func (k SkipKind) String() string {
	switch k {
	case NotSkipped:
		return "indexed"
	case Removed:
		return "removed"
	case Unindexable:
		return "skipped"
	}
	return fmt.Sprintf("SkipKind(%d)", uint8(k))
}

// Reasons given with a Skip. Schema and locale skips add the name: "schema
// not indexed: homepage".
const (
	ReasonGone         = "gone"
	ReasonRedirect     = "redirect"
	ReasonVanish       = "vanish"
	ReasonUnpublished  = "unpublished"
	ReasonWithdrawn    = "withdrawn"
	ReasonNoBodyText   = "no body text"
	ReasonSchemaPrefix = "schema not indexed: "
	ReasonLocalePrefix = "locale not indexed: "
)

// Skip is a parser's verdict on an item that produced no chunks. The zero
// value means the document is to be stored.
type Skip struct {
	Kind   SkipKind
	Reason string
}

// Skipped reports whether the item has nothing to store. Stored chunks for
// its base path and locale must go in either case.
func (s Skip) Skipped() bool { return s.Kind != NotSkipped }

// Removed reports whether the page itself is gone rather than unindexable.
func (s Skip) Removed() bool { return s.Kind == Removed }

// contentItem is the part of a Content API item the parser reads. Fields
// with a fixed type fail to decode when the item has another, which is how
// wrong shapes are caught.
type contentItem struct {
	BasePath        *string         `json:"base_path"`
	ContentID       string          `json:"content_id"`
	Locale          string          `json:"locale"`
	Title           string          `json:"title"`
	Description     json.RawMessage `json:"description"`
	DocumentType    string          `json:"document_type"`
	SchemaName      string          `json:"schema_name"`
	PublicUpdatedAt string          `json:"public_updated_at"`
	UpdatedAt       string          `json:"updated_at"`
	PayloadVersion  *json.Number    `json:"payload_version"`
	WithdrawnNotice json.RawMessage `json:"withdrawn_notice"`
	Details         json.RawMessage `json:"details"`
}

// ParseContentItem parses one GOV.UK Content API item (as served at
// /api/content<base_path>) into a document with its chunks.
//
// When the item must not be indexed, the returned Skip says why and the
// document carries only its metadata (base path, locale, origin...): the
// caller deletes anything stored for that base path and locale. An error
// means the input is not a usable item (malformed JSON, a wrong type, too
// large); the caller should leave stored content alone.
//
// origin names where the item came from (a file or URL) and is copied into
// the document for logs.
func ParseContentItem(data []byte, origin string, opts ParseOptions) (govchat.Document, Skip, error) {
	it, doc, err := decodeContentItem(data, origin, opts.maxBytes())
	if err != nil {
		return govchat.Document{}, Skip{}, err
	}
	if skip := it.skip(doc, opts); skip.Skipped() {
		return doc, skip, nil
	}
	d, err := decodeDetails(it.Details)
	if err != nil {
		return govchat.Document{}, Skip{}, fmt.Errorf("%w: %s: %w", ErrMalformed, origin, err)
	}
	srcs, err := itemSources(it.SchemaName, doc, d)
	if err != nil {
		return govchat.Document{}, Skip{}, fmt.Errorf("%w: %s: %w", ErrMalformed, origin, err)
	}
	return withChunks(doc, srcs, opts, origin)
}

// withChunks returns doc with the chunks of its sources, or skipped when
// they hold no body text.
func withChunks(doc govchat.Document, srcs []source, opts ParseOptions, origin string) (govchat.Document, Skip, error) {
	chunks, err := buildChunks(doc, srcs, opts.Chunk)
	if err != nil {
		return govchat.Document{}, Skip{}, fmt.Errorf("ingest: %s: %w", origin, err)
	}
	if chunks == nil {
		return doc, Skip{Unindexable, ReasonNoBodyText}, nil
	}
	doc.Chunks = chunks
	return doc, Skip{}, nil
}

// decodeContentItem decodes exactly one item of at most maxBytes, with a
// base path, and the document's metadata from it.
func decodeContentItem(data []byte, origin string, maxBytes int) (contentItem, govchat.Document, error) {
	var it contentItem
	if len(data) > maxBytes {
		return it, govchat.Document{}, fmt.Errorf("%w: %s: %d bytes, limit %d", ErrTooLarge, origin, len(data), maxBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&it); err != nil {
		return it, govchat.Document{}, fmt.Errorf("%w: %s: %w", ErrMalformed, origin, err)
	}
	if dec.More() {
		return it, govchat.Document{}, fmt.Errorf("%w: %s: data after the item", ErrMalformed, origin)
	}
	if it.BasePath == nil || !strings.HasPrefix(*it.BasePath, "/") {
		return it, govchat.Document{}, fmt.Errorf("%w: %s: base_path missing or not a path", ErrMalformed, origin)
	}
	doc, err := it.document(origin)
	if err != nil {
		return it, govchat.Document{}, fmt.Errorf("%w: %s: %w", ErrMalformed, origin, err)
	}
	return it, doc, nil
}

// skip says why an item is not indexed: the page is gone or withdrawn, or
// its locale or schema is not one opts index. The zero Skip indexes it.
func (it contentItem) skip(doc govchat.Document, opts ParseOptions) Skip {
	switch it.SchemaName {
	case "gone":
		return Skip{Removed, ReasonGone}
	case "redirect":
		return Skip{Removed, ReasonRedirect}
	case "vanish":
		return Skip{Removed, ReasonVanish}
	case "unpublishing":
		return Skip{Removed, ReasonUnpublished}
	}
	if doc.Withdrawn {
		return Skip{Removed, ReasonWithdrawn}
	}
	if opts.Locales != nil && !slices.Contains(opts.Locales, doc.Locale) {
		return Skip{Unindexable, ReasonLocalePrefix + doc.Locale}
	}
	schemas := opts.Schemas
	if schemas == nil {
		schemas = DefaultSchemas()
	}
	if !slices.Contains(schemas, it.SchemaName) {
		return Skip{Unindexable, ReasonSchemaPrefix + cmp.Or(it.SchemaName, "(none)")}
	}
	return Skip{}
}

// document fills a document's metadata from the item.
func (it contentItem) document(origin string) (govchat.Document, error) {
	doc := govchat.Document{
		ContentID:    it.ContentID,
		Locale:       cmp.Or(strings.TrimSpace(it.Locale), "en"),
		BasePath:     *it.BasePath,
		Title:        collapseSpace(it.Title),
		DocumentType: it.DocumentType,
		SchemaName:   it.SchemaName,
		Origin:       origin,
	}
	desc, err := stringOrNull(it.Description, "description")
	if err != nil {
		return doc, err
	}
	// Some descriptions carry HTML (step-by-step pages, the Prime Minister's role page).
	doc.Description = collapseSpace(PlainText(desc))
	if doc.PublicUpdatedAt, err = parseTime(it.PublicUpdatedAt, "public_updated_at"); err != nil {
		return doc, err
	}
	if doc.UpdatedAt, err = parseTime(it.UpdatedAt, "updated_at"); err != nil {
		return doc, err
	}
	if it.PayloadVersion != nil {
		if doc.PayloadVersion, err = it.PayloadVersion.Int64(); err != nil {
			return doc, fmt.Errorf("payload_version: %w", err)
		}
	}
	if doc.Withdrawn, err = withdrawn(it.WithdrawnNotice); err != nil {
		return doc, err
	}
	return doc, nil
}

func stringOrNull(raw json.RawMessage, field string) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: want a string, got %s", field, jsonKind(raw))
	}
	return s, nil
}

func parseTime(s, field string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", field, err)
	}
	return t.UTC(), nil
}

// withdrawn reports whether a withdrawn_notice is set. Live items often have
// an empty object, so the test is for content, not for the key.
func withdrawn(raw json.RawMessage) (bool, error) {
	if isNull(raw) {
		return false, nil
	}
	var notice map[string]json.RawMessage
	if err := json.Unmarshal(raw, &notice); err != nil {
		return false, fmt.Errorf("withdrawn_notice: want an object, got %s", jsonKind(raw))
	}
	for _, v := range notice {
		if isNull(v) {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil && strings.TrimSpace(s) == "" {
			continue
		}
		return true, nil
	}
	return false, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// jsonKind names the JSON type of raw, for error messages.
func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// buildChunks chunks a document's sources. It returns nil when the sources
// hold no body text: made-up lines (the description, dates, alert status)
// alone do not make a page worth indexing.
func buildChunks(doc govchat.Document, srcs []source, opts ChunkOptions) ([]govchat.Chunk, error) {
	body := false
	for i := range srcs {
		if srcs[i].html != "" {
			bl, err := parseBlocks(srcs[i].html)
			if err != nil {
				return nil, err
			}
			srcs[i].blocks = append(srcs[i].blocks, bl...)
			srcs[i].html = ""
		}
		for _, b := range srcs[i].blocks {
			if !b.meta && b.kind != kindHeading {
				body = true
			}
		}
	}
	if !body {
		return nil, nil
	}
	c := chunker{title: doc.Title, opts: opts.withDefaults()}
	return c.chunks(srcs), nil
}
