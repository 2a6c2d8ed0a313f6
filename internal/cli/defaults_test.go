package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/govchat/govchat/internal/cli"
	"github.com/govchat/govchat/internal/syncbuf"
	"github.com/govchat/govchat/llm/llmtest"
	"github.com/govchat/govchat/store/storetest"
)

// run runs one govchat command with exactly env as its environment.
func run(ctx context.Context, env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errb syncbuf.Buffer
	code = cli.Main(ctx, args, cli.IO{In: strings.NewReader(""), Out: &out, Err: &errb,
		Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	return code, out.String(), errb.String()
}

// schemaEnv is the environment for a test that runs commands in a fresh
// schema, with the key, value pairs in kv set. It marks the test parallel
// (each has its own schema) and drops the schema at the end.
func schemaEnv(t *testing.T, name string, kv ...string) map[string]string {
	t.Helper()
	t.Parallel()
	url := storetest.URL(t)
	schema := fmt.Sprintf("test_%s_%d", name, time.Now().UnixNano()%1e9)
	t.Cleanup(func() { storetest.DropSchema(t, url, schema) })
	return withEnv(map[string]string{"DATABASE_URL": url, "GOVCHAT_DB_SCHEMA": schema}, kv...)
}

// TestOpenAIDefaults runs ingest, index status, serve, ask and eval through
// the real command wiring with only the documented variables of an
// OpenAI-compatible setup: no dimensions, no model names, no floor.
func TestOpenAIDefaults(t *testing.T) {
	fake := llmtest.NewServer(t)
	fake.Dims = 24
	fake.Answer = "Your bins are collected every week [1]."
	env := schemaEnv(t, "openai", "GOVCHAT_EMBEDDER", "openai", "OPENAI_BASE_URL", fake.URL, "OPENAI_API_KEY", "test-key")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	mustRun(ctx, t, env, "ingest", "--from", testPages)
	for _, r := range fake.Requests() {
		if strings.HasSuffix(r.Path, "/embeddings") && r.Dimensions != 0 {
			t.Errorf("an embedding request asked for %d dimensions; with none configured it must ask for the model's own", r.Dimensions)
		}
	}

	status := readIndexStatus(ctx, t, env)
	if status.Dims != fake.Dims || status.Floor.Rule != "uncalibrated" {
		t.Errorf("index status: %d dimensions, floor %q; want the model's own %d and uncalibrated", status.Dims, status.Floor.Rule, fake.Dims)
	}

	addr, serveErrs, stop := startServe(t, ctx, env)
	code, out, errs := run(ctx, env, "ask", "When are my bins collected?", "--url", "ws://"+addr+"/ws", "--json")
	if code != 0 {
		t.Fatalf("govchat ask exited %d\nstdout: %s\nstderr: %s\nserver: %s", code, out, errs, serveErrs.String())
	}
	var ans struct{ Status, Answer, Composer string }
	if err := json.Unmarshal([]byte(lastLine(out)), &ans); err != nil || ans.Status == "" || ans.Status == "error" {
		t.Errorf("govchat ask = %q (%v); want an answer or a polite refusal, not an error", out, err)
	}
	if ans.Composer != "llm" {
		t.Errorf("composer %q; want llm, chosen automatically from OPENAI_BASE_URL", ans.Composer)
	}
	stop()
	if !strings.Contains(serveErrs.String(), "no-content floor: not calibrated") {
		t.Errorf("serve did not say the floor is uncalibrated; its log:\n%s", serveErrs.String())
	}

	dataset := writeDataset(t, `{"id": "t-1", "kind": "answerable", "question": "When are my bins collected?", "expected_sources": ["/waste/bins"]}
{"id": "t-2", "kind": "out_of_scope", "question": "Who won the cup final in 1966?"}
`)
	outDir := t.TempDir()
	mustRun(ctx, t, env, "eval", "--dataset", dataset, "--out", outDir, "--concurrency", "1")
	b, err := os.ReadFile(filepath.Join(outDir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Config struct{ Questions int } `json:"config"`
	}
	if err := json.Unmarshal(b, &rep); err != nil || rep.Config.Questions != 2 {
		t.Errorf("report.json: %d questions (%v); want 2", rep.Config.Questions, err)
	}
}

// startServe runs `govchat serve` on a free port until stop is called.
func startServe(t *testing.T, ctx context.Context, env map[string]string) (addr string, logs *syncbuf.Buffer, stop func()) {
	t.Helper()
	senv := map[string]string{"GOVCHAT_ADDR": "127.0.0.1:0"}
	for k, v := range env {
		senv[k] = v
	}
	sctx, cancel := context.WithCancel(ctx)
	logs = &syncbuf.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(sctx, []string{"serve"}, cli.IO{In: strings.NewReader(""), Out: &syncbuf.Buffer{}, Err: logs,
			Env: func(k string) (string, bool) { v, ok := senv[k]; return v, ok }})
	}()
	listening := regexp.MustCompile(`listening on http://(\S+)`)
	deadline := time.After(time.Minute)
	for addr == "" {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("govchat serve exited %d before listening: %s", code, logs.String())
		case <-deadline:
			cancel()
			t.Fatalf("govchat serve did not start: %s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := listening.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("govchat serve exited %d: %s", code, logs.String())
		}
	}
	t.Cleanup(stop)
	return addr, logs, stop
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
