// Package corpustest gives tests the shared GOV.UK corpus and the local
// embedder's vector file, and an index of the corpus built once per test
// binary. A missing file fails the test in CI and skips it elsewhere.
package corpustest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/govchat/govchat/embed"
	"github.com/govchat/govchat/ingest"
	"github.com/govchat/govchat/ingest/source"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// root is the repository root, found from this file's own path.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Need fails in CI (or with GOVCHAT_REQUIRE_DB=1) and skips elsewhere when
// path is missing; fix says how to get it.
func Need(t testing.TB, path, fix string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	if os.Getenv("CI") != "" || os.Getenv("GOVCHAT_REQUIRE_DB") == "1" {
		t.Fatalf("%s is missing: %s", path, fix)
	}
	t.Skipf("%s is missing: %s", path, fix)
}

// CorpusDir is the shared corpus directory, beside the repository.
func CorpusDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(root(), "..", "shared", "corpus", "govuk")
	Need(t, dir, "the shared corpus lives in ../shared/corpus/govuk beside the repository")
	return dir
}

// DevSet is the shared development question set.
func DevSet(t testing.TB) string {
	t.Helper()
	path := filepath.Join(root(), "..", "shared", "eval", "dev.jsonl")
	Need(t, path, "the dev set lives in ../shared/eval/dev.jsonl beside the repository")
	return path
}

// VectorsFile is the local embedder's vector file (GOVCHAT_VECTORS_FILE or
// the cache that scripts/vectors.sh fills).
func VectorsFile(t testing.TB) string {
	t.Helper()
	path := os.Getenv("GOVCHAT_VECTORS_FILE")
	if path == "" {
		path = filepath.Join(root(), ".cache", "govchat", "vectors-100d.bin")
	}
	Need(t, path, "run scripts/vectors.sh")
	return path
}

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
	dir, vectors := CorpusDir(t), VectorsFile(t)
	storetest.URL(t)
	once.Do(func() {
		st := storetest.NewShared(t)
		emb, err := embed.NewLocal(vectors)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		items, err := ingest.Collect(ctx, source.Dir{Path: dir}, ingest.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ingest.NewSyncer(st, emb, nil).Sync(ctx, items, ingest.SyncOptions{}); err != nil {
			t.Fatal(err)
		}
		index = Index{Store: st, Embedder: emb}
	})
	if index.Store == nil {
		t.Fatal("the corpus index failed to build in an earlier test")
	}
	return index
}
