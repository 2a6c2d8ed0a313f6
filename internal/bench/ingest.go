package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/govchat/govchat"
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
// by store.InsertDocuments (the chunk INSERT store.ReplaceDocument uses,
// without its upsert and delete), in transactions of batch documents: the
// floor for what ingest could cost on this database. st must be migrated
// and sp its embedding space.
func RawInsert(ctx context.Context, st *store.Store, sp store.Space, items []ingest.Parsed, vecs [][][]float32, batch int) error {
	docs := make([]govchat.Document, len(items))
	for i, it := range items {
		docs[i] = it.Doc
	}
	for start := 0; start < len(docs); start += batch {
		end := min(start+batch, len(docs))
		if err := st.InsertDocuments(ctx, sp, docs[start:end], vecs[start:end]); err != nil {
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
