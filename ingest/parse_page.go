package ingest

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/govchat/govchat"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Schema and document type given to pages that are not GOV.UK content items.
const (
	PageSchema       = "page"
	PageDocumentType = "page"
)

// ParsePage parses a web page of a service that is not on GOV.UK, from an
// .html/.htm file or a Markdown (.md/.markdown) file. name is the file's
// name relative to the site root: its extension picks the format and, when
// the page names no URL, it is the path ("help/faq.md" is "/help/faq").
//
// HTML: the title comes from <title> (else the first <h1>), the path from
// <link rel="canonical">, the locale from <html lang>, the description from
// <meta name="description">, the text from <main> (else <body>); nav, header
// and footer are left out.
//
// Markdown: optional front matter between "---" lines with "key: value"
// pairs (title, url or path, locale or lang, description); else the title is
// the first "# " heading. The Markdown is rendered to HTML (raw HTML in it is
// dropped) and chunked like any page, "##" headings opening sections.
//
// The locale is "en" unless the page says otherwise; the content ID is the
// hex SHA-256 of the path, so it is stable across runs.
func ParsePage(data []byte, name string, opts ParseOptions) (govchat.Document, Skip, error) {
	if len(data) > opts.maxBytes() {
		return govchat.Document{}, Skip{}, fmt.Errorf("%w: %s: %d bytes, limit %d", ErrTooLarge, name, len(data), opts.maxBytes())
	}
	data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
	// The name becomes the page path and title when the page has none.
	name = strings.ToValidUTF8(name, "\uFFFD")
	var doc govchat.Document
	var blocks []block
	var err error
	switch ext := strings.ToLower(path.Ext(name)); ext {
	case ".html", ".htm":
		doc, blocks, err = parseHTMLPage(data)
	case ".md", ".markdown":
		doc, blocks, err = parseMarkdownPage(data)
	default:
		return govchat.Document{}, Skip{}, fmt.Errorf("%w: %s: not an .html, .htm or .md file", ErrMalformed, name)
	}
	if err != nil {
		return govchat.Document{}, Skip{}, fmt.Errorf("%w: %s: %w", ErrMalformed, name, err)
	}
	if doc.BasePath == "" {
		doc.BasePath = pathFromName(name)
	}
	if doc.Title == "" {
		doc.Title = strings.TrimSuffix(path.Base(doc.BasePath), path.Ext(doc.BasePath))
	}
	doc.Locale = cmp.Or(normaliseLocale(doc.Locale), "en")
	sum := sha256.Sum256([]byte(doc.BasePath))
	doc.ContentID = hex.EncodeToString(sum[:])
	doc.SchemaName, doc.DocumentType = PageSchema, PageDocumentType
	doc.Origin = name
	if opts.Locales != nil && !slices.Contains(opts.Locales, doc.Locale) {
		return doc, Skip{Unindexable, ReasonLocalePrefix + doc.Locale}, nil
	}
	lead := source{path: doc.BasePath, blocks: append(descBlocks(doc.Description), blocks...)}
	return withChunks(doc, []source{lead}, opts, name)
}

// normaliseLocale keeps the primary language subtag, lower-cased: "en-GB" is "en".
func normaliseLocale(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	for _, r := range l {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	return l
}

// pathFromName derives a page path from a file name: "guides/apply.html" is
// "/guides/apply" and "guides/index.md" is "/guides".
func pathFromName(name string) string {
	p := strings.ReplaceAll(name, "\\", "/")
	p = strings.TrimSuffix(p, path.Ext(p))
	if path.Base(p) == "index" {
		p = path.Dir(p)
	}
	p = path.Clean("/" + strings.TrimPrefix(p, "./"))
	return p
}

// pathFromURL returns the path of a canonical URL or a path, "" if it has none.
func pathFromURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	if u.Path == "" {
		if u.Host != "" {
			return "/"
		}
		return ""
	}
	return path.Clean("/" + u.Path)
}

func parseHTMLPage(data []byte) (govchat.Document, []block, error) {
	root, err := xhtml.Parse(bytes.NewReader(data))
	if err != nil {
		return govchat.Document{}, nil, fmt.Errorf("parse html: %w", err)
	}
	var p pageParts
	// Iterative walk: the parser already caps nesting, but a loop costs nothing.
	stack := []*xhtml.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Type == xhtml.ElementNode {
			p.visit(n)
		}
		for c := n.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, c)
		}
	}
	doc := p.doc
	if p.title != nil {
		doc.Title = collapseSpace(textContent(p.title))
	}
	if doc.Title == "" && p.h1 != nil {
		doc.Title = collapseSpace(textContent(p.h1))
	}
	content := cmp.Or(p.main, p.body)
	if content == nil {
		return doc, nil, nil
	}
	return doc, blocksFromNode(content), nil
}

// pageParts is what parseHTMLPage finds in a page's tree: the metadata of
// <html>, the canonical <link> and the description <meta>, and the first
// <title>, <h1> and <main> and the last <body>.
type pageParts struct {
	doc                   govchat.Document
	title, h1, main, body *xhtml.Node
}

func (p *pageParts) visit(n *xhtml.Node) {
	switch n.DataAtom {
	case atom.Html:
		if p.doc.Locale == "" {
			p.doc.Locale = attr(n, "lang")
		}
	case atom.Title:
		p.title = cmp.Or(p.title, n)
	case atom.H1:
		p.h1 = cmp.Or(p.h1, n)
	case atom.Main:
		p.main = cmp.Or(p.main, n)
	case atom.Body:
		p.body = n
	case atom.Link:
		if strings.EqualFold(attr(n, "rel"), "canonical") && p.doc.BasePath == "" {
			p.doc.BasePath = pathFromURL(attr(n, "href"))
		}
	case atom.Meta:
		if strings.EqualFold(attr(n, "name"), "description") && p.doc.Description == "" {
			p.doc.Description = collapseSpace(attr(n, "content"))
		}
	}
}

func textContent(n *xhtml.Node) string {
	var b strings.Builder
	stack := []*xhtml.Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, c)
		}
	}
	return b.String()
}

func parseMarkdownPage(data []byte) (govchat.Document, []block, error) {
	var doc govchat.Document
	front, body := frontMatter(data)
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := front[k]; v != "" {
				return v
			}
		}
		return ""
	}
	doc.Title = collapseSpace(first("title"))
	doc.BasePath = pathFromURL(first("url", "path", "permalink"))
	doc.Locale = first("locale", "lang", "language")
	doc.Description = collapseSpace(first("description", "summary"))
	md := goldmark.New(
		goldmark.WithExtensions(extension.Table),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)
	var out bytes.Buffer
	if err := md.Convert(body, &out); err != nil {
		return doc, nil, fmt.Errorf("render markdown: %w", err)
	}
	rendered := out.String()
	if doc.Title == "" {
		doc.Title = firstH1(rendered)
	}
	blocks, err := parseBlocks(rendered)
	if err != nil {
		return doc, nil, err
	}
	return doc, blocks, nil
}

// firstH1 returns the text of the first <h1> of rendered HTML.
func firstH1(s string) string {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	in := false
	var b strings.Builder
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return collapseSpace(b.String())
		case xhtml.StartTagToken:
			if name, _ := z.TagName(); string(name) == "h1" {
				in = true
			}
		case xhtml.EndTagToken:
			if name, _ := z.TagName(); string(name) == "h1" && in {
				return collapseSpace(b.String())
			}
		case xhtml.TextToken:
			if in {
				b.Write(z.Text())
			}
		}
	}
}

// frontMatter splits "---\nkey: value\n---\n" from the start of a Markdown
// file. Values may be quoted; lines that are not "key: value" are ignored,
// so YAML beyond flat strings is not understood (and not needed).
func frontMatter(data []byte) (map[string]string, []byte) {
	s := strings.TrimPrefix(string(data), "\ufeff")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if !strings.HasPrefix(s, "---\n") {
		return nil, []byte(s)
	}
	rest := s[4:]
	end := strings.Index(rest, "\n---")
	if end < 0 {
		return nil, []byte(s)
	}
	header, body := rest[:end], rest[end+4:]
	if i := strings.IndexByte(body, '\n'); i >= 0 {
		body = body[i+1:]
	} else {
		body = ""
	}
	front := map[string]string{}
	for _, line := range strings.Split(header, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, " ") {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		if _, seen := front[k]; !seen {
			front[k] = v
		}
	}
	return front, []byte(body)
}
