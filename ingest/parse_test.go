package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/internal/corpustest"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/ingest-schemas.md")

// corpusFiles are the shared GOV.UK corpus's items (corpustest: fails in
// CI when the corpus is missing, skips elsewhere).
func corpusFiles(t testing.TB) []string {
	t.Helper()
	return corpustest.CorpusFiles(t)
}

// checkChunks asserts the invariants every parsed document keeps.
func checkChunks(t testing.TB, doc govchat.Document, opts ChunkOptions) {
	t.Helper()
	opts = opts.withDefaults()
	for i, c := range doc.Chunks {
		if c.Index != i {
			t.Errorf("%s: chunk %d has Index %d", doc.Origin, i, c.Index)
		}
		if strings.TrimSpace(c.Text) == "" {
			t.Errorf("%s: chunk %d has no text", doc.Origin, i)
		}
		if !strings.HasPrefix(c.ExactPath, doc.BasePath) {
			t.Errorf("%s: chunk %d ExactPath %q not under %q", doc.Origin, i, c.ExactPath, doc.BasePath)
		}
		sum := sha256.Sum256([]byte(c.EmbedText))
		if c.Digest != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: chunk %d digest does not match EmbedText", doc.Origin, i)
		}
		if c.Tokens != EstimateTokens(c.EmbedText) {
			t.Errorf("%s: chunk %d Tokens = %d; want %d", doc.Origin, i, c.Tokens, EstimateTokens(c.EmbedText))
		}
		if got := EstimateTokens(c.Text); got > opts.MaxTokens {
			t.Errorf("%s: chunk %d text has %d tokens; max %d", doc.Origin, i, got, opts.MaxTokens)
		}
		prefix, _, _ := strings.Cut(c.EmbedText, "\n\n")
		if EstimateTokens(prefix) <= opts.MaxTokens/2 && c.Tokens > opts.MaxTokens {
			t.Errorf("%s: chunk %d has %d tokens; max %d", doc.Origin, i, c.Tokens, opts.MaxTokens)
		}
		if !strings.HasSuffix(c.EmbedText, "\n\n"+c.Text) {
			t.Errorf("%s: chunk %d EmbedText does not end with its text", doc.Origin, i)
		}
		if !utf8.ValidString(c.EmbedText) {
			t.Errorf("%s: chunk %d EmbedText is not valid UTF-8", doc.Origin, i)
		}
		if err := checkSafeHTML(c.HTML); err != nil {
			t.Errorf("%s: chunk %d HTML: %v", doc.Origin, i, err)
		}
	}
}

// checkSafeHTML reports any element or attribute in sanitised HTML outside
// what the sanitiser may emit, and any href with an unsafe scheme.
func checkSafeHTML(s string) error {
	allowed := map[string]map[string]bool{
		"p": nil, "pre": nil, "ul": nil, "ol": {"start": true}, "li": nil, "br": nil,
		"table": nil, "thead": nil, "tbody": nil, "tr": nil, "th": nil, "td": nil,
		"h2": {"id": true}, "h3": {"id": true}, "h4": {"id": true}, "h5": {"id": true}, "h6": {"id": true},
		"a": {"href": true}, "abbr": {"title": true}, "strong": nil, "em": nil, "code": nil,
		"sub": nil, "sup": nil, "blockquote": nil,
	}
	z := xhtml.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return nil
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			tok := z.Token()
			attrs, ok := allowed[tok.Data]
			if !ok {
				return fmt.Errorf("element <%s>", tok.Data)
			}
			for _, a := range tok.Attr {
				if !attrs[a.Key] {
					return fmt.Errorf("attribute %s on <%s>", a.Key, tok.Data)
				}
				if a.Key == "href" && safeHref(a.Val) != a.Val {
					return fmt.Errorf("href %q", a.Val)
				}
			}
		}
	}
}

type goldenOutput struct {
	Skip     string            `json:"skip,omitempty"`
	Document *govchat.Document `json:"document"`
}

func TestGolden(t *testing.T) {
	items, err := filepath.Glob("testdata/items/*.json")
	if err != nil || len(items) == 0 {
		t.Fatalf("no golden items: %v", err)
	}
	for _, item := range items {
		name := strings.TrimSuffix(filepath.Base(item), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(item)
			if err != nil {
				t.Fatal(err)
			}
			doc, skip, err := ParseContentItem(data, filepath.Base(item), ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkChunks(t, doc, ChunkOptions{})
			out := goldenOutput{Document: &doc}
			if skip.Skipped() {
				out.Skip = skip.Kind.String() + ": " + skip.Reason
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata/golden", name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./ingest -run Golden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("ParseContentItem(%s) differs from %s; run go test ./ingest -run Golden -update and review the diff", item, golden)
			}
		})
	}
}

func TestGoldenExpectations(t *testing.T) {
	parse := func(name string) (govchat.Document, Skip) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join("testdata/items", name))
		if err != nil {
			t.Fatal(err)
		}
		doc, skip, err := ParseContentItem(data, name, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return doc, skip
	}
	paths := func(doc govchat.Document) []string {
		var ps []string
		for _, c := range doc.Chunks {
			p, _, _ := strings.Cut(c.ExactPath, "#")
			if !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
		return ps
	}

	t.Run("guide parts", func(t *testing.T) {
		doc, _ := parse("guide--guide-with-hide-navigation.json")
		want := []string{"/renew-adult-passport", "/renew-adult-passport/overview", "/renew-adult-passport/renew", "/renew-adult-passport/replace"}
		if got := paths(doc); !slices.Equal(got, want) {
			t.Errorf("paths = %q; want %q", got, want)
		}
		if doc.Chunks[0].ExactPath != "/renew-adult-passport" || doc.Chunks[0].Text != doc.Description {
			t.Errorf("lead chunk = %q at %q; want the description at the base path", doc.Chunks[0].Text, doc.Chunks[0].ExactPath)
		}
		for _, c := range doc.Chunks[1:] {
			if len(c.HeadingPath) == 0 {
				t.Errorf("part chunk %d has no part title in its heading path", c.Index)
			}
		}
		found := false
		for _, c := range doc.Chunks {
			if strings.HasPrefix(c.ExactPath, "/renew-adult-passport/renew") && strings.Contains(c.Text, "9 months") {
				found = true
			}
		}
		if !found {
			t.Error("no chunk of /renew-adult-passport/renew says \"9 months\"")
		}
	})
	t.Run("travel advice parts", func(t *testing.T) {
		doc, _ := parse("travel_advice--alt-country.json")
		if got := paths(doc); !slices.Contains(got, "/foreign-travel-advice/turkey/local-laws-and-customs") {
			t.Errorf("paths = %q; want local-laws-and-customs among them", got)
		}
	})
	t.Run("removals", func(t *testing.T) {
		for name, reason := range map[string]string{
			"travel_advice--withdrawn-full-country.json": ReasonWithdrawn,
			"gone--gone_with_alternative_path.json":      ReasonGone,
			"redirect--redirect.json":                    ReasonRedirect,
		} {
			doc, skip := parse(name)
			if !skip.Removed() || skip.Reason != reason || len(doc.Chunks) != 0 || doc.BasePath == "" {
				t.Errorf("%s: skip = %+v, %d chunks, base path %q; want removed (%s) with a base path", name, skip, len(doc.Chunks), doc.BasePath, reason)
			}
		}
	})
	t.Run("skips", func(t *testing.T) {
		for name, reason := range map[string]string{
			"mainstream_browse_page--root_page.json": ReasonSchemaPrefix + "mainstream_browse_page",
			"hmrc_manual_section--vatgpb2000.json":   ReasonNoBodyText,
		} {
			_, skip := parse(name)
			if skip.Kind != Unindexable || skip.Reason != reason {
				t.Errorf("%s: skip = %+v; want skipped (%s)", name, skip, reason)
			}
		}
	})
	t.Run("welsh", func(t *testing.T) {
		doc, skip := parse("transaction--chwilio-am-swydd.json")
		if skip.Skipped() || doc.Locale != "cy" || len(doc.Chunks) == 0 {
			t.Errorf("skip = %+v, locale %q, %d chunks; want indexed cy", skip, doc.Locale, len(doc.Chunks))
		}
	})
	t.Run("step by step", func(t *testing.T) {
		doc, _ := parse("step_by_step_nav--learn_to_drive_a_car.json")
		all := ""
		for _, c := range doc.Chunks {
			all += c.EmbedText + "\n"
		}
		for _, want := range []string{"Step 1: Check you're allowed to drive", "Apply for your first provisional driving licence (£34)"} {
			if !strings.Contains(all, want) {
				t.Errorf("step-by-step text lacks %q", want)
			}
		}
		if strings.Contains(doc.Description, "<") {
			t.Errorf("description keeps HTML: %q", doc.Description)
		}
	})
	t.Run("contact", func(t *testing.T) {
		doc, _ := parse("contact--contact_with_welsh.json")
		all := ""
		for _, c := range doc.Chunks {
			all += c.Text + "\n"
		}
		if !strings.Contains(all, "Telephone: ") {
			t.Errorf("contact text lacks phone numbers:\n%s", all)
		}
	})
}

func TestCorpus(t *testing.T) {
	for _, f := range corpusFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, skip, err := ParseContentItem(data, filepath.Base(f), ParseOptions{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		switch {
		case skip.Skipped() && len(doc.Chunks) > 0:
			t.Errorf("%s: skipped (%s) but has %d chunks", f, skip.Reason, len(doc.Chunks))
		case skip.Skipped() && skip.Reason == "":
			t.Errorf("%s: skipped with no reason", f)
		case !skip.Skipped() && len(doc.Chunks) == 0:
			t.Errorf("%s: neither chunks nor a skip reason", f)
		}
		if doc.BasePath == "" {
			t.Errorf("%s: no base path", f)
		}
		checkChunks(t, doc, ChunkOptions{})
		again, _, _ := ParseContentItem(data, filepath.Base(f), ParseOptions{})
		if !slices.EqualFunc(doc.Chunks, again.Chunks, func(a, b govchat.Chunk) bool { return a.Digest == b.Digest && a.HTML == b.HTML }) {
			t.Errorf("%s: two parses differ", f)
		}
	}
}

// TestDevExpectedSources checks that every page the dev question set cites,
// when it is in the corpus, is the path of some chunk.
func TestDevExpectedSources(t *testing.T) {
	files := corpusFiles(t)
	f, err := os.Open(corpustest.DevSet(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	produced := map[string]bool{}
	bases := map[string]bool{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			BasePath string `json:"base_path"`
		}
		if json.Unmarshal(data, &head) == nil {
			bases[head.BasePath] = true
		}
		doc, _, err := ParseContentItem(data, file, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range doc.Chunks {
			p, _, _ := strings.Cut(c.ExactPath, "#")
			produced[p] = true
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	checked := 0
	for sc.Scan() {
		var q struct {
			ID              string   `json:"id"`
			ExpectedSources []string `json:"expected_sources"`
		}
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatal(err)
		}
		for _, src := range q.ExpectedSources {
			if !bases[src] && !bases[filepath.Dir(src)] {
				continue // not in the corpus
			}
			checked++
			if !produced[src] {
				t.Errorf("%s: expected source %s is not the path of any chunk", q.ID, src)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Error("no expected source was found in the corpus")
	}
}

func TestSchemaTable(t *testing.T) {
	files := corpusFiles(t)
	type row struct {
		files, docs, chunks, tokens int
		skips                       map[string]int
	}
	rows := map[string]*row{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		schema, _, _ := strings.Cut(filepath.Base(f), "--")
		doc, skip, err := ParseContentItem(data, f, ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r := rows[schema]
		if r == nil {
			r = &row{skips: map[string]int{}}
			rows[schema] = r
		}
		r.files++
		if skip.Skipped() {
			reason := skip.Reason
			if strings.HasPrefix(reason, ReasonSchemaPrefix) {
				reason = "schema not indexed"
			}
			r.skips[skip.Kind.String()+": "+reason]++
			continue
		}
		r.docs++
		r.chunks += len(doc.Chunks)
		for _, c := range doc.Chunks {
			r.tokens += c.Tokens
		}
	}
	var b strings.Builder
	b.WriteString(`# Ingest: GOV.UK schemas in the corpus

Generated by ` + "`go test ./ingest -run TestSchemaTable -update`" + ` from
` + "`shared/corpus/govuk`" + ` with the default options (DefaultSchemas, chunks of at most
350 tokens with 40 tokens of overlap, fragments under 40 tokens merged). Do not edit by hand:
the test fails when this file and the code disagree.

"Documents" are files that produced chunks (variants sharing a base path are counted
once per file; the sync resolves them). "Removed" items (gone, redirect, withdrawn,
unpublished) make the sync delete stored chunks; "skipped" items have nothing to index
(schema not on the allow-list, no body text) and are stored as nothing too.

| Schema | Files | Documents | Chunks | Avg tokens | Skipped or removed |
|---|---:|---:|---:|---:|---|
`)
	names := make([]string, 0, len(rows))
	for n := range rows {
		names = append(names, n)
	}
	sort.Strings(names)
	var total row
	total.skips = map[string]int{}
	for _, n := range names {
		r := rows[n]
		avg := ""
		if r.chunks > 0 {
			avg = fmt.Sprint(r.tokens / r.chunks)
		}
		var reasons []string
		for k, v := range r.skips {
			reasons = append(reasons, fmt.Sprintf("%s (%d)", k, v))
			total.skips[k] += v
		}
		sort.Strings(reasons)
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s |\n", n, r.files, r.docs, r.chunks, avg, strings.Join(reasons, ", "))
		total.files += r.files
		total.docs += r.docs
		total.chunks += r.chunks
		total.tokens += r.tokens
	}
	var reasons []string
	for k, v := range total.skips {
		reasons = append(reasons, fmt.Sprintf("%s (%d)", k, v))
	}
	sort.Strings(reasons)
	fmt.Fprintf(&b, "| **Total** | **%d** | **%d** | **%d** | **%d** | %s |\n", total.files, total.docs, total.chunks, total.tokens/max(total.chunks, 1), strings.Join(reasons, ", "))
	b.WriteString("\nDefault allow-list (`ingest.DefaultSchemas`): " + "`" + strings.Join(DefaultSchemas(), "`, `") + "`.\n")

	const doc = "../docs/ingest-schemas.md"
	if *update {
		if err := os.WriteFile(doc, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(doc)
	if err != nil {
		t.Fatalf("%v (run go test ./ingest -run TestSchemaTable -update)", err)
	}
	if string(want) != b.String() {
		t.Errorf("%s is out of date; run go test ./ingest -run TestSchemaTable -update", doc)
	}
}

func TestParseErrors(t *testing.T) {
	valid := `{"base_path":"/x","title":"X","schema_name":"answer","locale":"en","details":{"body":"<p>Hello there.</p>"}}`
	tests := []struct {
		name string
		data string
		opts ParseOptions
		want error
		text string // in the error message
	}{
		{"malformed JSON", `{"base_path":`, ParseOptions{}, ErrMalformed, "unexpected EOF"},
		{"not an object", `[1,2]`, ParseOptions{}, ErrMalformed, ""},
		{"trailing data", valid + `{}`, ParseOptions{}, ErrMalformed, "data after"},
		{"no base path", `{"title":"X","schema_name":"answer"}`, ParseOptions{}, ErrMalformed, "base_path"},
		{"base path a number", `{"base_path":5}`, ParseOptions{}, ErrMalformed, ""},
		{"relative base path", `{"base_path":"x"}`, ParseOptions{}, ErrMalformed, "base_path"},
		{"body a number", `{"base_path":"/x","schema_name":"answer","details":{"body":42}}`, ParseOptions{}, ErrMalformed, "details.body: want an HTML string or a list of content types, got a number"},
		{"details a list", `{"base_path":"/x","schema_name":"answer","details":[]}`, ParseOptions{}, ErrMalformed, "details: want an object"},
		{"parts not a list", `{"base_path":"/x","schema_name":"guide","details":{"parts":"no"}}`, ParseOptions{}, ErrMalformed, "details.parts"},
		{"part body a bool", `{"base_path":"/x","schema_name":"guide","details":{"parts":[{"slug":"a","title":"A","body":true}]}}`, ParseOptions{}, ErrMalformed, "details.parts[0].body"},
		{"bad date", `{"base_path":"/x","public_updated_at":"yesterday"}`, ParseOptions{}, ErrMalformed, "public_updated_at"},
		{"description an object", `{"base_path":"/x","description":{}}`, ParseOptions{}, ErrMalformed, "description"},
		{"withdrawn notice a string", `{"base_path":"/x","withdrawn_notice":"yes"}`, ParseOptions{}, ErrMalformed, "withdrawn_notice"},
		{"oversized", valid, ParseOptions{MaxBytes: 20}, ErrTooLarge, "limit 20"},
		{"deep nesting", `{"base_path":"/x","schema_name":"answer","details":{"body":"` + strings.Repeat("<div>", 600) + `x"}}`, ParseOptions{}, nil, "open stack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseContentItem([]byte(tt.data), "test", tt.opts)
			if err == nil {
				t.Fatalf("ParseContentItem(%.60s) = nil error; want one", tt.data)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v; want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "ingest: ") {
				t.Errorf("error %q lacks the ingest: prefix", err)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q; want it to mention %q", err, tt.text)
			}
		})
	}
}

func TestParseOutcomes(t *testing.T) {
	item := func(fields string) string {
		return `{"base_path":"/x","title":"X","content_id":"c1","locale":"en","document_type":"answer",` + fields + `}`
	}
	body := `"details":{"body":"<p>You can apply online. It takes ten minutes and costs nothing at all.</p>"}`
	tests := []struct {
		name   string
		data   string
		opts   ParseOptions
		kind   SkipKind
		reason string
	}{
		{"live", item(`"schema_name":"answer",` + body), ParseOptions{}, NotSkipped, ""},
		{"empty withdrawn notice is live", item(`"schema_name":"answer","withdrawn_notice":{},` + body), ParseOptions{}, NotSkipped, ""},
		{"blank withdrawn notice is live", item(`"schema_name":"answer","withdrawn_notice":{"explanation":"","withdrawn_at":null},` + body), ParseOptions{}, NotSkipped, ""},
		{"withdrawn", item(`"schema_name":"answer","withdrawn_notice":{"explanation":"Out of date","withdrawn_at":"2020-01-01T00:00:00Z"},` + body), ParseOptions{}, Removed, ReasonWithdrawn},
		{"gone", item(`"schema_name":"gone","details":{"explanation":null}`), ParseOptions{}, Removed, ReasonGone},
		{"redirect", item(`"schema_name":"redirect"`), ParseOptions{}, Removed, ReasonRedirect},
		{"vanish", item(`"schema_name":"vanish"`), ParseOptions{}, Removed, ReasonVanish},
		{"unpublishing", item(`"schema_name":"unpublishing"`), ParseOptions{}, Removed, ReasonUnpublished},
		{"schema not allowed", item(`"schema_name":"homepage",` + body), ParseOptions{}, Unindexable, ReasonSchemaPrefix + "homepage"},
		{"schema allowed by option", item(`"schema_name":"homepage",` + body), ParseOptions{Schemas: []string{"homepage"}}, NotSkipped, ""},
		{"schema removed by option", item(`"schema_name":"answer",` + body), ParseOptions{Schemas: []string{"guide"}}, Unindexable, ReasonSchemaPrefix + "answer"},
		{"locale not allowed", item(`"schema_name":"answer",` + body), ParseOptions{Locales: []string{"cy"}}, Unindexable, ReasonLocalePrefix + "en"},
		{"empty body", item(`"schema_name":"answer","details":{"body":"\n<div class=\"govspeak\"> </div>"}`), ParseOptions{}, Unindexable, ReasonNoBodyText},
		{"no details", item(`"schema_name":"answer","description":"Only a description"`), ParseOptions{}, Unindexable, ReasonNoBodyText},
		{"body list prefers html", item(`"schema_name":"answer","details":{"body":[{"content_type":"text/govspeak","content":"## gov"},{"content_type":"text/html","content":"<p>From HTML.</p>"}]}`), ParseOptions{}, NotSkipped, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, skip, err := ParseContentItem([]byte(tt.data), "test", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if skip.Kind != tt.kind || skip.Reason != tt.reason {
				t.Errorf("skip = %v %q; want %v %q", skip.Kind, skip.Reason, tt.kind, tt.reason)
			}
			if doc.BasePath != "/x" || doc.Origin != "test" {
				t.Errorf("doc base path %q origin %q; want /x and test", doc.BasePath, doc.Origin)
			}
			if skip.Skipped() != (len(doc.Chunks) == 0) {
				t.Errorf("skipped = %v with %d chunks", skip.Skipped(), len(doc.Chunks))
			}
		})
	}
	doc, _, _ := ParseContentItem([]byte(item(`"schema_name":"answer","details":{"body":[{"content_type":"text/govspeak","content":"## gov"},{"content_type":"text/html","content":"<p>From HTML.</p>"}]}`)), "t", ParseOptions{})
	if len(doc.Chunks) != 1 || doc.Chunks[0].Text != "From HTML." {
		t.Errorf("body list chunks = %+v; want one chunk from text/html", doc.Chunks)
	}
}

func TestParseMetadata(t *testing.T) {
	data := `{"base_path":"/x","title":" A  title ","content_id":"c1","locale":"cy","document_type":"guide","schema_name":"answer",
	"description":"<p>Check <strong>this</strong> &amp; that</p>","public_updated_at":"2024-03-01T10:00:00+01:00",
	"updated_at":"2024-03-02T00:00:00Z","payload_version":12345,"withdrawn_notice":null,
	"details":{"body":"<p>Body text here.</p>"}}`
	doc, skip, err := ParseContentItem([]byte(data), "o", ParseOptions{})
	if err != nil || skip.Skipped() {
		t.Fatalf("ParseContentItem = %v, %v", skip, err)
	}
	if doc.Title != "A title" || doc.Description != "Check this & that" || doc.Locale != "cy" || doc.ContentID != "c1" ||
		doc.PayloadVersion != 12345 || doc.PublicUpdatedAt.Format("2006-01-02T15:04") != "2024-03-01T09:00" ||
		doc.UpdatedAt.Day() != 2 || doc.DocumentType != "guide" || doc.SchemaName != "answer" || doc.Withdrawn {
		t.Errorf("document metadata = %+v", doc)
	}
	want := "A title\n\nCheck this & that\n\nBody text here."
	if len(doc.Chunks) != 1 || doc.Chunks[0].EmbedText != want {
		t.Errorf("chunks = %+v; want one with EmbedText %q", doc.Chunks, want)
	}
}
