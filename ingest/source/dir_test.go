package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// items runs a source to the end and returns what it yielded.
func items(t testing.TB, ctx context.Context, src interface {
	Items(context.Context, func(Item) error) error
}) ([]Item, error) {
	t.Helper()
	var got []Item
	err := src.Items(ctx, func(it Item) error {
		got = append(got, it)
		return nil
	})
	return got, err
}

func writeFile(t testing.TB, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t testing.TB, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot make symbolic links here: %v", err)
	}
}

// testTree builds a directory with every case Dir handles and returns its path.
func testTree(t testing.TB) string {
	t.Helper()
	top := t.TempDir()
	writeFile(t, filepath.Join(top, "outside.json"), `{"secret":true}`)
	root := filepath.Join(top, "root")
	writeFile(t, filepath.Join(root, "a.json"), `{"base_path":"/a"}`)
	writeFile(t, filepath.Join(root, "b", "c.md"), "# C")
	writeFile(t, filepath.Join(root, "b", "d.HTML"), "<p>D</p>")
	writeFile(t, filepath.Join(root, "b", "e.txt"), "not ingested")
	writeFile(t, filepath.Join(root, "b", "f.markdown"), "F")
	writeFile(t, filepath.Join(root, "b", "g.htm"), "<p>G</p>")
	writeFile(t, filepath.Join(root, "big.json"), strings.Repeat("x", 33))
	writeFile(t, filepath.Join(root, ".git", "config.json"), "{}")
	writeFile(t, filepath.Join(root, "exact.json"), strings.Repeat("y", 32))
	symlink(t, "a.json", filepath.Join(root, "link-in.json"))
	symlink(t, filepath.Join("..", "outside.json"), filepath.Join(root, "link-out.json"))
	symlink(t, filepath.Join(top, "outside.json"), filepath.Join(root, "link-abs.json"))
	symlink(t, "b", filepath.Join(root, "dirlink.md"))
	symlink(t, "nowhere.md", filepath.Join(root, "dangling.md"))
	return root
}

func TestDir(t *testing.T) {
	root := testTree(t)
	var skipped []string
	d := Dir{
		Path:         root,
		MaxFileBytes: 32,
		OnSkip: func(path, reason string) {
			rel, _ := filepath.Rel(root, path)
			skipped = append(skipped, filepath.ToSlash(rel)+": "+reason)
		},
	}
	got, err := items(t, context.Background(), d)
	if err != nil {
		t.Fatalf("Items() error = %v", err)
	}

	type short struct{ rel, kind, body string }
	want := []short{
		{"a.json", KindContentItem, `{"base_path":"/a"}`},
		{"b/c.md", KindMarkdown, "# C"},
		{"b/d.HTML", KindHTML, "<p>D</p>"},
		{"b/f.markdown", KindMarkdown, "F"},
		{"b/g.htm", KindHTML, "<p>G</p>"},
		{"big.json", KindContentItem, ""},
		{"exact.json", KindContentItem, strings.Repeat("y", 32)},
		{"link-in.json", KindContentItem, `{"base_path":"/a"}`},
	}
	var gotShort []short
	for _, it := range got {
		rel, _ := filepath.Rel(root, it.Ref)
		gotShort = append(gotShort, short{filepath.ToSlash(rel), it.Kind, string(it.Body)})
		if it.Origin != it.Ref || it.Status != 0 {
			t.Errorf("item %s: Origin = %q, Status = %d; want Origin = Ref and Status 0", rel, it.Origin, it.Status)
		}
		if rel == "big.json" {
			if !errors.Is(it.Err, ErrTooLarge) || !strings.Contains(it.Err.Error(), "33 bytes, over the 32 byte limit") {
				t.Errorf("big.json Err = %v; want ErrTooLarge naming the sizes", it.Err)
			}
		} else if it.Err != nil {
			t.Errorf("item %s: Err = %v", rel, it.Err)
		}
	}
	if !slices.Equal(gotShort, want) {
		t.Errorf("Items() =\n%q\nwant\n%q", gotShort, want)
	}

	wantSkipped := []string{
		".git: hidden directory",
		"b/e.txt: unsupported file type",
		"dangling.md: symbolic link not followed",
		"dirlink.md: symbolic link to something other than a regular file",
		"link-abs.json: symbolic link not followed",
		"link-out.json: symbolic link not followed",
	}
	if len(skipped) != len(wantSkipped) {
		t.Fatalf("skipped %q; want %q", skipped, wantSkipped)
	}
	for i := range skipped {
		if !strings.HasPrefix(skipped[i], wantSkipped[i]) {
			t.Errorf("skipped[%d] = %q; want prefix %q", i, skipped[i], wantSkipped[i])
		}
	}
}

func TestDirSingleFile(t *testing.T) {
	root := testTree(t)
	tests := []struct {
		name     string
		path     string
		wantBody string
		wantSkip string
	}{
		{name: "json", path: "a.json", wantBody: `{"base_path":"/a"}`},
		{name: "markdown", path: "b/c.md", wantBody: "# C"},
		{name: "symlink given explicitly", path: "link-in.json", wantBody: `{"base_path":"/a"}`},
		{name: "unsupported", path: "b/e.txt", wantSkip: "unsupported file type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var skips []string
			p := filepath.Join(root, filepath.FromSlash(tt.path))
			got, err := items(t, context.Background(), Dir{Path: p, OnSkip: func(_, reason string) { skips = append(skips, reason) }})
			if err != nil {
				t.Fatalf("Items() error = %v", err)
			}
			if tt.wantSkip != "" {
				if len(got) != 0 || !slices.Equal(skips, []string{tt.wantSkip}) {
					t.Errorf("Items() = %d items, skips %q; want none and %q", len(got), skips, tt.wantSkip)
				}
				return
			}
			if len(got) != 1 || string(got[0].Body) != tt.wantBody || got[0].Ref != p || got[0].Err != nil {
				t.Fatalf("Items() = %+v; want one item %q from %s", got, tt.wantBody, p)
			}
		})
	}
}

func TestDirOversizedSingleFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.json")
	writeFile(t, p, strings.Repeat("x", 100))
	got, err := items(t, context.Background(), Dir{Path: p, MaxFileBytes: 99})
	if err != nil {
		t.Fatalf("Items() error = %v; want the run to go on", err)
	}
	if len(got) != 1 || !errors.Is(got[0].Err, ErrTooLarge) || got[0].Body != nil {
		t.Fatalf("Items() = %+v; want one item with ErrTooLarge and no body", got)
	}
}

func TestDirErrors(t *testing.T) {
	root := testTree(t)
	t.Run("missing", func(t *testing.T) {
		_, err := items(t, context.Background(), Dir{Path: filepath.Join(root, "nope")})
		if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "source: ") {
			t.Errorf("Items() error = %v; want a source: error wrapping ErrNotExist", err)
		}
	})
	t.Run("empty path", func(t *testing.T) {
		if _, err := items(t, context.Background(), Dir{}); err == nil {
			t.Error("Items() error = nil; want one")
		}
	})
	t.Run("yield error stops the walk", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := Dir{Path: root}.Items(context.Background(), func(Item) error {
			n++
			return stop
		})
		if err != stop || n != 1 {
			t.Errorf("Items() error = %v after %d items; want %v after 1", err, n, stop)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		err := Dir{Path: root}.Items(ctx, func(Item) error {
			n++
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) || n != 1 {
			t.Errorf("Items() error = %v after %d items; want context.Canceled after 1", err, n)
		}
	})
}

func TestKindOf(t *testing.T) {
	for name, want := range map[string]string{
		"a.json": KindContentItem, "A.JSON": KindContentItem, "a.html": KindHTML, "a.htm": KindHTML,
		"a.md": KindMarkdown, "a.markdown": KindMarkdown, "a.txt": "", "json": "", "a.json.bak": "", ".md": KindMarkdown,
	} {
		if got := kindOf(name); got != want {
			t.Errorf("kindOf(%q) = %q; want %q", name, got, want)
		}
	}
}
