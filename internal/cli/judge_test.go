package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govchat/govchat/llm/llmtest"
)

// TestEvalJudge answers offline and has a judge on the fake server grade
// the answers, configured only by the GOVCHAT_JUDGE_* settings.
func TestEvalJudge(t *testing.T) {
	fake := llmtest.NewServer(t)
	for range 10 {
		fake.QueueChat(llmtest.Reply{ToolName: "grade_answer", ToolArguments: `{"faithfulness":0.8,"relevancy":0.9,"reason":"fine"}`})
	}
	env := schemaEnv(t, "judge", "GOVCHAT_EMBEDDER", "lexical", "GOVCHAT_COMPOSER", "offline",
		"GOVCHAT_JUDGE_BASE_URL", fake.URL, "GOVCHAT_JUDGE_MODEL", "judge-x", "GOVCHAT_JUDGE_API_KEY", "secret-judge-key")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mustRun(ctx, t, env, "ingest", "--from", testPages)
	dataset := writeDataset(t, `{"id":"j-1","kind":"answerable","question":"When are my bins collected?","expected_sources":["/waste/bins"],"tags":["waste"]}
{"id":"j-2","kind":"out_of_scope","question":"Who won the cup final in 1966?","tags":["scope"]}
`)
	outDir := t.TempDir()
	code, out, errs := run(ctx, env, "eval", "--dataset", dataset, "--out", outDir, "--judge", "--judge-runs", "2")
	if code != 0 {
		t.Fatalf("govchat eval --judge exited %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if strings.Contains(out+errs, "secret-judge-key") {
		t.Error("the judge's API key was printed")
	}
	b, err := os.ReadFile(filepath.Join(outDir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Judge struct {
			Model        string  `json:"model"`
			Runs         int     `json:"runs_per_item"`
			Judged       int     `json:"judged"`
			Skipped      int     `json:"skipped"`
			Faithfulness float64 `json:"faithfulness"`
		} `json:"judge"`
		ByTag map[string]json.RawMessage `json:"by_tag"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Judge.Model != "judge-x" || rep.Judge.Runs != 2 || rep.Judge.Judged != 1 || rep.Judge.Skipped != 1 || rep.Judge.Faithfulness != 0.8 {
		t.Errorf("report judge = %+v; want judge-x grading the one answer twice at 0.8", rep.Judge)
	}
	if len(rep.ByTag) != 2 {
		t.Errorf("by_tag has %d tags; want waste and scope", len(rep.ByTag))
	}
	reqs := fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("the fake server saw %d requests; want the 2 judgements only", len(reqs))
	}
	for _, r := range reqs {
		if r.Model != "judge-x" || r.Header.Get("Authorization") != "Bearer secret-judge-key" {
			t.Errorf("judge request: model %q, auth %q; want judge-x with the judge's key", r.Model, r.Header.Get("Authorization"))
		}
	}

	delete(env, "GOVCHAT_JUDGE_BASE_URL")
	delete(env, "GOVCHAT_JUDGE_API_KEY")
	if code, _, errs := run(ctx, env, "eval", "--dataset", dataset, "--out", t.TempDir(), "--judge"); code == 0 || !strings.Contains(errs, "--judge needs an OpenAI-compatible chat model") {
		t.Errorf("eval --judge with no endpoint = exit %d: %s; want a clear error", code, errs)
	}
}
