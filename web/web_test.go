package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/govchat/govchat/chat"
)

// fakeAsker answers every question with the same outcome.
type fakeAsker struct {
	out chat.Outcome
	err error
	got chat.Request
}

func (f *fakeAsker) AskFrom(ctx context.Context, r *http.Request, req chat.Request, ev chat.Events) (chat.Outcome, error) {
	f.got = req
	return f.out, f.err
}

// builtDir makes a Dir that looks like the output of scripts/web.sh.
func builtDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"govuk/app.css":               "body{}",
		"govuk/govuk-frontend.min.js": "export const version='test';",
		"govuk/fonts/bold.woff2":      "wOF2",
		"govuk/images/favicon.svg":    "<svg/>",
		"govuk/manifest.json":         "{}",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func newHandler(t testing.TB, opts Options) http.Handler {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = builtDir(t)
	}
	h, err := New(opts)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return h
}

func get(t testing.TB, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

var (
	scriptRe = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	styleRe  = regexp.MustCompile(`(?i)<style\b|\sstyle\s*=|\son[a-z]+\s*=`)
)

// checkNoInline fails if the page has anything a strict CSP would block.
func checkNoInline(t testing.TB, page string) {
	t.Helper()
	for _, m := range scriptRe.FindAllStringSubmatch(page, -1) {
		if strings.TrimSpace(m[2]) != "" || !strings.Contains(m[1], "src=") {
			t.Errorf("page has an inline script: %s", m[0])
		}
	}
	if m := styleRe.FindString(page); m != "" {
		t.Errorf("page has an inline style or event handler: %q", m)
	}
}

func TestIndex(t *testing.T) {
	h := newHandler(t, Options{Composer: "offline", MaxQuestionChars: 250})
	rec := get(t, h, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / status = %d; want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET / Content-Type = %q", ct)
	}
	page := rec.Body.String()
	for _, want := range []string{
		`<html lang="en"`,
		`<header class="govuk-template__header">`,
		`<main class="govuk-main-wrapper" id="main-content">`,
		`<footer class="govuk-footer">`,
		`<h1 class="govuk-heading-l">`,
		`href="#main-content"`,
		`<form method="post" action="/ask"`,
		`<label class="govuk-label govuk-label--m" for="question">`,
		`id="question" name="question"`,
		`data-maxlength="250"`,
		`aria-live="polite"`,
		`This is a new service`,
		`Do not enter personal details`,
		`without an AI model`,
		`Answers can be wrong`,
		`<link rel="stylesheet" href="/assets/govuk/app.css">`,
		`<script type="module" src="/assets/app.js"></script>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("GET / page lacks %q", want)
		}
	}
	checkNoInline(t, page)
}

func TestAccessibilityStatement(t *testing.T) {
	h := newHandler(t, Options{})
	if !strings.Contains(get(t, h, "/").Body.String(), `href="/accessibility">Accessibility statement</a>`) {
		t.Error("the chat page does not link to the accessibility statement")
	}
	rec := get(t, h, "/accessibility")
	page := rec.Body.String()
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /accessibility = %d %q; want 200 HTML", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{"<h1 class=\"govuk-heading-l\">Accessibility statement", "Compliance status", "Enforcement procedure",
		"WCAG", "without JavaScript", `href="#main-content"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the accessibility statement lacks %q", want)
		}
	}
	checkNoInline(t, page)
}

func TestNotFound(t *testing.T) {
	h := newHandler(t, Options{})
	for _, path := range []string{"/nope", "/assets/govuk/", "/assets/govuk/fonts/", "/assets/other.js"} {
		if rec := get(t, h, path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s status = %d; want 404", path, rec.Code)
		}
	}
}

func TestAssets(t *testing.T) {
	h := newHandler(t, Options{})
	tests := []struct {
		path, contentType, contains string
	}{
		{"/assets/app.js", "text/javascript; charset=utf-8", "new WebSocket("},
		{"/assets/app.css", "text/css; charset=utf-8", ".app-turn"},
		{"/assets/favicon.svg", "image/svg+xml", "<svg"},
		{"/assets/govuk/app.css", "text/css; charset=utf-8", "body{}"},
		{"/assets/govuk/govuk-frontend.min.js", "text/javascript; charset=utf-8", "export"},
		{"/assets/govuk/fonts/bold.woff2", "font/woff2", "wOF2"},
		{"/assets/govuk/images/favicon.svg", "image/svg+xml", "<svg"},
		{"/assets/govuk/manifest.json", "application/json", "{}"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := get(t, h, tt.path)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s status = %d; want 200", tt.path, rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != tt.contentType {
				t.Errorf("GET %s Content-Type = %q; want %q", tt.path, ct, tt.contentType)
			}
			if !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("GET %s body lacks %q", tt.path, tt.contains)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("GET %s lacks X-Content-Type-Options: nosniff", tt.path)
			}
		})
	}

	t.Run("etag", func(t *testing.T) {
		etag := get(t, h, "/assets/app.js").Header().Get("ETag")
		req := httptest.NewRequest(http.MethodGet, "/assets/app.js", nil)
		req.Header.Set("If-None-Match", etag)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified {
			t.Errorf("GET /assets/app.js with its ETag status = %d; want 304", rec.Code)
		}
	})
}

// TestStaticNoInlineHTML keeps our own script from writing markup: server
// text goes into the page with textContent only.
func TestStaticNoInlineHTML(t *testing.T) {
	js, err := staticFS.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, banned := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if bytes.Contains(js, []byte(banned)) {
			t.Errorf("app.js uses %s", banned)
		}
	}
}

func TestMissingDir(t *testing.T) {
	var logs bytes.Buffer
	h := newHandler(t, Options{Dir: filepath.Join(t.TempDir(), "missing"), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	rec := get(t, h, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / status = %d; want 200", rec.Code)
	}
	page := rec.Body.String()
	if strings.Contains(page, "/assets/govuk/app.css") {
		t.Errorf("page links the GOV.UK stylesheet that was not built")
	}
	if !strings.Contains(page, "app-fallback") || !strings.Contains(page, "/assets/app.css") {
		t.Errorf("page lacks its own fallback styles")
	}
	if !strings.Contains(logs.String(), "make web") {
		t.Errorf("log = %q; want it to say to run make web", logs.String())
	}
}

func post(t testing.TB, h http.Handler, form url.Values, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/ask", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAsk(t *testing.T) {
	asker := &fakeAsker{out: chat.Outcome{
		ConversationID: "conv-1",
		MessageID:      "msg-1",
		Status:         chat.StatusOK,
		Answer: "You can renew early <script>alert(1)</script> and keep **up to 9 months** [1].\n\n" +
			"- Apply online [2]\n- Pay the fee [9]",
		Sources: []chat.Source{
			{Index: 1, Title: "Renew your passport", Heading: "Extra time", URL: "/renew-adult-passport#extra", Updated: "2024-01-31"},
			{Index: 2, Title: "Passport fees", URL: "/passport-fees"},
			{Index: 3, Title: "Evil", URL: "javascript:alert(1)"},
		},
	}}
	h := newHandler(t, Options{Asker: asker})
	rec := post(t, h, url.Values{"question": {"  Can I renew <b>early</b>?  "}, "conversation_id": {"conv-0"}},
		map[string]string{"Origin": "http://example.com"})
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /ask status = %d; want 200; body %s", rec.Code, rec.Body)
	}
	if asker.got.Question != "Can I renew <b>early</b>?" || asker.got.ConversationID != "conv-0" {
		t.Errorf("Ask got %+v; want the trimmed question and conversation conv-0", asker.got)
	}
	page := rec.Body.String()
	checkNoInline(t, page)
	for _, want := range []string{
		`Can I renew &lt;b&gt;early&lt;/b&gt;?`,
		`You can renew early &lt;script&gt;alert(1)&lt;/script&gt; and keep <strong>up to 9 months</strong>`,
		`<a class="govuk-link app-cite" href="https://www.gov.uk/renew-adult-passport#extra">[1]<span class="govuk-visually-hidden"> Source 1: Renew your passport</span></a>`,
		`<ul class="govuk-list govuk-list--bullet"><li>Apply online <a class="govuk-link app-cite" href="https://www.gov.uk/passport-fees">[2]`,
		`<li>Pay the fee [9]</li>`,
		`<a class="govuk-link" href="https://www.gov.uk/renew-adult-passport#extra">Renew your passport: Extra time</a>`,
		`Last updated 31 January 2024`,
		`value="conv-1"`,
		`Ask another question`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("answer page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>alert", "javascript:", "<b>early"} {
		if strings.Contains(page, bad) {
			t.Errorf("answer page contains %q", bad)
		}
	}
}

func TestAskStatuses(t *testing.T) {
	tests := []struct {
		name string
		out  chat.Outcome
		err  error
		want []string
	}{
		{"pii refusal", chat.Outcome{Status: chat.StatusRefusedPII, Answer: chat.MsgPIIRefusal}, nil,
			[]string{"app-refusal", "Do not share personal details here."}},
		{"no text", chat.Outcome{Status: chat.StatusOutOfScope}, nil,
			[]string{`<a class="govuk-link" href="https://www.gov.uk/search">https://www.gov.uk/search</a>`}},
		{"error", chat.Outcome{}, io.ErrUnexpectedEOF, []string{"Sorry, something went wrong."}},
		{"timeout", chat.Outcome{}, context.DeadlineExceeded, []string{"it is taking too long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, Options{Asker: &fakeAsker{out: tt.out, err: tt.err}})
			rec := post(t, h, url.Values{"question": {"my NI number is QQ123456C"}}, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("POST /ask status = %d; want 200", rec.Code)
			}
			for _, want := range tt.want {
				if !strings.Contains(rec.Body.String(), want) {
					t.Errorf("answer page lacks %q", want)
				}
			}
		})
	}
}

func TestAskValidation(t *testing.T) {
	asker := &fakeAsker{}
	h := newHandler(t, Options{Asker: asker, MaxQuestionChars: 10})
	tests := []struct {
		question, want string
	}{
		{"   ", "Enter your question"},
		{"ééééééééééé", "Your question must be 10 characters or fewer"},
	}
	for _, tt := range tests {
		rec := post(t, h, url.Values{"question": {tt.question}}, nil)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("POST /ask %q status = %d; want 422", tt.question, rec.Code)
		}
		page := rec.Body.String()
		for _, want := range []string{"<title>Error: ", `govuk-form-group--error`, `<a href="#question" id="error-summary-link">` + tt.want} {
			if !strings.Contains(page, want) {
				t.Errorf("POST /ask %q page lacks %q", tt.question, want)
			}
		}
	}
	if asker.got.Question != "" {
		t.Errorf("Ask was called with %q; want no call for invalid questions", asker.got.Question)
	}
	if rec := post(t, h, url.Values{"question": {"ééééééééé"}}, nil); rec.Code != http.StatusOK {
		t.Errorf("POST /ask with 9 two-byte characters status = %d; want 200", rec.Code)
	}
}

func TestAskCrossOrigin(t *testing.T) {
	asker := &fakeAsker{out: chat.Outcome{Status: chat.StatusOK, Answer: "ok"}}
	h := newHandler(t, Options{Asker: asker, TrustedOrigins: []string{"https://chat.example.gov.uk"}})
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"same origin", map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"no browser headers", nil, http.StatusOK},
		{"trusted origin", map[string]string{"Origin": "https://chat.example.gov.uk"}, http.StatusOK},
		{"cross site", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"other origin", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rec := post(t, h, url.Values{"question": {"hello"}}, tt.header); rec.Code != tt.want {
				t.Errorf("POST /ask status = %d; want %d", rec.Code, tt.want)
			}
		})
	}
}

func TestAskWithoutAsker(t *testing.T) {
	h := newHandler(t, Options{})
	rec := post(t, h, url.Values{"question": {"hello"}}, nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "not available") {
		t.Errorf("POST /ask without an Asker = %d; want 503 saying the service is not available", rec.Code)
	}
}

func TestRenderAnswer(t *testing.T) {
	sources := []chat.Source{{Index: 1, Title: "T", URL: "/a"}, {Index: 2, Title: "U", URL: "//evil.example/"}}
	blocks := renderAnswer("Para one\nstill one [1] [2].\n\n1. first\n2. second\n- bullet\n## Heading", sources)
	if len(blocks) != 4 {
		t.Fatalf("renderAnswer gave %d blocks; want 4: %+v", len(blocks), blocks)
	}
	p := blocks[0].Items[0]
	if p[0].Text != "Para one still one " || p[1].Href != "https://www.gov.uk/a" || p[3].Text != "[2]" || p[3].Href != "" {
		t.Errorf("paragraph = %+v", p)
	}
	if !blocks[1].List || !blocks[1].Ordered || len(blocks[1].Items) != 2 {
		t.Errorf("numbered list = %+v", blocks[1])
	}
	if !blocks[2].List || blocks[2].Ordered || blocks[2].Items[0][0].Text != "bullet" {
		t.Errorf("bullet list = %+v", blocks[2])
	}
	if blocks[3].Items[0][0].Text != "Heading" {
		t.Errorf("heading paragraph = %+v", blocks[3])
	}
}

func TestLongDate(t *testing.T) {
	for in, want := range map[string]string{
		"2024-01-31":           "31 January 2024",
		"2023-12-01T10:00:00Z": "1 December 2023",
		"2024-13-01":           "2024-13-01",
		"yesterday":            "yesterday",
	} {
		if got := longDate(in); got != want {
			t.Errorf("longDate(%q) = %q; want %q", in, got, want)
		}
	}
}

// waitErr is a refusal that says how long to wait, like *server.Refusal.
type waitErr time.Duration

func (w waitErr) Error() string             { return "refused" }
func (w waitErr) RetryAfter() time.Duration { return time.Duration(w) }

func TestAskRefused(t *testing.T) {
	tests := []struct {
		name       string
		out        chat.Outcome
		err        error
		code       int
		retryAfter string
		want       string
	}{
		{"rate limited", chat.Outcome{Status: chat.StatusRateLimited, Answer: chat.MsgRateLimited}, waitErr(2500 * time.Millisecond),
			http.StatusTooManyRequests, "3", "You have asked a lot of questions"},
		{"service off", chat.Outcome{Status: chat.StatusServiceOff, Answer: "Closed until 6pm."}, waitErr(0),
			http.StatusServiceUnavailable, "60", "Closed until 6pm."},
		{"busy", chat.Outcome{Status: chat.StatusBusy}, nil, http.StatusConflict, "", "I am still answering your last question."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, Options{Asker: &fakeAsker{out: tt.out, err: tt.err}})
			rec := post(t, h, url.Values{"question": {"Can I renew online?"}}, nil)
			if rec.Code != tt.code || rec.Header().Get("Retry-After") != tt.retryAfter {
				t.Errorf("POST /ask = %d, Retry-After %q; want %d, %q", rec.Code, rec.Header().Get("Retry-After"), tt.code, tt.retryAfter)
			}
			body := rec.Body.String()
			if !strings.Contains(body, tt.want) {
				t.Errorf("refusal page lacks %q", tt.want)
			}
			if !strings.Contains(body, ">Can I renew online?</textarea>") {
				t.Error("the refused question is not kept in the text box")
			}
		})
	}
}

// crisisFake also checks over-long questions for crisis wording, as
// server.Door does.
type crisisFake struct{ fakeAsker }

func (c *crisisFake) CrisisReply(text string) (string, bool) {
	if strings.Contains(text, "end my life") {
		return chat.MsgCrisis, true
	}
	return "", false
}

func TestAskTooLongCrisisIsSignposted(t *testing.T) {
	asker := &crisisFake{}
	h := newHandler(t, Options{Asker: asker, MaxQuestionChars: 10})
	rec := post(t, h, url.Values{"question": {"I cannot cope and I want to end my life"}}, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "116 123") {
		t.Errorf("POST /ask with an over-long crisis question: status %d; want 200 with the signposting", rec.Code)
	}
	rec = post(t, h, url.Values{"question": {"How much is a passport renewal?"}}, nil)
	if rec.Code != http.StatusUnprocessableEntity || strings.Contains(rec.Body.String(), "116 123") {
		t.Errorf("POST /ask with an over-long ordinary question: status %d; want 422 without signposting", rec.Code)
	}
	if asker.got.Question != "" {
		t.Errorf("Ask was called with %q; want no call for over-long questions", asker.got.Question)
	}
}
