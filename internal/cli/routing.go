package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/eval"
)

// runEvalRouting scores the question router on a labelled routing set
// (chat/testdata/routing-heldout.jsonl) or, with --cv K, cross-validates it
// on the built-in training set. No database is needed.
func runEvalRouting(ctx context.Context, io IO, args []string) error {
	fs := flags("eval routing", io, searchSettings...)
	dataset := fs.String("dataset", "", "labelled routing set, JSON Lines of {text, label, tags}")
	cv := fs.Int("cv", 0, "cross-validate on the built-in training set with K folds instead of scoring --dataset")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	whole := fs.Bool("pipeline", false, "route through the whole offline pipeline (router, then the index's evidence) against the database, not the router alone")
	cfg, err := parse(fs, io, args)
	if err != nil {
		return err
	}
	if (*dataset == "") == (*cv == 0) || fs.NArg() > 0 {
		fmt.Fprintln(io.Err, "usage: govchat eval routing (--dataset FILE [--pipeline] | --cv K) [--json]")
		return errUsage
	}
	log := newLogger(cfg, io.Err)
	var rep eval.RoutingReport
	if *cv > 0 {
		ex, err := chat.BuiltinRoutingSet()
		if err != nil {
			return err
		}
		enc, dims := routerEncoder(cfg, log)
		rep = eval.CrossValidateRouting(ex, *cv, func(tr []chat.RouteExample) eval.RouteRouter { return chat.NewRouter(tr, enc, dims) })
	} else {
		data, err := os.ReadFile(*dataset)
		if err != nil {
			return err
		}
		ex, err := chat.ParseRouteExamples(data)
		if err != nil {
			return err
		}
		var r eval.RouteRouter = newRouter(cfg, log)
		if *whole {
			stk, err := openStack(ctx, cfg, log, false)
			if err != nil {
				return err
			}
			defer stk.Close()
			r = pipelineRouter{ctx: ctx, p: chat.NewPipeline(stk.searcher, nil, nil, stk.pipelineConfig(cfg), nil)}
		}
		rep = eval.ScoreRouting(r, ex)
	}
	if *asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteMarkdown(io.Out)
}

// pipelineRouter routes a message through the whole offline pipeline and
// reports the label the turn ended with.
type pipelineRouter struct {
	ctx context.Context
	p   *chat.Pipeline
}

func (r pipelineRouter) Route(q string) chat.Decision {
	out, err := r.p.Ask(r.ctx, chat.Request{Question: q, Replay: true}, chat.Events{})
	if err != nil || out.Route.Label == "" {
		return chat.Decision{Label: chat.LabelGenuineRAG, Decider: "error"}
	}
	return out.Route
}
