package server

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/internal/htmlpage"
	"github.com/govchat/govchat/store"
)

//go:embed templates/admin/*.html
var consoleFS embed.FS

// consolePages holds one template set per page, each with the layout.
type consolePages struct {
	sets map[string]*template.Template
}

// page is what every console page template gets.
type page struct {
	Title    string
	Nav      string // the current section: conversations, feedback or search
	CSRF     string // the sign-out form's token; empty for bearer requests
	SignedIn bool
	Data     any
}

type navItem struct{ Key, Href, Text string }

var consoleFuncs = template.FuncMap{
	"when": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04:05 MST") },
	"pct":  func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
	"num":  func(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) },
	"join": strings.Join,
	"inc":  func(i int) int { return i + 1 },
	"query": func(f filterForm, offset int) string {
		return f.query(offset)
	},
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"navItems": func() []navItem {
		return []navItem{{"conversations", "/admin/conversations", "Conversations"}, {"feedback", "/admin/feedback", "Feedback"},
			{"search", "/admin/search", "What the bot would see"}}
	},
	"deref": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
}

func parseConsolePages() (*consolePages, error) {
	names, err := fs.Glob(consoleFS, "templates/admin/*.html")
	if err != nil {
		return nil, err
	}
	p := &consolePages{sets: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/admin/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(consoleFuncs).ParseFS(consoleFS, "templates/admin/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("server: parsing %s: %w", n, err)
		}
		p.sets[base] = t
	}
	return p, nil
}

func (p *consolePages) render(w http.ResponseWriter, status int, name string, d page) {
	if err := htmlpage.Write(w, status, p.sets[name], d); err != nil {
		http.Error(w, "Sorry, the page could not be shown.", http.StatusInternalServerError)
	}
}

// show renders a console page for a signed-in operator.
func (s *Server) show(w http.ResponseWriter, r *http.Request, status int, name, nav, title string, data any) {
	d := page{Title: title, Nav: nav, SignedIn: true, Data: data}
	if c, err := r.Cookie(sessionCookie); err == nil && r.Header.Get("Authorization") == "" {
		d.CSRF = s.csrfToken(c.Value)
	}
	s.console.pages.render(w, status, name, d)
}

// consolePage reports whether r is a browser asking for a console page,
// whose errors are shown as a page rather than as JSON.
func (s *Server) consolePage(r *http.Request) bool {
	return s.console != nil && r.Method == http.MethodGet && slices.Contains(consoleRouteList, r.Pattern) && !wantsJSON(r)
}

// showError shows an error's public message as a console page.
func (s *Server) showError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	title := "Sorry, there is a problem"
	if status == http.StatusServiceUnavailable {
		title = "Sorry, the service is unavailable"
	}
	if rs := []rune(msg); len(rs) > 0 {
		msg = strings.ToUpper(string(rs[0])) + string(rs[1:])
	}
	s.show(w, r, status, "error", "conversations", title, msg)
}

// filterForm is the filter of the conversation, feedback and export pages,
// as typed, with the error of each field.
type filterForm struct {
	From, To, Status, Label, Feedback, Page, Text string
	Errors                                        []fieldError
	Statuses, Labels                              []string
	Offset, Limit                                 int
}

type fieldError struct {
	Field, Message string
}

func (f filterForm) query(offset int) string {
	v := url.Values{}
	for k, val := range map[string]string{"from": f.From, "to": f.To, "status": f.Status, "label": f.Label,
		"feedback": f.Feedback, "page": f.Page, "q": f.Text} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	return v.Encode()
}

// parseFilter reads and checks the filter parameters.
func parseFilter(r *http.Request) (filterForm, store.AdminFilter) {
	q := r.URL.Query()
	f := filterForm{From: q.Get("from"), To: q.Get("to"), Status: q.Get("status"), Label: q.Get("label"),
		Feedback: q.Get("feedback"), Page: strings.TrimSpace(q.Get("page")), Text: strings.TrimSpace(q.Get("q"))}
	for _, s := range chat.AllStatuses() {
		f.Statuses = append(f.Statuses, string(s))
	}
	for _, l := range chat.AllLabels() {
		f.Labels = append(f.Labels, string(l))
	}
	af := store.AdminFilter{Status: f.Status, Label: f.Label, Feedback: f.Feedback, Page: f.Page, Text: f.Text}
	day := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			f.Errors = append(f.Errors, fieldError{field, "Enter the date as year-month-day, like 2026-01-31"})
		}
		return t
	}
	af.From = day("from", f.From)
	if to := day("to", f.To); !to.IsZero() {
		af.To = to.AddDate(0, 0, 1) // the whole of the last day
	}
	if f.Status != "" && !slices.Contains(f.Statuses, f.Status) {
		f.Errors = append(f.Errors, fieldError{"status", "Choose a status from the list"})
	}
	if f.Label != "" && !slices.Contains(f.Labels, f.Label) {
		f.Errors = append(f.Errors, fieldError{"label", "Choose a label from the list"})
	}
	if f.Feedback != "" && !slices.Contains([]string{"useful", "not_useful", "any", "none"}, f.Feedback) {
		f.Errors = append(f.Errors, fieldError{"feedback", "Choose useful, not useful, any or none"})
	}
	if len([]rune(f.Text)) > 200 || len(f.Page) > 512 {
		f.Errors = append(f.Errors, fieldError{"q", "Search for 200 characters or fewer"})
	}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	f.Offset = max(0, f.Offset)
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	f.Limit = min(max(f.Limit, 0), 1000)
	if f.Limit == 0 {
		f.Limit = 50
	}
	af.Offset, af.Limit = f.Offset, f.Limit
	return f, af
}

// badFilter answers a filter with errors: 400, as JSON or on the page.
func (s *Server) badFilter(w http.ResponseWriter, r *http.Request, name, nav, title string, data any, f filterForm) error {
	if wantsJSON(r) {
		return refuse(http.StatusBadRequest, f.errorText())
	}
	s.show(w, r, http.StatusBadRequest, name, nav, title, data)
	return nil
}

// errorText is the filter's errors in one line, for JSON answers.
func (f filterForm) errorText() string {
	msgs := make([]string, 0, len(f.Errors))
	for _, e := range f.Errors {
		msgs = append(msgs, e.Field+": "+e.Message)
	}
	return strings.Join(msgs, "; ")
}

// queryContext bounds one admin or console database query, so that a slow
// or stuck one is cancelled and frees its pooled connection instead of
// holding it for as long as the operator's browser waits.
func (s *Server) queryContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.cfg.AdminQueryTimeout)
}

// slowQuery is the operator's message when a query outran AdminQueryTimeout.
const slowQuery = "The database took too long to answer. Try again, or narrow the filter."

// storeFailed is the answer when the console cannot read the database.
func storeFailed(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return failed(http.StatusServiceUnavailable, slowQuery, "console: database query timed out", err)
	}
	return failed(http.StatusServiceUnavailable, "the database could not be read; try again later", "console: reading the database failed", err)
}

type conversationsData struct {
	Filter        filterForm
	Conversations []store.ConversationSummary
	Next, Prev    int // offsets; -1 when there is no such page
}

func pageOffsets(f filterForm, n int) (next, prev int) {
	next, prev = -1, -1
	if n == f.Limit {
		next = f.Offset + f.Limit
	}
	if f.Offset > 0 {
		prev = max(0, f.Offset-f.Limit)
	}
	return next, prev
}

func (s *Server) serveConversations(w http.ResponseWriter, r *http.Request) error {
	f, af := parseFilter(r)
	d := conversationsData{Filter: f, Next: -1, Prev: -1}
	if len(f.Errors) > 0 {
		return s.badFilter(w, r, "conversations", "conversations", "Conversations", d, f)
	}
	ctx, cancel := s.queryContext(r)
	defer cancel()
	list, err := s.console.st.ListConversations(ctx, af)
	if err != nil {
		return storeFailed(err)
	}
	d.Conversations = list
	d.Next, d.Prev = pageOffsets(f, len(list))
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, conversationsJSON{Conversations: nonNil(list), NextOffset: offsetOrNil(d.Next)})
		return nil
	}
	s.show(w, r, http.StatusOK, "conversations", "conversations", "Conversations", d)
	return nil
}

type conversationsJSON struct {
	Conversations []store.ConversationSummary `json:"conversations"`
	NextOffset    *int                        `json:"next_offset"`
}

func offsetOrNil(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// messageJSON is one message as the console's JSON shows it.
type messageJSON struct {
	ID             string         `json:"id"`
	ConversationID string         `json:"conversation_id"`
	Seq            int            `json:"seq"`
	CreatedAt      time.Time      `json:"created_at"`
	CompletedAt    *time.Time     `json:"completed_at"`
	Question       *string        `json:"question"` // null: not stored (personal data) or refused before storage
	Rewritten      string         `json:"rewritten"`
	Answer         string         `json:"answer"`
	Status         string         `json:"status"`
	Composer       string         `json:"composer"`
	Route          routeJSON      `json:"route"`
	Sources        []chat.Source  `json:"sources"`
	TimingsMS      map[string]int `json:"timings_ms"`
	Audit          chat.Audit     `json:"audit"`
	Feedback       *feedbackJSON  `json:"feedback"`
}

type routeJSON struct {
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
	Decider    string  `json:"decider"`
}

type feedbackJSON struct {
	Useful  bool   `json:"useful"`
	Comment string `json:"comment"`
}

func toMessageJSON(m store.AdminMessage) messageJSON {
	out := messageJSON{ID: m.ID, ConversationID: m.ConversationID, Seq: m.Seq, CreatedAt: m.CreatedAt, CompletedAt: m.CompletedAt,
		Question: m.Question, Rewritten: m.Rewritten, Answer: m.Answer, Status: m.Status, Composer: m.Composer,
		Route: routeJSON{m.RouteLabel, m.RouteConfidence, m.RouteDecider}, Sources: []chat.Source{}, TimingsMS: map[string]int{}}
	_ = json.Unmarshal(m.Sources, &out.Sources)
	_ = json.Unmarshal(m.Timings, &out.TimingsMS)
	_ = json.Unmarshal(m.Audit, &out.Audit)
	out.Sources = nonNil(out.Sources)
	out.Audit.Guards, out.Audit.LLM, out.Audit.Passages = nonNil(out.Audit.Guards), nonNil(out.Audit.LLM), nonNil(out.Audit.Passages)
	if m.Useful != nil {
		out.Feedback = &feedbackJSON{Useful: *m.Useful}
		if m.Comment != nil {
			out.Feedback.Comment = *m.Comment
		}
	}
	return out
}

func toMessagesJSON(ms []store.AdminMessage) []messageJSON {
	out := make([]messageJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, toMessageJSON(m))
	}
	return out
}

type conversationJSON struct {
	ID       string        `json:"id"`
	Messages []messageJSON `json:"messages"`
}

func (s *Server) serveConversation(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	msgs, err := []store.AdminMessage(nil), error(store.ErrNotFound)
	if ValidID(id) {
		ctx, cancel := s.queryContext(r)
		defer cancel()
		msgs, err = s.console.st.ConversationMessages(ctx, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		if wantsJSON(r) {
			return refuse(http.StatusNotFound, "there is no such conversation")
		}
		s.show(w, r, http.StatusNotFound, "not-found", "conversations", "Conversation not found", nil)
		return nil
	}
	if err != nil {
		return storeFailed(err)
	}
	d := conversationJSON{ID: id, Messages: toMessagesJSON(msgs)}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, d)
		return nil
	}
	s.show(w, r, http.StatusOK, "conversation", "conversations", "Conversation", d)
	return nil
}

type feedbackData struct {
	Filter     filterForm
	Messages   []messageJSON
	Next, Prev int
}

func (s *Server) serveFeedbackList(w http.ResponseWriter, r *http.Request) error {
	f, af := parseFilter(r)
	if f.Feedback == "" {
		af.Feedback = "any"
	}
	d := feedbackData{Filter: f, Next: -1, Prev: -1}
	if len(f.Errors) > 0 {
		return s.badFilter(w, r, "feedback", "feedback", "Feedback", d, f)
	}
	ctx, cancel := s.queryContext(r)
	defer cancel()
	msgs, err := s.console.st.ListMessages(ctx, af)
	if err != nil {
		return storeFailed(err)
	}
	d.Messages = toMessagesJSON(msgs)
	d.Next, d.Prev = pageOffsets(f, len(msgs))
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"feedback": d.Messages, "next_offset": offsetOrNil(d.Next)})
		return nil
	}
	s.show(w, r, http.StatusOK, "feedback", "feedback", "Feedback", d)
	return nil
}
