package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/store"
)

// maxExport bounds one export; narrow the filter for more.
const maxExport = 100_000

// serveExport writes every message that matches the filter, newest first,
// as CSV (?format=csv, the default) or JSON (?format=json). Rows are
// fetched a thousand at a time and written as they come.
func (s *Server) serveExport(w http.ResponseWriter, r *http.Request) error {
	f, af := parseFilter(r)
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "json" {
		f.Errors = append(f.Errors, fieldError{"format", "Choose csv or json"})
	}
	if len(f.Errors) > 0 {
		return refuse(http.StatusBadRequest, f.errorText())
	}
	af.Limit, af.Offset = 1000, 0
	first, err := s.exportBatch(r, af)
	if err != nil {
		return storeFailed(err)
	}
	name := "govchat-messages-" + time.Now().UTC().Format("20060102-150405") + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	var write func(store.AdminMessage) error
	var end func()
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		cw := csv.NewWriter(w)
		_ = cw.Write(exportHeader)
		write = func(m store.AdminMessage) error { return cw.Write(exportRow(toMessageJSON(m))) }
		end = cw.Flush
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(`{"messages":[`))
		n := 0
		enc := json.NewEncoder(w)
		write = func(m store.AdminMessage) error {
			if n > 0 {
				_, _ = w.Write([]byte(","))
			}
			n++
			return enc.Encode(toMessageJSON(m))
		}
		end = func() { _, _ = w.Write([]byte("]}\n")) }
	}
	s.exportRows(w, r, af, first, write)
	end()
	return nil
}

// exportRows writes the first batch and fetches the rest. A failure part
// way is logged; the body is then cut short, which a client sees as an
// incomplete file.
func (s *Server) exportRows(w http.ResponseWriter, r *http.Request, af store.AdminFilter, batch []store.AdminMessage, write func(store.AdminMessage) error) {
	for total := 0; ; {
		for _, m := range batch {
			if err := write(m); err != nil {
				return
			}
		}
		total += len(batch)
		if len(batch) < af.Limit || total >= maxExport {
			return
		}
		af.Offset += af.Limit
		var err error
		if batch, err = s.exportBatch(r, af); err != nil {
			s.log.Error("console: export cut short", "request_id", requestID(r.Context()), "rows", total, "error", err)
			panic(http.ErrAbortHandler)
		}
	}
}

// exportBatch fetches one batch under its own AdminQueryTimeout: the
// stream as a whole may rightly take longer than any one query.
func (s *Server) exportBatch(r *http.Request, af store.AdminFilter) ([]store.AdminMessage, error) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	return s.console.st.ListMessages(ctx, af)
}

var exportHeader = []string{"conversation_id", "message_id", "seq", "created_at", "status", "route_label", "route_confidence",
	"route_decider", "composer", "question", "rewritten", "answer", "sources", "feedback", "feedback_comment",
	"guards", "llm_model", "prompt_tokens", "completion_tokens", "passages", "total_ms"}

// exportRow is one CSV row. Text cells that a spreadsheet would run as a
// formula are quoted with a leading apostrophe.
func exportRow(m messageJSON) []string {
	var sources, guards, passages, models []string
	for _, s := range m.Sources {
		sources = append(sources, s.URL)
	}
	for _, g := range m.Audit.Guards {
		guards = append(guards, g.Name+"="+g.Verdict)
	}
	prompt, completion := 0, 0
	for _, c := range m.Audit.LLM {
		models = append(models, c.Model)
		prompt += c.PromptTokens
		completion += c.CompletionTokens
	}
	for _, p := range m.Audit.Passages {
		passages = append(passages, p.URL+" "+strconv.FormatFloat(p.Score, 'f', 4, 64))
	}
	feedback, comment := "", ""
	if m.Feedback != nil {
		feedback, comment = strconv.FormatBool(m.Feedback.Useful), m.Feedback.Comment
	}
	question := ""
	if m.Question != nil {
		question = *m.Question
	}
	row := []string{m.ConversationID, m.ID, strconv.Itoa(m.Seq), m.CreatedAt.UTC().Format(time.RFC3339), m.Status, m.Route.Label,
		strconv.FormatFloat(m.Route.Confidence, 'f', 3, 64), m.Route.Decider, m.Composer, question, m.Rewritten, m.Answer,
		strings.Join(sources, " "), feedback, comment, strings.Join(guards, " "), strings.Join(models, " "),
		strconv.Itoa(prompt), strconv.Itoa(completion), strings.Join(passages, "; "), strconv.Itoa(m.TimingsMS["total"])}
	// Free text only: the ids are URL-safe base64 and may start with "-".
	for _, i := range []int{9, 10, 11, 14} {
		if c := row[i]; c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			row[i] = "'" + c
		}
	}
	return row
}

// searchJSON is /admin/search's answer: what the bot would see.
type searchJSON struct {
	Question   string           `json:"question"`
	Route      routeJSON        `json:"route"`
	Searched   bool             `json:"searched"` // false: personal data, never searched
	NoContent  bool             `json:"no_content"`
	Floor      floorJSON        `json:"floor"`
	BestVector float64          `json:"best_vector"`
	BestText   float64          `json:"best_text"`
	Locale     string           `json:"locale"`
	Passages   []searchPassage  `json:"passages"`
	Composer   composerJSON     `json:"composer"`
	Timings    map[string]int64 `json:"timings_ms"`
}

// composerJSON is how the offline composer scores what was found.
type composerJSON struct {
	Status   string   `json:"status"`   // answered, partial or no_information
	Answered float64  `json:"answered"` // share of the question's weight the quotes use
	Intents  []string `json:"intents"`  // kinds of fact asked for
	// Relevant holds the 1-based numbers of the passages it may quote.
	Relevant []int `json:"relevant"`
	// Quotes are the sentences it would quote: the lead first, then the
	// others in the passages' order.
	Quotes []quoteJSON `json:"quotes"`
}

type quoteJSON struct {
	Passage int     `json:"passage"` // 1-based, as in passages
	Text    string  `json:"text"`
	Score   float64 `json:"score"`
	Lead    bool    `json:"lead"`
}

type floorJSON struct {
	Rule          string  `json:"rule"`
	Passed        bool    `json:"passed"`
	MinVector     float64 `json:"min_vector"`
	MinText       float64 `json:"min_text"`
	MinVectorBoth float64 `json:"min_vector_both"`
	MinTextBoth   float64 `json:"min_text_both"`
}

type searchPassage struct {
	chat.AuditPassage
	Text string `json:"text"`
}

type searchData struct {
	Query  string
	Error  string
	Result *searchJSON
}

func (s *Server) serveSearch(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := searchData{Query: q}
	if q == "" {
		if wantsJSON(r) {
			return refuse(http.StatusBadRequest, "send the question as q")
		}
		s.show(w, r, http.StatusOK, "search", "search", "What the bot would see", d)
		return nil
	}
	if s.console.in == nil {
		return refuse(http.StatusNotImplemented, "search is not configured on this server")
	}
	// The bound covers the whole inspection (routing and embedding as well
	// as the search query): they cannot be timed apart from here.
	ctx, cancel := s.queryContext(r)
	defer cancel()
	in, err := s.console.in.Inspect(ctx, q)
	if err != nil {
		err = s.inspectFailed(r, err)
		if wantsJSON(r) {
			return err
		}
		e := s.logError(r, err)
		s.show(w, r, e.status, "search", "search", "What the bot would see", searchData{Query: q, Error: e.public})
		return nil
	}
	d.Result = toSearchJSON(in)
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, d.Result)
		return nil
	}
	s.show(w, r, http.StatusOK, "search", "search", "What the bot would see", d)
	return nil
}

// inspectFailed is the answer to a question the console's search could not inspect.
func (s *Server) inspectFailed(r *http.Request, err error) *httpError {
	switch {
	case errors.Is(err, chat.ErrTooLong):
		return refuse(http.StatusBadRequest, "The question must be "+strconv.Itoa(s.cfg.MaxQuestionChars)+" characters or fewer")
	case errors.Is(err, chat.ErrEmpty):
		return refuse(http.StatusBadRequest, "Enter a question")
	case errors.Is(err, context.DeadlineExceeded):
		return failed(http.StatusServiceUnavailable, "The search took too long to answer. Try again.", "console: search timed out", err)
	}
	return failed(http.StatusBadGateway, "The search failed; see the server log for request "+requestID(r.Context()), "console: search failed", err)
}

func toSearchJSON(in chat.Inspection) *searchJSON {
	res := in.Result
	out := &searchJSON{Question: in.Question, Route: routeJSON{string(in.Route.Label), in.Route.Confidence, in.Route.Decider},
		Searched: in.Searched, NoContent: res.NoContent, BestVector: res.BestVector, BestText: res.BestText, Locale: res.Locale,
		Floor: floorJSON{Rule: res.FloorRule, Passed: in.Searched && !res.NoContent, MinVector: res.Floor.MinVector,
			MinText: res.Floor.MinText, MinVectorBoth: res.Floor.MinVectorBoth, MinTextBoth: res.Floor.MinTextBoth},
		Passages: []searchPassage{},
		Timings:  map[string]int64{"embed": res.EmbedTime.Milliseconds(), "search": res.SearchTime.Milliseconds()}}
	aps := chat.AuditPassages(res.Passages)
	for i, p := range res.Passages {
		out.Passages = append(out.Passages, searchPassage{AuditPassage: aps[i], Text: p.Text})
	}
	out.Composer = toComposerJSON(in.Composer)
	return out
}

func toComposerJSON(ex chat.Explanation) composerJSON {
	c := composerJSON{Status: string(ex.Status), Answered: ex.Answered, Intents: ex.Intents, Relevant: []int{}, Quotes: []quoteJSON{}}
	if c.Intents == nil {
		c.Intents = []string{}
	}
	for _, p := range ex.Passages {
		if p.Relevant {
			c.Relevant = append(c.Relevant, p.Index+1)
		}
	}
	for _, s := range ex.Sentences {
		if s.Chosen {
			q := quoteJSON{Passage: s.Passage + 1, Text: s.Text, Score: s.Score, Lead: s.Lead}
			if s.Lead {
				c.Quotes = append([]quoteJSON{q}, c.Quotes...)
			} else {
				c.Quotes = append(c.Quotes, q)
			}
		}
	}
	return c
}
