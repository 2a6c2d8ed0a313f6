package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

func do(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestAdminToken(t *testing.T) {
	var reindexed []string
	reindex := func(ctx context.Context, path string) (string, error) {
		reindexed = append(reindexed, path)
		return "1 updated", nil
	}
	// Six failures below; the throttle has its own test.
	ts := start(t, Config{AdminToken: "s3cret-token", AdminFailures: 100}, nil, storetest.New(t), WithReindexer(reindex))
	for _, tc := range []struct {
		method, path, body string
	}{
		{"GET", "/admin/kill-switch", ""},
		{"POST", "/admin/kill-switch", `{"web":false}`},
		{"POST", "/admin/reindex", `{"path":"/renew-adult-passport"}`},
	} {
		url := ts.httpURL() + tc.path
		if got, _ := do(t, tc.method, url, "", tc.body); got != http.StatusUnauthorized {
			t.Errorf("%s %s without a token = %d; want 401", tc.method, tc.path, got)
		}
		if got, _ := do(t, tc.method, url, "s3cret-tokeX", tc.body); got != http.StatusForbidden {
			t.Errorf("%s %s with a wrong token = %d; want 403", tc.method, tc.path, got)
		}
		if got, body := do(t, tc.method, url, "s3cret-token", tc.body); got != http.StatusOK {
			t.Errorf("%s %s with the token = %d %s; want 200", tc.method, tc.path, got, body)
		}
	}
	if len(reindexed) != 1 || reindexed[0] != "/renew-adult-passport" {
		t.Errorf("reindexed %v; want the one authorised path", reindexed)
	}
	if got, _ := do(t, "POST", ts.httpURL()+"/admin/reindex", "s3cret-token", `{"path":"https://evil/x"}`); got != http.StatusBadRequest {
		t.Errorf("reindex of a URL = %d; want 400", got)
	}

	off := start(t, Config{}, nil, nil)
	if got, _ := do(t, "GET", off.httpURL()+"/admin/kill-switch", "", ""); got != http.StatusNotFound {
		t.Errorf("admin with no token configured = %d; want 404", got)
	}
	if got, _ := do(t, "GET", off.httpURL()+"/admin/kill-switch", "anything", ""); got != http.StatusNotFound {
		t.Errorf("admin with no token configured, token sent = %d; want 404", got)
	}
}

func TestKillSwitch(t *testing.T) {
	st := storetest.New(t)
	ts := start(t, Config{AdminToken: "tok"}, nil, st)
	// A second instance on the same database sees the switch once its
	// cache expires. Its read gets a generous timeout: on a busy dev
	// database the default 1 s can pass, and the instance would keep its
	// last known value (TestKillSwitchReadTimeout tests that path).
	other := start(t, Config{KillSwitchTTL: time.Millisecond, KillSwitchTimeout: 30 * time.Second}, nil, st)
	ws := dial(t, ts.wsURL(), nil)

	if code, body := do(t, "POST", ts.httpURL()+"/admin/kill-switch", "tok", `{"web":true}`); code != 200 {
		t.Fatalf("switch off = %d %s", code, body)
	}
	send(t, ws, askMsg("k", "anything"))
	if m := read(t, ws); m.Code != CodeServiceOff || m.Message != chat.MsgKillSwitch || m.ID != "k" {
		t.Errorf("ask with the kill switch on: %+v; want service_off with the default message", m)
	}
	const custom = "The service is closed for maintenance until 6pm."
	do(t, "POST", ts.httpURL()+"/admin/kill-switch", "tok", `{"web":true,"message":"`+custom+`"}`)
	send(t, ws, askMsg("k2", "anything"))
	if m := read(t, ws); m.Code != CodeServiceOff || m.Message != custom {
		t.Errorf("ask with a custom message: %+v", m)
	}
	ows := dial(t, other.wsURL(), nil)
	time.Sleep(5 * time.Millisecond) // let the other instance's 1 ms cache expire
	send(t, ows, askMsg("o", "anything"))
	if m := read(t, ows); m.Code != CodeServiceOff {
		t.Errorf("the other instance did not see the switch: %+v", m)
	}
	_, body := do(t, "GET", ts.httpURL()+"/admin/kill-switch", "tok", "")
	var ks KillSwitch
	if err := json.Unmarshal([]byte(body), &ks); err != nil || !ks.Web || ks.Message != custom {
		t.Errorf("GET kill switch = %s (%v)", body, err)
	}
	do(t, "POST", ts.httpURL()+"/admin/kill-switch", "tok", `{"web":false}`)
	send(t, ws, askMsg("k3", "anything"))
	if done := readUntil(t, ws, "done"); done[len(done)-1].Status != "answered" {
		t.Errorf("after switching on: %+v", done[len(done)-1])
	}
	if v, _ := st.GetSetting(context.Background(), killSwitchKey); v != "" {
		t.Errorf("stored setting after switching on = %q; want it removed", v)
	}
}

// storedMessage makes a real conversation with one message.
func storedMessage(t *testing.T, st *store.Store) (conv, msg string) {
	t.Helper()
	ctx := context.Background()
	conv, msg = chat.NewID(), chat.NewID()
	if _, err := st.EnsureConversation(ctx, conv, time.Hour); err != nil {
		t.Fatal(err)
	}
	q := "How do I renew?"
	if _, err := st.StartMessage(ctx, msg, conv, &q, "answered"); err != nil {
		t.Fatal(err)
	}
	return conv, msg
}

func TestFeedback(t *testing.T) {
	st := storetest.New(t)
	ts := start(t, Config{}, nil, st)
	_, msg := storedMessage(t, st)
	ws := dial(t, ts.wsURL(), nil)

	comment := "Useless. Email me at jo.bloggs@example.com " + strings.Repeat("blah ", 400)
	send(t, ws, map[string]any{"type": "feedback", "message_id": msg, "useful": false, "comment": comment})
	if m := read(t, ws); m.Type != "feedback_saved" || m.MessageID != msg {
		t.Fatalf("feedback reply = %+v; want feedback_saved", m)
	}
	fb, err := st.GetFeedback(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	if fb.Useful || strings.Contains(fb.Comment, "jo.bloggs") || len([]rune(fb.Comment)) > 1000 || !strings.HasPrefix(fb.Comment, "Useless.") {
		t.Errorf("stored feedback = %+v (%d chars); want redacted and at most 1000 characters", fb.Useful, len([]rune(fb.Comment)))
	}
	send(t, ws, map[string]any{"type": "feedback", "message_id": "no-such-message", "useful": true})
	if m := read(t, ws); m.Type != "error" || m.Code != CodeInvalidMessage {
		t.Errorf("feedback on an unknown message = %+v; want error", m)
	}

	code, body := do(t, "POST", ts.httpURL()+"/api/feedback", "", fmt.Sprintf(`{"message_id":%q,"useful":true}`, msg))
	if code != 200 {
		t.Errorf("POST /api/feedback = %d %s", code, body)
	}
	if fb, _ := st.GetFeedback(context.Background(), msg); !fb.Useful {
		t.Error("POST /api/feedback did not replace the feedback")
	}
	if code, _ := do(t, "POST", ts.httpURL()+"/api/feedback", "", `{"message_id":"nope","useful":true}`); code != 404 {
		t.Errorf("feedback on an unknown message = %d; want 404", code)
	}
	req, _ := http.NewRequest("POST", ts.httpURL()+"/api/feedback", bytes.NewReader([]byte(`{"message_id":"`+msg+`","useful":true}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site feedback = %d; want 403", resp.StatusCode)
	}
}

func TestDeleteConversation(t *testing.T) {
	st := storetest.New(t)
	ts := start(t, Config{}, nil, st)
	conv, msg := storedMessage(t, st)
	if code, body := do(t, "DELETE", ts.httpURL()+"/api/conversations/"+conv, "", ""); code != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s; want 204", code, body)
	}
	if _, err := st.GetMessage(context.Background(), msg); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("message after delete: %v; want not found", err)
	}
	for _, id := range []string{conv, "not..valid", strings.Repeat("a", 65)} {
		if code, _ := do(t, "DELETE", ts.httpURL()+"/api/conversations/"+id, "", ""); code != http.StatusNotFound {
			t.Errorf("DELETE %q = %d; want 404", id, code)
		}
	}
}

// TestOpenAPIDocumentsEveryRoute checks docs/openapi.json against Routes.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	b, err := os.ReadFile("../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docs/openapi.json is not valid JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0") {
		t.Errorf("openapi = %q; want 3.0.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, r := range Routes() {
		if !documented[r] {
			t.Errorf("route %s is not in docs/openapi.json", r)
		}
		delete(documented, r)
	}
	for r := range documented {
		if !strings.HasPrefix(r, "PARAMETERS ") {
			t.Errorf("docs/openapi.json documents %s, which the server does not serve", r)
		}
	}
}

func TestProtocolDocListsEveryStatus(t *testing.T) {
	b, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range chat.AllStatuses() {
		if !strings.Contains(string(b), "`"+string(s)+"`") {
			t.Errorf("docs/protocol.md does not list status %s", s)
		}
	}
	for _, c := range []string{CodeInvalidMessage, CodeTooLarge, CodeRateLimited, CodeBusy, CodeServiceOff, CodeUnavailable, CodeInternal} {
		if !strings.Contains(string(b), "`"+c+"`") {
			t.Errorf("docs/protocol.md does not list error code %s", c)
		}
	}
}
