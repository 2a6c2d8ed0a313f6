package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govchat/govchat/embed"
	"github.com/govchat/govchat/ingest"
	"github.com/govchat/govchat/ingest/source"
	"github.com/govchat/govchat/internal/corpustest"
	"github.com/govchat/govchat/llm"
	"github.com/govchat/govchat/llm/llmtest"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// counting wraps a real embedder and counts the texts it embeds; it can be
// told to fail after a number of calls, to simulate a crash mid-run.
type counting struct {
	ingest.Embedder
	texts     atomic.Int64
	calls     atomic.Int64
	failAfter int64
}

var errCrash = errors.New("simulated crash")

func (c *counting) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if c.failAfter > 0 && c.calls.Add(1) > c.failAfter {
		return nil, errCrash
	}
	c.texts.Add(int64(len(texts)))
	return c.Embedder.Embed(ctx, texts)
}

func lexical(t *testing.T, dims int) *counting {
	t.Helper()
	e, err := embed.NewLexical(dims)
	if err != nil {
		t.Fatal(err)
	}
	return &counting{Embedder: e}
}

// lexicalSyncer syncs into a schema of the test's own with a 32-dimension
// lexical embedder.
func lexicalSyncer(t *testing.T) (*store.Store, *ingest.Syncer) {
	t.Helper()
	st := storetest.New(t)
	return st, ingest.NewSyncer(st, lexical(t, 32), nil)
}

func collect(t *testing.T, dir string) []ingest.Parsed {
	t.Helper()
	items, err := ingest.Collect(context.Background(), source.Dir{Path: dir}, ingest.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// mustSync syncs items and fails the test on an error.
func mustSync(t *testing.T, s *ingest.Syncer, items []ingest.Parsed, opts ingest.SyncOptions) ingest.Stats {
	t.Helper()
	st, err := s.Sync(context.Background(), items, opts)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func chunkCount(t *testing.T, st *store.Store) (int, int) {
	t.Helper()
	d, c, err := st.ChunkCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d, c
}

func TestSyncIsIncremental(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	emb := lexical(t, 64)
	s := ingest.NewSyncer(st, emb, nil)
	items := collect(t, "testdata/items")

	first := mustSync(t, s, items, ingest.SyncOptions{Prune: true})
	docs, chunks := chunkCount(t, st)
	if first.DocumentsAdded == 0 || first.ChunksWritten != chunks || int64(first.EmbeddingInputs) != emb.texts.Load() || docs != first.DocumentsAdded {
		t.Fatalf("first sync %+v; store has %d docs %d chunks", first, docs, chunks)
	}
	// Gone, redirect and withdrawn items are never stored.
	for _, path := range []string{"/406beacon", "/government/case-studies/intellectual-property-stuart-scotty"} {
		if _, err := st.GetDocument(ctx, path, "en"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s stored (%v); want nothing", path, err)
		}
	}

	second := mustSync(t, s, items, ingest.SyncOptions{Prune: true})
	if second.EmbeddingInputs != 0 || second.DocumentsUnchanged != first.DocumentsAdded || second.ChunksWritten != 0 {
		t.Errorf("no-op re-run %+v; want 0 embedding inputs and every document unchanged", second)
	}

	// Change one paragraph of one page: only that page's changed chunks are embedded.
	var changed int
	for i := range items {
		if items[i].Doc.BasePath == "/report-stray-dog" {
			c := &items[i].Doc.Chunks[0]
			c.Text += " A new sentence."
			c.EmbedText += " A new sentence."
			c.Digest = "changed"
			changed++
		}
	}
	if changed != 1 {
		t.Fatalf("found %d copies of /report-stray-dog in testdata; want 1", changed)
	}
	third := mustSync(t, s, items, ingest.SyncOptions{})
	if third.DocumentsUpdated != 1 || third.EmbeddingInputs != 1 {
		t.Errorf("one-chunk change %+v; want 1 document updated and 1 text embedded", third)
	}
}

func TestWithdrawnAndGoneRemoveChunks(t *testing.T) {
	t.Parallel()
	st, s := lexicalSyncer(t)
	ctx := context.Background()
	live := collect(t, "testdata/items/travel_advice--alt-country.json")
	if len(live) != 1 || live[0].Remove {
		t.Fatalf("live item parsed as %+v", live)
	}
	mustSync(t, s, live, ingest.SyncOptions{})
	path := live[0].Doc.BasePath
	if _, err := st.GetDocument(ctx, path, "en"); err != nil {
		t.Fatalf("live page not stored: %v", err)
	}
	// The same page, now withdrawn: its chunks go.
	withdrawn := live[0]
	withdrawn.Remove, withdrawn.Reason = true, ingest.ReasonWithdrawn
	st2 := mustSync(t, s, []ingest.Parsed{withdrawn}, ingest.SyncOptions{})
	if st2.DocumentsRemoved != 1 {
		t.Errorf("withdrawal %+v; want 1 removed", st2)
	}
	if _, chunks := chunkCount(t, st); chunks != 0 {
		t.Errorf("%d chunks left after the withdrawal; want 0", chunks)
	}
	// A Content API 404 for a stored page removes it too.
	mustSync(t, s, live, ingest.SyncOptions{})
	gone := ingest.ParseItem(source.Item{Ref: path, Origin: "https://example/api" + path, Status: 410}, ingest.ParseOptions{})
	if !gone.Remove {
		t.Fatalf("410 parsed as %+v; want a removal", gone)
	}
	mustSync(t, s, []ingest.Parsed{gone}, ingest.SyncOptions{})
	if _, chunks := chunkCount(t, st); chunks != 0 {
		t.Errorf("%d chunks left after a 410; want 0", chunks)
	}
}

func TestVariantsPreferLiveAndStable(t *testing.T) {
	t.Parallel()
	corpusDir := corpustest.CorpusDir(t)
	_, s := lexicalSyncer(t)
	ctx := context.Background()
	dir := t.TempDir()
	// Albania: two live variants and a withdrawn one at the same base path.
	for _, name := range []string{"travel_advice--full-country.json", "travel_advice--withdrawn-full-country.json", "travel_advice--full-country-without-summary.json"} {
		b, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	items := collect(t, dir)
	first := mustSync(t, s, items, ingest.SyncOptions{})
	if first.DocumentsAdded != 1 || first.SkipReasons["variant of another item at the same path"] != 2 {
		t.Errorf("variants %+v; want one page added, two variants skipped", first)
	}
	second, err := s.Sync(ctx, collect(t, dir), ingest.SyncOptions{})
	if err != nil || second.DocumentsUnchanged != 1 || second.EmbeddingInputs != 0 {
		t.Errorf("re-run %+v, %v; want the same variant chosen, unchanged", second, err)
	}
}

func TestOlderPayloadNeverOverwritesNewer(t *testing.T) {
	t.Parallel()
	_, s := lexicalSyncer(t)
	items := collect(t, "testdata/items/local_transaction--local_transaction.json")
	newer := items[0]
	newer.Doc.UpdatedAt = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	mustSync(t, s, []ingest.Parsed{newer}, ingest.SyncOptions{})
	older := items[0]
	older.Doc.UpdatedAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	older.Doc.Title = "Stale title"
	res := mustSync(t, s, []ingest.Parsed{older}, ingest.SyncOptions{})
	if res.DocumentsSkipped != 1 || res.DocumentsUpdated != 0 {
		t.Errorf("older payload %+v; want skipped", res)
	}
}

// A run that dies part-way leaves whole pages only, and a re-run completes it
// to exactly the state of a clean run.
func TestCrashedRunCompletesOnRerun(t *testing.T) {
	t.Parallel()
	corpusDir := corpustest.CorpusDir(t)
	ctx := context.Background()
	items := collect(t, corpusDir)

	clean := storetest.New(t)
	mustSync(t, ingest.NewSyncer(clean, lexical(t, 32), nil), items, ingest.SyncOptions{EmbedBatch: 64})
	wantDocs, wantChunks := chunkCount(t, clean)

	st := storetest.New(t)
	crashing := lexical(t, 32)
	crashing.failAfter = 5
	_, err := ingest.NewSyncer(st, crashing, nil).Sync(ctx, items, ingest.SyncOptions{EmbedBatch: 64})
	if !errors.Is(err, errCrash) {
		t.Fatalf("crashing run = %v; want the simulated crash", err)
	}
	midDocs, _ := chunkCount(t, st)
	if midDocs == 0 || midDocs >= wantDocs {
		t.Fatalf("after the crash %d documents stored; want some but not all of %d", midDocs, wantDocs)
	}
	rerun := mustSync(t, ingest.NewSyncer(st, lexical(t, 32), nil), items, ingest.SyncOptions{EmbedBatch: 64})
	if docs, chunks := chunkCount(t, st); docs != wantDocs || chunks != wantChunks {
		t.Errorf("after the re-run %d documents, %d chunks; a clean run has %d, %d", docs, chunks, wantDocs, wantChunks)
	}
	if rerun.DocumentsUnchanged != midDocs {
		t.Errorf("re-run left %d documents unchanged; want the %d written before the crash", rerun.DocumentsUnchanged, midDocs)
	}
}

func TestPruneAndDryRun(t *testing.T) {
	t.Parallel()
	st, s := lexicalSyncer(t)
	items := collect(t, "testdata/items")
	mustSync(t, s, items, ingest.SyncOptions{})
	docs, _ := chunkCount(t, st)
	fewer := items[:len(items)-3]
	var removed int
	for _, p := range items[len(items)-3:] {
		if !p.Remove && p.Err == nil {
			removed++
		}
	}
	dry := mustSync(t, s, fewer, ingest.SyncOptions{Prune: true, DryRun: true})
	if after, _ := chunkCount(t, st); after != docs || dry.DocumentsRemoved != removed {
		t.Errorf("dry run: %d documents (want %d unchanged), reported %d removals (want %d)", after, docs, dry.DocumentsRemoved, removed)
	}
	mustSync(t, s, fewer, ingest.SyncOptions{Prune: true})
	if after, _ := chunkCount(t, st); after != docs-removed {
		t.Errorf("after prune %d documents; want %d", after, docs-removed)
	}
}

// Changing the embedder needs --reembed; readers keep the old space until
// the new one is complete.
func TestReembedSwitchesModel(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	ctx := context.Background()
	items := collect(t, "testdata/items")
	mustSync(t, ingest.NewSyncer(st, lexical(t, 32), nil), items, ingest.SyncOptions{})
	other := lexical(t, 48)
	_, err := ingest.NewSyncer(st, other, nil).Sync(ctx, items, ingest.SyncOptions{})
	if !errors.Is(err, store.ErrModelMismatch) {
		t.Fatalf("sync with another model = %v; want ErrModelMismatch", err)
	}
	_, chunks := chunkCount(t, st)
	n, err := ingest.NewSyncer(st, other, nil).Reembed(ctx, 50, nil)
	if err != nil || n != chunks {
		t.Fatalf("Reembed() = %d, %v; want %d chunks", n, err, chunks)
	}
	if _, err := st.CheckSpace(ctx, other.Model(), other.Dimensions()); err != nil {
		t.Errorf("after reembed the active space is not the new model: %v", err)
	}
	res, err := ingest.NewSyncer(st, other, nil).Sync(ctx, items, ingest.SyncOptions{})
	if err != nil || res.EmbeddingInputs != 0 {
		t.Errorf("sync after reembed %+v, %v; want nothing to embed", res, err)
	}
}

// The OpenAI-compatible embedder, against a fake server that speaks the
// real /v1/embeddings wire format, batches across documents.
func TestSyncWithOpenAIEmbedder(t *testing.T) {
	t.Parallel()
	st := storetest.New(t)
	srv := llmtest.NewServer(t)
	c := llm.NewClient(llm.Config{BaseURL: srv.URL, APIKey: "k", EmbeddingModel: "fake-embed", EmbeddingDimensions: 8, BatchSize: 16, RetryBaseDelay: time.Millisecond})
	t.Cleanup(c.Close)
	srv.QueueEmbeddings(llmtest.Reply{Status: 429, RetryAfterMs: "1"})
	res, err := ingest.NewSyncer(st, c.Embedder(), nil).Sync(context.Background(), collect(t, "testdata/items"), ingest.SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var inputs, requests int
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/embeddings") {
			requests++
			inputs += len(r.Input)
			if len(r.Input) > 16 {
				t.Errorf("a request carried %d inputs; batch size is 16", len(r.Input))
			}
		}
	}
	if inputs < res.EmbeddingInputs || res.EmbeddingInputs == 0 || requests >= res.ChunksWritten {
		t.Errorf("%d requests carried %d inputs for %d embedded texts; want batched requests", requests, inputs, res.EmbeddingInputs)
	}
}

func TestStatsJSONHasTheDocumentedKeys(t *testing.T) {
	b, err := json.Marshal(ingest.Stats{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"documents_added", "documents_updated", "documents_unchanged", "documents_removed",
		"documents_skipped", "chunks_written", "embedding_inputs", "duration_ms"} {
		if !strings.Contains(string(b), `"`+k+`"`) {
			t.Errorf("Stats JSON lacks %q: %s", k, b)
		}
	}
}
