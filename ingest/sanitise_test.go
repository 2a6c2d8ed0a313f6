package ingest

import (
	"strings"
	"testing"
)

func TestPlainTextAndSanitise(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		text     string
		html     string   // exact sanitised HTML when set
		htmlHas  []string // substrings the HTML must contain
		htmlLack []string // and must not
	}{
		{
			name: "script style iframe form dropped",
			in:   `<p>Hi<script>alert(1)</script><style>p{}</style></p><iframe src="x"></iframe><form><input value="v">Send</form><p>there</p>`,
			text: "Hi\n\nthere",
			html: "<p>Hi</p>\n<p>there</p>",
		},
		{
			name:     "javascript href removed, text kept",
			in:       `<p><a href="javascript:alert(1)">one</a> <a href=" JaVa&#x09;Script:alert(1)">two</a> <a href="/ok">three</a> <a href="data:text/html,x">four</a> <a href="https://www.gov.uk/x">five</a></p>`,
			text:     "one two three four five",
			htmlHas:  []string{`<a href="/ok">three</a>`, `<a href="https://www.gov.uk/x">five</a>`},
			htmlLack: []string{"javascript", "data:", "JaVa"},
		},
		{
			name:     "event handlers and unknown attributes dropped",
			in:       `<p onclick="x()" class="c" style="color:red">Hello <span onmouseover="y()">you</span></p>`,
			text:     "Hello you",
			html:     "<p>Hello you</p>",
			htmlLack: []string{"onclick", "style", "class"},
		},
		{
			name: "h1 dropped, heading ids kept",
			in:   `<h1>Title</h1><h2 id="a-b">Part A</h2><p>x</p><h3 id="bad id">Sub</h3>`,
			text: "Part A\n\nx\n\nSub",
			html: `<h2 id="a-b">Part A</h2>` + "\n<p>x</p>\n<h3>Sub</h3>",
		},
		{
			name: "footnotes dropped",
			in:   `<p>Growth was 2%<sup id="fnref:1"><a href="#fn:1" class="footnote">1</a></sup>.</p><div class="footnotes"><ol><li id="fn:1"><p>Source: ONS. <a href="#fnref:1" class="reversefootnote">↩</a></p></li></ol></div>`,
			text: "Growth was 2%.",
		},
		{
			name:    "lists",
			in:      `<ul><li>one</li><li><p>two</p><ul><li>two a</li></ul></li></ul><ol start="3"><li>three</li><li>four</li></ol>`,
			text:    "- one\n- two\n    - two a\n\n3. three\n4. four",
			htmlHas: []string{`<ul><li>one</li>`, `<ol start="3"><li>three</li>`},
		},
		{
			name:    "table with header",
			in:      `<table><caption>Fees</caption><thead><tr><th>Service</th><th>Fee</th></tr></thead><tbody><tr><td>Online</td><td>£75.50</td></tr><tr><td>Paper</td><td>£85</td></tr></tbody></table>`,
			text:    "Fees\n\nService: Online; Fee: £75.50\nService: Paper; Fee: £85",
			htmlHas: []string{"<thead><tr><th>Service</th><th>Fee</th></tr></thead>", "<tr><td>Paper</td><td>£85</td></tr>"},
		},
		{
			name: "table without header",
			in:   `<table><tr><td>a</td><td></td><td>c</td></tr></table>`,
			text: "a; c",
		},
		{
			name: "entities decoded, whitespace collapsed",
			in:   "<p>Fish &amp; chips&nbsp;&pound;5 \n\t  now &lt;b&gt;</p>",
			text: "Fish & chips £5 now <b>",
			html: "<p>Fish &amp; chips\u00a0£5 now &lt;b&gt;</p>",
		},
		{
			name: "wrappers flattened, inline text at container level",
			in:   `<div class="govspeak"><div class="call-to-action"><p>Apply now</p></div>Loose <strong>text</strong></div>`,
			text: "Apply now\n\nLoose text",
			html: "<p>Apply now</p>\n<p>Loose <strong>text</strong></p>",
		},
		{
			name: "line breaks kept in addresses",
			in:   `<div class="address"><p>HMRC<br>BX9 1AS<br/>United Kingdom</p></div>`,
			text: "HMRC\nBX9 1AS\nUnited Kingdom",
		},
		{
			name:     "attachment rendered as one line",
			in:       `<section class="attachment embedded"><div class="attachment-thumb"><a href="/f.pdf"><img src="t.png"></a></div><div class="attachment-details"><h2 class="title"><a href="/f.pdf">Annual report</a></h2><p class="metadata"><span class="type">PDF</span>, <span class="file-size">1MB</span></p><div class="accessibility-warning"><h2>This file may not be suitable</h2></div></div></section>`,
			text:     "Attachment: Annual report (PDF, 1MB)",
			htmlLack: []string{"<h2", "img", "suitable"},
		},
		{
			name: "attachment metadata in adjacent spans keeps its parts apart",
			in:   `<section class="attachment embedded"><div class="attachment-details"><h2 class="title">MOT test results</h2><p class="metadata"><span class="references">Ref: <span class="unique_reference"><abbr title="Driver and Vehicle Standards Agency">DVSA</abbr>/MOT/01</span></span><span class="preview"><strong><a href="/f.csv/preview">View online</a></strong></span><span class="download"><a href="/f.csv"><strong>Download CSV</strong>1.74KB</a></span></p></div></section>`,
			text: "Attachment: MOT test results (Ref: DVSA/MOT/01, View online, Download CSV 1.74KB)",
		},
		{
			name:     "hidden and aria-hidden dropped",
			in:       `<p>Shown<span hidden>secret</span><span aria-hidden="true">icon</span><span class="js-hidden">toggle</span></p>`,
			text:     "Shown",
			htmlLack: []string{"secret", "icon", "toggle"},
		},
		{
			name:     "abbr title kept in HTML only",
			in:       `<p><abbr title="HM Revenue and Customs">HMRC</abbr> says</p>`,
			text:     "HMRC says",
			htmlHas:  []string{`<abbr title="HM Revenue and Customs">HMRC</abbr>`},
			htmlLack: nil,
		},
		{
			name: "empty",
			in:   "  <div> </div> ",
			text: "",
			html: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlainText(tt.in); got != tt.text {
				t.Errorf("PlainText = %q; want %q", got, tt.text)
			}
			h, err := Sanitise(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if tt.html != "" || (tt.htmlHas == nil && tt.htmlLack == nil && tt.text == "") {
				if h != tt.html {
					t.Errorf("Sanitise = %q; want %q", h, tt.html)
				}
			}
			for _, s := range tt.htmlHas {
				if !strings.Contains(h, s) {
					t.Errorf("Sanitise = %q; want it to contain %q", h, s)
				}
			}
			for _, s := range tt.htmlLack {
				if strings.Contains(h, s) {
					t.Errorf("Sanitise = %q; want no %q", h, s)
				}
			}
		})
	}
}

func TestSanitiseDeepNesting(t *testing.T) {
	// x/net/html refuses more than 512 open elements; we report that
	// instead of recursing without bound.
	deep := strings.Repeat("<div>", 5000) + "x" + strings.Repeat("</div>", 5000)
	if _, err := Sanitise(deep); err == nil {
		t.Error("Sanitise(5000 nested divs) = nil error; want the parser's refusal")
	}
	if got := PlainText(deep); got != "x" {
		t.Errorf("PlainText(5000 nested divs) = %q; want x", got)
	}
	// Nesting the parser accepts (it closes <p>, <li>, <a> implicitly) is fine.
	for _, tag := range []string{"p", "li", "a", "table"} {
		in := strings.Repeat("<"+tag+">", 20000) + "x"
		if _, err := Sanitise(in); err != nil {
			t.Errorf("Sanitise(20000 <%s>) = %v", tag, err)
		}
	}
	// Nested lists inside items under the parser's limit.
	in := strings.Repeat("<ul><li>", 200) + "x" + strings.Repeat("</li></ul>", 200)
	if got := PlainText(in); !strings.HasSuffix(got, "- x") {
		t.Errorf("PlainText(200 nested lists) ends %q; want - x", got[max(0, len(got)-20):])
	}
}

func TestSafeHref(t *testing.T) {
	tests := map[string]string{
		"/renew":                      "/renew",
		"#section":                    "#section",
		"https://www.gov.uk/x?y=1#z":  "https://www.gov.uk/x?y=1#z",
		"mailto:a@b.gov.uk":           "mailto:a@b.gov.uk",
		"tel:0300 123 4567":           "tel:0300 123 4567",
		"javascript:alert(1)":         "",
		"JAVASCRIPT:alert(1)":         "",
		"java\nscript:alert(1)":       "",
		"\x01javascript:alert(1)":     "",
		"vbscript:x":                  "",
		"data:text/html;base64,xx":    "",
		"file:///etc/passwd":          "",
		"":                            "",
		"relative/path":               "relative/path",
		"weird:thing/with/colon":      "",
		strings.Repeat("a", 3000):     "",
		" https://example.com/spaced": "https://example.com/spaced",
	}
	for in, want := range tests {
		if got := safeHref(in); got != want {
			t.Errorf("safeHref(%q) = %q; want %q", in, got, want)
		}
	}
}
