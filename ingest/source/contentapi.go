package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/govchat/govchat/internal/version"
	"github.com/govchat/govchat/internal/wait"
)

// Defaults for ContentAPI fields left zero.
const (
	DefaultBaseURL       = "https://www.gov.uk/api/content"
	DefaultConcurrency   = 4
	DefaultRate          = rate.Limit(5)
	DefaultMaxRetries    = 4
	DefaultBaseBackoff   = 500 * time.Millisecond
	DefaultMaxBackoff    = 30 * time.Second
	DefaultMaxRetryAfter = 60 * time.Second
	DefaultMaxBodyBytes  = 10 << 20
	DefaultTimeout       = 30 * time.Second
)

// ContentAPI fetches content items from the GOV.UK Content API, one request
// per base path, a few at a time and at a polite rate. Items come out in the
// order of Paths whatever order the responses arrive in.
//
// A 404 or 410 yields an Item with that Status and no error: the page is gone
// (see Item.Gone). Network errors, 429 and 5xx responses are retried with
// exponential backoff and jitter, honouring Retry-After; what still fails,
// and any other status, yields an Item with Err set.
type ContentAPI struct {
	BaseURL string   // default DefaultBaseURL; each request is BaseURL + path
	Paths   []string // base paths, each starting with "/"; see ReadPaths

	// HTTPClient sends the requests; nil means a client with a
	// DefaultTimeout overall timeout per attempt.
	HTTPClient  *http.Client
	Concurrency int        // requests in flight at once; default DefaultConcurrency
	Rate        rate.Limit // requests per second, retries included; default DefaultRate; rate.Inf for none
	Burst       int        // requests allowed at once above Rate; default 1
	// MaxRetries is the number of retries after the first attempt; default
	// DefaultMaxRetries, negative for none.
	MaxRetries    int
	BaseBackoff   time.Duration // first retry delay before jitter; default DefaultBaseBackoff
	MaxBackoff    time.Duration // longest backoff delay; default DefaultMaxBackoff
	MaxRetryAfter time.Duration // longest Retry-After honoured; default DefaultMaxRetryAfter
	UserAgent     string        // default "govchat/<version> (+https://github.com/govchat/govchat)"
	MaxBodyBytes  int64         // largest response body; default DefaultMaxBodyBytes
	Logger        *slog.Logger  // nil discards
	// Redirects are followed only to the host of the first request and
	// never to a loopback, private or link-local address; AllowPrivate
	// lifts the second rule for tests and mirrors on the local network.
	// An HTTPClient with its own CheckRedirect keeps it.
	AllowPrivate bool

	// sleep waits between attempts; tests replace it to record delays.
	sleep func(ctx context.Context, d time.Duration) error
}

// fetcher is a ContentAPI's settings with defaults applied, and the one rate
// limiter every request of a run shares.
type fetcher struct {
	client        *http.Client
	limiter       *rate.Limiter
	userAgent     string
	maxRetries    int
	baseBackoff   time.Duration
	maxBackoff    time.Duration
	maxRetryAfter time.Duration
	maxBodyBytes  int64
	log           *slog.Logger
	sleep         func(ctx context.Context, d time.Duration) error
}

func (c ContentAPI) fetcher() *fetcher {
	f := &fetcher{
		client:        c.HTTPClient,
		userAgent:     c.UserAgent,
		maxRetries:    c.MaxRetries,
		baseBackoff:   positive(c.BaseBackoff, DefaultBaseBackoff),
		maxBackoff:    positive(c.MaxBackoff, DefaultMaxBackoff),
		maxRetryAfter: positive(c.MaxRetryAfter, DefaultMaxRetryAfter),
		maxBodyBytes:  positive(c.MaxBodyBytes, DefaultMaxBodyBytes),
		log:           orDiscard(c.Logger),
		sleep:         c.sleep,
	}
	if f.client == nil {
		f.client = &http.Client{Timeout: DefaultTimeout}
	}
	f.client = withRedirectPolicy(f.client, c.AllowPrivate)
	limit, burst := c.Rate, c.Burst
	if limit == 0 {
		limit = DefaultRate
	}
	burst = positive(burst, 1)
	f.limiter = rate.NewLimiter(limit, burst)
	if f.userAgent == "" {
		f.userAgent = "govchat/" + version.Version + " (+https://github.com/govchat/govchat)"
	}
	switch {
	case f.maxRetries == 0:
		f.maxRetries = DefaultMaxRetries
	case f.maxRetries < 0:
		f.maxRetries = 0
	}
	if f.sleep == nil {
		f.sleep = sleep
	}
	return f
}

func sleep(ctx context.Context, d time.Duration) error {
	if !wait.For(ctx, d) {
		return ctx.Err()
	}
	return nil
}

// Items fetches every path and calls yield with one Item per path, in the
// order of Paths. It returns early with yield's error unchanged when yield
// fails, and with a wrapped context error when ctx ends; either way no
// request is left running when it returns.
func (c ContentAPI) Items(ctx context.Context, yield func(Item) error) error {
	for i, p := range c.Paths {
		if err := checkPath(p); err != nil {
			return fmt.Errorf("source: Paths[%d]: %w", i, err)
		}
	}
	return c.items(ctx, c.fetcher(), c.Paths, yield)
}

// items fetches paths with f, which callers may share to keep one rate limit.
func (c ContentAPI) items(ctx context.Context, f *fetcher, paths []string, yield func(Item) error) error {
	base, err := baseURL(c.BaseURL)
	if err != nil {
		return err
	}
	workers := min(positive(c.Concurrency, DefaultConcurrency), max(len(paths), 1))

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()

	// pending holds the slots in path order; its capacity bounds how many
	// fetched bodies can wait for a slow consumer.
	pending := make(chan *slot, 2*workers)
	jobs := make(chan job)
	wg.Go(func() { feedJobs(ctx, paths, pending, jobs) })
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.slot.item, j.slot.fatal = f.item(ctx, base, j.path)
				close(j.slot.done)
			}
		})
	}

	for s := range pending {
		select {
		case <-s.done:
		case <-ctx.Done():
			return fmt.Errorf("source: fetching content items: %w", ctx.Err())
		}
		if s.fatal != nil {
			return s.fatal
		}
		if err := yield(s.item); err != nil {
			return err
		}
	}
	if err := parent.Err(); err != nil {
		return fmt.Errorf("source: fetching content items: %w", err)
	}
	return nil
}

// slot is one path's place in the output order: done is closed once item
// or fatal is set.
type slot struct {
	done  chan struct{}
	item  Item
	fatal error
}

// job is a path for a worker to fetch into its slot.
type job struct {
	path string
	slot *slot
}

// feedJobs queues each path's slot in path order, then hands the path to a
// worker; it closes both channels when done or when ctx ends.
func feedJobs(ctx context.Context, paths []string, pending chan<- *slot, jobs chan<- job) {
	defer close(pending)
	defer close(jobs)
	for _, p := range paths {
		s := &slot{done: make(chan struct{})}
		select {
		case pending <- s:
		case <-ctx.Done():
			return
		}
		select {
		case jobs <- job{p, s}:
		case <-ctx.Done():
			return
		}
	}
}

func baseURL(s string) (string, error) {
	if s == "" {
		s = DefaultBaseURL
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("source: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("source: base URL %q must be an http or https URL with a host and no query", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// item fetches one content item. The error is fatal to the run; a failure
// of this item alone is in Item.Err.
func (f *fetcher) item(ctx context.Context, base, path string) (Item, error) {
	u := base + path
	r, err := f.get(ctx, u, "application/json", isJSON, f.maxBodyBytes)
	if err != nil {
		return Item{}, err
	}
	return Item{Ref: path, Origin: u, Kind: KindContentItem, Body: r.body, Err: r.err, Status: r.status}, nil
}

// fetched is the final outcome of a GET after any retries.
type fetched struct {
	status int
	body   []byte // nil unless status is 200 and err is nil
	err    error  // why this URL failed; nil for 200, 404 and 410
}

// attempt is the outcome of one request.
type attempt struct {
	status     int
	body       []byte
	err        error
	retry      bool          // another attempt may succeed
	retryAfter time.Duration // the server's Retry-After, 0 when absent
}

// get fetches u, retrying what may be transient. A 404 or 410 is not an
// error: the caller decides what gone means. The error returned ends the
// run: the context ended or the rate limiter cannot wait.
func (f *fetcher) get(ctx context.Context, u, accept string, okType func(string) bool, maxBytes int64) (fetched, error) {
	for n := 0; ; n++ {
		if err := f.limiter.Wait(ctx); err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				err = ctxErr
			}
			return fetched{}, fmt.Errorf("source: waiting for the rate limiter before GET %s: %w", u, err)
		}
		a := f.do(ctx, u, accept, okType, maxBytes)
		if err := ctx.Err(); err != nil {
			return fetched{}, fmt.Errorf("source: GET %s: %w", u, err)
		}
		if a.err == nil {
			return fetched{status: a.status, body: a.body}, nil
		}
		if !a.retry || n >= f.maxRetries {
			err := fmt.Errorf("source: GET %s: %w", u, a.err)
			if n > 0 {
				err = fmt.Errorf("source: GET %s: giving up after %d attempts: %w", u, n+1, a.err)
			}
			return fetched{status: a.status, err: err}, nil
		}
		delay := f.backoff(n)
		if a.retryAfter > 0 {
			delay = min(a.retryAfter, f.maxRetryAfter)
		}
		f.log.Warn("source: retrying", "url", u, "attempt", n+1, "delay", delay, "err", a.err)
		if err := f.sleep(ctx, delay); err != nil {
			return fetched{}, fmt.Errorf("source: GET %s: %w", u, err)
		}
	}
}

// backoff is the delay before retry n+1: exponential from baseBackoff, capped
// at maxBackoff, with jitter over its upper half so workers spread out.
func (f *fetcher) backoff(n int) time.Duration {
	d := f.maxBackoff
	if n < 30 {
		d = min(f.baseBackoff<<n, f.maxBackoff)
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// do sends one request and classifies the outcome.
func (f *fetcher) do(ctx context.Context, u, accept string, okType func(string) bool, maxBytes int64) attempt {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return attempt{err: err}
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", accept)
	resp, err := f.client.Do(req)
	if errors.Is(err, ErrRedirect) {
		return attempt{err: err} // the same redirect comes back on every try
	}
	if err != nil {
		return attempt{err: err, retry: true}
	}
	defer resp.Body.Close()

	a := attempt{status: resp.StatusCode}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		drain(resp.Body)
		return a
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		drain(resp.Body)
		a.err = fmt.Errorf("%w %d", ErrStatus, resp.StatusCode)
		a.retry = true
		a.retryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
		return a
	default:
		drain(resp.Body)
		a.err = fmt.Errorf("%w %d", ErrStatus, resp.StatusCode)
		return a
	}

	ct := resp.Header.Get("Content-Type")
	if !okType(ct) {
		drain(resp.Body)
		a.err = fmt.Errorf("%w %q", ErrContentType, ct)
		return a
	}
	if resp.ContentLength > maxBytes {
		a.err = fmt.Errorf("body of %d bytes is over the %d byte limit: %w", resp.ContentLength, maxBytes, ErrTooLarge)
		return a
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		// A connection cut or a timeout mid-body is worth another try.
		a.err = fmt.Errorf("reading body: %w", err)
		a.retry = true
		return a
	}
	if int64(len(body)) > maxBytes {
		a.err = fmt.Errorf("body is over the %d byte limit: %w", maxBytes, ErrTooLarge)
		return a
	}
	a.body = body
	return a
}

// drain reads a little of an unwanted body so the connection can be reused.
func drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10))
}

// retryAfter parses a Retry-After value, in seconds or an HTTP date, into a
// delay from now; 0 when absent, unparseable or in the past.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		// Beyond a day is as good as forever; avoid overflowing Duration.
		return time.Duration(min(secs, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return mt
}

func isJSON(ct string) bool {
	mt := mediaType(ct)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func isXML(ct string) bool {
	mt := mediaType(ct)
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")
}

// positive is v, or def when v is not above zero.
func positive[T ~int | ~int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
