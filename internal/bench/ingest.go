package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/govchat/govchat/ingest"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
)

// IngestRun is one timed sync.
type IngestRun struct {
	Name               string
	Stats              ingest.Stats
	Elapsed            time.Duration
	PeakSys, PeakHeap  uint64
	Documents, Chunks  int
	EmbedTime, RawTime time.Duration // scale run only
}

// TimedSync runs one sync of items and measures it.
func TimedSync(ctx context.Context, sy *ingest.Syncer, name string, items []ingest.Parsed, prune bool) (IngestRun, error) {
	stop := MemPeak()
	t := time.Now()
	stats, err := sy.Sync(ctx, items, ingest.SyncOptions{Prune: prune})
	r := IngestRun{Name: name, Stats: stats, Elapsed: time.Since(t)}
	r.PeakSys, r.PeakHeap = stop()
	r.Documents = stats.DocumentsAdded + stats.DocumentsUpdated
	r.Chunks = stats.ChunksWritten
	return r, err
}

// ChangeOnePage returns a copy of items in which the first page with more
// than one chunk and no variants has one sentence added to its last chunk,
// and that page's path and chunk count.
func ChangeOnePage(items []ingest.Parsed) ([]ingest.Parsed, string, int) {
	out := make([]ingest.Parsed, len(items))
	copy(out, items)
	count := map[[2]string]int{}
	for _, it := range items {
		count[[2]string{it.Doc.BasePath, it.Doc.Locale}]++
	}
	for i, it := range out {
		d := it.Doc
		if it.Err != nil || it.Remove || len(d.Chunks) < 3 || count[[2]string{d.BasePath, d.Locale}] > 1 {
			continue
		}
		cs := append(d.Chunks[:0:0], d.Chunks...)
		last := &cs[len(cs)-1]
		last.Text += " This sentence was added by the benchmark."
		last.EmbedText += " This sentence was added by the benchmark."
		sum := sha256.Sum256([]byte(last.EmbedText))
		last.Digest = hex.EncodeToString(sum[:])
		d.Chunks = cs
		out[i].Doc = d
		return out, d.BasePath, len(cs)
	}
	return out, "", 0
}

// RawInsert writes the same rows as a sync of items, with the vectors given,
// by the multi-row unnest INSERT that store.ReplaceDocument uses, over one
// direct connection, in transactions of batch documents: the floor for what
// ingest could cost on this database. schema must be migrated and its
// embedding table be embeddings_<spaceID>.
func RawInsert(ctx context.Context, url, schema string, spaceID int, items []ingest.Parsed, vecs [][][]float32, batch int) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	q := func(s string) string {
		s = strings.ReplaceAll(s, "{{schema}}", pgx.Identifier{schema}.Sanitize())
		return strings.ReplaceAll(s, "{{embeddings}}", fmt.Sprintf("embeddings_%d", spaceID))
	}
	docSQL := q(`INSERT INTO {{schema}}.documents (content_id, locale, base_path, title, description, document_type, schema_name, digest)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`)
	chunkSQL := q(`WITH input AS (
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
		INSERT INTO {{schema}}.{{embeddings}} (chunk_id, locale, document_type, base_path, embedding)
		SELECT inserted.id, $11, $12, $13, input.vec::vector
		FROM inserted JOIN input USING (chunk_index)`)
	for start := 0; start < len(items); start += batch {
		end := min(start+batch, len(items))
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			for i, it := range items[start:end] {
				d := it.Doc
				var id int64
				if err := tx.QueryRow(ctx, docSQL, d.ContentID, d.Locale, d.BasePath, d.Title, d.Description, d.DocumentType, d.SchemaName, "raw").Scan(&id); err != nil {
					return err
				}
				n := len(d.Chunks)
				idx, tokens := make([]int32, n), make([]int32, n)
				paths, heads, bodies, embeds, htmls, digests, vs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
				for j, c := range d.Chunks {
					idx[j], tokens[j] = int32(c.Index), int32(c.Tokens)
					paths[j], heads[j], bodies[j], embeds[j], htmls[j], digests[j] = c.ExactPath, strings.Join(c.HeadingPath, "\x1f"), c.Text, c.EmbedText, c.HTML, c.Digest
					vs[j] = pgvector.NewVector(vecs[start+i][j]).String()
				}
				if _, err := tx.Exec(ctx, chunkSQL, id, idx, paths, heads, bodies, embeds, htmls, digests, tokens, vs,
					d.Locale, d.DocumentType, d.BasePath, store.TextSearchConfig(d.Locale), d.Title); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("bench: raw insert: %w", err)
		}
	}
	return nil
}

// EmbedAll embeds every chunk of items, in batches of 256 texts.
func EmbedAll(ctx context.Context, emb retrieval.Embedder, items []ingest.Parsed) ([][][]float32, error) {
	out := make([][][]float32, len(items))
	var texts []string
	for _, it := range items {
		for _, c := range it.Doc.Chunks {
			texts = append(texts, c.EmbedText)
		}
	}
	var all [][]float32
	for i := 0; i < len(texts); i += 256 {
		v, err := emb.Embed(ctx, texts[i:min(i+256, len(texts))])
		if err != nil {
			return nil, err
		}
		all = append(all, v...)
	}
	for i, it := range items {
		out[i], all = all[:len(it.Doc.Chunks)], all[len(it.Doc.Chunks):]
	}
	return out, nil
}

// PrintIngest writes the ingest runs as a markdown table.
func PrintIngest(w io.Writer, runs []IngestRun, full time.Duration) {
	fmt.Fprintln(w, "| run | documents written | chunks written | embedding inputs | seconds | % of full run | documents/s | chunks/s | embeddings/s | peak Go Sys MB | peak heap MB |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range runs {
		sec := r.Elapsed.Seconds()
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.2f | %.1f%% | %.0f | %.0f | %.0f | %d | %d |\n", r.Name, r.Documents, r.Chunks, r.Stats.EmbeddingInputs, sec,
			100*sec/full.Seconds(), float64(r.Documents)/sec, float64(r.Chunks)/sec, float64(r.Stats.EmbeddingInputs)/sec, r.PeakSys>>20, r.PeakHeap>>20)
	}
}
