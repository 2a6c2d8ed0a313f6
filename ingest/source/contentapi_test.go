package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/govchat/govchat/internal/corpustest"
	"github.com/govchat/govchat/internal/version"
)

const apiPrefix = "/api/content"

// wantUA is the default User-Agent of a test build.
var wantUA = "govchat/" + version.Version + " (+https://github.com/govchat/govchat)"

// script answers one request to a path; n counts requests to that path from 1.
type script func(w http.ResponseWriter, r *http.Request, n int)

// fakeAPI is a Content API on loopback whose paths follow scripts. It counts
// requests, records user agents and measures the most requests in flight.
type fakeAPI struct {
	srv      *httptest.Server
	scripts  map[string]script
	mu       sync.Mutex
	hits     map[string]int
	agents   map[string]bool
	inFlight atomic.Int32
	maxIn    atomic.Int32
	total    atomic.Int32
}

func newFakeAPI(t testing.TB, scripts map[string]script) *fakeAPI {
	t.Helper()
	f := &fakeAPI{scripts: scripts, hits: make(map[string]int), agents: make(map[string]bool)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxIn.Load()
		if n <= m || f.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	f.total.Add(1)
	// Content API requests are keyed by base path, anything else by URL path.
	p := strings.TrimPrefix(r.URL.Path, apiPrefix)
	f.mu.Lock()
	f.hits[p]++
	hit := f.hits[p]
	f.agents[r.Header.Get("User-Agent")] = true
	f.mu.Unlock()
	s := f.scripts[p]
	if s == nil {
		http.NotFound(w, r)
		return
	}
	s(w, r, hit)
}

func (f *fakeAPI) hitsFor(p string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[p]
}

func (f *fakeAPI) userAgents() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var uas []string
	for ua := range f.agents {
		uas = append(uas, ua)
	}
	sort.Strings(uas)
	return uas
}

// api returns a ContentAPI for the fake with fast retries; delays records
// every wait between attempts instead of sleeping.
func (f *fakeAPI) api(paths ...string) (ContentAPI, *delays) {
	d := &delays{}
	return ContentAPI{
		BaseURL:     f.srv.URL + apiPrefix,
		Paths:       paths,
		HTTPClient:  f.srv.Client(),
		Rate:        rate.Inf,
		BaseBackoff: time.Millisecond,
		MaxBackoff:  8 * time.Millisecond,
		sleep:       d.sleep,
	}, d
}

type delays struct {
	mu sync.Mutex
	ds []time.Duration
}

func (d *delays) sleep(ctx context.Context, t time.Duration) error {
	d.mu.Lock()
	d.ds = append(d.ds, t)
	d.mu.Unlock()
	return ctx.Err()
}

func (d *delays) get() []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.ds)
}

func jsonBody(body string) script {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprint(w, body)
	}
}

func status(code int, header ...string) script {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

// then answers the first len(first) requests with first, the rest with last.
func then(last script, first ...script) script {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= len(first) {
			first[n-1](w, r, n)
			return
		}
		last(w, r, n)
	}
}

// hang blocks until the client gives up on the request.
func hang(_ http.ResponseWriter, r *http.Request, _ int) {
	<-r.Context().Done()
}

func TestContentAPIFaults(t *testing.T) {
	const ok = `{"base_path":"/x","title":"X"}`
	bigBody := `{"pad":"` + strings.Repeat("p", 2000) + `"}`
	tests := []struct {
		name       string
		script     script
		setup      func(*ContentAPI)
		wantStatus int
		wantBody   string
		wantErr    error  // errors.Is target; nil for none
		wantErrMsg string // substring of Err
		wantGone   bool
		wantHits   int
		wantDelays func([]time.Duration) bool
	}{
		{name: "ok", script: jsonBody(ok), wantStatus: 200, wantBody: ok, wantHits: 1},
		{
			name:       "429 with Retry-After seconds then 200",
			script:     then(jsonBody(ok), status(429, "Retry-After", "1")),
			wantStatus: 200, wantBody: ok, wantHits: 2,
			wantDelays: func(d []time.Duration) bool { return slices.Equal(d, []time.Duration{time.Second}) },
		},
		{
			name:       "Retry-After over the cap waits the cap",
			script:     then(jsonBody(ok), status(503, "Retry-After", "3600")),
			wantStatus: 200, wantBody: ok, wantHits: 2,
			wantDelays: func(d []time.Duration) bool { return slices.Equal(d, []time.Duration{DefaultMaxRetryAfter}) },
		},
		{
			name:       "Retry-After cap is configurable",
			script:     then(jsonBody(ok), status(429, "Retry-After", "30")),
			setup:      func(c *ContentAPI) { c.MaxRetryAfter = 2 * time.Second },
			wantStatus: 200, wantBody: ok, wantHits: 2,
			wantDelays: func(d []time.Duration) bool { return slices.Equal(d, []time.Duration{2 * time.Second}) },
		},
		{
			name:       "503 twice then 200 backs off exponentially",
			script:     then(jsonBody(ok), status(503), status(503)),
			wantStatus: 200, wantBody: ok, wantHits: 3,
			wantDelays: func(d []time.Duration) bool {
				// Jitter keeps each delay in the upper half of base<<n.
				return len(d) == 2 &&
					d[0] >= 500*time.Microsecond && d[0] <= time.Millisecond &&
					d[1] >= time.Millisecond && d[1] <= 2*time.Millisecond
			},
		},
		{
			name:       "500 every time gives up",
			script:     status(500),
			setup:      func(c *ContentAPI) { c.MaxRetries = 2 },
			wantStatus: 500, wantErr: ErrStatus, wantErrMsg: "giving up after 3 attempts: unexpected HTTP status 500", wantHits: 3,
		},
		{
			name:       "default retries",
			script:     status(502),
			wantStatus: 502, wantErr: ErrStatus, wantHits: 1 + DefaultMaxRetries,
		},
		{
			name:       "negative MaxRetries means one attempt",
			script:     status(503),
			setup:      func(c *ContentAPI) { c.MaxRetries = -1 },
			wantStatus: 503, wantErr: ErrStatus, wantHits: 1,
		},
		{name: "404 is gone", script: status(404), wantStatus: 404, wantGone: true, wantHits: 1},
		{name: "410 is gone", script: status(410), wantStatus: 410, wantGone: true, wantHits: 1},
		{name: "403 is not retried", script: status(403), wantStatus: 403, wantErr: ErrStatus, wantErrMsg: "status 403", wantHits: 1},
		{name: "400 is not retried", script: status(400), wantStatus: 400, wantErr: ErrStatus, wantHits: 1},
		{name: "204 is an error", script: status(204), wantStatus: 204, wantErr: ErrStatus, wantHits: 1},
		{
			name:       "hang then 200: client timeout fires and the retry succeeds",
			script:     then(jsonBody(ok), hang),
			setup:      func(c *ContentAPI) { c.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} },
			wantStatus: 200, wantBody: ok, wantHits: 2,
		},
		{
			name: "truncated body then 200",
			script: then(jsonBody(ok), func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", "100")
				fmt.Fprint(w, `{"cut`)
			}),
			wantStatus: 200, wantBody: ok, wantHits: 2,
		},
		{
			name:       "body over the limit with Content-Length",
			script:     jsonBody(bigBody),
			setup:      func(c *ContentAPI) { c.MaxBodyBytes = 1024 },
			wantStatus: 200, wantErr: ErrTooLarge, wantErrMsg: "over the 1024 byte limit", wantHits: 1,
		},
		{
			name: "streamed body over the limit",
			script: func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Content-Type", "application/json")
				for range 10 {
					fmt.Fprint(w, strings.Repeat("s", 200))
					w.(http.Flusher).Flush()
				}
			},
			setup:      func(c *ContentAPI) { c.MaxBodyBytes = 1024 },
			wantStatus: 200, wantErr: ErrTooLarge, wantHits: 1,
		},
		{
			name:       "body exactly at the limit",
			script:     jsonBody(bigBody),
			setup:      func(c *ContentAPI) { c.MaxBodyBytes = int64(len(bigBody)) },
			wantStatus: 200, wantBody: bigBody, wantHits: 1,
		},
		{
			name: "wrong content type",
			script: func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, "<html>maintenance</html>")
			},
			wantStatus: 200, wantErr: ErrContentType, wantErrMsg: `"text/html; charset=utf-8"`, wantHits: 1,
		},
		{name: "vendor JSON type", script: status(200, "Content-Type", "application/vnd.api+json"), wantStatus: 200, wantBody: "", wantHits: 1},
		{
			name:       "custom user agent",
			script:     jsonBody(ok),
			setup:      func(c *ContentAPI) { c.UserAgent = "custom/1" },
			wantStatus: 200, wantBody: ok, wantHits: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const p = "/x"
			f := newFakeAPI(t, map[string]script{p: tt.script})
			c, d := f.api(p)
			if tt.setup != nil {
				tt.setup(&c)
			}
			got, err := items(t, context.Background(), c)
			if err != nil {
				t.Fatalf("Items() error = %v; want per-item results only", err)
			}
			if len(got) != 1 {
				t.Fatalf("Items() yielded %d items; want 1", len(got))
			}
			it := got[0]
			if it.Ref != p || it.Origin != c.BaseURL+p || it.Kind != KindContentItem {
				t.Errorf("item = Ref %q Origin %q Kind %q; want %q, %q, %q", it.Ref, it.Origin, it.Kind, p, c.BaseURL+p, KindContentItem)
			}
			if it.Status != tt.wantStatus {
				t.Errorf("Status = %d; want %d", it.Status, tt.wantStatus)
			}
			if tt.wantErr == nil && it.Err != nil {
				t.Errorf("Err = %v; want nil", it.Err)
			}
			if tt.wantErr != nil {
				if !errors.Is(it.Err, tt.wantErr) || !strings.Contains(it.Err.Error(), tt.wantErrMsg) {
					t.Errorf("Err = %v; want %v containing %q", it.Err, tt.wantErr, tt.wantErrMsg)
				}
				if it.Body != nil {
					t.Errorf("Body = %q; want nil with an error", it.Body)
				}
				if !strings.HasPrefix(it.Err.Error(), "source: GET "+c.BaseURL+p) {
					t.Errorf("Err = %q; want it to name the URL", it.Err)
				}
			}
			if tt.wantErr == nil && !tt.wantGone && string(it.Body) != tt.wantBody {
				t.Errorf("Body = %q; want %q", it.Body, tt.wantBody)
			}
			if it.Gone() != tt.wantGone {
				t.Errorf("Gone() = %v; want %v", it.Gone(), tt.wantGone)
			}
			if h := f.hitsFor(p); h != tt.wantHits {
				t.Errorf("server saw %d requests; want %d", h, tt.wantHits)
			}
			if tt.wantDelays != nil && !tt.wantDelays(d.get()) {
				t.Errorf("retry delays = %v; not what the case wants", d.get())
			}
			ua := wantUA
			if c.UserAgent != "" {
				ua = c.UserAgent
			}
			if uas := f.userAgents(); !slices.Equal(uas, []string{ua}) {
				t.Errorf("User-Agent headers = %q; want %q", uas, ua)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"1", time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"1.5", 0},
		{"99999999999999999999", 0},
		{"9999999999", 24 * time.Hour},
		{"Sat, 01 Mar 2025 12:00:30 GMT", 30 * time.Second},
		{"Saturday, 01-Mar-25 12:01:00 GMT", time.Minute},
		{"Sat, 01 Mar 2025 11:59:00 GMT", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	f := ContentAPI{BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}.fetcher()
	for n := range 70 {
		full := time.Second
		if n < 4 {
			full = 100 * time.Millisecond << n
		}
		for range 20 {
			if d := f.backoff(n); d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %v; want within [%v, %v]", n, d, full/2, full)
			}
		}
	}
}

// manyPaths returns n paths and scripts that answer each with its own
// body, later paths faster, so responses tend to arrive out of order.
func manyPaths(n int) ([]string, map[string]script) {
	var paths []string
	scripts := make(map[string]script)
	for i := range n {
		p := fmt.Sprintf("/page-%02d", i)
		paths = append(paths, p)
		wait := time.Duration(n-i) * 200 * time.Microsecond
		scripts[p] = func(w http.ResponseWriter, r *http.Request, _ int) {
			time.Sleep(wait)
			jsonBody(`{"base_path":"`+p+`"}`)(w, r, 1)
		}
	}
	return paths, scripts
}

func TestContentAPIOrderAndConcurrency(t *testing.T) {
	for _, conc := range []int{1, 3, 8} {
		t.Run(fmt.Sprint("concurrency ", conc), func(t *testing.T) {
			paths, scripts := manyPaths(40)
			paths = append(paths, "/missing")
			f := newFakeAPI(t, scripts)
			c, _ := f.api(paths...)
			c.Concurrency = conc
			got, err := items(t, context.Background(), c)
			if err != nil {
				t.Fatalf("Items() error = %v", err)
			}
			var refs []string
			for i, it := range got {
				refs = append(refs, it.Ref)
				if i < 40 && string(it.Body) != `{"base_path":"`+it.Ref+`"}` {
					t.Errorf("item %d body = %q; want the body for %s", i, it.Body, it.Ref)
				}
			}
			if !slices.Equal(refs, paths) {
				t.Errorf("Items() order = %q; want %q", refs, paths)
			}
			if !got[40].Gone() {
				t.Errorf("/missing: Gone() = false, Status %d, Err %v", got[40].Status, got[40].Err)
			}
			if m := f.maxIn.Load(); m > int32(conc) {
				t.Errorf("%d requests in flight at once; want at most %d", m, conc)
			}
			if uas := f.userAgents(); !slices.Equal(uas, []string{wantUA}) {
				t.Errorf("User-Agent headers = %q; want %q", uas, wantUA)
			}
		})
	}
}

func TestContentAPIDefaultConcurrency(t *testing.T) {
	paths, scripts := manyPaths(30)
	f := newFakeAPI(t, scripts)
	c, _ := f.api(paths...)
	if _, err := items(t, context.Background(), c); err != nil {
		t.Fatalf("Items() error = %v", err)
	}
	if m := f.maxIn.Load(); m > DefaultConcurrency {
		t.Errorf("%d requests in flight at once; want at most %d", m, DefaultConcurrency)
	}
}

func TestContentAPIRateLimit(t *testing.T) {
	// A burst of 3 and then one token an hour: with a deadline well short of
	// an hour the limiter admits 3 requests and refuses the next at once,
	// whatever the speed of the machine; the refusal ends the run.
	//
	// With one worker the 3 admitted requests are the first 3 paths, served
	// and yielded before the refusal. With several, which request is refused
	// depends on which worker asks the limiter first: when it is one of the
	// first paths, the run ends and cancels the admitted requests still in
	// flight, so the server sees at most 3 (never more) and may see fewer.
	for _, tc := range []struct {
		workers int
		exact   bool
	}{{1, true}, {4, false}} {
		t.Run(fmt.Sprintf("%d workers", tc.workers), func(t *testing.T) {
			paths, scripts := manyPaths(10)
			f := newFakeAPI(t, scripts)
			c, _ := f.api(paths...)
			c.Rate, c.Burst, c.Concurrency = rate.Every(time.Hour), 3, tc.workers
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			got, err := items(t, ctx, c)
			if err == nil || !strings.Contains(err.Error(), "rate limiter") {
				t.Fatalf("Items() error = %v; want the rate limiter to refuse", err)
			}
			n := f.total.Load()
			if n > 3 || (tc.exact && n != 3) {
				t.Errorf("server saw %d requests; want the burst of 3 (at most 3 with several workers)", n)
			}
			if len(got) > 3 || (tc.exact && len(got) != 3) {
				t.Errorf("Items() yielded %d items; want the 3 admitted (at most 3 with several workers)", len(got))
			}
			for i, it := range got {
				if it.Ref != paths[i] || it.Err != nil {
					t.Errorf("item %d = %s (%v); want %s fetched (order kept)", i, it.Ref, it.Err, paths[i])
				}
			}
		})
	}
}

func TestContentAPIRateLimitCountsRetries(t *testing.T) {
	f := newFakeAPI(t, map[string]script{"/x": then(jsonBody("{}"), status(503), status(503), status(503))})
	c, _ := f.api("/x")
	c.Rate, c.Burst = rate.Every(time.Hour), 2
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := items(t, ctx, c); err == nil {
		t.Fatal("Items() error = nil; want the rate limiter to refuse the third attempt")
	}
	if n := f.hitsFor("/x"); n != 2 {
		t.Errorf("server saw %d requests; want 2 (retries wait for the limiter too)", n)
	}
}

func TestContentAPICancel(t *testing.T) {
	entered := make(chan struct{}, 16)
	released := make(chan struct{}, 16)
	f := newFakeAPI(t, map[string]script{
		"/fast": jsonBody("{}"),
		"/slow": func(_ http.ResponseWriter, r *http.Request, _ int) {
			entered <- struct{}{}
			<-r.Context().Done()
			released <- struct{}{}
		},
	})
	c, _ := f.api("/fast", "/slow", "/slow2")
	c.HTTPClient = &http.Client{} // no timeout: only ctx can end the request
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-entered
		cancel()
	}()
	got, err := items(t, ctx, c)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Items() error = %v; want context.Canceled", err)
	}
	if !strings.HasPrefix(err.Error(), "source: ") {
		t.Errorf("Items() error = %q; want the source: prefix", err)
	}
	if len(got) > 1 {
		t.Errorf("Items() yielded %d items; want at most /fast", len(got))
	}
	<-released // the server saw the request cancelled
}

func TestContentAPICancelDuringBackoff(t *testing.T) {
	f := newFakeAPI(t, map[string]script{"/x": status(503)})
	c, _ := f.api("/x")
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(ctx context.Context, _ time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	if _, err := items(t, ctx, c); !errors.Is(err, context.Canceled) {
		t.Fatalf("Items() error = %v; want context.Canceled", err)
	}
	if n := f.hitsFor("/x"); n != 1 {
		t.Errorf("server saw %d requests; want 1", n)
	}
}

func TestContentAPIYieldError(t *testing.T) {
	paths, scripts := manyPaths(30)
	f := newFakeAPI(t, scripts)
	c, _ := f.api(paths...)
	stop := errors.New("stop")
	n := 0
	err := c.Items(context.Background(), func(Item) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Fatalf("Items() error = %v after %d items; want %v after 1", err, n, stop)
	}
}

func TestContentAPIBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		c       ContentAPI
		wantErr string
	}{
		{name: "bad path", c: ContentAPI{Paths: []string{"/ok", "no-slash"}}, wantErr: "source: Paths[1]: path \"no-slash\" does not start"},
		{name: "bad base URL", c: ContentAPI{BaseURL: "ftp://x/api", Paths: []string{"/a"}}, wantErr: "must be an http or https URL"},
		{name: "base URL with query", c: ContentAPI{BaseURL: "https://x/api?a=b", Paths: []string{"/a"}}, wantErr: "no query"},
		{name: "unparseable base URL", c: ContentAPI{BaseURL: "http://[::1", Paths: []string{"/a"}}, wantErr: "source: base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := items(t, context.Background(), tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Items() error = %v; want %q", err, tt.wantErr)
			}
		})
	}
}

func TestContentAPINoPaths(t *testing.T) {
	got, err := items(t, context.Background(), ContentAPI{})
	if err != nil || len(got) != 0 {
		t.Errorf("Items() = %d items, %v; want none and nil", len(got), err)
	}
}

// corpus loads the shared corpus keyed by base path; when several files
// share a base path the first in sorted order wins. It returns the base
// paths in that order too.
func corpus(t testing.TB) (map[string][]byte, []string) {
	t.Helper()
	files := corpustest.CorpusFiles(t)
	byPath := make(map[string][]byte)
	var paths []string
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			BasePath string `json:"base_path"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if head.BasePath == "" || byPath[head.BasePath] != nil {
			continue
		}
		byPath[head.BasePath] = b
		paths = append(paths, head.BasePath)
	}
	return byPath, paths
}

// corpusScripts serves each corpus item as the Content API would.
func corpusScripts(byPath map[string][]byte) map[string]script {
	scripts := make(map[string]script, len(byPath))
	for p, b := range byPath {
		scripts[p] = func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(b)
		}
	}
	return scripts
}

func TestContentAPICorpus(t *testing.T) {
	byPath, paths := corpus(t)
	if len(paths) < 200 {
		t.Fatalf("corpus has %d base paths; want the full corpus", len(paths))
	}
	f := newFakeAPI(t, corpusScripts(byPath))
	want := append(slices.Clone(paths), "/no-such-page")
	// Reverse so the order asked for is not the order of the files.
	slices.Reverse(want)
	c, _ := f.api(want...)
	got, err := items(t, context.Background(), c)
	if err != nil {
		t.Fatalf("Items() error = %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("Items() yielded %d items; want %d", len(got), len(want))
	}
	for i, it := range got {
		if it.Ref != want[i] {
			t.Fatalf("item %d = %s; want %s", i, it.Ref, want[i])
		}
		if it.Ref == "/no-such-page" {
			if !it.Gone() {
				t.Errorf("%s: Gone() = false; Status %d Err %v", it.Ref, it.Status, it.Err)
			}
			continue
		}
		if it.Err != nil || it.Status != 200 || string(it.Body) != string(byPath[it.Ref]) {
			t.Errorf("%s: Status %d Err %v, body of %d bytes; want the corpus file's %d bytes", it.Ref, it.Status, it.Err, len(it.Body), len(byPath[it.Ref]))
		}
	}
	if m := f.maxIn.Load(); m > DefaultConcurrency {
		t.Errorf("%d requests in flight; want at most %d", m, DefaultConcurrency)
	}
	if uas := f.userAgents(); !slices.Equal(uas, []string{wantUA}) {
		t.Errorf("User-Agent headers = %q; want %q", uas, wantUA)
	}
}

func TestSleep(t *testing.T) {
	if err := sleep(context.Background(), 0); err != nil {
		t.Errorf("sleep(0) = %v; want nil", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep(cancelled, 1h) = %v; want context.Canceled", err)
	}
}

func TestContentAPILogsRetries(t *testing.T) {
	f := newFakeAPI(t, map[string]script{"/x": then(jsonBody("{}"), status(503))})
	c, _ := f.api("/x")
	var buf bytes.Buffer
	c.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	if _, err := items(t, context.Background(), c); err != nil {
		t.Fatalf("Items() error = %v", err)
	}
	if !strings.Contains(buf.String(), "source: retrying") || !strings.Contains(buf.String(), "attempt=1") {
		t.Errorf("log = %q; want one retry logged", buf.String())
	}
}
