package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/store/storetest"
	"github.com/govchat/govchat/web"
)

// countingAsker streams the usual answer and counts the questions that
// reached it, past every guard.
type countingAsker struct {
	fakeAsker
	n atomic.Int32
}

func (c *countingAsker) Ask(ctx context.Context, req chat.Request, ev chat.Events) (chat.Outcome, error) {
	c.n.Add(1)
	// Any event may be nil (the form sets none); streamAnswer calls each.
	if ev.Progress == nil {
		ev.Progress = func(string) {}
	}
	if ev.Sources == nil {
		ev.Sources = func([]chat.Source) {}
	}
	return streamAnswer(ctx, req, ev, 0)
}

// startWithForm starts a server whose page's form shares its door, as
// `govchat serve` wires it.
func startWithForm(t *testing.T, cfg Config, asker Asker, st Store) *testServer {
	t.Helper()
	asker, st = testDefaults(t, asker, st)
	door := NewDoor(cfg, asker, st, nil)
	page, err := web.New(web.Options{Dir: t.TempDir(), Asker: door})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Page = page
	return startDoor(t, cfg, door, st)
}

func postForm(t *testing.T, ts *testServer, question string) (*http.Response, string) {
	t.Helper()
	resp, err := http.PostForm(ts.httpURL()+"/ask", url.Values{"question": {question}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	return resp, b.String()
}

func TestFormGoesThroughTheDoor(t *testing.T) {
	st := storetest.New(t)
	asker := &countingAsker{}
	ts := startWithForm(t, Config{AdminToken: "tok", RatePerIP: 2, KillSwitchTTL: time.Millisecond}, asker, st)

	for i := range 2 {
		if resp, body := postForm(t, ts, "How much is a passport?"); resp.StatusCode != 200 || !strings.Contains(body, "£88.50") {
			t.Fatalf("form post %d = %d; want 200 with the answer:\n%s", i+1, resp.StatusCode, body)
		}
	}
	resp, body := postForm(t, ts, "A third question")
	ra, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || ra < 1 || !strings.Contains(body, "You have asked a lot of questions") {
		t.Errorf("third form post = %d, Retry-After %q; want 429 with a wait and the rate-limit message", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(body, ">A third question</textarea>") {
		t.Error("the refused question is not kept in the text box")
	}
	// The websocket shares the door: the same address is over its limit.
	ws := dial(t, ts.wsURL(), nil)
	send(t, ws, askMsg("w", "and on the websocket?"))
	if m := read(t, ws); m.Code != CodeRateLimited {
		t.Errorf("websocket ask after two form posts: %+v; want rate_limited", m)
	}
	if n := asker.n.Load(); n != 2 {
		t.Errorf("the pipeline was asked %d times; want 2", n)
	}
	got := metricsText(t, ts)
	for _, want := range []string{`govchat_asks_total{status="answered"} 2`, `govchat_asks_total{status="rate_limited"} 2`,
		`govchat_rate_limited_total{scope="ip"} 2`} {
		if !strings.Contains(got, want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	if code, body := do(t, "POST", ts.httpURL()+"/admin/kill-switch", "tok", `{"web":true,"message":"Closed until 6pm."}`); code != 200 {
		t.Fatalf("switch off = %d %s", code, body)
	}
	resp, body = postForm(t, ts, "Is it on?")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "Closed until 6pm.") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("form post with the kill switch on = %d; want 503 with the operator's message", resp.StatusCode)
	}
	if n := asker.n.Load(); n != 2 {
		t.Errorf("the pipeline was asked %d times; want still 2", n)
	}
}

// Two servers on one database are one service: the limits and the
// one-question-at-a-time rule hold across them.
func TestLimitsSharedAcrossInstances(t *testing.T) {
	t.Run("rate per IP", func(t *testing.T) {
		st := storetest.New(t)
		asker := &countingAsker{}
		a := start(t, Config{RatePerIP: 3}, asker, st)
		b := start(t, Config{RatePerIP: 3}, asker, st)
		wa, wb := dial(t, a.wsURL(), nil), dial(t, b.wsURL(), nil)
		statuses := []string{}
		for i := range 6 {
			ws := wa
			if i%2 == 1 {
				ws = wb
			}
			send(t, ws, askMsg("q", "question"))
			m := read(t, ws)
			if m.Type == "error" {
				statuses = append(statuses, m.Code)
				continue
			}
			readUntil(t, ws, "done")
			statuses = append(statuses, "answered")
		}
		want := "answered answered answered rate_limited rate_limited rate_limited"
		if got := strings.Join(statuses, " "); got != want {
			t.Errorf("six asks alternating between two instances: %s; want %s", got, want)
		}
	})
	t.Run("busy", func(t *testing.T) {
		st := storetest.New(t)
		blocking := newBlockingAsker()
		a := start(t, Config{RatePerIP: 100}, blocking, st)
		b := start(t, Config{RatePerIP: 100}, &fakeAsker{composer: "offline"}, st)
		conv := chat.NewID()
		wa, wb := dial(t, a.wsURL(), nil), dial(t, b.wsURL(), nil)
		send(t, wa, map[string]string{"type": "ask", "id": "a", "question": "first", "conversation_id": conv})
		read(t, wa) // accepted
		waitFor(t, blocking.started, "the first answer to start")
		send(t, wb, map[string]string{"type": "ask", "id": "b", "question": "second", "conversation_id": conv})
		if m := read(t, wb); m.Code != CodeBusy || m.ID != "b" {
			t.Fatalf("same conversation on the other instance while answering: %+v; want busy", m)
		}
		send(t, wa, `{"type":"cancel"}`)
		waitFor(t, blocking.ended, "the first answer to end")
		readUntil(t, wa, "done")
		send(t, wb, map[string]string{"type": "ask", "id": "c", "question": "third", "conversation_id": conv})
		if done := readUntil(t, wb, "done"); done[len(done)-1].Status != "answered" {
			t.Errorf("after the first answer ended: %+v; want answered", done[len(done)-1])
		}
	})
}

// rawRequest sends the head of a request whose body never comes and
// returns what the server sends back before it closes the connection.
func rawRequest(t *testing.T, addr, head string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(hangTimeout))
	var b strings.Builder
	_, err = bufio.NewReader(c).WriteTo(&b)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server held a request with no body for %s", hangTimeout)
	}
	return b.String()
}

func TestReadDeadlines(t *testing.T) {
	ts := startWithForm(t, Config{ReadTimeout: 200 * time.Millisecond, AdminToken: "tok"}, nil, nil)
	for _, tc := range []struct{ name, head string }{
		{"form body", "POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nquestion=Hi"},
		{"admin body", "POST /admin/kill-switch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"web\""},
		{"feedback body", "POST /api/feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"},
		{"headers", "GET /healthz HTTP/1.1\r\nHost: x\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := rawRequest(t, ts.addr, tc.head)
			if strings.HasPrefix(got, "HTTP/1.1 200") {
				t.Errorf("a request that never finished was answered 200: %q", got)
			}
		})
	}
}

func TestWebsocketCapPerAddress(t *testing.T) {
	ts := start(t, Config{MaxConnsPerIP: 2, TrustProxy: true}, nil, nil)
	from := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }
	dial(t, ts.wsURL(), from("2001:db8:1:2::1"))
	dial(t, ts.wsURL(), from("2001:db8:1:2::2"))
	_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(), from("2001:db8:1:2:ffff::9"))
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third websocket from one /64 = %v; want 429", err)
	}
	dial(t, ts.wsURL(), from("2001:db8:1:3::1")) // another /64
	if got := metricsText(t, ts); !strings.Contains(got, `govchat_ws_connections_rejected_total{reason="per_ip"} 1`) {
		t.Error("metrics do not count the refused connection")
	}
}

func TestIdleWebsocketClosed(t *testing.T) {
	ts := start(t, Config{WSIdleTimeout: 300 * time.Millisecond}, nil, nil)
	ws := dial(t, ts.wsURL(), nil)
	_ = ws.SetReadDeadline(time.Now().Add(hangTimeout))
	_, _, err := ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure || ce.Text != "idle" {
		t.Fatalf("idle websocket: %v; want close 1000 idle", err)
	}
	if got := metricsText(t, ts); !strings.Contains(got, "govchat_ws_idle_closed_total 1") {
		t.Error("metrics do not count the idle close")
	}
}

func TestFeedbackCountsAgainstTheLimit(t *testing.T) {
	ts := start(t, Config{RatePerIP: 2}, nil, nil)
	ws := dial(t, ts.wsURL(), nil)
	var codes []string
	for range 4 {
		send(t, ws, `{"type":"feedback","message_id":"nosuchmessage","useful":true}`)
		codes = append(codes, read(t, ws).Code)
	}
	want := "invalid_message invalid_message rate_limited rate_limited"
	if got := strings.Join(codes, " "); got != want {
		t.Errorf("four feedback frames: %s; want %s", got, want)
	}
	send(t, ws, askMsg("q", "and a question?"))
	if m := read(t, ws); m.Code != CodeRateLimited {
		t.Errorf("ask after the feedback used the budget: %+v; want rate_limited", m)
	}
}

func TestAdminFailuresThrottled(t *testing.T) {
	ts := start(t, Config{AdminToken: "right", AdminFailures: 2}, nil, nil)
	url := ts.httpURL() + "/admin/kill-switch"
	// The right token gives its attempt back: an operator is not throttled.
	for i := range 5 {
		if code, body := do(t, "GET", url, "right", ""); code != http.StatusOK {
			t.Fatalf("right token %d = %d %s; want 200", i+1, code, body)
		}
	}
	// Twenty wrong guesses at once get two comparisons between them.
	codes := make(chan int, 20)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			code, _ := do(t, "GET", url, "wrong", "")
			codes <- code
		})
	}
	wg.Wait()
	close(codes)
	counts := map[int]int{}
	for c := range codes {
		counts[c]++
	}
	if counts[http.StatusForbidden] != 2 || counts[http.StatusTooManyRequests] != 18 {
		t.Errorf("twenty wrong tokens at once: %v; want 2 × 403 and 18 × 429", counts)
	}
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer right")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("after the failures even the right token = %d (Retry-After %q); want 429", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if got := metricsText(t, ts); !strings.Contains(got, "govchat_admin_throttled_total 19") {
		t.Error("metrics do not count the 19 throttled admin requests")
	}
}

func TestRateLimitPerIPv6Slash64(t *testing.T) {
	ts := start(t, Config{RatePerIP: 1, TrustProxy: true}, nil, nil)
	ask := func(ip string) string {
		ws := dial(t, ts.wsURL(), http.Header{"X-Forwarded-For": {ip}})
		send(t, ws, askMsg("q", "question"))
		m := read(t, ws)
		if m.Type == "error" {
			return m.Code
		}
		readUntil(t, ws, "done")
		return "answered"
	}
	got := []string{ask("2001:db8:1:2::1"), ask("2001:db8:1:2::2"), ask("2001:db8:1:3::1")}
	if want := "answered rate_limited answered"; strings.Join(got, " ") != want {
		t.Errorf("asks from ::1 and ::2 of one /64, then another /64: %v; want %s", got, want)
	}
}

// A database that hangs does not hold questions behind the kill switch:
// the read gives up after KillSwitchTimeout and the last value stands.
func TestKillSwitchReadTimeout(t *testing.T) {
	st := storetest.New(t)
	ts := start(t, Config{AdminToken: "tok", KillSwitchTTL: time.Millisecond, KillSwitchTimeout: 100 * time.Millisecond,
		LimitTimeout: 100 * time.Millisecond}, nil, st)
	if code, body := do(t, "POST", ts.httpURL()+"/admin/kill-switch", "tok", `{"web":true}`); code != 200 {
		t.Fatalf("switch off = %d %s", code, body)
	}
	ws := dial(t, ts.wsURL(), nil)

	// Hold the settings table for 3 s (on PGlite the whole database).
	ctx := context.Background()
	pc, err := pgx.Connect(ctx, storetest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	locked, released := make(chan struct{}), make(chan error, 1)
	go func() {
		tx, err := pc.Begin(ctx)
		if err != nil {
			close(locked)
			released <- err
			return
		}
		_, err = tx.Exec(ctx, fmt.Sprintf("LOCK TABLE %s.settings IN ACCESS EXCLUSIVE MODE", st.Schema()))
		close(locked)
		if err == nil {
			_, err = tx.Exec(ctx, "SELECT pg_sleep(3)")
		}
		_ = tx.Rollback(ctx)
		released <- err
	}()
	<-locked
	time.Sleep(20 * time.Millisecond) // past the 1 ms TTL
	for i := range 3 {
		send(t, ws, askMsg("k", "anything"))
		m := read(t, ws)
		select {
		case err := <-released:
			t.Fatalf("ask %d was answered only after the database came back (%v): %+v", i+1, err, m)
		default:
		}
		if m.Code != CodeServiceOff {
			t.Errorf("ask %d while the database hangs: %+v; want service_off, the last known state", i+1, m)
		}
	}
	if err := <-released; err != nil {
		t.Fatal(err)
	}
}

// The read deadline bounds reading the request, not the answer: a form
// question that takes longer than ReadTimeout is still answered.
func TestReadDeadlineDoesNotCutAnswers(t *testing.T) {
	slow := &fakeAsker{composer: "offline", fn: func(ctx context.Context, req chat.Request, ev chat.Events) (chat.Outcome, error) {
		select {
		case <-time.After(600 * time.Millisecond):
		case <-ctx.Done():
			return chat.Outcome{Status: chat.StatusCancelled}, nil
		}
		return chat.Outcome{Status: chat.StatusOK, Answer: "Slow but sure.", Composer: "offline"}, nil
	}}
	ts := startWithForm(t, Config{ReadTimeout: 200 * time.Millisecond}, slow, nil)
	resp, body := postForm(t, ts, "A slow question")
	if resp.StatusCode != 200 || !strings.Contains(body, "Slow but sure.") {
		t.Errorf("a form answer slower than the read deadline = %d; want 200 with the answer", resp.StatusCode)
	}
}
