// Package corpustest is the one place tests find the fixtures that live
// outside the repository: the shared GOV.UK corpus and dev question set in
// ../shared, and the local embedder's vector file. A missing fixture fails
// the test in CI (CI set, or GOVCHAT_REQUIRE_DB=1) with one message saying
// how to get it, and skips it elsewhere. It imports nothing of govchat, so
// every package's tests can use it; corpusindex builds the indexed corpus.
package corpustest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
)

// root is the repository root, found from this file's own path.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Required reports whether missing fixtures fail tests instead of skipping them.
func Required() bool {
	return os.Getenv("CI") != "" || os.Getenv("GOVCHAT_REQUIRE_DB") == "1"
}

// Need fails in CI (or with GOVCHAT_REQUIRE_DB=1) and skips elsewhere when
// path is missing; fix says how to get it.
func Need(t testing.TB, path, fix string) {
	t.Helper()
	_, err := os.Stat(path)
	if err == nil {
		return
	}
	Missing(t, fmt.Sprintf("test fixture %s is missing (%v): %s", path, err, fix))
}

// Missing is the one decision for anything a test needs and does not find
// (a fixture, the database, a tool): it fails the test in CI (or with
// GOVCHAT_REQUIRE_DB=1) and skips it elsewhere, saying why.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if Required() {
		t.Fatal(msg + " [CI or GOVCHAT_REQUIRE_DB=1: missing fixtures fail]")
	}
	t.Skip(msg)
}

// Root is the repository root, for tests that build or run the binary.
func Root() string { return root() }

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

// VectorsFile is the local embedder's vector file (GOVCHAT_VECTORS_FILE, or
// the cache that scripts/vectors.sh fills: GOVCHAT_CACHE, default .cache).
func VectorsFile(t testing.TB) string {
	t.Helper()
	path := os.Getenv("GOVCHAT_VECTORS_FILE")
	if path == "" {
		cache := os.Getenv("GOVCHAT_CACHE") // as scripts/vectors.sh reads it, from the root
		if cache == "" {
			cache = ".cache"
		}
		if !filepath.IsAbs(cache) {
			cache = filepath.Join(root(), cache)
		}
		path = filepath.Join(cache, "govchat", "vectors-100d.bin")
	}
	Need(t, path, "run scripts/vectors.sh")
	return path
}

// DevItems decodes the development question set into T, one JSON object a
// line (blank lines skipped); T holds the fields the caller needs. A missing,
// unreadable or empty set fails the test.
func DevItems[T any](t testing.TB) []T {
	t.Helper()
	path := DevSet(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var items []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var it T
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			t.Fatalf("eval set %s: %v", path, err)
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("eval set %s: %v", path, err)
	}
	if len(items) == 0 {
		t.Fatalf("eval set %s is empty", path)
	}
	return items
}

// CorpusFiles are the shared corpus's Content API items (*.json), sorted.
// A corpus without any fails the test.
func CorpusFiles(t testing.TB) []string {
	t.Helper()
	dir := CorpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("%s holds no .json items", dir)
	}
	sort.Strings(files)
	return files
}
