package eval

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/llm"
	"github.com/govchat/govchat/llm/llmtest"
)

func judgeClient(t *testing.T) (*llm.Client, *llmtest.Server) {
	t.Helper()
	srv := llmtest.NewServer(t)
	c := llm.NewClient(llm.Config{BaseURL: srv.URL, APIKey: "k", ChatModel: "judge-test", MaxRetries: -1})
	t.Cleanup(c.Close)
	return c, srv
}

func judgeSample() ([]Item, []Result) {
	items := []Item{
		{ID: "a1", Kind: KindAnswerable, Question: "How much is a passport?", Tags: []string{"passports"}},
		{ID: "n1", Kind: KindAnswerable, Question: "What about visas?"},
		{ID: "o1", Kind: KindOutOfScope, Question: "a recipe"},
		{ID: "p1", Kind: KindPII, Question: "my NI number is QQ 12 34 56 C, when do I retire?"},
	}
	passage := govchat.Passage{URL: "/passport-fees#fees", Title: "Passport fees", Text: "An adult passport costs £85."}
	results := []Result{
		{Outcome: chat.Outcome{Status: chat.StatusOK, Standalone: "How much is a passport?", Answer: "It costs £85 [1].",
			Retrieved: []govchat.Passage{passage, {URL: "/uncited", Text: "Not cited."}},
			Sources:   []chat.Source{{URL: "/passport-fees#fees", Used: true}, {URL: "/uncited"}}}},
		{Outcome: chat.Outcome{Status: chat.StatusOK, Standalone: "What about visas?", Answer: "Apply online.",
			Retrieved: []govchat.Passage{passage}, Sources: []chat.Source{{URL: "/passport-fees#fees"}}}},
		{Outcome: chat.Outcome{Status: chat.StatusOutOfScope, Answer: "I can only help with government services."}},
		{Outcome: chat.Outcome{Status: chat.StatusRefusedPII, Answer: "Please remove your personal details."}},
	}
	return items, results
}

func TestJudgeScoresWithSpreadAndTokens(t *testing.T) {
	client, srv := judgeClient(t)
	srv.QueueChat(
		llmtest.Reply{ToolName: "grade_answer", ToolArguments: `{"faithfulness":0.9,"relevancy":1,"reason":"supported"}`},
		llmtest.Reply{ToolName: "grade_answer", ToolArguments: `{"faithfulness":0.5,`}, // malformed JSON
		llmtest.Reply{ToolName: "grade_answer", ToolArguments: `{"faithfulness":0.5,"relevancy":0.8,"reason":"partly"}`},
		llmtest.Reply{ToolName: "grade_answer", ToolArguments: `{"faithfulness":1.5,"relevancy":0.8,"reason":"x"}`}, // out of range
		llmtest.Reply{ToolName: "grade_answer", ToolArguments: `{"relevancy":0.8,"reason":"no faithfulness"}`},
		llmtest.Reply{Chunks: []string{"I think it is fine."}}, // no tool call at all
	)
	items, results := judgeSample()
	Judge{LLM: client, Model: "judge-test", Runs: 6, Concurrency: 1}.JudgeAll(context.Background(), items, results)

	j := results[0].Judgement
	if j == nil || j.Runs != 2 || j.Failed != 4 || len(j.Errors) != 4 {
		t.Fatalf("judgement of a1 = %+v; want 2 valid runs and 4 failures with their errors", j)
	}
	if j.Faithfulness != (Spread{Mean: 0.7, SD: 0.2, Min: 0.5, Max: 0.9}) || j.Relevancy != (Spread{Mean: 0.9, SD: 0.1, Min: 0.8, Max: 1}) {
		t.Errorf("scores = %+v, %+v; want faithfulness 0.7±0.2 and relevancy 0.9±0.1", j.Faithfulness, j.Relevancy)
	}
	if j.PromptTokens != 60 || j.CompletionTokens == 0 {
		t.Errorf("tokens = %d prompt, %d completion; want 60 prompt (10 a call) and some completion", j.PromptTokens, j.CompletionTokens)
	}
	for i, want := range []string{"no cited passages", "not answered: out_of_scope", "personal-data item"} {
		if got := results[i+1].Judgement; got == nil || got.Skipped != want {
			t.Errorf("judgement of %s = %+v; want skipped %q", items[i+1].ID, got, want)
		}
	}

	reqs := srv.Requests()
	if len(reqs) != 6 {
		t.Fatalf("the judge made %d calls; want 6 (only a1 is judged)", len(reqs))
	}
	for _, r := range reqs {
		choice, _ := json.Marshal(r.Body["tool_choice"])
		if !strings.Contains(string(choice), `"name":"grade_answer"`) {
			t.Errorf("tool_choice = %s; want the grade_answer call forced", choice)
		}
		user := r.Messages[len(r.Messages)-1].Content
		if strings.Contains(user, "QQ 12") || strings.Contains(user, "Not cited.") || !strings.Contains(user, "An adult passport costs £85.") {
			t.Errorf("the judge's prompt holds the wrong passages or personal data:\n%s", user)
		}
	}

	rep := Score(items, results, RunConfig{JudgeModel: "judge-test", JudgeRuns: 6})
	if rep.Judge == nil || rep.Judge.Judged != 1 || rep.Judge.Skipped != 3 || rep.Judge.FailedRuns != 4 ||
		rep.Judge.Faithfulness != 0.7 || rep.Judge.PromptTokens != 60 || rep.Judge.TotalTokens != 60+rep.Judge.CompletionTokens {
		t.Fatalf("report judge = %+v", rep.Judge)
	}
	if tj := rep.ByTag["passports"].Judge; tj == nil || tj.Relevancy != 0.9 {
		t.Errorf("by_tag passports judge = %+v; want relevancy 0.9", tj)
	}
	if _, v, ok := rep.Lookup("judge.faithfulness"); !ok || v != 0.7 {
		t.Errorf("Lookup(judge.faithfulness) = %v, %v; want 0.7", v, ok)
	}
	var md strings.Builder
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "judge-test judged 1 answers 6 times each (3 skipped, 4 failed or malformed judgements), spending 60 prompt") {
		t.Errorf("report.md lacks the judge section:\n%s", md.String())
	}
}

func TestJudgeServerErrorIsAFailedRun(t *testing.T) {
	client, srv := judgeClient(t)
	srv.QueueChat(llmtest.Reply{Status: 500}, llmtest.Reply{ToolName: "grade_answer", ToolArguments: `{"faithfulness":1,"relevancy":1,"reason":"ok"}`})
	items, results := judgeSample()
	Judge{LLM: client, Runs: 2, Concurrency: 1}.JudgeAll(context.Background(), items[:1], results[:1])
	j := results[0].Judgement
	if j.Runs != 1 || j.Failed != 1 || j.Faithfulness.Mean != 1 || j.Faithfulness.SD != 0 {
		t.Errorf("judgement = %+v; want one valid run and one failure", j)
	}
}

func FuzzParseGrade(f *testing.F) {
	f.Add(`{"faithfulness":0.5,"relevancy":1,"reason":"r"}`)
	f.Add(`{"faithfulness":-1}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, in string) {
		g, err := parseGrade(json.RawMessage(in))
		if err != nil {
			return
		}
		if g.Faithfulness < 0 || g.Faithfulness > 1 || g.Relevancy < 0 || g.Relevancy > 1 {
			t.Fatalf("parseGrade(%q) accepted scores %v, %v", in, g.Faithfulness, g.Relevancy)
		}
	})
}
