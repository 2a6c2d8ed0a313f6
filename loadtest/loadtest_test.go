package loadtest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeServer speaks enough of the protocol to drive the load generator. The
// question picks the behaviour: "hang" accepts and never finishes, "busy"
// is refused, "fail" ends with status error, "drop" closes the connection;
// anything else is answered in three deltas.
type fakeServer struct {
	*httptest.Server
	conns atomic.Int64 // connections ever accepted
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	up := websocket.Upgrader{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		f.conns.Add(1)
		if c.WriteJSON(map[string]any{"type": "hello", "version": "test"}) != nil {
			return
		}
		for {
			var a struct{ Type, ID, Question string }
			if err := c.ReadJSON(&a); err != nil {
				return
			}
			send := func(m map[string]any) bool { return c.WriteJSON(m) == nil }
			switch a.Question {
			case "busy":
				send(map[string]any{"type": "error", "id": a.ID, "code": "busy", "message": "busy"})
				continue
			case "drop":
				return
			}
			send(map[string]any{"type": "accepted", "id": a.ID, "conversation_id": "c", "message_id": "m"})
			if a.Question == "hang" {
				continue
			}
			status := "answered"
			if a.Question == "fail" {
				status = "error"
			}
			for _, w := range []string{"Renew ", "your ", "passport."} {
				send(map[string]any{"type": "delta", "message_id": "m", "text": w})
			}
			send(map[string]any{"type": "done", "message_id": "m", "status": status, "composer": "offline", "answer": "Renew your passport."})
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) wsURL() string { return "ws" + strings.TrimPrefix(f.URL, "http") + "/ws" }

func quick(url string) Config {
	return Config{URL: url, Conns: 8, Askers: 3, Duration: 300 * time.Millisecond, Ramp: 50 * time.Millisecond,
		AnswerTimeout: 200 * time.Millisecond, DialTimeout: 2 * time.Second, Settle: time.Millisecond}
}

func mustRun(t *testing.T, cfg Config) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func TestRunAnswers(t *testing.T) {
	f := newFakeServer(t)
	rep := mustRun(t, quick(f.wsURL()))
	if rep.Connections != 8 || rep.MaxConnections != 8 {
		t.Errorf("connections = %d (max %d); want 8", rep.Connections, rep.MaxConnections)
	}
	if rep.Asks == 0 || rep.Statuses["answered"] != rep.Asks {
		t.Errorf("asks = %d, statuses %v; want some, all answered", rep.Asks, rep.Statuses)
	}
	if rep.Errors != 0 {
		t.Errorf("errors = %v; want none", rep.ErrorsByType)
	}
	if rep.CleanCloses != 8 || rep.UncleanCloses != 0 {
		t.Errorf("closes = %d clean, %d not; want 8, 0", rep.CleanCloses, rep.UncleanCloses)
	}
	if rep.P95FirstDeltaMs <= 0 || rep.P95DoneMs < rep.P50DoneMs || rep.P99DoneMs < rep.P95DoneMs {
		t.Errorf("percentiles first %v/%v/%v done %v/%v/%v; want positive and ordered",
			rep.P50FirstDeltaMs, rep.P95FirstDeltaMs, rep.P99FirstDeltaMs, rep.P50DoneMs, rep.P95DoneMs, rep.P99DoneMs)
	}
	if rep.RSSBytes <= 0 {
		t.Errorf("rss = %d; want this process's", rep.RSSBytes)
	}
}

func TestHungAnswerCountedHung(t *testing.T) {
	f := newFakeServer(t)
	cfg := quick(f.wsURL())
	cfg.Conns, cfg.Askers = 2, 1
	cfg.Questions = []string{"hang"}
	cfg.Duration = 600 * time.Millisecond
	rep := mustRun(t, cfg)
	if rep.ErrorsByType[ErrHung] < 1 || rep.Asks != 0 {
		t.Errorf("hung = %d, asks = %d; want at least 1 hung and no asks", rep.ErrorsByType[ErrHung], rep.Asks)
	}
	if rep.Errors != rep.ErrorsByType[ErrHung] {
		t.Errorf("errors = %v; want only hung", rep.ErrorsByType)
	}
	// A hung connection is dropped and the asker reconnects.
	if f.conns.Load() < 3 {
		t.Errorf("server saw %d connections; want the asker to reconnect after a hang", f.conns.Load())
	}
}

func TestErrorsByType(t *testing.T) {
	f := newFakeServer(t)
	cfg := quick(f.wsURL())
	cfg.Conns, cfg.Askers = 3, 3
	cfg.Questions = []string{"busy", "fail", "drop"}
	rep := mustRun(t, cfg)
	for _, kind := range []string{"busy", ErrStatusError, ErrClosed} {
		if rep.ErrorsByType[kind] < 1 {
			t.Errorf("errors_by_type[%s] = 0; want at least 1 (all: %v)", kind, rep.ErrorsByType)
		}
	}
	if rep.Statuses["error"] != rep.ErrorsByType[ErrStatusError] {
		t.Errorf("status error %d, status_error errors %d; want equal", rep.Statuses["error"], rep.ErrorsByType[ErrStatusError])
	}
}

func TestDialFailuresCounted(t *testing.T) {
	f := newFakeServer(t)
	url := f.wsURL()
	f.Close()
	cfg := quick(url)
	cfg.Conns, cfg.Askers = 4, 1
	rep := mustRun(t, cfg)
	if rep.ErrorsByType[ErrDial] < 4 || rep.Connections != 0 {
		t.Errorf("dial errors = %d, connections = %d; want at least 4 and 0", rep.ErrorsByType[ErrDial], rep.Connections)
	}
}

func TestCancelStopsRun(t *testing.T) {
	f := newFakeServer(t)
	cfg := quick(f.wsURL())
	cfg.Duration = time.Minute
	cfg.Questions = []string{"hang"}
	cfg.AnswerTimeout = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := Run(ctx, cfg); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"ws://127.0.0.1:8080/ws", true},
		{"ws://127.1.2.3:8080/ws", true},
		{"ws://localhost:8080/ws", true},
		{"wss://[::1]:8443/ws", true},
		{"ws://10.0.0.1:8080/ws", false},
		{"ws://192.168.1.10/ws", false},
		{"ws://example.com/ws", false},
		{"ws://localhost.example.com/ws", false},
		{"ws://127.0.0.1.nip.io/ws", false},
		{"ws://[::ffff:10.0.0.1]/ws", false},
		{"ws://0.0.0.0:8080/ws", false},
		{"http://127.0.0.1:8080/ws", false},
		{"ws://%zz", false},
	} {
		t.Run(tc.url, func(t *testing.T) {
			err := CheckLoopback(tc.url)
			if (err == nil) != tc.ok {
				t.Errorf("CheckLoopback(%q) = %v; want ok %v", tc.url, err, tc.ok)
			}
		})
	}
}

func TestRunRefusesNonLoopback(t *testing.T) {
	_, err := Run(context.Background(), Config{URL: "ws://93.184.216.34/ws", Conns: 1})
	if !errors.Is(err, ErrNotLoopback) {
		t.Errorf("Run(non-loopback) = %v; want ErrNotLoopback", err)
	}
	if err := loopbackOnly("tcp", "10.1.2.3:80", nil); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("loopbackOnly(10.1.2.3) = %v; want ErrNotLoopback", err)
	}
	if err := loopbackOnly("tcp", "127.0.0.1:80", nil); err != nil {
		t.Errorf("loopbackOnly(127.0.0.1) = %v; want nil", err)
	}
}

func TestConfigBounds(t *testing.T) {
	base := Config{URL: "ws://127.0.0.1:1/ws"}
	for name, c := range map[string]Config{
		"too many conns":      {Conns: MaxConns + 1},
		"askers above conns":  {Conns: 2, Askers: 3},
		"negative askers":     {Askers: -1},
		"duration over limit": {Duration: MaxDuration + time.Second},
		"ramp over limit":     {Ramp: MaxRamp + time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			c.URL = base.URL
			if _, err := Run(context.Background(), c); err == nil {
				t.Errorf("Run(%+v) = nil error; want refused", c)
			}
		})
	}
}

func TestReadQuestions(t *testing.T) {
	in := `# comment
How do I renew my passport?

{"id":"a","kind":"answerable","question":"Who do I tell about stolen cattle?"}
{"id":"f","kind":"followup","history":[{"role":"user","content":"x"}],"question":"and then?"}
`
	got, err := ReadQuestions(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"How do I renew my passport?", "Who do I tell about stolen cattle?"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("ReadQuestions = %q; want %q", got, want)
	}
	if _, err := ReadQuestions(strings.NewReader("{bad json\n")); err == nil {
		t.Error("ReadQuestions(bad JSON) = nil error")
	}
	if _, err := ReadQuestions(strings.NewReader("\n# only a comment\n")); err == nil {
		t.Error("ReadQuestions(empty) = nil error")
	}
}

func TestPercentile(t *testing.T) {
	var xs []time.Duration
	for i := 1; i <= 100; i++ {
		xs = append(xs, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct{ p, want float64 }{{50, 50}, {95, 95}, {99, 99}, {100, 100}, {0, 1}} {
		if got := percentileMs(xs, tc.p); got != tc.want {
			t.Errorf("percentileMs(1..100ms, %v) = %v; want %v", tc.p, got, tc.want)
		}
	}
	if got := percentileMs(nil, 95); got != 0 {
		t.Errorf("percentileMs(nil) = %v; want 0", got)
	}
}
