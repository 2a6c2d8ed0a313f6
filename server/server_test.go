package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// hangTimeout only stops a broken test from hanging; no test measures time.
const hangTimeout = 20 * time.Second

var shared struct {
	once sync.Once
	st   *store.Store
}

// sharedStore is one migrated schema for the tests that only need a store
// to exist; tests that change settings make their own with storetest.New.
func sharedStore(t *testing.T) *store.Store {
	t.Helper()
	storetest.URL(t)
	shared.once.Do(func() { shared.st = storetest.NewShared(t) })
	if shared.st == nil {
		t.Fatal("the shared store could not be opened")
	}
	return shared.st
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.st != nil {
		shared.st.Close()
	}
	if consoleIndex != nil {
		consoleIndex.Close()
	}
	storetest.DropShared()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// fakeAsker runs fn, or streams a fixed answer when fn is nil.
type fakeAsker struct {
	composer string
	fn       func(ctx context.Context, req chat.Request, ev chat.Events) (chat.Outcome, error)
}

func (f *fakeAsker) Composer() string { return f.composer }

func (f *fakeAsker) Ask(ctx context.Context, req chat.Request, ev chat.Events) (chat.Outcome, error) {
	if f.fn != nil {
		return f.fn(ctx, req, ev)
	}
	return streamAnswer(ctx, req, ev, 0)
}

var testSources = []chat.Source{{Index: 1, Title: "Renew your passport", Heading: "Fees", URL: "/renew-adult-passport#fees", Updated: "2024-01-31"}}

// streamAnswer is a well-behaved turn: accepted, three stages, two deltas,
// sources, done. It waits pause before the deltas.
func streamAnswer(ctx context.Context, req chat.Request, ev chat.Events, pause time.Duration) (chat.Outcome, error) {
	out := chat.Outcome{ConversationID: req.ConversationID, MessageID: chat.NewID(), Composer: "offline"}
	if out.ConversationID == "" {
		out.ConversationID = chat.NewID()
	}
	ev.Accepted(out.ConversationID, out.MessageID)
	for _, s := range []string{"checking", "searching", "composing"} {
		ev.Progress(s)
	}
	select {
	case <-time.After(pause):
	case <-ctx.Done():
		out.Status = chat.StatusCancelled
		return out, nil
	}
	for _, d := range []string{"It costs £88.50 ", "online [1]."} {
		if err := ev.Delta(d); err != nil {
			out.Status = chat.StatusCancelled
			return out, nil
		}
		out.Answer += d
	}
	ev.Sources(testSources)
	out.Sources, out.Status = testSources, chat.StatusOK
	out.Route = chat.Decision{Label: chat.LabelGenuineRAG, Confidence: 0.9876, Decider: "model:test"}
	return out, nil
}

type testServer struct {
	srv    *Server
	addr   string
	cancel context.CancelFunc
	done   chan error
}

func (ts *testServer) wsURL() string   { return "ws://" + ts.addr + "/ws" }
func (ts *testServer) httpURL() string { return "http://" + ts.addr }

// stop shuts the server down and returns Run's error.
func (ts *testServer) stop(t *testing.T) error {
	t.Helper()
	ts.cancel()
	select {
	case err := <-ts.done:
		ts.done <- err
		return err
	case <-time.After(hangTimeout):
		return errors.New("Run did not return after shutdown")
	}
}

func start(t *testing.T, cfg Config, asker Asker, st Store, opts ...Option) *testServer {
	t.Helper()
	asker, st = testDefaults(t, asker, st)
	return startDoor(t, cfg, NewDoor(cfg, asker, st, nil), st, opts...)
}

// testDefaults fills in the fake asker and a store of the test's own: the
// rate limits live in the database, and every test client is 127.0.0.1.
func testDefaults(t *testing.T, asker Asker, st Store) (Asker, Store) {
	if asker == nil {
		asker = &fakeAsker{composer: "offline"}
	}
	if st == nil {
		st = storetest.New(t)
	}
	return asker, st
}

func startDoor(t *testing.T, cfg Config, door *Door, st Store, opts ...Option) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ShutdownTimeout = max(cfg.ShutdownTimeout, 5*time.Second)
	srv := New(cfg, door, st, nil, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{srv: srv, addr: ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- srv.Run(ctx, ln) }()
	t.Cleanup(func() {
		if err := ts.stop(t); err != nil && !strings.Contains(t.Name(), "Timeout") {
			t.Errorf("shutdown: %v", err)
		}
	})
	return ts
}

func dial(t *testing.T, url string, header http.Header) *websocket.Conn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		status := ""
		if resp != nil {
			status = resp.Status
		}
		t.Fatalf("dial %s: %v %s", url, err, status)
	}
	t.Cleanup(func() { ws.Close() })
	hello := read(t, ws)
	if hello.Type != "hello" {
		t.Fatalf("first message type = %q; want hello", hello.Type)
	}
	return ws
}

func read(t *testing.T, ws *websocket.Conn) ServerMessage {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(hangTimeout))
	var m ServerMessage
	if err := ws.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

// readUntil reads messages up to and including the first of type typ.
func readUntil(t *testing.T, ws *websocket.Conn, typ string) []ServerMessage {
	t.Helper()
	var out []ServerMessage
	for {
		m := read(t, ws)
		out = append(out, m)
		if m.Type == typ {
			return out
		}
	}
}

func send(t *testing.T, ws *websocket.Conn, v any) {
	t.Helper()
	var err error
	if s, ok := v.(string); ok {
		err = ws.WriteMessage(websocket.TextMessage, []byte(s))
	} else {
		err = ws.WriteJSON(v)
	}
	if err != nil {
		t.Fatalf("send: %v", err)
	}
}

func askMsg(id, question string) map[string]string {
	return map[string]string{"type": "ask", "id": id, "question": question}
}

func TestHelloAndAnswer(t *testing.T) {
	ts := start(t, Config{MaxQuestionChars: 250}, &fakeAsker{composer: "llm"}, nil)
	ws, _, err := websocket.DefaultDialer.Dial(ts.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	hello := read(t, ws)
	if hello.Type != "hello" || hello.V != 1 || hello.Composer != "llm" || hello.MaxQuestionChars != 250 || hello.Notice == "" {
		t.Errorf("hello = %+v; want v 1, composer llm, max 250 and a notice", hello)
	}
	if got, want := fmt.Sprint(hello.Statuses), fmt.Sprint(chat.AllStatuses()); got != want {
		t.Errorf("hello statuses = %s; want %s", got, want)
	}

	send(t, ws, askMsg("ref-1", "How much is a passport?"))
	msgs := readUntil(t, ws, "done")
	var types []string
	var text string
	for _, m := range msgs {
		types = append(types, m.Type)
		if m.Type == "delta" {
			text += m.Text
		}
	}
	if got, want := strings.Join(types, ","), "accepted,progress,progress,progress,delta,delta,sources,done"; got != want {
		t.Fatalf("message types = %s; want %s", got, want)
	}
	acc, done := msgs[0], msgs[len(msgs)-1]
	if acc.ID != "ref-1" || acc.ConversationID == "" || acc.MessageID == "" {
		t.Errorf("accepted = %+v; want id ref-1 and both ids", acc)
	}
	for _, m := range msgs[1:] {
		if m.MessageID != acc.MessageID {
			t.Errorf("%s message_id = %q; want %q", m.Type, m.MessageID, acc.MessageID)
		}
	}
	if msgs[1].Stage != "checking" || msgs[3].Stage != "composing" {
		t.Errorf("stages = %q..%q; want checking..composing", msgs[1].Stage, msgs[3].Stage)
	}
	if done.Status != "answered" || done.Answer != text || done.Composer != "offline" {
		t.Errorf("done = %+v; want status answered, composer offline, answer %q", done, text)
	}
	if src := msgs[6].Sources; len(src) != 1 || src[0].URL != "/renew-adult-passport#fees" || src[0].Updated != "2024-01-31" {
		t.Errorf("sources = %+v", src)
	}
}

func TestClientAsk(t *testing.T) {
	ts := start(t, Config{}, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), hangTimeout)
	defer cancel()
	c, err := Dial(ctx, ts.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var streamed strings.Builder
	a, err := c.Ask(ctx, "How much is a passport?", "", func(s string) { streamed.WriteString(s) })
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != chat.StatusOK || a.Answer != streamed.String() || len(a.Sources) != 1 || a.ConversationID == "" {
		t.Errorf("Ask = %+v (streamed %q)", a, streamed.String())
	}
	// A follow-up in the same conversation on the same connection.
	b, err := c.Ask(ctx, "And for a child?", a.ConversationID, nil)
	if err != nil || b.ConversationID != a.ConversationID {
		t.Errorf("follow-up = %+v, %v; want conversation %s", b, err, a.ConversationID)
	}
}

func TestBadMessagesKeepTheConnection(t *testing.T) {
	ts := start(t, Config{MaxQuestionChars: 20}, nil, nil)
	ws := dial(t, ts.wsURL(), nil)
	for _, tc := range []struct {
		name, msg, code, id string
	}{
		{"not JSON", "hello?", CodeInvalidMessage, ""},
		{"JSON but not an object", `["ask"]`, CodeInvalidMessage, ""},
		{"no type", `{"question":"hi"}`, CodeInvalidMessage, ""},
		{"unknown type", `{"type":"shout","id":"r1"}`, CodeInvalidMessage, "r1"},
		{"ask without question", `{"type":"ask","id":"r2"}`, CodeInvalidMessage, "r2"},
		{"question of the wrong type", `{"type":"ask","id":"r3","question":7}`, CodeInvalidMessage, ""},
		{"bad conversation id", `{"type":"ask","id":"r4","question":"hi","conversation_id":"../etc"}`, CodeInvalidMessage, "r4"},
		{"question too long", `{"type":"ask","id":"r5","question":"` + strings.Repeat("a", 21) + `"}`, CodeTooLarge, "r5"},
		{"feedback without useful", `{"type":"feedback","message_id":"abc"}`, CodeInvalidMessage, ""},
	} {
		send(t, ws, tc.msg)
		m := read(t, ws)
		if m.Type != "error" || m.Code != tc.code || m.ID != tc.id || m.Message == "" {
			t.Errorf("%s: reply = %+v; want error %s with id %q", tc.name, m, tc.code, tc.id)
		}
	}
	if err := ws.WriteMessage(websocket.BinaryMessage, []byte{0xff, 0x00}); err != nil {
		t.Fatal(err)
	}
	if m := read(t, ws); m.Type != "error" || m.Code != CodeInvalidMessage {
		t.Errorf("binary frame: reply = %+v; want error invalid_message", m)
	}
	send(t, ws, `{"type":"ask","id":"ok","question":"Passport fee?","extra":{"ignored":true}}`)
	if done := readUntil(t, ws, "done"); done[len(done)-1].Status != "answered" {
		t.Errorf("after errors: done = %+v", done[len(done)-1])
	}
}

func TestOversizedFrameCloses1009(t *testing.T) {
	ts := start(t, Config{MaxMessageBytes: 1024}, nil, nil)
	ws := dial(t, ts.wsURL(), nil)
	send(t, ws, askMsg("big", strings.Repeat("a", 4096)))
	_ = ws.SetReadDeadline(time.Now().Add(hangTimeout))
	_, _, err := ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("read after an oversized frame: %v; want close 1009", err)
	}
}

func TestRateLimits(t *testing.T) {
	t.Run("per IP", func(t *testing.T) {
		ts := start(t, Config{RatePerIP: 1, RatePerConv: 100}, nil, nil)
		ws := dial(t, ts.wsURL(), nil)
		send(t, ws, askMsg("a", "first"))
		readUntil(t, ws, "done")
		// A new connection from the same address shares the limit.
		ws2 := dial(t, ts.wsURL(), nil)
		send(t, ws2, askMsg("b", "second"))
		if m := read(t, ws2); m.Type != "error" || m.Code != CodeRateLimited || m.Message != chat.MsgRateLimited || m.ID != "b" {
			t.Fatalf("second ask: %+v; want error rate_limited", m)
		}
		send(t, ws2, `{"type":"nonsense"}`)
		if m := read(t, ws2); m.Code != CodeInvalidMessage {
			t.Errorf("after the rate limit the connection answered %+v; want it still usable", m)
		}
		if got := metricsText(t, ts); !strings.Contains(got, `govchat_rate_limited_total{scope="ip"} 1`) {
			t.Errorf("metrics do not count the rate-limited ask:\n%s", got)
		}
	})
	t.Run("per conversation", func(t *testing.T) {
		ts := start(t, Config{RatePerIP: 100, RatePerConv: 1}, nil, nil)
		ws := dial(t, ts.wsURL(), nil)
		send(t, ws, askMsg("a", "first"))
		conv := readUntil(t, ws, "done")[0].ConversationID
		send(t, ws, map[string]string{"type": "ask", "id": "b", "question": "again", "conversation_id": conv})
		if m := read(t, ws); m.Code != CodeRateLimited {
			t.Fatalf("second ask in the conversation: %+v; want rate_limited", m)
		}
		send(t, ws, askMsg("c", "a new conversation"))
		if done := readUntil(t, ws, "done"); done[len(done)-1].Status != "answered" {
			t.Errorf("a new conversation was limited too: %+v", done)
		}
	})
}

// blockingAsker accepts, then waits for its context to end and reports why.
type blockingAsker struct {
	started chan struct{}
	ended   chan error
}

func newBlockingAsker() *blockingAsker {
	return &blockingAsker{started: make(chan struct{}, 10), ended: make(chan error, 10)}
}

func (b *blockingAsker) Composer() string { return "offline" }

func (b *blockingAsker) Ask(ctx context.Context, req chat.Request, ev chat.Events) (chat.Outcome, error) {
	out := chat.Outcome{ConversationID: chat.NewID(), MessageID: chat.NewID(), Status: chat.StatusCancelled, Composer: "offline"}
	ev.Accepted(out.ConversationID, out.MessageID)
	b.started <- struct{}{}
	<-ctx.Done()
	b.ended <- ctx.Err()
	return out, nil
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangTimeout):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

func TestBusyAndCancel(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cancel func(messageID string) string
	}{
		{"by message id", func(id string) string { return `{"type":"cancel","message_id":"` + id + `"}` }},
		{"current question", func(string) string { return `{"type":"cancel"}` }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBlockingAsker()
			ts := start(t, Config{}, b, nil)
			ws := dial(t, ts.wsURL(), nil)
			send(t, ws, askMsg("one", "first"))
			acc := read(t, ws)
			waitFor(t, b.started, "the ask to start")
			send(t, ws, askMsg("two", "second"))
			if m := read(t, ws); m.Type != "error" || m.Code != CodeBusy || m.ID != "two" {
				t.Fatalf("second ask while answering: %+v; want error busy", m)
			}
			send(t, ws, `{"type":"cancel","message_id":"someone-else"}`)
			send(t, ws, tc.cancel(acc.MessageID))
			if err := waitFor(t, b.ended, "the asker's context to end"); !errors.Is(err, context.Canceled) {
				t.Errorf("asker context ended with %v; want context.Canceled", err)
			}
			if done := read(t, ws); done.Type != "done" || done.Status != "cancelled" || done.MessageID != acc.MessageID {
				t.Errorf("after cancel: %+v; want done cancelled", done)
			}
		})
	}
}

func TestDisconnectCancelsTheAnswer(t *testing.T) {
	b := newBlockingAsker()
	ts := start(t, Config{}, b, nil)
	ws := dial(t, ts.wsURL(), nil)
	send(t, ws, askMsg("one", "first"))
	waitFor(t, b.started, "the ask to start")
	ws.Close()
	if err := waitFor(t, b.ended, "the asker's context to end"); !errors.Is(err, context.Canceled) {
		t.Errorf("asker context ended with %v; want context.Canceled", err)
	}
}

func TestOrigin(t *testing.T) {
	ts := start(t, Config{AllowedOrigins: []string{"https://chat.example.gov.uk"}}, nil, nil)
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://" + ts.addr, true},
		{"https://chat.example.gov.uk", true},
		{"HTTPS://Chat.Example.gov.uk", true},
		{"https://evil.example", false},
		{"http://" + ts.addr + ".evil.example", false},
		{"null", false},
	} {
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		ws, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(), h)
		if tc.ok {
			if err != nil {
				t.Errorf("origin %q refused: %v", tc.origin, err)
				continue
			}
			ws.Close()
			continue
		}
		if err == nil {
			ws.Close()
			t.Errorf("origin %q allowed; want refused", tc.origin)
		} else if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %q: %v; want 403", tc.origin, err)
		}
	}
}

func TestMaxConnections(t *testing.T) {
	ts := start(t, Config{MaxConnections: 2}, nil, nil)
	a := dial(t, ts.wsURL(), nil)
	dial(t, ts.wsURL(), nil)
	_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third connection: %v; want 503", err)
	}
	// Closing one frees a place.
	a.Close()
	deadline := time.Now().Add(hangTimeout)
	for {
		ws, _, err := websocket.DefaultDialer.Dial(ts.wsURL(), nil)
		if err == nil {
			ws.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no place after a connection closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSlowClientIsDropped(t *testing.T) {
	gone := make(chan error, 1)
	flood := &fakeAsker{composer: "offline", fn: func(ctx context.Context, req chat.Request, ev chat.Events) (chat.Outcome, error) {
		ev.Accepted(chat.NewID(), chat.NewID())
		chunk := strings.Repeat("x", 32<<10)
		for i := 0; i < 100000; i++ {
			if err := ev.Delta(chunk); err != nil {
				gone <- err
				return chat.Outcome{Status: chat.StatusCancelled}, nil
			}
		}
		gone <- nil
		return chat.Outcome{Status: chat.StatusOK}, nil
	}}
	ts := start(t, Config{SendBuffer: 8}, flood, nil)
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		return c, err
	}}
	ws, _, err := d.Dial(ts.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	send(t, ws, askMsg("flood", "tell me everything"))
	// Never read: the server must give up on us rather than buffer forever.
	if err := waitFor(t, gone, "the server to drop the slow client"); err == nil {
		t.Fatal("the asker streamed everything; want the slow client dropped")
	}
	if !strings.Contains(metricsText(t, ts), "govchat_slow_clients_dropped_total 1") {
		t.Error("metrics do not count the dropped client")
	}
}

func TestShutdownFinishesAnswers(t *testing.T) {
	slow := &fakeAsker{composer: "offline", fn: func(ctx context.Context, req chat.Request, ev chat.Events) (chat.Outcome, error) {
		return streamAnswer(ctx, req, ev, 300*time.Millisecond)
	}}
	ts := start(t, Config{}, slow, nil)
	busy := dial(t, ts.wsURL(), nil)
	idle := dial(t, ts.wsURL(), nil)
	send(t, busy, askMsg("q", "slow question"))
	if m := read(t, busy); m.Type != "accepted" {
		t.Fatalf("first reply %+v; want accepted", m)
	}
	errc := make(chan error, 1)
	go func() { errc <- ts.stop(t) }()

	_ = idle.SetReadDeadline(time.Now().Add(hangTimeout))
	if _, _, err := idle.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("idle connection at shutdown: %v; want close 1001", err)
	}
	msgs := readUntil(t, busy, "done")
	if done := msgs[len(msgs)-1]; done.Status != "answered" || done.Answer == "" {
		t.Errorf("answer in progress at shutdown ended %+v; want it answered", done)
	}
	_ = busy.SetReadDeadline(time.Now().Add(hangTimeout))
	if _, _, err := busy.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("busy connection after its answer: %v; want close 1001", err)
	}
	if err := waitFor(t, errc, "Run to return"); err != nil {
		t.Errorf("Run = %v; want nil after a clean shutdown", err)
	}
	if _, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		t.Error("the listener still accepts after shutdown")
	}
}

func TestShutdownTimeoutCancelsAnswers(t *testing.T) {
	b := newBlockingAsker()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{ShutdownTimeout: 200 * time.Millisecond}
	srv := New(cfg, NewDoor(cfg, b, sharedStore(t), nil), sharedStore(t), nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx, ln) }()
	ws := dial(t, "ws://"+ln.Addr().String()+"/ws", nil)
	send(t, ws, askMsg("q", "never answered"))
	waitFor(t, b.started, "the ask to start")
	cancel()
	if err := waitFor(t, b.ended, "the answer to be cancelled"); !errors.Is(err, context.Canceled) {
		t.Errorf("answer ended with %v; want cancelled", err)
	}
	if err := waitFor(t, errc, "Run to return"); err == nil {
		t.Error("Run = nil; want an error saying answers were cut off")
	}
}

func metricsText(t *testing.T, ts *testServer) string {
	t.Helper()
	resp, err := http.Get(ts.httpURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestMetrics(t *testing.T) {
	ts := start(t, Config{}, nil, nil)
	ws := dial(t, ts.wsURL(), nil)
	send(t, ws, askMsg("q", "fee?"))
	done := readUntil(t, ws, "done")
	if r := done[len(done)-1].Route; r == nil || r.Label != "genuine_rag" || r.Confidence != 0.988 || r.Decider != "model:test" {
		t.Errorf("done route = %+v; want genuine_rag 0.988 model:test", r)
	}
	send(t, ws, "nope")
	read(t, ws)
	got := metricsText(t, ts)
	for _, want := range []string{
		"govchat_ws_connections_open 1",
		`govchat_route_labels_total{label="genuine_rag"} 1`,
		`govchat_route_labels_total{label="crisis"} 0`,
		`govchat_asks_total{status="answered"} 1`,
		`govchat_asks_total{status="rate_limited"} 0`,
		`govchat_ask_duration_seconds_bucket{le="+Inf"} 1`,
		"govchat_ask_duration_seconds_count 1",
		"govchat_ask_first_delta_seconds_count 1",
		`govchat_messages_rejected_total{code="invalid_message"} 1`,
		"# TYPE govchat_ask_duration_seconds histogram",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("metrics lack %q:\n%s", want, got)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	ts := start(t, Config{}, nil, nil)
	for _, path := range []string{"/", "/healthz", "/metrics", "/readyz", "/nowhere", "/ws"} {
		resp, err := http.Get(ts.httpURL() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" ||
			h.Get("X-Frame-Options") != "DENY" || h.Get("Permissions-Policy") == "" || h.Get("X-Request-Id") == "" {
			t.Errorf("GET %s (%d): security headers missing: %v", path, resp.StatusCode, h)
		}
	}
}

func TestHealthAndReady(t *testing.T) {
	ts := start(t, Config{}, nil, nil, WithReadyCheck("index", func(context.Context) error { return nil }))
	resp, err := http.Get(ts.httpURL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != "ok" {
		t.Errorf("/healthz = %d %q; want 200 ok", resp.StatusCode, b)
	}
	rep, status := getReady(t, ts)
	if status != 200 || rep.Status != "ready" || rep.Checks["database"] != "ok" || rep.Checks["schema"] != "ok" || rep.Checks["index"] != "ok" {
		t.Errorf("/readyz = %d %+v; want 200 ready", status, rep)
	}

	bad := start(t, Config{}, nil, nil, WithReadyCheck("embedder", func(context.Context) error { return errors.New("model mismatch") }))
	rep, status = getReady(t, bad)
	if status != http.StatusServiceUnavailable || rep.Failed != "embedder" {
		t.Errorf("/readyz with a failing check = %d %+v; want 503 naming embedder", status, rep)
	}

	unmigrated := start(t, Config{}, nil, storetest.NewUnmigrated(t))
	rep, status = getReady(t, unmigrated)
	if status != http.StatusServiceUnavailable || rep.Failed != "schema" {
		t.Errorf("/readyz on an unmigrated database = %d %+v; want 503 naming schema", status, rep)
	}
}

func getReady(t *testing.T, ts *testServer) (readyReport, int) {
	t.Helper()
	resp, err := http.Get(ts.httpURL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep readyReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	return rep, resp.StatusCode
}

// crisisAsker is the fake asker plus the pipeline's crisis check, as the
// real chat.Pipeline has.
type crisisAsker struct {
	*fakeAsker
	p *chat.Pipeline
}

func (c crisisAsker) CrisisCheck(text string) (chat.Decision, bool) { return c.p.CrisisCheck(text) }

// A question too long to answer is never too long to signpost.
func TestTooLongCrisisIsSignposted(t *testing.T) {
	asker := crisisAsker{&fakeAsker{composer: "offline"}, chat.NewPipeline(nil, nil, nil, chat.Config{}, nil)}
	ts := start(t, Config{MaxQuestionChars: 30}, asker, nil)
	ws := dial(t, ts.wsURL(), nil)
	send(t, ws, `{"type":"ask","id":"c1","question":"I have lost my job and my flat and I want to end my life tonight"}`)
	if m := read(t, ws); m.Type != "error" || m.Code != CodeTooLarge || !strings.Contains(m.Message, "116 123") {
		t.Errorf("crisis over the limit: reply = %+v; want too_large with the crisis signposting", m)
	}
	send(t, ws, `{"type":"ask","id":"c2","question":"How much does it cost to renew a passport online please?"}`)
	if m := read(t, ws); m.Type != "error" || m.Code != CodeTooLarge || strings.Contains(m.Message, "116 123") {
		t.Errorf("ordinary over the limit: reply = %+v; want too_large without signposting", m)
	}
	if got := metricsText(t, ts); !strings.Contains(got, `govchat_asks_total{status="crisis"} 1`) {
		t.Error("the signposted over-long question is not counted as crisis in /metrics")
	}
}
