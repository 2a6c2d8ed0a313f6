package eval

import (
	"cmp"
	"context"
	"sync"
	"time"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/retrieval"
)

// Asker answers one question; *chat.Pipeline is one.
type Asker interface {
	Ask(ctx context.Context, req chat.Request, ev chat.Events) (chat.Outcome, error)
	Composer() string
}

// Searcher runs retrieval directly; *retrieval.Searcher is one.
type Searcher interface {
	Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error)
}

// Runner runs dataset items through an Asker and, for retrieval metrics at
// depth K, a Searcher on the pipeline's rewritten question.
type Runner struct {
	Asker       Asker
	Searcher    Searcher // nil: retrieval metrics use only the composer's passages
	K           int      // retrieval depth for the metrics; 10 when 0
	Concurrency int      // questions in flight; 4 when 0
	// Progress, when set, hears how many items have finished.
	Progress func(done, total int)
}

// Result is what running one item produced.
type Result struct {
	Outcome  chat.Outcome
	Ranked   []govchat.Passage // the Searcher's top K for Outcome.Standalone
	Searched bool              // the Searcher ran
	Duration time.Duration
	Err      string
	// Judgement is the LLM judge's verdict, set by Judge.JudgeAll.
	Judgement *ItemJudgement
}

// Run answers every item, at most Concurrency at a time, and returns the
// results in dataset order. Errors are recorded per item; Run returns early
// only when ctx ends (remaining items then carry ctx's error).
func (r Runner) Run(ctx context.Context, items []Item) []Result {
	conc := r.Concurrency
	if conc <= 0 {
		conc = 4
	}
	k := r.K
	if k <= 0 {
		k = 10
	}
	results := make([]Result, len(items))
	var (
		mu   sync.Mutex // Progress hears counts in order, one call at a time
		done int
	)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(conc, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = r.one(ctx, items[i], k)
				mu.Lock()
				done++
				if r.Progress != nil {
					r.Progress(done, len(items))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range items {
		select {
		case next <- i:
		case <-ctx.Done():
			for j := i; j < len(items); j++ {
				results[j].Err = ctx.Err().Error()
			}
			break feed
		}
	}
	close(next)
	wg.Wait()
	return results
}

func (r Runner) one(ctx context.Context, it Item, k int) Result {
	start := time.Now()
	out, err := r.Asker.Ask(ctx, chat.Request{Question: it.Question, Replay: true, History: it.History}, chat.Events{})
	res := Result{Outcome: out, Duration: time.Since(start)}
	if err != nil {
		res.Err = err.Error()
	}
	// Personal data must never reach the retriever: pii items, and any
	// question the pipeline found personal data in, are never searched
	// here. A question the router turned away has no standalone form; its
	// retrieval is measured on the question as asked, so that recall
	// measures the retriever, not the router.
	q := cmp.Or(out.Standalone, it.Question)
	if r.Searcher == nil || it.Kind == KindPII || out.Route.Label == chat.LabelPersonalInfo || len(chat.DetectPII(q)) > 0 {
		return res
	}
	sr, err := r.Searcher.Search(ctx, retrieval.Query{Text: q, K: k})
	if err != nil {
		if res.Err == "" {
			res.Err = "search: " + err.Error()
		}
		return res
	}
	res.Ranked, res.Searched = sr.Passages, true
	return res
}
