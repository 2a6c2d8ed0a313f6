package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestParsePage(t *testing.T) {
	tests := []struct {
		file     string
		title    string
		path     string
		locale   string
		paths    []string // chunk exact paths, in order
		contains string   // in some chunk's text
	}{
		{
			file:     "testdata/pages/apply-for-a-permit.html",
			title:    "Apply for a parking permit - Exampleshire Council",
			path:     "/parking/permits/apply",
			locale:   "en",
			paths:    []string{"/parking/permits/apply", "/parking/permits/apply#who-can-apply", "/parking/permits/apply#costs"},
			contains: "Permit: Resident permit; Cost: £60 a year",
		},
		{
			file:     "testdata/pages/cymraeg.html",
			title:    "Gwneud cais am drwydded",
			path:     "/testdata/pages/cymraeg",
			locale:   "cy",
			contains: "Gallwch wneud cais",
		},
		{
			file:     "testdata/pages/bins.md",
			title:    "Bin collections",
			path:     "/waste/bins",
			locale:   "en",
			paths:    []string{"/waste/bins", "/waste/bins#missed-collections"},
			contains: "- general waste: every 2 weeks",
		},
		{
			file:     "testdata/pages/guides/index.md",
			title:    "Guides without front matter",
			path:     "/testdata/pages/guides",
			locale:   "en",
			contains: "Read the guides",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			doc, skip, err := ParsePage(data, tt.file, ParseOptions{})
			if err != nil || skip.Skipped() {
				t.Fatalf("ParsePage = %+v, %v", skip, err)
			}
			sum := sha256.Sum256([]byte(tt.path))
			if doc.Title != tt.title || doc.BasePath != tt.path || doc.Locale != tt.locale || doc.ContentID != hex.EncodeToString(sum[:]) || doc.SchemaName != PageSchema {
				t.Errorf("doc = title %q path %q locale %q id %q schema %q; want %q %q %q", doc.Title, doc.BasePath, doc.Locale, doc.ContentID, doc.SchemaName, tt.title, tt.path, tt.locale)
			}
			checkChunks(t, doc, ChunkOptions{})
			var paths []string
			found := false
			for _, c := range doc.Chunks {
				paths = append(paths, c.ExactPath)
				if strings.Contains(c.Text, tt.contains) {
					found = true
				}
				for _, bad := range []string{"Cookie banner", "Site navigation", "Footer links", "alert("} {
					if strings.Contains(c.EmbedText, bad) {
						t.Errorf("chunk %d keeps page chrome %q", c.Index, bad)
					}
				}
			}
			if tt.paths != nil && !slices.Equal(paths, tt.paths) {
				t.Errorf("paths = %q; want %q", paths, tt.paths)
			}
			if !found {
				t.Errorf("no chunk contains %q", tt.contains)
			}
		})
	}
}

func TestParsePageErrorsAndSkips(t *testing.T) {
	if _, _, err := ParsePage([]byte("x"), "notes.txt", ParseOptions{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParsePage(.txt) = %v; want ErrMalformed", err)
	}
	if _, _, err := ParsePage([]byte(strings.Repeat("x", 100)), "a.md", ParseOptions{MaxBytes: 10}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ParsePage(oversized) = %v; want ErrTooLarge", err)
	}
	_, skip, err := ParsePage([]byte("<html><head><title>Empty</title></head><body><nav>Menu</nav></body></html>"), "empty.html", ParseOptions{})
	if err != nil || skip.Reason != ReasonNoBodyText {
		t.Errorf("ParsePage(empty) = %+v, %v; want no body text", skip, err)
	}
	_, skip, _ = ParsePage([]byte("---\nlocale: cy\n---\nTestun."), "a.md", ParseOptions{Locales: []string{"en"}})
	if skip.Reason != ReasonLocalePrefix+"cy" {
		t.Errorf("ParsePage(cy, only en allowed) skip = %+v", skip)
	}
	doc, _, _ := ParsePage([]byte("<p>Raw <script>alert(1)</script> html</p>\n\n## Next\n\nText"), "raw.md", ParseOptions{})
	for _, c := range doc.Chunks {
		if strings.Contains(c.HTML, "script") || strings.Contains(c.Text, "alert") {
			t.Errorf("raw HTML in Markdown survived: %q", c.HTML)
		}
	}
}

func TestPathFromName(t *testing.T) {
	for in, want := range map[string]string{
		"apply.html":         "/apply",
		"guides/index.md":    "/guides",
		"index.html":         "/",
		`docs\help\faq.htm`:  "/docs/help/faq",
		"./a/../b/page.md":   "/b/page",
		"/abs/path/file.md":  "/abs/path/file",
		"deep/dir/index.htm": "/deep/dir",
	} {
		if got := pathFromName(in); got != want {
			t.Errorf("pathFromName(%q) = %q; want %q", in, got, want)
		}
	}
}
