package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/retrieval"
)

// Searcher runs retrieval; *retrieval.Searcher is one.
type Searcher interface {
	Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error)
}

// Dify's External Knowledge API error codes (docs/openapi.json). Dify
// defines codes for the key and the knowledge id only; other refusals use
// the HTTP status as their code.
const (
	difyBadHeader    = 1001 // invalid Authorization header format
	difyAuthFailed   = 1002 // authorization failed
	difyNoKnowledge  = 2001 // the knowledge does not exist
	difyMaxTopK      = 50
	difyMaxBodyBytes = 16 << 10
)

// DifyKnowledgeIDs are the knowledge ids POST /dify/retrieval serves: the
// whole index, or its English or Welsh pages.
var DifyKnowledgeIDs = map[string]string{"govchat": "", "govchat-en": "en", "govchat-cy": "cy"}

// WithDify enables POST /dify/retrieval, Dify's External Knowledge API,
// for callers that send key as a bearer token. An empty key leaves it off.
func WithDify(key string, searcher Searcher) Option {
	return func(s *Server) {
		if key != "" && searcher != nil {
			s.dify = &difyAPI{key: key, searcher: searcher}
		}
	}
}

type difyAPI struct {
	key      string // never logged
	searcher Searcher
}

type difyRequest struct {
	KnowledgeID      string `json:"knowledge_id"`
	Query            string `json:"query"`
	RetrievalSetting *struct {
		TopK           *int     `json:"top_k"`
		ScoreThreshold *float64 `json:"score_threshold"`
	} `json:"retrieval_setting"`
	MetadataCondition json.RawMessage `json:"metadata_condition"` // accepted, not applied
}

// DifyRecord is one passage in Dify's response.
type DifyRecord struct {
	Content  string         `json:"content"`
	Score    float64        `json:"score"`
	Title    string         `json:"title"`
	Metadata map[string]any `json:"metadata"`
}

type difyError struct {
	status int
	code   int
	msg    string
	wait   time.Duration // Retry-After, when rate limited
}

func (s *Server) difyRoutes(mux *http.ServeMux) {
	if s.dify != nil {
		mux.HandleFunc("POST /dify/retrieval", s.serveDify)
	}
}

func (s *Server) serveDify(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := Caller{IP: s.door.ClientIP(r), Channel: "dify", RequestID: requestID(r.Context())}
	records, status, derr := s.difyRetrieve(r, c)
	s.door.metrics.asked(status, chat.Outcome{}, time.Since(start), 0)
	s.log.Info("dify retrieval", "request_id", c.RequestID, "status", status, "records", len(records), "ms", time.Since(start).Milliseconds())
	if derr != nil {
		if derr.wait > 0 {
			setRetryAfter(w, derr.wait)
		}
		writeJSON(w, derr.status, map[string]any{"error_code": derr.code, "error_msg": derr.msg})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"records": records})
}

// difyRetrieve passes the request through the door's guards, then the key,
// the request and the personal-data check, and searches. status is the
// answer status counted in the metrics.
func (s *Server) difyRetrieve(r *http.Request, c Caller) ([]DifyRecord, string, *difyError) {
	if ref := s.door.check(r.Context(), c, ""); ref != nil {
		e := &difyError{status: http.StatusServiceUnavailable, code: http.StatusServiceUnavailable, msg: ref.Message}
		if ref.Status == chat.StatusRateLimited {
			e.status, e.code, e.wait = http.StatusTooManyRequests, http.StatusTooManyRequests, ref.Wait
		}
		return nil, string(ref.Status), e
	}
	if e := s.dify.authorize(r.Header.Get("Authorization")); e != nil {
		return nil, "unauthorised", e
	}
	req, locale, query, e := s.difyRequest(r)
	if e != nil {
		return nil, "bad_request", e
	}
	// Personal data is never searched, stored or logged.
	if len(chat.DetectPII(query)) > 0 {
		return nil, string(chat.StatusRefusedPII), &difyError{status: http.StatusUnprocessableEntity, code: http.StatusUnprocessableEntity, msg: chat.MsgPIIRefusal}
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.door.cfg.AskTimeout)
	defer cancel()
	res, err := s.dify.searcher.Search(ctx, retrieval.Query{Text: query, K: *req.RetrievalSetting.TopK, Locale: locale})
	if err != nil {
		s.log.Error("dify retrieval failed", "request_id", c.RequestID, "error", err)
		return nil, string(chat.StatusError), &difyError{status: http.StatusInternalServerError, code: http.StatusInternalServerError, msg: "Search failed. Try again later."}
	}
	records := difyRecords(res, *req.RetrievalSetting.ScoreThreshold)
	if len(records) == 0 {
		return records, string(chat.StatusNoContent), nil
	}
	return records, string(chat.StatusOK), nil
}

func (d *difyAPI) authorize(header string) *difyError {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		return &difyError{status: http.StatusForbidden, code: difyBadHeader, msg: "Invalid Authorization header format. Expected 'Bearer <api-key>' format."}
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(d.key)) != 1 {
		return &difyError{status: http.StatusForbidden, code: difyAuthFailed, msg: "Authorization failed."}
	}
	return nil
}

// difyRequest decodes and checks the body strictly.
func (s *Server) difyRequest(r *http.Request) (difyRequest, string, string, *difyError) {
	var req difyRequest
	bad := func(msg string) (difyRequest, string, string, *difyError) {
		return req, "", "", &difyError{status: http.StatusBadRequest, code: http.StatusBadRequest, msg: msg}
	}
	var body bytes.Buffer
	if _, err := body.ReadFrom(http.MaxBytesReader(nil, r.Body, difyMaxBodyBytes)); err != nil {
		return bad(fmt.Sprintf("The request body is larger than %d bytes or could not be read.", difyMaxBodyBytes))
	}
	dec := json.NewDecoder(&body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		return bad("The request body is not the JSON object the External Knowledge API sends: " + jsonProblem(err))
	}
	rs := req.RetrievalSetting
	switch {
	case rs == nil || rs.TopK == nil || rs.ScoreThreshold == nil:
		return bad("retrieval_setting with top_k and score_threshold is required.")
	case *rs.TopK < 1 || *rs.TopK > difyMaxTopK:
		return bad("top_k must be between 1 and " + strconv.Itoa(difyMaxTopK) + ".")
	case math.IsNaN(*rs.ScoreThreshold) || *rs.ScoreThreshold < 0 || *rs.ScoreThreshold > 1:
		return bad("score_threshold must be between 0 and 1.")
	}
	locale, ok := DifyKnowledgeIDs[req.KnowledgeID]
	if !ok {
		return req, "", "", &difyError{status: http.StatusNotFound, code: difyNoKnowledge, msg: "The knowledge does not exist. Use govchat, govchat-en or govchat-cy."}
	}
	query, err := chat.Normalise(req.Query, s.cfg.MaxQuestionChars)
	if err != nil {
		return bad(fmt.Sprintf("query must be between 1 and %d characters.", s.cfg.MaxQuestionChars))
	}
	return req, locale, query, nil
}

func jsonProblem(err error) string {
	if err == nil {
		return "more than one JSON value."
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return ute.Field + " has the wrong type."
	}
	return strings.TrimPrefix(err.Error(), "json: ") + "."
}

// difyRecords turns passages into Dify's records. The score is the
// passage's cosine similarity to the query (0 to 1); passages under
// threshold are left out, and nothing is returned when retrieval's "no
// content" floor says nothing relevant was found.
func difyRecords(res retrieval.Result, threshold float64) []DifyRecord {
	records := []DifyRecord{}
	if res.NoContent {
		return records
	}
	for _, p := range res.Passages {
		score := math.Round(min(1, max(0, p.VectorScore))*10000) / 10000
		if score < threshold {
			continue
		}
		md := map[string]any{"url": "https://www.gov.uk" + p.URL, "path": p.URL, "document_type": p.DocumentType, "locale": p.Locale}
		if h := p.Heading(); h != "" {
			md["heading"] = h
		}
		if !p.PublicUpdatedAt.IsZero() {
			md["public_updated_at"] = p.PublicUpdatedAt.UTC().Format(time.RFC3339)
		}
		records = append(records, DifyRecord{Content: p.Text, Score: score, Title: p.Title, Metadata: md})
	}
	return records
}
