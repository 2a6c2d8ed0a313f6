package reliability

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/embed"
	"github.com/govchat/govchat/internal/corpustest/corpusindex"
	"github.com/govchat/govchat/llm/llmtest"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// hangGuard bounds every wait in these tests: far above how long anything
// should take, there only so a regression fails instead of hanging CI.
const hangGuard = 60 * time.Second

// repoRoot finds the module root from the test's working directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/govchat/govchat\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root (go.mod of github.com/govchat/govchat) not found above the working directory")
		}
		dir = parent
	}
}

// guidance is a small site of Markdown pages, enough for retrieval to find
// answers with the lexical embedder.
var guidance = map[string]string{
	"renew-passport.md": `---
title: Renew your passport
url: /renew-adult-passport
---
# Renew your passport

## How to renew

You can renew your adult passport online. It costs £88.50 to renew online. You will need a digital photo.

## Time left on your passport

Time left on your current passport is added to your new passport, up to a maximum of 9 months.
`,
	"stolen-cattle.md": `---
title: Report lost or stolen cattle
url: /guidance/report-lost-or-stolen-cattle
---
# Report lost or stolen cattle

## Theft

Report stolen cattle to the police and get an incident number. Send the cattle passports to BCMS within 7 days.
`,
	"register-birth.md": `---
title: Register a birth
url: /register-birth
---
# Register a birth

## When to register

You must register the birth of a baby within 42 days at the local register office.
`,
}

// writePages writes pages (name to Markdown) into a new directory.
func writePages(t testing.TB, pages map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range pages {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// index ingests dir into st with the lexical embedder and returns a retriever.
func index(t testing.TB, st *store.Store, dir string) *retrieval.Searcher {
	t.Helper()
	emb, err := embed.NewLexical(embed.DefaultLexicalDims + 100)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	corpusindex.Ingest(ctx, t, st, emb, dir)
	return retrieval.New(st, emb, retrieval.Options{})
}

// newIndex ingests dir into a schema of the test's own and returns the
// store and a retriever over it.
func newIndex(t testing.TB, dir string) (*store.Store, *retrieval.Searcher) {
	t.Helper()
	st := storetest.New(t)
	return st, index(t, st, dir)
}

// llmPipeline is a pipeline over st and ret that composes with a new fake
// model; timeout is each of the model client's timeouts and the pipeline's
// LLM timeout. The client closes when the test ends, or sooner with closeLLM.
func llmPipeline(t testing.TB, st *store.Store, ret *retrieval.Searcher, timeout time.Duration) (p *chat.Pipeline, srv *llmtest.Server, closeLLM func()) {
	t.Helper()
	srv, client := llmtest.NewChat(t, timeout, 1)
	return chat.NewPipeline(ret, st, client, chat.Config{LLMTimeout: timeout}, nil), srv, client.Close
}

// askGuarded runs p.Ask and fails the test if it has not returned within
// hangGuard: the point of most tests here is that nothing hangs.
func askGuarded(t testing.TB, ctx context.Context, p *chat.Pipeline, req chat.Request, ev chat.Events) (chat.Outcome, error) {
	t.Helper()
	type result struct {
		out chat.Outcome
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := p.Ask(ctx, req, ev)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-time.After(hangGuard):
		t.Fatalf("Ask(%q) did not return within %s", req.Question, hangGuard)
		return chat.Outcome{}, nil
	}
}
