package ingest

import (
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/govchat/govchat/internal/runes"
)

// This file turns untrusted HTML into a flat list of blocks: headings,
// paragraphs, list items and table rows, each with readable plain text and a
// small sanitised HTML fragment. The chunker packs blocks into chunks, so a
// block is the smallest unit it keeps whole (unless a single block is larger
// than a chunk).
//
// What is dropped: script, style, iframe, form and other interactive or
// embedded elements; h1 (it repeats the page title); footnote references and
// the footnotes list; images and their captions; hidden and aria-hidden
// elements; GOV.UK attachment thumbnails and accessibility boilerplate.
// What is kept: ids on h2-h6, hrefs with safe schemes on links, abbr titles,
// emphasis, lists and tables. Every other element is unwrapped.

type blockKind uint8

const (
	kindPara blockKind = iota
	kindItem
	kindRow
	kindHeading
)

// block is one unit of text in reading order.
type block struct {
	kind  blockKind
	level int    // heading level, 2-6
	id    string // heading id, when safe
	text  string // readable plain text
	html  string // sanitised HTML of the block on its own
	group *group // list or table the block belongs to; nil for paragraphs and headings
	num   int    // item number in an ordered list, so a split list restarts at the right number
	meta  bool   // text made up by the parser (description, dates): not evidence of body text
}

// group is a list or table whose blocks may end up in different chunks: each
// chunk's HTML reopens it, with the table's header row repeated.
type group struct {
	open, close string
	ordered     bool
}

// maxHeadingRunes caps heading text so a hostile heading cannot swamp the
// embed text prefix that every chunk of its section repeats.
const maxHeadingRunes = 200

// droppedElement reports elements removed with everything inside them.
func droppedElement(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Iframe, atom.Frame, atom.Frameset,
		atom.Form, atom.Input, atom.Button, atom.Select, atom.Textarea,
		atom.Noscript, atom.Template, atom.Object, atom.Embed, atom.Applet,
		atom.Svg, atom.Math, atom.Canvas, atom.Video, atom.Audio,
		atom.Img, atom.Picture, atom.Source, atom.Track, atom.Map,
		atom.H1, atom.Head, atom.Title, atom.Meta, atom.Link, atom.Base,
		atom.Nav, atom.Header, atom.Footer, atom.Dialog, atom.Menu:
		return true
	}
	return false
}

// droppedClass reports GOV.UK (govspeak and publisher) wrappers that carry
// no answerable text: footnotes, attachment chrome, hidden toggles.
func droppedClass(class string) bool {
	switch class {
	case "footnotes", "footnote", "reversefootnote", "js-hidden", "accessibility-warning",
		"attachment-thumb", "govuk-visually-hidden", "visually-hidden":
		return true
	}
	return false
}

// keptInline names the inline elements kept in sanitised HTML ("" for
// others, which are unwrapped).
func keptInline(a atom.Atom) string {
	switch a {
	case atom.Strong, atom.B:
		return "strong"
	case atom.Em, atom.I:
		return "em"
	case atom.Code, atom.Sub, atom.Sup, atom.Abbr:
		return a.String()
	}
	return ""
}

// parseBlocks sanitises an HTML fragment into blocks. The only error is the
// parser refusing the input (x/net/html rejects nesting deeper than 512
// elements), which keeps hostile input from exhausting the stack.
func parseBlocks(fragment string) ([]block, error) {
	if strings.TrimSpace(fragment) == "" {
		return nil, nil
	}
	// The parser passes invalid UTF-8 through; chunks must be valid text.
	fragment = strings.ToValidUTF8(fragment, "\uFFFD")
	body := &xhtml.Node{Type: xhtml.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := xhtml.ParseFragment(strings.NewReader(fragment), body)
	if err != nil {
		return nil, fmt.Errorf("ingest: parse html: %w", err)
	}
	w := &blockWriter{}
	for _, n := range nodes {
		w.node(n)
	}
	w.flush()
	return w.blocks, nil
}

// blocksFromNode is parseBlocks for an already parsed element (a page's <main> or <body>).
func blocksFromNode(n *xhtml.Node) []block {
	w := &blockWriter{}
	w.children(n)
	w.flush()
	return w.blocks
}

// Sanitise returns the sanitised HTML of an HTML fragment: only headings
// h2-h6 with their ids, paragraphs, lists, tables, links with safe hrefs and
// simple emphasis survive.
func Sanitise(fragment string) (string, error) {
	blocks, err := parseBlocks(fragment)
	if err != nil {
		return "", err
	}
	return renderHTML(blocks), nil
}

// PlainText returns the readable text of an HTML fragment: list items as
// "- item" lines, table rows as "Header: value; Header: value", entities
// decoded and whitespace collapsed. Input the parser refuses is returned as
// its text with tags removed crudely, because a description or a label is
// better degraded than lost.
func PlainText(fragment string) string {
	blocks, err := parseBlocks(fragment)
	if err != nil {
		return collapseSpace(html.UnescapeString(stripTags(fragment)))
	}
	return renderText(blocks)
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// renderText joins blocks' text: items of one list or rows of one table on
// consecutive lines, everything else separated by a blank line.
func renderText(blocks []block) string {
	var b strings.Builder
	for i, bl := range blocks {
		if i > 0 {
			if bl.group != nil && bl.group == blocks[i-1].group {
				b.WriteString("\n")
			} else {
				b.WriteString("\n\n")
			}
		}
		b.WriteString(bl.text)
	}
	return b.String()
}

// renderHTML joins blocks' HTML, reopening each list or table around its run
// of blocks.
func renderHTML(blocks []block) string {
	var b strings.Builder
	for i, bl := range blocks {
		if bl.group != nil && (i == 0 || blocks[i-1].group != bl.group) {
			if bl.group.ordered && bl.num > 1 {
				fmt.Fprintf(&b, `<ol start="%d">`, bl.num)
			} else {
				b.WriteString(bl.group.open)
			}
		}
		b.WriteString(bl.html)
		if bl.group != nil && (i == len(blocks)-1 || blocks[i+1].group != bl.group) {
			b.WriteString(bl.group.close)
		}
		if i < len(blocks)-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

type blockWriter struct {
	blocks  []block
	pending inlineWriter // inline content met directly inside a container
}

func (w *blockWriter) flush() {
	if w.pending.empty() {
		w.pending = inlineWriter{}
		return
	}
	text, h := w.pending.result()
	w.pending = inlineWriter{}
	if text != "" {
		w.blocks = append(w.blocks, block{kind: kindPara, text: text, html: "<p>" + h + "</p>"})
	}
}

func (w *blockWriter) children(n *xhtml.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
}

func (w *blockWriter) node(n *xhtml.Node) {
	switch n.Type {
	case xhtml.TextNode:
		w.pending.node(n)
		return
	case xhtml.ElementNode:
	case xhtml.DocumentNode:
		w.children(n)
		return
	default:
		return
	}
	if dropped(n) {
		return
	}
	switch n.DataAtom {
	case atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		w.flush()
		w.heading(n)
	case atom.P, atom.Pre, atom.Address, atom.Dt, atom.Dd, atom.Caption, atom.Figcaption, atom.Summary, atom.Legend:
		w.flush()
		w.para(n)
	case atom.Ul, atom.Ol:
		w.flush()
		w.list(n)
	case atom.Table:
		w.flush()
		w.table(n)
	case atom.Section, atom.Div:
		if hasClass(n, "attachment") && hasClass(n, "embedded") {
			w.flush()
			w.attachment(n)
			return
		}
		w.flush()
		w.children(n)
		w.flush()
	case atom.Figure:
		if hasClass(n, "image") {
			return
		}
		w.flush()
		w.children(n)
		w.flush()
	case atom.Br:
		w.pending.node(n)
	default:
		if isBlockContainer(n.DataAtom) {
			w.flush()
			w.children(n)
			w.flush()
			return
		}
		w.pending.node(n)
	}
}

// heading writes an h2 to h6 (not an attachment's title) as a heading block.
func (w *blockWriter) heading(n *xhtml.Node) {
	if hasClass(n, "title") && insideAttachment(n) {
		return
	}
	var iw inlineWriter
	iw.children(n)
	text, h := iw.result()
	text = shorten(strings.ReplaceAll(text, "\n", " "), maxHeadingRunes)
	if text == "" {
		return
	}
	level := int(n.Data[1] - '0')
	id := safeID(attr(n, "id"))
	idAttr := ""
	if id != "" {
		idAttr = ` id="` + html.EscapeString(id) + `"`
	}
	w.blocks = append(w.blocks, block{kind: kindHeading, level: level, id: id, text: text,
		html: fmt.Sprintf("<h%d%s>%s</h%d>", level, idAttr, h, level)})
}

// para writes a paragraph-like element (pre keeps its spacing) as a block.
func (w *blockWriter) para(n *xhtml.Node) {
	iw := inlineWriter{pre: n.DataAtom == atom.Pre}
	iw.children(n)
	text, h := iw.result()
	if text == "" {
		return
	}
	tag := "p"
	if n.DataAtom == atom.Pre {
		tag = "pre"
	}
	w.blocks = append(w.blocks, block{kind: kindPara, text: text, html: "<" + tag + ">" + h + "</" + tag + ">"})
}

func isBlockContainer(a atom.Atom) bool {
	switch a {
	case atom.Article, atom.Aside, atom.Main, atom.Body, atom.Html, atom.Blockquote, atom.Details,
		atom.Dl, atom.Fieldset, atom.Center, atom.Hgroup, atom.Li, atom.Tr, atom.Td, atom.Th,
		atom.Tbody, atom.Thead, atom.Tfoot, atom.Hr:
		return true
	}
	return false
}

// list emits one block per item. Nested lists stay inside their item.
func (w *blockWriter) list(n *xhtml.Node) {
	ordered := n.DataAtom == atom.Ol
	g := &group{open: "<ul>", close: "</ul>", ordered: ordered}
	num := 1
	if ordered {
		g.open, g.close = "<ol>", "</ol>"
		if s, err := strconv.Atoi(attr(n, "start")); err == nil && s > 0 && s < 1e6 {
			num = s
		}
	}
	item := func(iw *inlineWriter) {
		text, h := iw.result()
		if text == "" {
			return
		}
		marker := "- "
		if ordered {
			marker = strconv.Itoa(num) + ". "
		}
		w.blocks = append(w.blocks, block{kind: kindItem, text: marker + indentContinuation(text), html: "<li>" + h + "</li>", group: g, num: num})
		num++
	}
	var stray inlineWriter // text between items, as broken HTML has it
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xhtml.ElementNode && c.DataAtom == atom.Li {
			item(&stray)
			stray = inlineWriter{}
			if dropped(c) {
				continue
			}
			var iw inlineWriter
			iw.children(c)
			item(&iw)
			continue
		}
		stray.node(c)
	}
	item(&stray)
}

// indentContinuation indents every line after the first by two spaces, so a
// multi-line item reads as one item under its "- " marker.
func indentContinuation(s string) string {
	return strings.ReplaceAll(s, "\n", "\n  ")
}

type cell struct {
	text, html string
	header     bool
}

// table emits one block per body row, as "Header: value; Header: value" when
// the table has a header row, else "value; value".
func (w *blockWriter) table(n *xhtml.Node) {
	var t tableRows
	w.walkTable(n, false, &t)
	rows := t.rows
	if len(rows) == 0 {
		return
	}
	var header []cell
	switch {
	case t.head > 0:
		header, rows = rows[t.head-1], rows[t.head:]
	case len(rows) > 1 && allHeaders(rows[0]):
		header, rows = rows[0], rows[1:]
	}
	g := &group{open: "<table><tbody>", close: "</tbody></table>"}
	if header != nil {
		var hb strings.Builder
		hb.WriteString("<table><thead><tr>")
		for _, c := range header {
			hb.WriteString("<th>" + c.html + "</th>")
		}
		hb.WriteString("</tr></thead><tbody>")
		g.open = hb.String()
		if len(rows) == 0 {
			rows = [][]cell{header}
			header = nil
		}
	}
	for _, row := range rows {
		if b, ok := rowBlock(row, header); ok {
			b.group = g
			w.blocks = append(w.blocks, b)
		}
	}
}

// tableRows are a table's rows in order; head counts those from <thead>.
type tableRows struct {
	rows [][]cell
	head int
}

// walkTable collects the rows under n into t; a caption becomes a paragraph.
func (w *blockWriter) walkTable(n *xhtml.Node, inHead bool, t *tableRows) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != xhtml.ElementNode || dropped(c) {
			continue
		}
		switch c.DataAtom {
		case atom.Caption:
			iw := inlineWriter{}
			iw.children(c)
			if text, h := iw.result(); text != "" {
				w.blocks = append(w.blocks, block{kind: kindPara, text: oneLine(text), html: "<p>" + h + "</p>"})
			}
		case atom.Thead:
			w.walkTable(c, true, t)
		case atom.Tbody, atom.Tfoot:
			w.walkTable(c, false, t)
		case atom.Tr:
			row := tableRow(c)
			if len(row) == 0 {
				continue
			}
			if inHead && t.head == len(t.rows) {
				t.head++
			}
			t.rows = append(t.rows, row)
		}
	}
}

// tableRow is the cells of a tr.
func tableRow(tr *xhtml.Node) []cell {
	var row []cell
	for d := tr.FirstChild; d != nil; d = d.NextSibling {
		if d.Type != xhtml.ElementNode || (d.DataAtom != atom.Td && d.DataAtom != atom.Th) || dropped(d) {
			continue
		}
		iw := inlineWriter{}
		iw.children(d)
		text, h := iw.result()
		row = append(row, cell{text: oneLine(text), html: h, header: d.DataAtom == atom.Th})
	}
	return row
}

// rowBlock is a table row as a block whose text names each cell's column
// header; false when the row has no text.
func rowBlock(row, header []cell) (block, bool) {
	var parts []string
	var hb strings.Builder
	hb.WriteString("<tr>")
	for i, c := range row {
		tag := "td"
		if c.header {
			tag = "th"
		}
		hb.WriteString("<" + tag + ">" + c.html + "</" + tag + ">")
		if c.text == "" {
			continue
		}
		if i < len(header) && header[i].text != "" && header[i].text != c.text {
			parts = append(parts, header[i].text+": "+c.text)
		} else {
			parts = append(parts, c.text)
		}
	}
	hb.WriteString("</tr>")
	if len(parts) == 0 {
		return block{}, false
	}
	return block{kind: kindRow, text: strings.Join(parts, "; "), html: hb.String()}, true
}

func allHeaders(row []cell) bool {
	for _, c := range row {
		if !c.header {
			return false
		}
	}
	return true
}

func oneLine(s string) string { return collapseSpace(s) }

// attachment renders a GOV.UK embedded attachment as one line: its linked
// title and metadata (format, size, pages). The thumbnail and the
// accessibility request boilerplate are dropped.
func (w *blockWriter) attachment(n *xhtml.Node) {
	var title, meta *xhtml.Node
	var find func(n *xhtml.Node)
	find = func(n *xhtml.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != xhtml.ElementNode || dropped(c) {
				continue
			}
			switch {
			case title == nil && hasClass(c, "title"):
				title = c
			case meta == nil && hasClass(c, "metadata"):
				meta = c
			default:
				find(c)
			}
		}
	}
	find(n)
	if title == nil {
		return
	}
	var iw inlineWriter
	iw.children(title)
	text, h := iw.result()
	if text == "" {
		return
	}
	text, h = "Attachment: "+oneLine(text), "Attachment: "+h
	if meta != nil {
		var mw inlineWriter
		mw.children(meta)
		if _, mh := mw.result(); mh != "" {
			if mt := oneLine(metaText(meta)); mt != "" {
				text += " (" + mt + ")"
				h += " (" + mh + ")"
			}
		}
	}
	w.blocks = append(w.blocks, block{kind: kindPara, text: text, html: "<p>" + h + "</p>"})
}

// metaText is the plain text of an attachment's metadata. GOV.UK lays its
// parts out as adjacent spans that only CSS keeps apart ("Ref: DVSA/MOT/01",
// "View online", "Download CSV" and "1.74KB"): adjacent parts are joined
// with ", ", and words on either side of a tag inside a part with a space.
func metaText(meta *xhtml.Node) string {
	var b strings.Builder
	prevElem := false
	for c := meta.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == xhtml.TextNode:
			if strings.TrimSpace(c.Data) != "" {
				prevElem = false
			}
			b.WriteString(spaceRun(c.Data))
		case c.Type == xhtml.ElementNode && !dropped(c):
			var part strings.Builder
			spacedText(c, &part)
			if strings.TrimSpace(part.String()) == "" {
				continue
			}
			if prevElem {
				kept := strings.TrimRight(b.String(), " ")
				b.Reset()
				b.WriteString(kept + ", ")
			}
			b.WriteString(part.String())
			prevElem = true
		}
	}
	return b.String()
}

// spacedText appends n's text, with a space where a tag boundary falls
// between two letters or digits.
func spacedText(n *xhtml.Node, b *strings.Builder) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == xhtml.TextNode:
			t := spaceRun(c.Data)
			if b.Len() > 0 && t != "" {
				last, _ := utf8.DecodeLastRuneInString(b.String())
				first, _ := utf8.DecodeRuneInString(t)
				if alnum(last) && alnum(first) {
					b.WriteByte(' ')
				}
			}
			b.WriteString(t)
		case c.Type == xhtml.ElementNode && !dropped(c):
			spacedText(c, b)
		}
	}
}

func alnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func insideAttachment(n *xhtml.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if hasClass(p, "attachment") {
			return true
		}
	}
	return false
}

// inlineWriter renders inline content to plain text and sanitised HTML.
// Block elements met inside (paragraphs in a list item, a nested list) become
// line breaks in the text and stay as elements in the HTML.
type inlineWriter struct {
	text  strings.Builder
	html  strings.Builder
	pre   bool
	depth int // list nesting inside the item, for indentation
}

func (iw *inlineWriter) empty() bool {
	return strings.TrimSpace(iw.text.String()) == ""
}

func (iw *inlineWriter) children(n *xhtml.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		iw.node(c)
	}
}

// lineBreak starts a new text line, indented by '\t' markers that cleanText
// turns into spaces (raw text never contains tabs: they are collapsed first).
func (iw *inlineWriter) lineBreak() {
	iw.text.WriteString("\n" + strings.Repeat("\t", iw.depth))
}

func (iw *inlineWriter) node(n *xhtml.Node) {
	switch n.Type {
	case xhtml.TextNode:
		s := n.Data
		if !iw.pre {
			s = spaceRun(s)
		} else {
			s = strings.ReplaceAll(s, "\t", "    ")
		}
		iw.text.WriteString(s)
		iw.html.WriteString(html.EscapeString(s))
		return
	case xhtml.ElementNode:
	default:
		return
	}
	if dropped(n) {
		return
	}
	switch a := n.DataAtom; {
	case a == atom.Br:
		iw.lineBreak()
		iw.html.WriteString("<br>")
	case a == atom.A:
		href := safeHref(attr(n, "href"))
		if href == "" {
			iw.children(n)
			return
		}
		iw.html.WriteString(`<a href="` + html.EscapeString(href) + `">`)
		iw.children(n)
		iw.html.WriteString("</a>")
	case a == atom.Abbr:
		if t := collapseSpace(attr(n, "title")); t != "" {
			iw.html.WriteString(`<abbr title="` + html.EscapeString(t) + `">`)
		} else {
			iw.html.WriteString("<abbr>")
		}
		iw.children(n)
		iw.html.WriteString("</abbr>")
	case keptInline(a) != "":
		tag := keptInline(a)
		iw.html.WriteString("<" + tag + ">")
		iw.children(n)
		iw.html.WriteString("</" + tag + ">")
	case a == atom.Ul || a == atom.Ol:
		iw.list(n, a)
	case a == atom.P || a == atom.Div || a == atom.Pre || a == atom.Blockquote || a == atom.Section ||
		a == atom.H2 || a == atom.H3 || a == atom.H4 || a == atom.H5 || a == atom.H6 ||
		a == atom.Dt || a == atom.Dd || a == atom.Address || a == atom.Tr || a == atom.Table || a == atom.Figure || a == atom.Figcaption:
		iw.block(n, a)
	case a == atom.Td || a == atom.Th:
		iw.children(n)
		iw.text.WriteString("; ")
		iw.html.WriteString(" ")
	default:
		iw.children(n)
	}
}

// list writes a ul or ol, numbering the items of an ol in the text.
func (iw *inlineWriter) list(n *xhtml.Node, a atom.Atom) {
	tag := "ul"
	if a == atom.Ol {
		tag = "ol"
	}
	iw.html.WriteString("<" + tag + ">")
	iw.depth++
	num := 1
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xhtml.ElementNode && c.DataAtom == atom.Li && !dropped(c) {
			iw.lineBreak()
			if a == atom.Ol {
				iw.text.WriteString(strconv.Itoa(num) + ". ")
			} else {
				iw.text.WriteString("- ")
			}
			num++
			iw.html.WriteString("<li>")
			iw.children(c)
			iw.html.WriteString("</li>")
			continue
		}
		iw.node(c)
	}
	iw.depth--
	iw.html.WriteString("</" + tag + ">")
	iw.lineBreak()
}

// block writes a block element met inside inline content on lines of its
// own; headings become strong.
func (iw *inlineWriter) block(n *xhtml.Node, a atom.Atom) {
	iw.lineBreak()
	tag := ""
	switch a {
	case atom.P, atom.Pre, atom.Blockquote:
		tag = a.String()
	case atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		tag = "strong"
	}
	if tag != "" {
		iw.html.WriteString("<" + tag + ">")
	}
	iw.children(n)
	if tag != "" {
		iw.html.WriteString("</" + tag + ">")
	} else {
		iw.html.WriteString(" ")
	}
	iw.lineBreak()
}

// result returns the cleaned text and HTML.
func (iw *inlineWriter) result() (string, string) {
	text := cleanText(iw.text.String(), iw.pre)
	if text == "" {
		return "", ""
	}
	h := iw.html.String()
	if !iw.pre {
		h = strings.TrimSpace(spaceRun(h))
	}
	return text, h
}

// spaceRun collapses runs of HTML whitespace to one space.
func spaceRun(s string) string {
	if !strings.ContainsAny(s, " \t\n\r\f") {
		return s
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

// cleanText trims and collapses every line, drops empty lines and turns
// leading '\t' indent markers into two spaces each.
func cleanText(s string, pre bool) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if pre {
			if l = strings.TrimRight(l, " \t\r"); strings.TrimSpace(l) != "" {
				out = append(out, l)
			}
			continue
		}
		indent := 0
		for indent < len(l) && l[indent] == '\t' {
			indent++
		}
		rest := strings.TrimSpace(strings.Trim(strings.Join(strings.Fields(l[indent:]), " "), ";"))
		if rest == "" {
			continue
		}
		out = append(out, strings.Repeat("  ", indent)+rest)
	}
	return strings.Join(out, "\n")
}

func attr(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *xhtml.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

func dropped(n *xhtml.Node) bool {
	if droppedElement(n.DataAtom) {
		return true
	}
	if attr(n, "aria-hidden") == "true" {
		return true
	}
	for _, a := range n.Attr {
		if a.Key == "hidden" {
			return true
		}
	}
	for _, c := range strings.Fields(attr(n, "class")) {
		if droppedClass(c) {
			return true
		}
	}
	// A <sup> wrapping a footnote link is a footnote reference.
	if n.DataAtom == atom.Sup {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == xhtml.ElementNode && c.DataAtom == atom.A && (hasClass(c, "footnote") || strings.HasPrefix(attr(c, "href"), "#fn")) {
				return true
			}
		}
	}
	return false
}

// safeHref returns href if it is a path, a fragment or an http(s), mailto or
// tel URL, else "". Browsers ignore tabs and newlines inside URLs and leading
// control characters, so those are removed before the scheme is judged
// ("java\tscript:" is javascript:).
func safeHref(href string) string {
	href = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, href)
	href = strings.TrimLeft(href, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	href = strings.TrimSpace(href)
	if href == "" || len(href) > 2048 {
		return ""
	}
	u, err := url.Parse(href)
	if err != nil {
		return ""
	}
	switch u.Scheme {
	case "http", "https", "mailto", "tel":
		return href
	case "":
		if strings.Contains(strings.SplitN(href, "/", 2)[0], ":") {
			return ""
		}
		return href
	}
	return ""
}

// safeID keeps heading ids that are safe in a URL fragment and an attribute.
func safeID(id string) string {
	if id == "" || len(id) > 200 {
		return ""
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':') {
			return ""
		}
	}
	return id
}

// shorten cuts s to at most n runes, marking a cut with an ellipsis.
func shorten(s string, n int) string {
	if t := runes.Truncate(s, n); len(t) < len(s) {
		return strings.TrimSpace(t) + "…"
	}
	return s
}
