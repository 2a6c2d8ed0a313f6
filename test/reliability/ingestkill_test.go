package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/govchat/govchat/internal/corpustest"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// buildGovchat builds the real binary once per test.
func buildGovchat(t *testing.T, root string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "govchat")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/govchat")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// govchatCmd runs the binary against schema with the lexical embedder.
func govchatCmd(ctx context.Context, bin, root, url, schema string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "GOVCHAT_DB_SCHEMA="+schema, "GOVCHAT_EMBEDDER=lexical", "GOVCHAT_LOG_LEVEL=error")
	return cmd
}

type indexStatus struct {
	Counts []struct {
		SchemaName, Locale string
		Documents, Chunks  int
	} `json:"counts"`
}

// TestKilledIngestCompletesOnRerun: `govchat ingest` killed with SIGKILL
// after it has written some documents leaves an index that a second run
// completes to exactly what a clean run produces.
func TestKilledIngestCompletesOnRerun(t *testing.T) {
	url := storetest.URL(t)
	root := repoRoot(t)
	corpus := corpustest.CorpusDir(t)
	bin := buildGovchat(t, root)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	suffix := time.Now().Format("150405.000000")
	killed, clean := "rel_killed_"+suffix[:6]+suffix[7:], "rel_clean_"+suffix[:6]+suffix[7:]
	for _, s := range []string{killed, clean} {
		t.Cleanup(func() { storetest.DropSchema(t, url, s) })
	}

	run := govchatCmd(ctx, bin, root, url, killed, "ingest", "--from", corpus)
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- run.Wait() }()
	mid := waitForDocuments(t, ctx, url, killed, exited)
	if mid == 0 {
		t.Fatal("the ingest finished before it could be killed")
	}
	if err := run.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited

	for _, c := range []struct{ schema, what string }{{killed, "re-run"}, {clean, "clean run"}} {
		if out, err := govchatCmd(ctx, bin, root, url, c.schema, "ingest", "--from", corpus).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", c.what, err, out)
		}
	}
	got, want := status(t, ctx, bin, root, url, killed), status(t, ctx, bin, root, url, clean)
	total := 0
	for _, c := range want.Counts {
		total += c.Documents
	}
	if total == 0 {
		t.Fatal("the clean run indexed nothing")
	}
	g, _ := json.Marshal(got.Counts)
	w, _ := json.Marshal(want.Counts)
	if !bytes.Equal(g, w) {
		t.Errorf("after kill (at %d documents) and re-run:\n%s\nclean run:\n%s", mid, g, w)
	}
}

// waitForDocuments polls the schema until some documents are stored and
// returns how many; 0 if the process exited first.
func waitForDocuments(t *testing.T, ctx context.Context, url, schema string, exited <-chan error) int {
	t.Helper()
	var st *store.Store
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	for ctx.Err() == nil {
		select {
		case err := <-exited:
			t.Logf("ingest exited early: %v", err)
			return 0
		case <-time.After(10 * time.Millisecond):
		}
		if st == nil {
			s, err := store.Open(ctx, url, store.Options{Schema: schema, MaxConns: 1})
			if err != nil {
				continue
			}
			st = s
		}
		if docs, _, err := st.ChunkCount(ctx); err == nil && docs > 0 {
			return docs
		}
	}
	t.Fatal("timed out waiting for the ingest to write documents")
	return 0
}

func status(t *testing.T, ctx context.Context, bin, root, url, schema string) indexStatus {
	t.Helper()
	out, err := govchatCmd(ctx, bin, root, url, schema, "index", "status", "--json").Output()
	if err != nil {
		t.Fatalf("index status: %v", err)
	}
	var s indexStatus
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("index status --json: %v\n%s", err, out)
	}
	return s
}
