package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/govchat/govchat/internal/corpustest"
	"github.com/govchat/govchat/llm/llmtest"
)

// TestReembedGate re-embeds a lexical index twice, with a dataset whose
// third question's page is not indexed (recall@1 at most 2/3 in any
// space): into the fake OpenAI embedder's space with --min recall_at_1=1,
// which the gate refuses, then into the local embedder's space with
// --min recall_at_5=0.6, which it accepts. On these four pages even
// pseudo-random vectors rank well, since full-text search carries them.
func TestReembedGate(t *testing.T) {
	base := schemaEnv(t, "gate", "GOVCHAT_VECTORS_FILE", corpustest.VectorsFile(t))
	fake := llmtest.NewServer(t)
	fake.Dims = 16
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lexical := withEnv(base, "GOVCHAT_EMBEDDER", "lexical")
	mustRun(ctx, t, lexical, "ingest", "--from", testPages)
	dataset := writeDataset(t, `{"id":"g1","kind":"answerable","question":"what day do the refuse lorries come round","expected_sources":["/waste/bins"]}
{"id":"g2","kind":"answerable","question":"how can I get a permit to leave my car on the road","expected_sources":["/parking/permits/apply"]}
{"id":"g3","kind":"answerable","question":"how much is a passport","expected_sources":["/passport-fees"]}
`)
	model := func() string {
		t.Helper()
		return readIndexStatus(ctx, t, base).Model
	}
	before := model()

	bad := withEnv(base, "GOVCHAT_EMBEDDER", "openai", "OPENAI_BASE_URL", fake.URL, "OPENAI_API_KEY", "k")
	code, out, errs := run(ctx, bad, "ingest", "--reembed", "--gate", dataset, "--min", "recall_at_1=1", "--min", "mrr=0.5")
	if code != 1 || !strings.Contains(errs, "did not pass the gate, so the old space stays active") || !strings.Contains(errs, "below the minimum") {
		t.Fatalf("gated re-embed into a random space = exit %d\nstdout: %s\nstderr: %s\nwant exit 1 naming the failed thresholds", code, out, errs)
	}
	if !strings.Contains(out, "gate on text-embedding-3-small") {
		t.Errorf("the gate did not report its numbers: %s", out)
	}
	if got := model(); got != before {
		t.Errorf("after a failed gate the index uses %q; want the old %q", got, before)
	}

	local := withEnv(base, "GOVCHAT_EMBEDDER", "local")
	code, out, errs = run(ctx, local, "ingest", "--reembed", "--gate", dataset, "--min", "recall_at_5=0.6")
	if code != 0 || !strings.Contains(out, "gate passed") {
		t.Fatalf("gated re-embed into the local space = exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if got := model(); got == before || !strings.HasPrefix(got, "local") {
		t.Errorf("after a passed gate the index uses %q; want the local embedder's space", got)
	}

	if code, _, errs := run(ctx, local, "ingest", "--reembed", "--min", "recall_at_5=1"); code != 2 || !strings.Contains(errs, "go together") {
		t.Errorf("--min without --gate = exit %d (%s); want a usage error", code, errs)
	}
}

// TestReembedGateOnCorpus gates re-embeds of the shared corpus on the dev
// set at recall@5 0.85: the fake OpenAI embedder's pseudo-random vectors
// make a deliberately bad space, which stays unused; the local embedder's
// space passes and is switched to.
func TestReembedGateOnCorpus(t *testing.T) {
	corpus, dev, vectors := corpustest.CorpusDir(t), corpustest.DevSet(t), corpustest.VectorsFile(t)
	base := schemaEnv(t, "gatecorpus", "GOVCHAT_VECTORS_FILE", vectors)
	fake := llmtest.NewServer(t)
	fake.Dims = 64
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	mustRun(ctx, t, withEnv(base, "GOVCHAT_EMBEDDER", "lexical"), "ingest", "--from", corpus)
	code, out, errs := run(ctx, withEnv(base, "GOVCHAT_EMBEDDER", "openai", "OPENAI_BASE_URL", fake.URL, "OPENAI_API_KEY", "k"),
		"ingest", "--reembed", "--gate", dev, "--min", "recall_at_5=0.85")
	t.Logf("random space: %s", out)
	if code != 1 || !strings.Contains(errs, "retrieval.recall_at_5 is") || !strings.Contains(errs, "the old space stays active") {
		t.Fatalf("gated re-embed into pseudo-random vectors = exit %d\nstdout: %s\nstderr: %s\nwant exit 1 with recall_at_5 below 0.85", code, out, errs)
	}
	code, out, errs = run(ctx, withEnv(base, "GOVCHAT_EMBEDDER", "local"), "ingest", "--reembed", "--gate", dev, "--min", "recall_at_5=0.85")
	t.Logf("local space: %s", out)
	if code != 0 || !strings.Contains(out, "gate passed") {
		t.Fatalf("gated re-embed into the local space = exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}
