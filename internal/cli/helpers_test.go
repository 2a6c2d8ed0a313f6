package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testPages is the small page set the command tests ingest.
var testPages = filepath.Join("..", "..", "ingest", "testdata", "pages")

// mustRun runs one govchat command that must succeed and returns its stdout.
func mustRun(ctx context.Context, t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	code, out, errs := run(ctx, env, args...)
	if code != 0 {
		t.Fatalf("govchat %s exited %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// withEnv returns a copy of env with the key, value pairs in kv set.
func withEnv(env map[string]string, kv ...string) map[string]string {
	e := make(map[string]string, len(env)+len(kv)/2)
	for k, v := range env {
		e[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		e[kv[i]] = kv[i+1]
	}
	return e
}

// writeDataset writes an eval dataset (JSON lines) and returns its path.
func writeDataset(t *testing.T, lines string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "set.jsonl")
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// indexStatus is what `govchat index status --json` prints.
type indexStatus struct {
	Model string `json:"embedding_model"`
	Dims  int    `json:"embedding_dimensions"`
	Floor struct {
		Rule string `json:"rule"`
	} `json:"floor"`
	Counts []struct{ Documents int } `json:"counts"`
}

// documents is the number of documents in every schema and locale.
func (s indexStatus) documents() int {
	n := 0
	for _, c := range s.Counts {
		n += c.Documents
	}
	return n
}

// readIndexStatus runs `govchat index status --json`, which must succeed.
func readIndexStatus(ctx context.Context, t *testing.T, env map[string]string) indexStatus {
	t.Helper()
	out := mustRun(ctx, t, env, "index", "status", "--json")
	var st indexStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("index status --json: %v in %q", err, out)
	}
	return st
}
