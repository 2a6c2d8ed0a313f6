package cli

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/eval"
)

// runEvalRouting scores the question router on a labelled routing set
// (chat/testdata/routing-heldout.jsonl) or, with --cv K, cross-validates it
// on the built-in training set. No database is needed.
func runEvalRouting(io IO, args []string) error {
	fs := flags("eval routing", io, "log-level", "log-format", "vectors-file")
	dataset := fs.String("dataset", "", "labelled routing set, JSON Lines of {text, label, tags}")
	cv := fs.Int("cv", 0, "cross-validate on the built-in training set with K folds instead of scoring --dataset")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	cfg, err := parse(fs, io, args)
	if err != nil {
		return err
	}
	if (*dataset == "") == (*cv == 0) || fs.NArg() > 0 {
		fmt.Fprintln(io.Err, "usage: govchat eval routing (--dataset FILE | --cv K) [--json]")
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
		rep = eval.ScoreRouting(newRouter(cfg, log), ex)
	}
	if *asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteMarkdown(io.Out)
}
