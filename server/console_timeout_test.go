package server

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/govchat/govchat/internal/syncbuf"
	"github.com/govchat/govchat/store/storetest"
)

// A console query that outruns AdminQueryTimeout ends with 503 and the
// plain message, logged once; the same requests under the default timeout
// are answered, so the 503 is the timeout's doing.
func TestConsoleQueryTimeout(t *testing.T) {
	st := storetest.New(t)
	type request struct {
		path    string
		session bool // a browser's session cookie instead of the bearer token
		want    int  // under the default timeout
	}
	requests := []request{
		{"/admin/conversations", false, http.StatusOK},
		{"/admin/conversations", true, http.StatusOK},
		{"/admin/conversations/no-such-conversation", false, http.StatusNotFound},
		{"/admin/feedback", false, http.StatusOK},
		{"/admin/export", false, http.StatusOK},
	}
	for _, tc := range []struct {
		name    string
		timeout time.Duration
	}{{"tiny", time.Nanosecond}, {"default", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncbuf.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			cfg := Config{AdminToken: consoleToken, AdminFailures: 1000, AdminQueryTimeout: tc.timeout}
			srv := New(cfg, NewDoor(cfg, &fakeAsker{composer: "offline"}, st, nil), st, log, WithConsole(st, nil))
			for _, rq := range requests {
				req := httptest.NewRequest("GET", rq.path, nil)
				if rq.session {
					req.AddCookie(&http.Cookie{Name: sessionCookie, Value: srv.newSession(time.Now().Add(time.Hour))})
					req.Header.Set("Accept", "text/html")
				} else {
					req.Header.Set("Authorization", "Bearer "+consoleToken)
				}
				before := strings.Count(logs.String(), "console: database query timed out")
				rec := httptest.NewRecorder()
				srv.Handler().ServeHTTP(rec, req)
				logged := strings.Count(logs.String(), "console: database query timed out") - before
				body := rec.Body.String()
				if tc.timeout == 0 {
					if rec.Code != rq.want || logged != 0 {
						t.Errorf("GET %s (session %v) = %d, %d timeout logs; want %d, none: %s", rq.path, rq.session, rec.Code, logged, rq.want, body)
					}
					continue
				}
				// A browser gets the message as a console page; the API, as JSON.
				want := slowQuery
				wantType := "application/json"
				if rq.session {
					want = "The database took too long"
					wantType = "text/html"
				}
				if rec.Code != http.StatusServiceUnavailable || !strings.Contains(body, want) ||
					!strings.HasPrefix(rec.Header().Get("Content-Type"), wantType) {
					t.Errorf("GET %s (session %v) = %d %s %s; want 503 %s with %q", rq.path, rq.session, rec.Code,
						rec.Header().Get("Content-Type"), body, wantType, want)
				}
				if logged != 1 {
					t.Errorf("GET %s (session %v) logged the timeout %d times; want once", rq.path, rq.session, logged)
				}
			}
		})
	}
}

func TestAdminQueryTimeoutDefault(t *testing.T) {
	if got := (Config{}).withDefaults().AdminQueryTimeout; got != 10*time.Second {
		t.Errorf("Config{}.withDefaults().AdminQueryTimeout = %v; want 10s", got)
	}
}
