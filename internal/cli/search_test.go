package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// search --explain shows how the offline composer scores what the chat
// pipeline would retrieve, and marks the sentence its answer would lead with.
func TestSearchExplain(t *testing.T) {
	env := schemaEnv(t, "explain", "GOVCHAT_EMBEDDER", "lexical")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	mustRun(ctx, t, env, "ingest", "--from", testPages)

	var ex struct {
		Intents  []string
		Passages []struct {
			URL      string
			Score    float64
			Relevant bool
		}
		Sentences []struct {
			Text         string
			Chosen, Lead bool
		}
		Status string
	}
	out := mustRun(ctx, t, env, "search", "--explain", "what time do I put my bins out?")
	if err := json.Unmarshal([]byte(out), &ex); err != nil {
		t.Fatalf("search --explain printed %q: %v", out, err)
	}
	if len(ex.Passages) == 0 || !strings.HasSuffix(ex.Passages[0].URL, "/waste/bins") || !ex.Passages[0].Relevant {
		t.Fatalf("passages = %+v; want the bins page first and relevant", ex.Passages)
	}
	if !strings.Contains(strings.Join(ex.Intents, " "), "hours") {
		t.Errorf("intents = %v; want hours (a time of day)", ex.Intents)
	}
	var leads []string
	for _, s := range ex.Sentences {
		if s.Lead {
			leads = append(leads, s.Text)
		}
	}
	if len(leads) != 1 || !strings.Contains(leads[0], "7am") || ex.Status == "no_information" {
		t.Errorf("status %q, lead sentences %q; want one, saying 7am", ex.Status, leads)
	}
}
