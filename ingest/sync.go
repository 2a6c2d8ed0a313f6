package ingest

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/store"
)

// Embedder turns texts into vectors.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	Model() string
	Dimensions() int
}

// Store is what sync needs from the database.
type Store interface {
	EnsureSpace(ctx context.Context, model string, dims int) (store.Space, error)
	ListDocuments(ctx context.Context) ([]store.DocumentKey, error)
	VectorsByDigest(ctx context.Context, sp store.Space, basePath, locale string) (map[string][]float32, error)
	ReplaceDocument(ctx context.Context, sp store.Space, doc govchat.Document, digest string, vectors [][]float32) (int64, error)
	DeleteDocument(ctx context.Context, basePath, locale string) (bool, error)
	StartBuildingSpace(ctx context.Context, model string, dims int) (store.Space, error)
	MissingVectors(ctx context.Context, sp store.Space, limit int) ([]store.ChunkText, error)
	PutVectors(ctx context.Context, sp store.Space, ids []int64, vectors [][]float32) error
	ActivateSpace(ctx context.Context, sp store.Space) error
}

// Parsed is one source item after parsing: a document to index, or a page
// whose chunks must go (Remove), with the reason.
type Parsed struct {
	Doc    govchat.Document // for a removal only BasePath, Locale and Origin are set
	Remove bool
	Reason string // why it is removed or skipped
	// Err is a per-item failure (malformed file, fetch error). The item is
	// counted as failed and the run goes on; stored content is left alone.
	Err error
}

// Stats is the outcome of a sync, printed with --json.
type Stats struct {
	DocumentsAdded     int            `json:"documents_added"`
	DocumentsUpdated   int            `json:"documents_updated"`
	DocumentsUnchanged int            `json:"documents_unchanged"`
	DocumentsRemoved   int            `json:"documents_removed"`
	DocumentsSkipped   int            `json:"documents_skipped"`
	DocumentsFailed    int            `json:"documents_failed"`
	ChunksWritten      int            `json:"chunks_written"`
	EmbeddingInputs    int            `json:"embedding_inputs"`
	DurationMS         int64          `json:"duration_ms"`
	SkipReasons        map[string]int `json:"skip_reasons,omitempty"`
	DryRun             bool           `json:"dry_run,omitempty"`
	EmbeddingModel     string         `json:"embedding_model"`
}

// Progress is reported after each document.
type Progress struct {
	Documents       int // documents handled so far
	Total           int // documents in the run
	Chunks          int
	EmbeddingInputs int
	Elapsed         time.Duration
}

// SyncOptions tune a sync.
type SyncOptions struct {
	// Prune removes stored documents that the run did not see: set it when
	// the source is complete (a whole directory or sitemap), never for a
	// list of a few pages.
	Prune bool
	// DryRun reports what would change without embedding or writing.
	DryRun bool
	// EmbedBatch is how many texts are sent to the embedder at once
	// (across documents). 256 when 0.
	EmbedBatch int
	// OnProgress, when set, is called after every document.
	OnProgress func(Progress)
	// OnChange, when set, is told each document's outcome: "added",
	// "updated", "unchanged", "removed", "skipped" or "failed".
	OnChange func(outcome, basePath, locale, reason string)
}

// Syncer makes the index equal to what a source publishes.
type Syncer struct {
	store Store
	emb   Embedder
	log   *slog.Logger
}

// NewSyncer returns a Syncer. log may be nil.
func NewSyncer(st Store, emb Embedder, log *slog.Logger) *Syncer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{store: st, emb: emb, log: log}
}

type docKey struct{ basePath, locale string }

// pending is a document waiting for its missing vectors.
type pending struct {
	doc     govchat.Document
	digest  string
	vectors [][]float32
	missing []int // chunk indexes still to embed
	exists  bool
}

// Sync reads every item from items, resolves variants that share a base path
// and locale, and writes the index: unchanged documents are skipped without
// embedding, changed chunks are re-embedded, removed pages lose their chunks.
// Each document is replaced in one transaction, so a crash never leaves half a
// page and a re-run completes the work.
func (s *Syncer) Sync(ctx context.Context, items []Parsed, opts SyncOptions) (Stats, error) {
	r := &syncRun{
		s:     s,
		opts:  opts,
		start: time.Now(),
		batch: cmp.Or(opts.EmbedBatch, 256),
		st:    Stats{SkipReasons: map[string]int{}, DryRun: opts.DryRun, EmbeddingModel: s.emb.Model()},
	}
	err := r.run(ctx, items)
	return r.st, err
}

// syncRun is the state of one Sync: the counts so far and the documents
// waiting for their vectors.
type syncRun struct {
	s      *Syncer
	opts   SyncOptions
	start  time.Time
	batch  int
	st     Stats
	space  store.Space
	stored map[docKey]store.DocumentKey
	total  int // documents in the run
	done   int // documents handled so far
	queue  []*pending
	queued int // chunks in the queue still to embed
}

func (r *syncRun) run(ctx context.Context, items []Parsed) error {
	if err := r.open(ctx); err != nil {
		return err
	}
	winners, order := resolveVariants(items, &r.st, r.note)
	r.total = len(order)
	seen := map[docKey]bool{}
	for _, key := range order {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		seen[key] = true
		if err := r.item(ctx, key, winners[key]); err != nil {
			return err
		}
	}
	if err := r.flush(ctx); err != nil {
		return err
	}
	if r.opts.Prune {
		for key := range r.stored {
			if seen[key] {
				continue
			}
			if err := r.remove(ctx, key, "no longer published by the source"); err != nil {
				return err
			}
		}
	}
	r.st.DurationMS = time.Since(r.start).Milliseconds()
	return nil
}

// open finds the vector space (unless this is a dry run) and the documents
// already stored.
func (r *syncRun) open(ctx context.Context) error {
	if !r.opts.DryRun {
		dims, err := r.s.dimensions(ctx)
		if err != nil {
			return err
		}
		r.space, err = r.s.store.EnsureSpace(ctx, r.s.emb.Model(), dims)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
	}
	existing, err := r.s.store.ListDocuments(ctx)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	r.stored = make(map[docKey]store.DocumentKey, len(existing))
	for _, k := range existing {
		r.stored[docKey{k.BasePath, k.Locale}] = k
	}
	return nil
}

// item handles one resolved document: removed, skipped, unchanged, counted
// (dry run) or queued for embedding and writing.
func (r *syncRun) item(ctx context.Context, key docKey, p Parsed) error {
	old, exists := r.stored[key]
	doc := p.Doc
	digest := DocumentDigest(doc)
	switch {
	case p.Remove && exists:
		if err := r.remove(ctx, key, p.Reason); err != nil {
			return err
		}
	case p.Remove:
		r.skip(key, p.Reason)
	case exists && newer(old, doc):
		r.skip(key, "older than the stored version")
	case exists && old.Digest == digest:
		r.st.DocumentsUnchanged++
		r.note("unchanged", key.basePath, key.locale, "")
	case r.opts.DryRun:
		r.written(key, exists)
	default:
		return r.enqueue(ctx, key, doc, digest, exists)
	}
	r.progress()
	return nil
}

// enqueue queues doc with the vectors of its unchanged chunks, and writes
// the queue once enough chunks wait to be embedded.
func (r *syncRun) enqueue(ctx context.Context, key docKey, doc govchat.Document, digest string, exists bool) error {
	pd := &pending{doc: doc, digest: digest, vectors: make([][]float32, len(doc.Chunks)), exists: exists}
	var reuse map[string][]float32
	if exists {
		var err error
		reuse, err = r.s.store.VectorsByDigest(ctx, r.space, key.basePath, key.locale)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
	}
	for i, c := range doc.Chunks {
		if v, ok := reuse[c.Digest]; ok && len(v) == r.space.Dimensions {
			pd.vectors[i] = v
		} else {
			pd.missing = append(pd.missing, i)
		}
	}
	r.queue = append(r.queue, pd)
	r.queued += len(pd.missing)
	if r.queued >= r.batch {
		return r.flush(ctx)
	}
	return nil
}

// flush embeds the missing chunks of every queued document in one call and
// writes each document in its own transaction.
func (r *syncRun) flush(ctx context.Context) error {
	if len(r.queue) == 0 {
		return nil
	}
	if err := r.embedMissing(ctx); err != nil {
		return err
	}
	for _, p := range r.queue {
		if _, err := r.s.store.ReplaceDocument(ctx, r.space, p.doc, p.digest, p.vectors); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		r.st.ChunksWritten += len(p.doc.Chunks)
		r.written(docKey{p.doc.BasePath, p.doc.Locale}, p.exists)
		r.progress()
	}
	r.queue, r.queued = r.queue[:0], 0
	return nil
}

func (r *syncRun) embedMissing(ctx context.Context) error {
	var texts []string
	for _, p := range r.queue {
		for _, i := range p.missing {
			texts = append(texts, p.doc.Chunks[i].EmbedText)
		}
	}
	if len(texts) == 0 {
		return nil
	}
	vecs, err := r.s.emb.Embed(ctx, texts)
	if err != nil {
		return fmt.Errorf("ingest: embed %d texts: %w", len(texts), err)
	}
	if len(vecs) != len(texts) {
		return fmt.Errorf("ingest: embedder returned %d vectors for %d texts", len(vecs), len(texts))
	}
	r.st.EmbeddingInputs += len(texts)
	n := 0
	for _, p := range r.queue {
		for _, i := range p.missing {
			p.vectors[i] = vecs[n]
			n++
		}
	}
	return nil
}

// remove deletes a stored document (counted only, in a dry run).
func (r *syncRun) remove(ctx context.Context, key docKey, reason string) error {
	if !r.opts.DryRun {
		if _, err := r.s.store.DeleteDocument(ctx, key.basePath, key.locale); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
	}
	r.st.DocumentsRemoved++
	r.note("removed", key.basePath, key.locale, reason)
	return nil
}

func (r *syncRun) skip(key docKey, reason string) {
	r.st.DocumentsSkipped++
	r.st.SkipReasons[reason]++
	r.note("skipped", key.basePath, key.locale, reason)
}

// written counts a document added or updated.
func (r *syncRun) written(key docKey, exists bool) {
	if exists {
		r.st.DocumentsUpdated++
		r.note("updated", key.basePath, key.locale, "")
	} else {
		r.st.DocumentsAdded++
		r.note("added", key.basePath, key.locale, "")
	}
}

func (r *syncRun) note(outcome, path, locale, reason string) {
	if r.opts.OnChange != nil {
		r.opts.OnChange(outcome, path, locale, reason)
	}
}

func (r *syncRun) progress() {
	r.done++
	if r.opts.OnProgress != nil {
		r.opts.OnProgress(Progress{Documents: r.done, Total: r.total, Chunks: r.st.ChunksWritten, EmbeddingInputs: r.st.EmbeddingInputs, Elapsed: time.Since(r.start)})
	}
}

// resolveVariants picks one item per base path and locale. Several source
// files can describe one page (GOV.UK's variants); the best is the live one
// with the highest payload version, then the latest update, then the most
// text, then the first origin by name, so a re-run picks the same winner.
func resolveVariants(items []Parsed, st *Stats, note func(string, string, string, string)) (map[docKey]Parsed, []docKey) {
	winners := map[docKey]Parsed{}
	var order []docKey
	for _, p := range items {
		if p.Err != nil {
			st.DocumentsFailed++
			note("failed", p.Doc.BasePath, p.Doc.Locale, p.Err.Error())
			continue
		}
		key := docKey{p.Doc.BasePath, p.Doc.Locale}
		if key.basePath == "" {
			st.DocumentsSkipped++
			st.SkipReasons[cmp.Or(p.Reason, "no base path")]++
			note("skipped", p.Doc.Origin, p.Doc.Locale, cmp.Or(p.Reason, "no base path"))
			continue
		}
		cur, ok := winners[key]
		if !ok {
			winners[key] = p
			order = append(order, key)
			continue
		}
		loser := p
		if better(p, cur) {
			winners[key], loser = p, cur
		}
		st.DocumentsSkipped++
		st.SkipReasons["variant of another item at the same path"]++
		note("skipped", loser.Doc.Origin, key.locale, "variant of another item at the same path")
	}
	return winners, order
}

func better(a, b Parsed) bool {
	if a.Remove != b.Remove {
		return !a.Remove
	}
	if a.Doc.PayloadVersion != b.Doc.PayloadVersion {
		return a.Doc.PayloadVersion > b.Doc.PayloadVersion
	}
	if !a.Doc.UpdatedAt.Equal(b.Doc.UpdatedAt) {
		return a.Doc.UpdatedAt.After(b.Doc.UpdatedAt)
	}
	if ta, tb := textSize(a.Doc), textSize(b.Doc); ta != tb {
		return ta > tb
	}
	return a.Doc.Origin < b.Doc.Origin
}

func textSize(d govchat.Document) int {
	n := 0
	for _, c := range d.Chunks {
		n += len(c.EmbedText)
	}
	return n
}

// newer reports whether the stored document is newer than the incoming one,
// by payload version when both have one, else by updated_at.
func newer(old store.DocumentKey, doc govchat.Document) bool {
	if old.PayloadVersion > 0 && doc.PayloadVersion > 0 {
		return old.PayloadVersion > doc.PayloadVersion
	}
	if old.UpdatedAt.IsZero() || old.UpdatedAt.Year() <= 1970 || doc.UpdatedAt.IsZero() {
		return false
	}
	return old.UpdatedAt.After(doc.UpdatedAt)
}

// DocumentDigest fingerprints everything about a document that is stored:
// metadata and every chunk. Equal digests mean nothing to do.
func DocumentDigest(d govchat.Document) string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	field(d.ContentID)
	field(d.Title)
	field(d.Description)
	field(d.DocumentType)
	field(d.SchemaName)
	field(d.PublicUpdatedAt.UTC().Format(time.RFC3339Nano))
	field(strconv.FormatBool(d.Withdrawn))
	for _, c := range d.Chunks {
		field(c.ExactPath)
		field(c.Digest)
		field(c.HTML)
		for _, hp := range c.HeadingPath {
			field(hp)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Syncer) dimensions(ctx context.Context) (int, error) { return Dimensions(ctx, s.emb) }

// Dimensions is emb's vector length. An embedder that reports 0 (a model
// used at its own length) learns it from its first response, so one short
// text is embedded to ask.
func Dimensions(ctx context.Context, emb Embedder) (int, error) {
	if d := emb.Dimensions(); d > 0 {
		return d, nil
	}
	vecs, err := emb.Embed(ctx, []string{"dimensions"})
	if err != nil {
		return 0, fmt.Errorf("ingest: learn the dimensions of %s: %w", emb.Model(), err)
	}
	if len(vecs) != 1 || len(vecs[0]) == 0 {
		return 0, fmt.Errorf("ingest: learn the dimensions of %s: the embedder returned no vector", emb.Model())
	}
	return len(vecs[0]), nil
}

// Reembed builds vectors for every chunk with the Syncer's embedder in a new
// embedding space while readers keep using the old one, then switches to it.
func (s *Syncer) Reembed(ctx context.Context, batch int, onProgress func(done int)) (int, error) {
	return s.ReembedGated(ctx, batch, onProgress, nil)
}

// Gate decides whether a fully built space may replace the active one; an
// error keeps the old space and says why.
type Gate func(ctx context.Context, sp store.Space) error

// ReembedGated is Reembed that asks gate, once the new space has a vector
// for every chunk, whether to switch. When gate refuses, the old space
// stays active, the new one stays in the building state (the next re-embed
// with the same embedder resumes it), and the gate's error is returned.
func (s *Syncer) ReembedGated(ctx context.Context, batch int, onProgress func(done int), gate Gate) (int, error) {
	batch = cmp.Or(batch, 256)
	dims, err := s.dimensions(ctx)
	if err != nil {
		return 0, err
	}
	sp, err := s.store.StartBuildingSpace(ctx, s.emb.Model(), dims)
	if err != nil {
		return 0, fmt.Errorf("ingest: reembed: %w", err)
	}
	total := 0
	gated := gate == nil
	for attempt := 0; attempt < 10; attempt++ {
		n, err := s.fillSpace(ctx, sp, batch, total, onProgress)
		total += n
		if err != nil {
			return total, err
		}
		if !gated {
			if err := gate(ctx, sp); err != nil {
				return total, err
			}
			gated = true
		}
		err = s.store.ActivateSpace(ctx, sp)
		if err == nil {
			s.log.Info("switched embedding space", "model", s.emb.Model(), "dimensions", s.emb.Dimensions(), "embedded", total)
			return total, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return total, fmt.Errorf("ingest: reembed: %w", err)
		}
	}
	return total, errors.New("ingest: reembed: chunks kept changing; try again when ingest is idle")
}

// fillSpace embeds every chunk that has no vector in sp, reporting the
// running total (done before plus this call's) to onProgress.
func (s *Syncer) fillSpace(ctx context.Context, sp store.Space, batch, done int, onProgress func(done int)) (int, error) {
	n := 0
	for {
		missing, err := s.store.MissingVectors(ctx, sp, batch)
		if err != nil {
			return n, fmt.Errorf("ingest: reembed: %w", err)
		}
		if len(missing) == 0 {
			return n, nil
		}
		texts := make([]string, len(missing))
		ids := make([]int64, len(missing))
		for i, c := range missing {
			texts[i], ids[i] = c.EmbedText, c.ID
		}
		vecs, err := s.emb.Embed(ctx, texts)
		if err != nil {
			return n, fmt.Errorf("ingest: reembed: %w", err)
		}
		if err := s.store.PutVectors(ctx, sp, ids, vecs); err != nil {
			return n, fmt.Errorf("ingest: reembed: %w", err)
		}
		n += len(texts)
		if onProgress != nil {
			onProgress(done + n)
		}
	}
}

// sortParsed orders items by origin so runs are deterministic.
func sortParsed(items []Parsed) {
	slices.SortStableFunc(items, func(a, b Parsed) int { return cmp.Compare(a.Doc.Origin, b.Doc.Origin) })
}
