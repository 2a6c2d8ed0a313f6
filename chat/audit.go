package chat

import (
	"context"
	"errors"
	"sort"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/llm"
	"github.com/govchat/govchat/retrieval"
)

// Audit is what an operator may see of a turn besides its answer: each
// guard's verdict, each model call with its tokens, and the passages
// retrieval returned with their scores. It holds no question text, so it is
// safe to store for every turn, refused ones included.
type Audit struct {
	Guards   []GuardVerdict `json:"guards"`
	LLM      []LLMCall      `json:"llm"`
	Passages []AuditPassage `json:"passages"`
	// Floor names the "no content" floor rule that passed or failed.
	Floor string `json:"floor,omitempty"`
}

// Guard verdicts.
const (
	VerdictPass    = "pass"
	VerdictBlocked = "blocked" // the turn ended with a refusal
	VerdictDropped = "dropped" // sentences of the answer were not sent
)

// GuardVerdict is one check's verdict. Count is the number of sentences
// dropped for an output check.
type GuardVerdict struct {
	Name    string `json:"name"`
	Verdict string `json:"verdict"`
	Count   int    `json:"count,omitempty"`
}

// LLMCall is one call to a model and the tokens it used, as the server
// reported them.
type LLMCall struct {
	Step             string `json:"step"` // "route", "rewrite" or "compose"
	Model            string `json:"model"`
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
}

// AuditPassage is one retrieved passage with each ranker's score.
type AuditPassage struct {
	URL         string  `json:"url"`
	Title       string  `json:"title"`
	Heading     string  `json:"heading,omitempty"`
	Score       float64 `json:"score"`
	VectorRank  int     `json:"vector_rank"`
	VectorScore float64 `json:"vector_score"`
	TextRank    int     `json:"text_rank"`
	TextScore   float64 `json:"text_score"`
}

type auditKey struct{}

// withAudit makes the model calls made with ctx record their tokens in a.
// The turn's stages run one after another, so a needs no lock.
func withAudit(ctx context.Context, a *Audit) context.Context {
	return context.WithValue(ctx, auditKey{}, a)
}

// usageTo returns the llm.ChatRequest.OnUsage that records a call of step
// in ctx's audit, or nil when ctx has none.
func usageTo(ctx context.Context, step string) func(string, llm.Usage) {
	a, _ := ctx.Value(auditKey{}).(*Audit)
	if a == nil {
		return nil
	}
	return func(model string, u llm.Usage) {
		a.LLM = append(a.LLM, LLMCall{Step: step, Model: model, PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens})
	}
}

// AuditPassages lists passages as the audit keeps them.
func AuditPassages(ps []govchat.Passage) []AuditPassage {
	out := make([]AuditPassage, 0, len(ps))
	for _, p := range ps {
		out = append(out, AuditPassage{URL: p.URL, Title: p.Title, Heading: p.Heading(), Score: p.Score,
			VectorRank: p.VectorRank, VectorScore: p.VectorScore, TextRank: p.TextRank, TextScore: p.TextScore})
	}
	return out
}

// inputGuards records the verdicts of the checks made before retrieval.
func (a *Audit) inputGuards(route Decision, pii bool) {
	verdict := func(blocked bool) string {
		if blocked {
			return VerdictBlocked
		}
		return VerdictPass
	}
	a.Guards = append(a.Guards,
		GuardVerdict{Name: "crisis", Verdict: verdict(route.Label == LabelCrisis)},
		GuardVerdict{Name: "personal_data", Verdict: verdict(pii || route.Label == LabelPersonalInfo)},
		GuardVerdict{Name: "jailbreak", Verdict: verdict(route.Label == LabelJailbreak)},
	)
}

// outputGuards records the output checks' verdicts from a sentence guard.
func (a *Audit) outputGuards(g *sentenceGuard) {
	if len(g.reasons) == 0 {
		a.Guards = append(a.Guards, GuardVerdict{Name: "output_checks", Verdict: VerdictPass})
		return
	}
	names := make([]string, 0, len(g.reasons))
	for n := range g.reasons {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a.Guards = append(a.Guards, GuardVerdict{Name: n, Verdict: VerdictDropped, Count: g.reasons[n]})
	}
}

// guardName names the output check that failed with err.
func guardName(err error) string {
	switch {
	case errors.Is(err, ErrOutputPII):
		return "output_personal_data"
	case errors.Is(err, ErrOutputLink):
		return "output_link"
	case errors.Is(err, ErrOutputForbidden):
		return "output_forbidden_term"
	case errors.Is(err, ErrOutputContact):
		return "output_contact"
	}
	return "output_other"
}

// Inspection is what the pipeline would make of a question, short of
// answering it: the router's decision and the retrieval result.
type Inspection struct {
	Question string // normalised
	Route    Decision
	// Searched is false when the question was not searched: it holds
	// personal data, which is never searched.
	Searched bool
	Result   retrieval.Result
	// Composer is how the offline composer scores the passages found:
	// which it counts as relevant and which sentences it would quote.
	// Empty when nothing was searched.
	Composer Explanation
}

// Inspect routes and searches a question as Ask would, without composing,
// storing or logging it, for the operators' console. Unlike Ask it searches
// whatever the label, so operators can see what a declined question would
// have found; only personal data is never searched.
func (p *Pipeline) Inspect(ctx context.Context, question string) (Inspection, error) {
	q, err := Normalise(question, p.cfg.MaxQuestionChars)
	if err != nil {
		return Inspection{}, err
	}
	in := Inspection{Question: q, Route: p.route(ctx, q)}
	if in.Route.Label == LabelPersonalInfo || len(DetectPII(q)) > 0 {
		return in, nil
	}
	in.Result, err = p.retriever.Search(ctx, retrieval.Query{Text: q, PageContext: true})
	if err != nil {
		return in, err
	}
	in.Searched = true
	in.Composer = p.offline.Explain(q, in.Result.Passages)
	return in, nil
}
