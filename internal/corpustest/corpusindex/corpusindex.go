// Package corpusindex is the shared corpus ingested once per test binary
// with the local embedder, for tests of retrieval and chat; Ingest puts any
// other directory of pages into a test's store the same way.
package corpusindex

import (
	"context"
	"sync"
	"testing"

	"github.com/govchat/govchat/embed"
	"github.com/govchat/govchat/ingest"
	"github.com/govchat/govchat/ingest/source"
	"github.com/govchat/govchat/internal/corpustest"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// Index is the shared corpus ingested with the local embedder into a schema
// of its own. Call storetest.DropShared from TestMain to remove it.
type Index struct {
	Store    *store.Store
	Embedder *embed.Local
}

var (
	once  sync.Once
	index Index
)

// Shared returns the corpus index, building it on first use.
func Shared(t testing.TB) Index {
	t.Helper()
	dir, vectors := corpustest.CorpusDir(t), corpustest.VectorsFile(t)
	storetest.URL(t)
	once.Do(func() {
		st := storetest.NewShared(t)
		emb, err := embed.NewLocal(vectors)
		if err != nil {
			t.Fatal(err)
		}
		Ingest(context.Background(), t, st, emb, dir)
		index = Index{Store: st, Embedder: emb}
	})
	if index.Store == nil {
		t.Fatal("the corpus index failed to build in an earlier test")
	}
	return index
}

// Ingest parses the pages in dir and syncs them into st with emb, as
// `govchat ingest` would; any failure fails the test.
func Ingest(ctx context.Context, t testing.TB, st *store.Store, emb ingest.Embedder, dir string) {
	t.Helper()
	items, err := ingest.Collect(ctx, source.Dir{Path: dir}, ingest.ParseOptions{})
	if err != nil {
		t.Fatalf("collecting %s: %v", dir, err)
	}
	if _, err := ingest.NewSyncer(st, emb, nil).Sync(ctx, items, ingest.SyncOptions{}); err != nil {
		t.Fatalf("ingest: %v", err)
	}
}
