package source

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Defaults for Sitemap fields left zero.
const (
	DefaultMaxURLs         = 50_000
	DefaultMaxSitemapDepth = 2
	DefaultMaxSitemaps     = 1000
	DefaultMaxSitemapBytes = 50 << 20 // the sitemaps.org limit for one file
)

// maxLocLen is the longest <loc> read; sitemaps.org allows 2048 characters.
const maxLocLen = 4096

// maxXMLDepth is the deepest element nesting accepted; sitemaps need 3.
const maxXMLDepth = 16

// Sitemap fetches a sitemap (or a sitemap index and the sitemaps it lists),
// turns each listed page URL into a base path, and fetches those paths from
// the Content API, in the order the sitemap lists them.
//
// Only URLs on the sitemap's own host or in AllowHosts are used, for pages
// and nested sitemaps alike. Any failure to read a sitemap ends the run: a
// partial list of pages must never look like a complete one.
type Sitemap struct {
	URL        string   // the sitemap or sitemap index
	AllowHosts []string // other hosts whose URLs are accepted, e.g. "www.gov.uk"
	MaxURLs    int      // most base paths accepted in all; default DefaultMaxURLs
	// MaxDepth is how many levels of sitemap index may sit above the
	// sitemaps that list pages; default DefaultMaxSitemapDepth.
	MaxDepth    int
	MaxSitemaps int   // most sitemap files fetched; default DefaultMaxSitemaps
	MaxBytes    int64 // largest sitemap body; default DefaultMaxSitemapBytes
	// OnSkip, when set, hears of every URL left out and why.
	OnSkip func(loc, reason string)
	// API fetches the sitemaps and the pages: its client, rate limit,
	// retries, user agent and logger apply to both. Its Paths must be empty.
	API ContentAPI
}

// Paths returns the base paths the sitemap lists, deduplicated in order.
func (s Sitemap) Paths(ctx context.Context) ([]string, error) {
	return s.paths(ctx, s.API.fetcher())
}

// Items fetches the sitemap and then every page it lists, calling yield as
// ContentAPI.Items does.
func (s Sitemap) Items(ctx context.Context, yield func(Item) error) error {
	if len(s.API.Paths) > 0 {
		return errors.New("source: Sitemap.API.Paths must be empty; the sitemap supplies the paths")
	}
	f := s.API.fetcher()
	paths, err := s.paths(ctx, f)
	if err != nil {
		return err
	}
	return s.API.items(ctx, f, paths, yield)
}

// sitemapWalk is the state of one Sitemap.paths call.
type sitemapWalk struct {
	s        Sitemap
	f        *fetcher
	hosts    []string
	maxURLs  int
	maxDepth int
	maxMaps  int
	maxBytes int64
	fetched  int
	seenMaps map[string]bool
	seen     map[string]bool
	paths    []string
}

func (s Sitemap) paths(ctx context.Context, f *fetcher) ([]string, error) {
	root, err := url.Parse(s.URL)
	if err != nil {
		return nil, fmt.Errorf("source: sitemap URL: %w", err)
	}
	if (root.Scheme != "http" && root.Scheme != "https") || root.Host == "" {
		return nil, fmt.Errorf("source: sitemap URL %q must be an http or https URL with a host", s.URL)
	}
	w := &sitemapWalk{
		s:        s,
		f:        f,
		hosts:    append([]string{root.Host}, s.AllowHosts...),
		maxURLs:  positive(s.MaxURLs, DefaultMaxURLs),
		maxDepth: positive(s.MaxDepth, DefaultMaxSitemapDepth),
		maxMaps:  positive(s.MaxSitemaps, DefaultMaxSitemaps),
		maxBytes: positive(s.MaxBytes, DefaultMaxSitemapBytes),
		seenMaps: map[string]bool{s.URL: true},
		seen:     make(map[string]bool),
	}
	if err := w.walk(ctx, s.URL, 0); err != nil {
		return nil, err
	}
	return w.paths, nil
}

func (w *sitemapWalk) skip(loc, reason string) {
	w.f.log.Debug("source: skipping sitemap URL", "loc", loc, "reason", reason)
	if w.s.OnSkip != nil {
		w.s.OnSkip(loc, reason)
	}
}

// walk reads the sitemap at u, depth levels of index below the root.
func (w *sitemapWalk) walk(ctx context.Context, u string, depth int) error {
	w.fetched++
	if w.fetched > w.maxMaps {
		return fmt.Errorf("source: sitemap %s: more than %d sitemaps: %w", u, w.maxMaps, ErrTooManyURLs)
	}
	r, err := w.f.get(ctx, u, "application/xml, text/xml", isXML, w.maxBytes)
	if err != nil {
		return err
	}
	if r.err != nil {
		return fmt.Errorf("source: sitemap: %w", r.err)
	}
	if r.status != http.StatusOK {
		return fmt.Errorf("source: sitemap %s: %w %d", u, ErrStatus, r.status)
	}
	// One file may list up to the sitemaps.org limit however many of its
	// URLs are then filtered out; maxURLs bounds the paths kept.
	index, locs, err := parseSitemap(bytes.NewReader(r.body), max(w.maxURLs, DefaultMaxURLs))
	if err != nil {
		return fmt.Errorf("source: sitemap %s: %w", u, err)
	}
	if !index {
		for _, loc := range locs {
			p, reason := w.basePath(loc)
			if reason != "" {
				w.skip(loc, reason)
				continue
			}
			if w.seen[p] {
				continue
			}
			if len(w.paths) == w.maxURLs {
				return fmt.Errorf("source: sitemap %s: more than %d URLs: %w", u, w.maxURLs, ErrTooManyURLs)
			}
			w.seen[p] = true
			w.paths = append(w.paths, p)
		}
		return nil
	}
	if depth >= w.maxDepth {
		return fmt.Errorf("source: sitemap %s: sitemap indexes nested more than %d deep", u, w.maxDepth)
	}
	for _, loc := range locs {
		if _, reason := w.allowed(loc); reason != "" {
			w.skip(loc, reason)
			continue
		}
		if w.seenMaps[loc] {
			continue
		}
		w.seenMaps[loc] = true
		if err := w.walk(ctx, loc, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// allowed parses loc and checks it is an http(s) URL on an allowed host; the
// reason is "" when it is.
func (w *sitemapWalk) allowed(loc string) (*url.URL, string) {
	u, err := url.Parse(loc)
	if err != nil {
		return nil, "not a URL"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, "not an absolute http or https URL"
	}
	for _, h := range w.hosts {
		if strings.EqualFold(u.Host, h) || strings.EqualFold(u.Hostname(), h) {
			return u, ""
		}
	}
	return nil, "host " + u.Host + " is not allowed"
}

// basePath turns a page URL into its base path; the reason is "" when it can.
func (w *sitemapWalk) basePath(loc string) (string, string) {
	u, reason := w.allowed(loc)
	if reason != "" {
		return "", reason
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", "URL has a query or fragment"
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if err := checkPath(p); err != nil {
		return "", err.Error()
	}
	return p, ""
}

// parseSitemap reads a sitemap or sitemap index and returns its <loc>
// values, reporting which kind it was. It refuses DTDs, elements nested
// deeper than any sitemap needs, over-long locations and more than maxLocs
// of them. The caller limits the bytes read.
func parseSitemap(r io.Reader, maxLocs int) (index bool, locs []string, err error) {
	d := xml.NewDecoder(r)
	p := &sitemapParser{maxLocs: maxLocs}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, nil, fmt.Errorf("malformed XML: %w", err)
		}
		if err := p.token(tok); err != nil {
			return false, nil, err
		}
	}
	if p.root == "" {
		return false, nil, errors.New("malformed sitemap: no root element")
	}
	return p.root == "sitemapindex", p.locs, nil
}

// sitemapParser is parseSitemap's state: the open elements, and the <loc>
// being read.
type sitemapParser struct {
	maxLocs int
	stack   []string
	root    string
	loc     []byte
	inLoc   bool
	locs    []string
}

func (p *sitemapParser) token(tok xml.Token) error {
	switch t := tok.(type) {
	case xml.StartElement:
		return p.start(t.Name.Local)
	case xml.CharData:
		if p.inLoc {
			if len(p.loc)+len(t) > maxLocLen {
				return fmt.Errorf("malformed sitemap: <loc> longer than %d bytes", maxLocLen)
			}
			p.loc = append(p.loc, t...)
		}
	case xml.EndElement:
		return p.end()
	case xml.Directive:
		return errors.New("malformed sitemap: DTDs and other directives are not allowed")
	}
	return nil
}

// start opens an element: the root must be a sitemap's, and a <loc> counts
// only directly inside an entry (<url>, or <sitemap> in an index).
func (p *sitemapParser) start(name string) error {
	if len(p.stack) == maxXMLDepth {
		return fmt.Errorf("malformed sitemap: elements nested more than %d deep", maxXMLDepth)
	}
	switch len(p.stack) {
	case 0:
		if name != "urlset" && name != "sitemapindex" {
			return fmt.Errorf("malformed sitemap: root element is <%s>, not <urlset> or <sitemapindex>", name)
		}
		p.root = name
	case 2:
		entry := "url"
		if p.root == "sitemapindex" {
			entry = "sitemap"
		}
		if name == "loc" && p.stack[1] == entry {
			p.inLoc, p.loc = true, p.loc[:0]
		}
	}
	p.stack = append(p.stack, name)
	return nil
}

// end closes an element, keeping the location a <loc> held.
func (p *sitemapParser) end() error {
	if p.inLoc && len(p.stack) == 3 {
		p.inLoc = false
		if s := strings.TrimSpace(string(p.loc)); s != "" {
			if len(p.locs) == p.maxLocs {
				return fmt.Errorf("more than %d locations: %w", p.maxLocs, ErrTooManyURLs)
			}
			p.locs = append(p.locs, s)
		}
	}
	p.stack = p.stack[:len(p.stack)-1]
	return nil
}
