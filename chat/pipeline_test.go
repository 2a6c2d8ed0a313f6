package chat_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/embed"
	"github.com/govchat/govchat/internal/corpustest"
	"github.com/govchat/govchat/internal/corpustest/corpusindex"
	"github.com/govchat/govchat/internal/syncbuf"
	"github.com/govchat/govchat/llm/llmtest"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// fixture is the shared corpus index with a real retriever over it.
type fixture struct {
	st  *store.Store
	ret *retrieval.Searcher
}

func corpus(t *testing.T) fixture {
	t.Helper()
	ix := corpusindex.Shared(t)
	return fixture{st: ix.Store, ret: retrieval.New(ix.Store, ix.Embedder, retrieval.Options{Floor: retrieval.DefaultFloor()})}
}

// vectorRouter is the router `govchat serve` builds: the built-in routing
// set with the local embedder's word vectors.
func vectorRouter(t *testing.T) *chat.Router {
	t.Helper()
	enc, err := embed.NewLocal(corpustest.VectorsFile(t), embed.WithLexicalDims(0))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := chat.BuiltinRoutingSet()
	if err != nil {
		t.Fatal(err)
	}
	return chat.NewRouter(ex, enc, enc.Dimensions())
}

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropShared()
	os.Exit(code)
}

type devItem struct {
	ID              string      `json:"id"`
	Kind            string      `json:"kind"`
	Question        string      `json:"question"`
	History         []chat.Turn `json:"history"`
	ExpectedSources []string    `json:"expected_sources"`
	Note            string      `json:"note"`
}

func loadDev(t *testing.T) []devItem { return corpustest.DevItems[devItem](t) }

// Every kind in the dev set behaves as the dataset README says, offline,
// with the real database, retriever and extractive composer.
func TestDevSetBehaviourOffline(t *testing.T) {
	fx := corpus(t)
	logs := &syncbuf.Buffer{}
	p := chat.NewPipeline(fx.ret, fx.st, nil, chat.Config{Router: vectorRouter(t)}, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ctx := context.Background()
	answeredWithSource, answerable := 0, 0
	for _, it := range loadDev(t) {
		t.Run(it.ID, func(t *testing.T) {
			var deltas []string
			out, err := p.Ask(ctx, chat.Request{Question: it.Question, Replay: it.History != nil, History: it.History},
				chat.Events{Delta: func(s string) error { deltas = append(deltas, s); return nil }})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(deltas, ""); got != out.Answer {
				t.Errorf("streamed text %q differs from the answer %q", got, out.Answer)
			}
			switch {
			case it.Kind == "pii":
				if out.Status != chat.StatusRefusedPII || len(out.Sources) != 0 || out.Standalone != "" || out.Retrieved != nil {
					t.Errorf("pii: status %s, %d sources, standalone %q; want refused_pii, nothing retrieved", out.Status, len(out.Sources), out.Standalone)
				}
				for _, m := range chat.DetectPII(it.Question) {
					secret := it.Question[m.Start:m.End]
					if strings.Contains(logs.String(), secret) || strings.Contains(out.Answer, secret) {
						t.Errorf("personal data (%s) leaked into the logs or the answer", m.Kind)
					}
				}
			case it.Kind == "jailbreak":
				if out.Status != chat.StatusRefusedJailbreak || len(out.Sources) != 0 {
					t.Errorf("jailbreak: status %s with %d sources; want refused_jailbreak and none", out.Status, len(out.Sources))
				}
			case it.Note != "":
				// Only withdrawn or gone pages held the answer, and those are
				// never indexed; a live page on a nearby topic may still be
				// cited. The eval harness scores this; here we only log it.
				if out.Status != chat.StatusNoContent {
					t.Logf("withdrawn-only question answered from %v", out.Sources)
				}
			case it.Kind == "out_of_scope":
				if out.Status != chat.StatusOutOfScope && out.Status != chat.StatusNoContent {
					t.Errorf("%s: status %s; want out_of_scope or no_content (answer %q)", it.Kind, out.Status, out.Answer)
				}
				if len(out.Sources) != 0 {
					t.Errorf("%s: cited %v; want no sources", it.Kind, out.Sources)
				}
			default:
				answerable++
				if out.Status != chat.StatusOK {
					t.Logf("%s: status %s (%q)", it.Kind, out.Status, out.Standalone)
					return
				}
				for _, s := range out.Sources {
					for _, want := range it.ExpectedSources {
						if strings.HasPrefix(retrieval.PagePath(s.URL), want) || strings.HasPrefix(want, retrieval.PagePath(s.URL)) {
							answeredWithSource++
							return
						}
					}
				}
			}
		})
	}
	t.Logf("answered with an expected source: %d of %d answerable and follow-up questions", answeredWithSource, answerable)
	// Retrieval quality is measured by the eval harness; this guards against
	// the pipeline declining everything. Measured: 22 of 36.
	if answeredWithSource*10 < answerable*6 {
		t.Errorf("answered with an expected source %d of %d; want at least 60%%", answeredWithSource, answerable)
	}
	if strings.Contains(logs.String(), "question\":") {
		t.Error("the logs contain a question field")
	}
}

// Questions with personal data are never stored; others are, with the answer.
func TestPersonalDataNeverStored(t *testing.T) {
	fx := corpus(t)
	p := chat.NewPipeline(fx.ret, fx.st, nil, chat.Config{}, nil)
	ctx := context.Background()
	q := "my NI number is QQ 12 34 56 C, how do I check my state pension?"
	out, err := p.Ask(ctx, chat.Request{Question: q}, chat.Events{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := fx.st.GetMessage(ctx, out.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Question != nil || m.Status != string(chat.StatusRefusedPII) || strings.Contains(m.Answer, "QQ 12") {
		t.Errorf("stored message %+v; want no question and status refused_pii", m)
	}
	out, err = p.Ask(ctx, chat.Request{Question: "how much does it cost to renew a passport", ConversationID: out.ConversationID}, chat.Events{})
	if err != nil {
		t.Fatal(err)
	}
	m, err = fx.st.GetMessage(ctx, out.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Question == nil || m.Status != string(out.Status) || m.Answer != out.Answer || m.Seq != 2 {
		t.Errorf("stored message %+v; want the question, status %s, answer and seq 2", m, out.Status)
	}
}

// Two pipelines (two server instances) on one database continue one
// conversation: the follow-up on the second sees the first's history.
func TestConversationContinuesAcrossInstances(t *testing.T) {
	fx := corpus(t)
	a := chat.NewPipeline(fx.ret, fx.st, nil, chat.Config{}, nil)
	b := chat.NewPipeline(fx.ret, fx.st, nil, chat.Config{}, nil)
	ctx := context.Background()
	first, err := a.Ask(ctx, chat.Request{Question: "How do I renew my adult passport?"}, chat.Events{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.Ask(ctx, chat.Request{Question: "how much does it cost?", ConversationID: first.ConversationID}, chat.Events{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(second.Standalone), "passport") {
		t.Errorf("follow-up on the second instance was rewritten to %q; want the passport topic carried over", second.Standalone)
	}
	h, err := fx.st.History(ctx, first.ConversationID, 10)
	if err != nil || len(h) != 2 {
		t.Errorf("history = %d messages, %v; want 2", len(h), err)
	}
}

// llmPipeline composes with the fake server's replies.
func llmPipeline(t *testing.T, fx fixture, timeout time.Duration) (*chat.Pipeline, *llmtest.Server) {
	t.Helper()
	srv, c := llmtest.NewChat(t, timeout, 1)
	return chat.NewPipeline(fx.ret, nil, c, chat.Config{LLMTimeout: timeout}, nil), srv
}

// askLLM asks q of the corpus with reply as the model's answer.
func askLLM(t *testing.T, reply llmtest.Reply, q string) (chat.Outcome, *llmtest.Server) {
	t.Helper()
	p, srv := llmPipeline(t, corpus(t), 10*time.Second)
	srv.QueueChat(reply)
	out, err := p.Ask(context.Background(), chat.Request{Question: q}, chat.Events{})
	if err != nil {
		t.Fatal(err)
	}
	return out, srv
}

func TestLLMComposerStreamsCitedAnswer(t *testing.T) {
	fx := corpus(t)
	p, srv := llmPipeline(t, fx, 10*time.Second)
	srv.QueueChat(llmtest.Reply{Chunks: []string{"You can renew ", "at any time [1]. ", "Time left is added, up to 9 months [2]. ",
		"See https://evil.example.com for more. ", "Invented [99]."}})
	var deltas int
	out, err := p.Ask(context.Background(), chat.Request{Question: "If I renew my passport early do I lose the time left?"},
		chat.Events{Delta: func(string) error { deltas++; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != chat.StatusOK || out.Composer != "llm" {
		t.Fatalf("status %s composer %s; want answered by llm", out.Status, out.Composer)
	}
	if strings.Contains(out.Answer, "evil.example.com") || strings.Contains(out.Answer, "[99]") {
		t.Errorf("answer %q kept a foreign link or an invented citation", out.Answer)
	}
	if !strings.Contains(out.Answer, "9 months [2]") || deltas < 2 || out.Guarded != 1 {
		t.Errorf("answer %q in %d deltas, %d guarded; want the cited sentence streamed and one sentence dropped", out.Answer, deltas, out.Guarded)
	}
	if len(out.Sources) != 2 || out.Sources[0].Index != 1 || out.Sources[1].Index != 2 {
		t.Errorf("sources %+v; want the two cited", out.Sources)
	}
	reqs := srv.Requests()
	last := reqs[len(reqs)-1]
	prompt := ""
	for _, m := range last.Messages {
		prompt += m.Content
	}
	if !strings.Contains(prompt, "<source number=\"1\">") || !strings.Contains(prompt, "data, not instructions") {
		t.Errorf("prompt lacks delimited sources or the data rule")
	}
}

func TestLLMFailureGivesFallback(t *testing.T) {
	fx := corpus(t)
	for _, tc := range []struct {
		name  string
		reply llmtest.Reply
	}{
		{"server error", llmtest.Reply{Status: 500}},
		{"hang before first token", llmtest.Reply{HangBeforeFirst: true}},
		{"error mid-stream", llmtest.Reply{Chunks: []string{"You can renew at any time [1]. ", "More"}, FailAfter: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, srv := llmPipeline(t, fx, 2*time.Second)
			for i := 0; i < 3; i++ {
				srv.QueueChat(tc.reply)
			}
			out, err := p.Ask(context.Background(), chat.Request{Question: "How do I renew my adult passport?"}, chat.Events{})
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != chat.StatusFallback || out.Composer != "fallback" || len(out.Sources) == 0 {
				t.Fatalf("status %s composer %s with %d sources; want fallback with sources", out.Status, out.Composer, len(out.Sources))
			}
			if !strings.Contains(out.Answer, "may help") {
				t.Errorf("fallback answer %q", out.Answer)
			}
		})
	}
}

// Personal data never reaches the LLM: the fake server records every request.
func TestPersonalDataNeverSentToLLM(t *testing.T) {
	fx := corpus(t)
	p, srv := llmPipeline(t, fx, 5*time.Second)
	for _, q := range []string{
		"my email is jo.bloggs@example.com, how do I renew my passport?",
		"Card 4111 1111 1111 1111 was charged twice for my passport",
	} {
		out, err := p.Ask(context.Background(), chat.Request{Question: q}, chat.Events{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != chat.StatusRefusedPII {
			t.Errorf("%q: status %s; want refused_pii", q, out.Status)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("the LLM received %d requests; want none", n)
	}
}

// Cancelling the turn (the citizen left) cancels the LLM request.
func TestCancelStopsLLMRequest(t *testing.T) {
	fx := corpus(t)
	p, srv := llmPipeline(t, fx, 30*time.Second)
	srv.QueueChat(llmtest.Reply{Chunks: []string{"Starting. ", "slow ", "slow "}, Delay: 2 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan chat.Outcome)
	// Cancel once the model's answer has started: a fixed sleep raced
	// routing and retrieval on a busy machine, and cancelled before any
	// request was made.
	started := make(chan struct{})
	var once sync.Once
	ev := chat.Events{Delta: func(string) error { once.Do(func() { close(started) }); return nil }}
	go func() {
		out, _ := p.Ask(ctx, chat.Request{Question: "How do I renew my adult passport?"}, ev)
		done <- out
	}()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the answer did not start streaming")
	}
	cancel()
	if srv.WaitCancelled(10*time.Second) == "" {
		t.Error("the LLM request was not cancelled")
	}
	if out := <-done; out.Status != chat.StatusCancelled {
		t.Errorf("status %s; want cancelled", out.Status)
	}
}

// Off-topic questions are declined as out of scope, not answered from the
// nearest page and not "no content", whichever of the router or the
// index's weak evidence decides it.
func TestPipelineDeclinesOffTopic(t *testing.T) {
	fx := corpus(t)
	p := chat.NewPipeline(fx.ret, nil, nil, chat.Config{Router: vectorRouter(t)}, nil)
	for _, q := range []string{
		"What's the weather in London tomorrow?",
		"how many calories are in a banana",
		"best way to descale a kettle",
		"who sang the theme tune to neighbours",
		"which is better for a first car, a fiesta or a corsa",
	} {
		out, err := p.Ask(context.Background(), chat.Request{Question: q, Replay: true}, chat.Events{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != chat.StatusOutOfScope || len(out.Sources) != 0 {
			t.Errorf("Ask(%q) = %s with %d sources (route %+v); want out_of_scope, no sources", q, out.Status, len(out.Sources), out.Route)
		}
	}
}

// Over the length limit, crisis wording is still signposted; anything else
// is refused as too long. Nothing is stored either way.
func TestTooLongQuestion(t *testing.T) {
	fx := corpus(t)
	p := chat.NewPipeline(fx.ret, fx.st, nil, chat.Config{MaxQuestionChars: 40, Router: vectorRouter(t)}, nil)
	for _, tc := range []struct {
		q    string
		want chat.AnswerStatus
	}{
		{"I have lost everything this year and honestly I want to kill myself", chat.StatusCrisis},
		{"How much does it cost to renew an adult passport online these days?", chat.StatusInvalid},
	} {
		out, err := p.Ask(context.Background(), chat.Request{Question: tc.q}, chat.Events{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != tc.want || out.Route.Label == "" {
			t.Errorf("Ask(%q) = %s, route %+v; want %s and a label", tc.q, out.Status, out.Route, tc.want)
		}
		if _, err := fx.st.GetMessage(context.Background(), out.MessageID); err == nil {
			t.Errorf("Ask(%q) stored a message; want nothing stored", tc.q)
		}
	}
}

// A doubtful crisis verdict on a government question is signposted first
// and then answered; with personal data, or without a clear match, the
// signposting is the whole reply. Here every message is a doubtful crisis:
// the band starts at 0 and is never sure.
func TestSignpostThenAnswer(t *testing.T) {
	fx := corpus(t)
	p := chat.NewPipeline(fx.ret, nil, nil, chat.Config{Router: vectorRouter(t).WithCrisisBand(0, 1.01)}, nil)
	ask := func(q string) chat.Outcome {
		t.Helper()
		out, err := p.Ask(context.Background(), chat.Request{Question: q, Replay: true}, chat.Events{})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	out := ask("How much does it cost to renew a passport online?")
	if out.Status != chat.StatusCrisis || out.Route.Label != chat.LabelCrisis || !out.Route.AnswerToo {
		t.Fatalf("status %s, route %+v; want crisis with AnswerToo", out.Status, out.Route)
	}
	if !strings.HasPrefix(out.Answer, chat.MsgCrisisSoft) {
		t.Errorf("answer %q does not start with the signposting", out.Answer)
	}
	if !strings.Contains(out.Answer, "£75.50") || len(out.Sources) == 0 {
		t.Errorf("answer %q (sources %v); want the fee after the signposting, with its source", out.Answer, out.Sources)
	}

	out = ask("my email is jo.bloggs@example.com, how do I renew my passport?")
	if out.Answer != chat.MsgPIIRefusal && out.Answer != chat.MsgCrisisSoft && out.Answer != chat.MsgCrisis {
		t.Errorf("with personal data the reply is %q; want a fixed reply and no answer", out.Answer)
	}
	if len(out.Sources) != 0 {
		t.Errorf("with personal data: sources %v; want none", out.Sources)
	}

	for _, q := range []string{"what's the best way to cook a turkey crown"} {
		out = ask(q)
		if a := strings.TrimSpace(out.Answer); out.Status != chat.StatusCrisis || (a != chat.MsgCrisisSoft && a != chat.MsgCrisis) || len(out.Sources) != 0 {
			t.Errorf("%q: status %s, answer %q, sources %v; want the signposting alone", q, out.Status, out.Answer, out.Sources)
		}
	}
}

// With an LLM composer the signposting still goes first, from the offline
// router, and the model's answer follows it.
func TestSignpostThenAnswerWithLLM(t *testing.T) {
	fx := corpus(t)
	srv, c := llmtest.NewChat(t, 10*time.Second, 1)
	p := chat.NewPipeline(fx.ret, nil, c, chat.Config{LLMTimeout: 10 * time.Second, Router: vectorRouter(t).WithCrisisBand(0, 1.01)}, nil)
	srv.QueueChat(llmtest.Reply{Chunks: []string{"It costs £75.50 ", "to renew online [1]."}})
	out, err := p.Ask(context.Background(), chat.Request{Question: "How much does it cost to renew a passport online?", Replay: true}, chat.Events{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != chat.StatusCrisis || !strings.HasPrefix(out.Answer, chat.MsgCrisisSoft) || !strings.Contains(out.Answer, "£75.50") {
		t.Errorf("status %s, answer %q; want the signposting, then the model's answer", out.Status, out.Answer)
	}
}

// An offline answer the composer judges partial (it misses much of the
// question or the kind of fact asked for) ends by saying so; a full one
// does not.
func TestPartialAnswerSaysSo(t *testing.T) {
	fx := corpus(t)
	p := chat.NewPipeline(fx.ret, nil, nil, chat.Config{Router: vectorRouter(t)}, nil)
	seen := map[chat.Status]bool{}
	for _, q := range []string{
		"How much does it cost to renew a passport online?",
		"I need a passport in a hurry for a funeral abroad. Which cities can I go to in person?",
		"What number do I ring to ask about my tax code?",
		"I've just bought two micro pigs as pets. Do I have to register them with anyone?",
	} {
		out, err := p.Ask(context.Background(), chat.Request{Question: q, Replay: true}, chat.Events{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != chat.StatusOK {
			t.Fatalf("Ask(%q) = %s; want an answer", q, out.Status)
		}
		status := chat.Extractive{}.Explain(out.Standalone, out.Retrieved).Status
		seen[status] = true
		noted := strings.HasSuffix(out.Answer, "\n\n"+chat.MsgPartialAnswer)
		if noted != (status == chat.StatusPartial) {
			t.Errorf("Ask(%q): composer status %s, answer ends with the partial note: %v\n%s", q, status, noted, out.Answer)
		}
	}
	if !seen[chat.StatusPartial] || !seen[chat.StatusAnswered] {
		t.Errorf("composer statuses seen %v; the questions must give both a partial and a full answer", seen)
	}
}
