package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govchat/govchat/ingest"
	"github.com/govchat/govchat/ingest/source"
)

// A page whose own URL is unusable takes its path from where it sits under
// the directory read, never from the machine's file system.
func TestPagePathFromLocationUnderFrom(t *testing.T) {
	root := t.TempDir()
	page := "---\ntitle: Bins\nurl: \"http://[::1\"\n---\n# Bins\n\nYour bins are collected every week on the same day.\n"
	if err := os.MkdirAll(filepath.Join(root, "waste", "guides"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "waste", "guides", "bins.md"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, want string }{
		{root, "/waste/guides/bins"},
		{filepath.Join(root, "waste", "guides", "bins.md"), "/bins"},
	} {
		items, err := ingest.Collect(context.Background(), source.Dir{Path: tc.from}, ingest.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || items[0].Err != nil {
			t.Fatalf("Collect(%s) = %+v; want one parsed page", tc.from, items)
		}
		doc := items[0].Doc
		if doc.BasePath != tc.want || strings.Contains(doc.BasePath, root) {
			t.Errorf("Collect(%s): base path %q; want %q", tc.from, doc.BasePath, tc.want)
		}
		if doc.Origin != filepath.Join(root, "waste", "guides", "bins.md") {
			t.Errorf("Collect(%s): origin %q; want the file's full path, for logs", tc.from, doc.Origin)
		}
	}
}
