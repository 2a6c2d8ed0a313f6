package reliability

import (
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/llm/llmtest"
	"github.com/govchat/govchat/server"
)

type wsMessage struct {
	Type, Status, Answer string
}

// slowLLMServer is the real server over the real pipeline, whose model
// streams a cited sentence every 100 ms for a few seconds.
func slowLLMServer(t *testing.T) (*server.Server, *llmtest.Server, func()) {
	t.Helper()
	st, ret := newIndex(t, writePages(t, guidance))
	p, srv, closeLLM := llmPipeline(t, st, ret, 30*time.Second)
	chunks := make([]string, 30)
	for i := range chunks {
		chunks[i] = "You can renew your passport online [1]. "
	}
	srv.QueueChat(llmtest.Reply{Chunks: chunks, Delay: 100 * time.Millisecond})
	return server.New(server.Config{}, server.NewDoor(server.Config{}, p, st, nil), st, nil), srv, closeLLM
}

// askUntilDelta connects, asks, and reads until the first delta.
func askUntilDelta(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	resp.Body.Close()
	_ = ws.SetReadDeadline(time.Now().Add(hangGuard))
	if err := ws.WriteJSON(map[string]string{"type": "ask", "id": "q1", "question": "How do I renew my passport online?"}); err != nil {
		t.Fatal(err)
	}
	for {
		var m wsMessage
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("waiting for the first delta: %v", err)
		}
		if m.Type == "delta" {
			return ws
		}
		if m.Type == "done" || m.Type == "error" {
			t.Fatalf("got %+v before any delta", m)
		}
	}
}

// TestServerDisconnectCancelsModel: through the real websocket handler, a
// client that closes mid-answer cancels the model request, and no goroutine
// of that answer is left behind.
func TestServerDisconnectCancelsModel(t *testing.T) {
	s, llmSrv, closeLLM := slowLLMServer(t)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	before := goleak.IgnoreCurrent()
	ws := askUntilDelta(t, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws")
	ws.Close()
	if path := llmSrv.WaitCancelled(hangGuard); path == "" {
		t.Fatal("the model request was not cancelled after the client left")
	}
	ts.Close()
	closeLLM()
	goleak.VerifyNone(t, before)
}

// TestServerShutdownFinishesAnswer: a shutdown that starts mid-answer lets
// the answer finish and reach the client, then Run returns cleanly.
func TestServerShutdownFinishesAnswer(t *testing.T) {
	s, _, _ := slowLLMServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx, ln) }()
	ws := askUntilDelta(t, "ws://"+ln.Addr().String()+"/ws")
	defer ws.Close()
	cancel()
	for {
		var m wsMessage
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("the answer in progress did not finish: %v", err)
		}
		if m.Type == "done" {
			if m.Status != string(chat.StatusOK) || m.Answer == "" {
				t.Errorf("done %+v; want answered with the text", m)
			}
			break
		}
	}
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run = %v; want nil after a clean shutdown", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("Run did not return after the shutdown")
	}
}
