package web

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/govchat/govchat/chat"
)

// govukHost is where every source path lives.
const govukHost = "https://www.gov.uk"

// The answer text is a small subset of markdown: paragraphs separated by
// blank lines, "- " (or "* ") bullet lists, "1. " numbered lists, **bold**
// and [n] citations. app.js renders the same subset in the browser; both
// build structure from text and never pass server text through as markup.

// block is a paragraph or a list.
type block struct {
	List    bool
	Ordered bool
	Items   [][]inline // one per list item; a paragraph has exactly one
}

// inline is a run of text, bold text, a citation or a GOV.UK link.
type inline struct {
	Text string
	Bold bool
	Href string // set for citations and links
	Cite int    // the n of [n]; 0 when not a citation
	Hint string // visually hidden text after a citation: the source's title
}

var (
	bulletRe  = regexp.MustCompile(`^\s*[-*•]\s+`)
	numberRe  = regexp.MustCompile(`^\s*\d{1,2}[.)]\s+`)
	headingRe = regexp.MustCompile(`^\s*#{1,6}\s+`)
	inlineRe  = regexp.MustCompile(`\*\*(.+?)\*\*|\[(\d{1,2})\]|(https://www\.gov\.uk/[^\s<>"')\]]*)`)
)

// renderAnswer splits answer text into blocks, linking citations to the
// sources they name.
func renderAnswer(text string, sources []chat.Source) []block {
	byIndex := make(map[int]chat.Source, len(sources))
	for _, s := range sources {
		byIndex[s.Index] = s
	}
	var (
		blocks []block
		para   []string
		cur    *block
	)
	flushPara := func() {
		if len(para) > 0 {
			blocks = append(blocks, block{Items: [][]inline{inlines(strings.Join(para, " "), byIndex)}})
			para = nil
		}
	}
	flushList := func() {
		if cur != nil {
			blocks = append(blocks, *cur)
			cur = nil
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		ordered := numberRe.MatchString(line)
		switch {
		case trimmed == "":
			flushPara()
			flushList()
		case bulletRe.MatchString(line) || ordered:
			flushPara()
			if cur == nil || cur.Ordered != ordered {
				flushList()
				cur = &block{List: true, Ordered: ordered}
			}
			item := bulletRe.ReplaceAllString(line, "")
			if ordered {
				item = numberRe.ReplaceAllString(line, "")
			}
			cur.Items = append(cur.Items, inlines(strings.TrimSpace(item), byIndex))
		default:
			flushList()
			para = append(para, headingRe.ReplaceAllString(trimmed, ""))
		}
	}
	flushPara()
	flushList()
	return blocks
}

// inlines splits one paragraph or list item into runs.
func inlines(s string, sources map[int]chat.Source) []inline {
	var out []inline
	text := func(t string) {
		if t != "" {
			out = append(out, inline{Text: t})
		}
	}
	last := 0
	for _, m := range inlineRe.FindAllStringSubmatchIndex(s, -1) {
		text(s[last:m[0]])
		last = m[1]
		switch {
		case m[2] >= 0:
			out = append(out, inline{Text: s[m[2]:m[3]], Bold: true})
		case m[4] >= 0:
			n, _ := strconv.Atoi(s[m[4]:m[5]])
			src, ok := sources[n]
			href := sourceHref(src.URL)
			if !ok || href == "" {
				text(s[m[0]:m[1]])
				continue
			}
			out = append(out, inline{Text: "[" + strconv.Itoa(n) + "]", Href: href, Cite: n, Hint: "Source " + strconv.Itoa(n) + ": " + src.Title})
		default:
			url := strings.TrimRight(s[m[6]:m[7]], ".,;:")
			out = append(out, inline{Text: url, Href: url})
			text(s[m[6]+len(url) : m[7]])
		}
	}
	text(s[last:])
	return out
}

// sourceHref turns a source's path into a GOV.UK address; anything that is
// not a plain path is refused so that the page links only to GOV.UK.
func sourceHref(path string) string {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.ContainsAny(path, "\\ \t\n\r") {
		return ""
	}
	return govukHost + path
}

// sourceLabel is a source as listed under an answer: "Title: heading".
func sourceLabel(s chat.Source) string {
	if s.Heading == "" || s.Heading == s.Title {
		return s.Title
	}
	return s.Title + ": " + s.Heading
}

var months = [...]string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

// longDate formats 2024-01-31 as "31 January 2024", the GOV.UK date style;
// anything else is returned as it came.
func longDate(iso string) string {
	if len(iso) < 10 || iso[4] != '-' || iso[7] != '-' {
		return iso
	}
	y, err1 := strconv.Atoi(iso[:4])
	m, err2 := strconv.Atoi(iso[5:7])
	d, err3 := strconv.Atoi(iso[8:10])
	if err1 != nil || err2 != nil || err3 != nil || m < 1 || m > 12 || d < 1 || d > 31 {
		return iso
	}
	return strconv.Itoa(d) + " " + months[m-1] + " " + strconv.Itoa(y)
}
