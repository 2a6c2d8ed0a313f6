package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/govchat/govchat/embed"
	"github.com/govchat/govchat/internal/corpustest/corpusindex"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// countingSearcher is the real searcher, counting the queries it was given.
type countingSearcher struct {
	*retrieval.Searcher
	n atomic.Int32
}

func (c *countingSearcher) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	c.n.Add(1)
	return c.Searcher.Search(ctx, q)
}

// difyIndex ingests the ingest test pages with the lexical embedder into a
// schema of the test's own.
func difyIndex(t *testing.T) (*store.Store, *countingSearcher) {
	t.Helper()
	st := storetest.New(t)
	emb, err := embed.NewLexical(embed.DefaultLexicalDims + 100)
	if err != nil {
		t.Fatal(err)
	}
	corpusindex.Ingest(context.Background(), t, st, emb, "../ingest/testdata/pages")
	return st, &countingSearcher{Searcher: retrieval.New(st, emb, retrieval.Options{})}
}

func difyBody(knowledge, query string, topK int, threshold float64) string {
	b, _ := json.Marshal(map[string]any{"knowledge_id": knowledge, "query": query,
		"retrieval_setting": map[string]any{"top_k": topK, "score_threshold": threshold}})
	return string(b)
}

type difyReply struct {
	Records   []DifyRecord `json:"records"`
	ErrorCode int          `json:"error_code"`
	ErrorMsg  string       `json:"error_msg"`
}

func postDify(t *testing.T, ts *testServer, auth, body string) (int, difyReply) {
	t.Helper()
	req, err := http.NewRequest("POST", ts.httpURL()+"/dify/retrieval", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r difyReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("POST /dify/retrieval = %d with a body that is not JSON: %v", resp.StatusCode, err)
	}
	return resp.StatusCode, r
}

func TestDifyRetrieval(t *testing.T) {
	st, searcher := difyIndex(t)
	ts := start(t, Config{AdminToken: "admin"}, nil, st, WithDify("dify-secret", searcher))
	const key = "Bearer dify-secret"

	code, r := postDify(t, ts, key, difyBody("govchat", "When are my bins collected?", 3, 0))
	if code != 200 || len(r.Records) == 0 || len(r.Records) > 3 {
		t.Fatalf("retrieval = %d with %d records; want 200 with 1 to 3", code, len(r.Records))
	}
	top := r.Records[0]
	if top.Title != "Bin collections" || !strings.Contains(top.Content, "collected") || top.Score < 0 || top.Score > 1 ||
		top.Metadata == nil || !strings.HasPrefix(top.Metadata["path"].(string), "/waste/bins") {
		t.Errorf("top record = %+v; want the bin collections page with a score in 0..1 and its path in metadata", top)
	}
	if code, r := postDify(t, ts, key, difyBody("govchat", "When are my bins collected?", 3, 1)); code != 200 || r.Records == nil || len(r.Records) != 0 {
		t.Errorf("score_threshold 1 = %d, %+v; want 200 and an empty records list", code, r.Records)
	}

	tests := []struct {
		name, auth, body string
		status, code     int
	}{
		{"no header", "", difyBody("govchat", "bins", 3, 0), 403, 1001},
		{"not bearer", "Token dify-secret", difyBody("govchat", "bins", 3, 0), 403, 1001},
		{"wrong key", "Bearer guess", difyBody("govchat", "bins", 3, 0), 403, 1002},
		{"admin token is not the dify key", "Bearer admin", difyBody("govchat", "bins", 3, 0), 403, 1002},
		{"unknown knowledge", key, difyBody("passports", "bins", 3, 0), 404, 2001},
		{"no retrieval_setting", key, `{"knowledge_id":"govchat","query":"bins"}`, 400, 400},
		{"top_k 0", key, difyBody("govchat", "bins", 0, 0), 400, 400},
		{"threshold above 1", key, difyBody("govchat", "bins", 3, 1.5), 400, 400},
		{"unknown field", key, `{"knowledge_id":"govchat","query":"bins","retrieval_setting":{"top_k":1,"score_threshold":0},"extra":1}`, 400, 400},
		{"malformed", key, `{"knowledge_id":`, 400, 400},
		{"empty query", key, difyBody("govchat", "  ", 3, 0), 400, 400},
		{"query too long", key, difyBody("govchat", strings.Repeat("bins ", 100), 3, 0), 400, 400},
		{"personal data", key, difyBody("govchat", "my NI number is QQ 12 34 56 C, when are my bins collected?", 3, 0), 422, 422},
	}
	before := searcher.n.Load()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, r := postDify(t, ts, tt.auth, tt.body)
			if code != tt.status || r.ErrorCode != tt.code || r.ErrorMsg == "" {
				t.Errorf("POST = %d %+v; want %d with error_code %d and a message", code, r, tt.status, tt.code)
			}
		})
	}
	if n := searcher.n.Load() - before; n != 0 {
		t.Errorf("%d refused requests reached the searcher; want none", n)
	}
	if m := metricsText(t, ts); !strings.Contains(m, `govchat_asks_total{status="refused_pii"} 1`) ||
		!strings.Contains(m, `govchat_asks_total{status="answered"} 1`) {
		t.Errorf("metrics do not count the Dify requests:\n%s", m)
	}
}

func TestDifyOffWithoutKey(t *testing.T) {
	st, searcher := difyIndex(t)
	ts := start(t, Config{}, nil, st, WithDify("", searcher))
	if code, _ := do(t, "POST", ts.httpURL()+"/dify/retrieval", "", difyBody("govchat", "bins", 3, 0)); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		t.Errorf("POST /dify/retrieval without GOVCHAT_DIFY_API_KEY = %d; want 404", code)
	}
}

func TestDifyGoesThroughTheDoor(t *testing.T) {
	st, searcher := difyIndex(t)
	ts := start(t, Config{AdminToken: "tok", RatePerIP: 2}, nil, st, WithDify("k", searcher))
	body := difyBody("govchat", "When are my bins collected?", 2, 0)
	for i := range 2 {
		if code, _ := postDify(t, ts, "Bearer k", body); code != 200 {
			t.Fatalf("request %d = %d; want 200 within the per-IP rate", i+1, code)
		}
	}
	if code, r := postDify(t, ts, "Bearer k", body); code != http.StatusTooManyRequests || r.ErrorCode != 429 {
		t.Errorf("third request in a minute = %d %+v; want 429", code, r)
	}

	other := start(t, Config{AdminToken: "tok"}, nil, storetest.New(t), WithDify("k", searcher))
	if code, b := do(t, "POST", other.httpURL()+"/admin/kill-switch", "tok", `{"web":true}`); code != 200 {
		t.Fatalf("kill switch = %d %s", code, b)
	}
	if code, r := postDify(t, other, "Bearer k", body); code != http.StatusServiceUnavailable || r.ErrorCode != 503 {
		t.Errorf("with the kill switch on = %d %+v; want 503", code, r)
	}
}

func FuzzDifyRequest(f *testing.F) {
	f.Add(`{"knowledge_id":"govchat","query":"bins","retrieval_setting":{"top_k":3,"score_threshold":0.5}}`)
	f.Add(`{"knowledge_id":"x","query":"","retrieval_setting":{"top_k":-1,"score_threshold":2}}`)
	f.Add(`{"knowledge_id":"govchat-cy","query":"\u202ebins","retrieval_setting":{"top_k":1,"score_threshold":0},"metadata_condition":{}}`)
	f.Add(`{`)
	s := &Server{cfg: Config{}.withDefaults()}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/dify/retrieval", strings.NewReader(body))
		req, locale, query, e := s.difyRequest(r)
		if e != nil {
			if e.msg == "" || (e.status != 400 && e.status != 404) {
				t.Fatalf("difyRequest(%q) refused with %+v; want 400 or 404 with a message", body, e)
			}
			return
		}
		rs := req.RetrievalSetting
		if _, ok := DifyKnowledgeIDs[req.KnowledgeID]; !ok || DifyKnowledgeIDs[req.KnowledgeID] != locale {
			t.Fatalf("difyRequest(%q) accepted knowledge id %q", body, req.KnowledgeID)
		}
		if *rs.TopK < 1 || *rs.TopK > difyMaxTopK || *rs.ScoreThreshold < 0 || *rs.ScoreThreshold > 1 {
			t.Fatalf("difyRequest(%q) accepted top_k %d, threshold %v", body, *rs.TopK, *rs.ScoreThreshold)
		}
		if query == "" || len([]rune(query)) > s.cfg.MaxQuestionChars {
			t.Fatalf("difyRequest(%q) accepted query %q", body, query)
		}
	})
}
