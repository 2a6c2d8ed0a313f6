package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

func TestParseSitemap(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		maxLocs   int
		wantIndex bool
		wantLocs  []string
		wantErr   string
	}{
		{
			name:     "urlset",
			in:       `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a/x</loc></url><url><loc> https://a/y&amp;z </loc><lastmod>2025</lastmod></url></urlset>`,
			wantLocs: []string{"https://a/x", "https://a/y&z"},
		},
		{
			name:      "index",
			in:        `<sitemapindex><sitemap><loc>https://a/1.xml</loc></sitemap></sitemapindex>`,
			wantIndex: true, wantLocs: []string{"https://a/1.xml"},
		},
		{name: "no namespace, empty", in: `<urlset/>`},
		{name: "CDATA loc", in: `<urlset><url><loc><![CDATA[https://a/x]]></loc></url></urlset>`, wantLocs: []string{"https://a/x"}},
		{
			name:     "loc in the wrong place ignored",
			in:       `<urlset><loc>https://a/top</loc><url><image><loc>https://a/img.png</loc></image><loc>https://a/ok</loc></url></urlset>`,
			wantLocs: []string{"https://a/ok"},
		},
		{
			name:     "sitemap entries in a urlset ignored",
			in:       `<urlset><sitemap><loc>https://a/1.xml</loc></sitemap></urlset>`,
			wantLocs: nil,
		},
		{name: "blank loc ignored", in: `<urlset><url><loc>  </loc></url></urlset>`},
		{name: "wrong root", in: `<html><body/></html>`, wantErr: "root element is <html>, not <urlset> or <sitemapindex>"},
		{name: "empty input", in: ``, wantErr: "no root element"},
		{name: "not XML", in: `{"base_path":"/x"}`, wantErr: "no root element"},
		{name: "unclosed element", in: `<urlset><url><loc>https://a/x</loc>`, wantErr: "malformed XML"},
		{name: "mismatched tags", in: `<urlset><url></urlset></url>`, wantErr: "malformed XML"},
		{name: "unknown entity", in: `<urlset><url><loc>&bomb;</loc></url></urlset>`, wantErr: "malformed XML"},
		{
			name:    "DTD with entities refused",
			in:      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><urlset><url><loc>&lol2;</loc></url></urlset>`,
			wantErr: "DTDs and other directives are not allowed",
		},
		{name: "too deep", in: `<urlset>` + strings.Repeat("<a>", 20) + strings.Repeat("</a>", 20) + `</urlset>`, wantErr: "nested more than 16 deep"},
		{name: "loc too long", in: `<urlset><url><loc>https://a/` + strings.Repeat("x", maxLocLen) + `</loc></url></urlset>`, wantErr: "<loc> longer than 4096 bytes"},
		{
			name:    "too many locs",
			in:      `<urlset>` + strings.Repeat(`<url><loc>https://a/x</loc></url>`, 4) + `</urlset>`,
			maxLocs: 3, wantErr: "more than 3 locations",
		},
		{
			name:     "exactly max locs",
			in:       `<urlset>` + strings.Repeat(`<url><loc>https://a/x</loc></url>`, 3) + `</urlset>`,
			maxLocs:  3,
			wantLocs: []string{"https://a/x", "https://a/x", "https://a/x"},
		},
		{name: "unsupported charset", in: `<?xml version="1.0" encoding="ISO-8859-1"?><urlset/>`, wantErr: "malformed XML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			maxLocs := tt.maxLocs
			if maxLocs == 0 {
				maxLocs = 100
			}
			index, locs, err := parseSitemap(strings.NewReader(tt.in), maxLocs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseSitemap() error = %v; want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseSitemap() error = %v", err)
			}
			if index != tt.wantIndex || !slices.Equal(locs, tt.wantLocs) {
				t.Errorf("parseSitemap() = %v, %q; want %v, %q", index, locs, tt.wantIndex, tt.wantLocs)
			}
		})
	}
}

// xmlFile serves a file from testdata/sitemap with HOST replaced by base.
func xmlFile(t testing.TB, name, base string) script {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sitemap", name))
	if err != nil {
		t.Fatal(err)
	}
	return xmlBody(strings.ReplaceAll(string(b), "HOST", base))
}

func xmlBody(body string) script {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, body)
	}
}

// sitemapServer serves the nested sitemaps in testdata/sitemap and the pages
// they list.
func sitemapServer(t testing.TB) *fakeAPI {
	t.Helper()
	f := newFakeAPI(t, nil)
	base := f.srv.URL
	f.scripts = map[string]script{
		"/sitemap.xml":                          xmlFile(t, "index.xml", base),
		"/sitemaps/more.xml":                    xmlFile(t, "more.xml", base),
		"/sitemaps/pages-1.xml":                 xmlFile(t, "pages-1.xml", base),
		"/sitemaps/pages-2.xml":                 xmlFile(t, "pages-2.xml", base),
		"/renew-adult-passport":                 jsonBody(`{"base_path":"/renew-adult-passport"}`),
		"/council-tax-bands":                    jsonBody(`{"base_path":"/council-tax-bands"}`),
		"/government/publications/allowed-host": jsonBody(`{"base_path":"/government/publications/allowed-host"}`),
		"/":                                     jsonBody(`{"base_path":"/"}`),
		"/café":                                 jsonBody(`{"base_path":"/café"}`),
		"/gone-page":                            status(http.StatusGone),
	}
	return f
}

func (f *fakeAPI) sitemap() Sitemap {
	api, _ := f.api()
	return Sitemap{URL: f.srv.URL + "/sitemap.xml", AllowHosts: []string{"www.gov.uk"}, API: api}
}

func TestSitemapItems(t *testing.T) {
	f := sitemapServer(t)
	s := f.sitemap()
	var skipped []string
	s.OnSkip = func(loc, reason string) { skipped = append(skipped, loc+": "+reason) }
	got, err := items(t, context.Background(), s)
	if err != nil {
		t.Fatalf("Items() error = %v", err)
	}
	wantRefs := []string{"/renew-adult-passport", "/council-tax-bands", "/government/publications/allowed-host", "/gone-page", "/", "/caf%C3%A9"}
	var refs []string
	for _, it := range got {
		refs = append(refs, it.Ref)
		switch {
		case it.Ref == "/gone-page":
			if !it.Gone() {
				t.Errorf("%s: Gone() = false; Status %d Err %v", it.Ref, it.Status, it.Err)
			}
		case it.Err != nil || !bytes.Contains(it.Body, []byte(`"base_path"`)):
			t.Errorf("%s: Err %v, Body %q", it.Ref, it.Err, it.Body)
		}
	}
	if !slices.Equal(refs, wantRefs) {
		t.Errorf("Items() refs = %q; want %q", refs, wantRefs)
	}
	wantSkipped := []string{
		"https://evil.example/phish: host evil.example is not allowed",
		f.srv.URL + "/search?q=tax: URL has a query or fragment",
		"javascript:alert(1): not an absolute http or https URL",
		f.srv.URL + `/a/../etc/passwd: path "/a/../etc/passwd" contains ".."`,
		"https://evil.example/sitemaps/pages.xml: host evil.example is not allowed",
	}
	slices.Sort(skipped)
	slices.Sort(wantSkipped)
	if !slices.Equal(skipped, wantSkipped) {
		t.Errorf("skipped\n%q\nwant\n%q", skipped, wantSkipped)
	}
	// The index lists pages-1.xml twice and more.xml lists the index again:
	// each sitemap is fetched once.
	for _, p := range []string{"/sitemap.xml", "/sitemaps/pages-1.xml", "/sitemaps/more.xml", "/sitemaps/pages-2.xml"} {
		if n := f.hitsFor(p); n != 1 {
			t.Errorf("%s fetched %d times; want 1", p, n)
		}
	}
	if uas := f.userAgents(); !slices.Equal(uas, []string{wantUA}) {
		t.Errorf("User-Agent headers = %q; want %q", uas, wantUA)
	}
}

func TestSitemapErrors(t *testing.T) {
	big := `<urlset>` + strings.Repeat(`<url><loc>https://a/x</loc></url>`, 100) + `</urlset>`
	tests := []struct {
		name    string
		scripts map[string]script
		setup   func(*Sitemap)
		wantIs  error
		wantErr string
		wantOK  bool
	}{
		{
			name:    "nested deeper than allowed",
			setup:   func(s *Sitemap) { s.MaxDepth = 1 },
			wantErr: "sitemap indexes nested more than 1 deep",
		},
		{
			name:    "malformed XML",
			scripts: map[string]script{"/sitemap.xml": xmlBody(`<urlset><url><loc>https://x/a</url></urlset>`)},
			wantErr: "/sitemap.xml: malformed XML: XML syntax error",
		},
		{
			name:    "malformed nested sitemap fails the run",
			scripts: map[string]script{"/sitemaps/pages-2.xml": xmlBody(`<urlset><url>`)},
			wantErr: "/sitemaps/pages-2.xml: malformed XML",
		},
		{
			name:    "oversized",
			scripts: map[string]script{"/sitemap.xml": xmlBody(big)},
			setup:   func(s *Sitemap) { s.MaxBytes = 1000 },
			wantIs:  ErrTooLarge, wantErr: "over the 1000 byte limit",
		},
		{
			name:   "too many URLs in all",
			setup:  func(s *Sitemap) { s.MaxURLs = 5 },
			wantIs: ErrTooManyURLs, wantErr: "/sitemaps/pages-2.xml: more than 5 URLs",
		},
		{
			name:   "too many sitemaps",
			setup:  func(s *Sitemap) { s.MaxSitemaps = 2 },
			wantIs: ErrTooManyURLs, wantErr: "more than 2 sitemaps",
		},
		{
			name:    "missing sitemap",
			scripts: map[string]script{"/sitemaps/more.xml": status(404)},
			wantIs:  ErrStatus, wantErr: "/sitemaps/more.xml: unexpected HTTP status 404",
		},
		{
			name:    "HTML instead of XML",
			scripts: map[string]script{"/sitemap.xml": status(200, "Content-Type", "text/html")},
			wantIs:  ErrContentType, wantErr: `unexpected content type "text/html"`,
		},
		{
			name:    "server error is retried",
			scripts: map[string]script{"/sitemap.xml": then(xmlBody(`<urlset/>`), status(503))},
			wantOK:  true,
		},
		{
			name:    "paths set on the API",
			setup:   func(s *Sitemap) { s.API.Paths = []string{"/x"} },
			wantErr: "Sitemap.API.Paths must be empty",
		},
		{
			name:    "bad URL",
			setup:   func(s *Sitemap) { s.URL = "file:///etc/passwd" },
			wantErr: "must be an http or https URL",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := sitemapServer(t)
			for p, s := range tt.scripts {
				f.scripts[p] = s
			}
			s := f.sitemap()
			if tt.setup != nil {
				tt.setup(&s)
			}
			got, err := items(t, context.Background(), s)
			if tt.wantOK {
				if err != nil || len(got) != 0 || f.hitsFor("/sitemap.xml") != 2 {
					t.Fatalf("Items() = %d items, %v after %d fetches; want none, nil after 2", len(got), err, f.hitsFor("/sitemap.xml"))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
				t.Fatalf("Items() error = %v; want %v containing %q", err, tt.wantIs, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "source: ") {
				t.Errorf("Items() error = %q; want the source: prefix", err)
			}
			if len(got) != 0 {
				t.Errorf("Items() yielded %d items before failing; want none", len(got))
			}
		})
	}
}

func TestSitemapPathsSharesRateLimit(t *testing.T) {
	f := sitemapServer(t)
	s := f.sitemap()
	s.API.Rate, s.API.Burst = rate.Every(time.Hour), 4
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	_, err := items(t, ctx, s)
	if err == nil || !strings.Contains(err.Error(), "rate limiter") {
		t.Fatalf("Items() error = %v; want the limiter to refuse after the burst", err)
	}
	// The four sitemap fetches used the whole burst; no page was fetched.
	if n := f.total.Load(); n != 4 {
		t.Errorf("server saw %d requests; want 4", n)
	}
}

func TestSitemapCorpus(t *testing.T) {
	byPath, paths := corpus(t)
	f := newFakeAPI(t, corpusScripts(byPath))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "<url><loc>https://www.gov.uk%s</loc></url>\n", p)
	}
	b.WriteString("</urlset>\n")
	f.scripts["/sitemap.xml"] = xmlBody(b.String())
	got, err := items(t, context.Background(), f.sitemap())
	if err != nil {
		t.Fatalf("Items() error = %v", err)
	}
	if len(got) != len(paths) {
		t.Fatalf("Items() yielded %d items; want %d", len(got), len(paths))
	}
	for i, it := range got {
		if it.Ref != paths[i] || it.Err != nil || !bytes.Equal(it.Body, byPath[paths[i]]) {
			t.Errorf("item %d = %s, Err %v; want %s with its corpus body", i, it.Ref, it.Err, paths[i])
		}
	}
}

func FuzzParseSitemap(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "sitemap", "*.xml"))
	for _, name := range seeds {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><urlset/>`))
	f.Add([]byte(`<urlset><url><loc>https://a/x</loc></url></urlset>`))
	f.Add([]byte(`<sitemapindex><sitemap><loc><![CDATA[x]]></loc></sitemap></sitemapindex>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxLocs = 50
		_, locs, err := parseSitemap(bytes.NewReader(data), maxLocs)
		if err != nil {
			if locs != nil {
				t.Fatalf("parseSitemap() = %q with error %v; want nil", locs, err)
			}
			return
		}
		if len(locs) > maxLocs {
			t.Fatalf("parseSitemap() returned %d locs; want at most %d", len(locs), maxLocs)
		}
		for _, l := range locs {
			if l == "" || l != strings.TrimSpace(l) || len(l) > maxLocLen || !utf8.ValidString(l) {
				t.Fatalf("parseSitemap() returned bad loc %q", l)
			}
		}
	})
}

func TestSitemapPaths(t *testing.T) {
	f := sitemapServer(t)
	got, err := f.sitemap().Paths(context.Background())
	want := []string{"/renew-adult-passport", "/council-tax-bands", "/government/publications/allowed-host", "/gone-page", "/", "/caf%C3%A9"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Paths() = %q, %v; want %q", got, err, want)
	}
	if n := f.hitsFor("/renew-adult-passport"); n != 0 {
		t.Errorf("Paths() fetched a page %d times; want only sitemaps", n)
	}
}
