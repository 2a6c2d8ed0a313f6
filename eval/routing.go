package eval

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/govchat/govchat/chat"
)

// RouteRouter labels a message; *chat.Router satisfies it.
type RouteRouter interface {
	Route(q string) chat.Decision
}

// LabelScore is one label's precision and recall on a routing set.
type LabelScore struct {
	Label     chat.Label `json:"label"`
	Support   int        `json:"support"`   // examples with this label
	Predicted int        `json:"predicted"` // examples routed to this label
	Correct   int        `json:"correct"`
	Precision float64    `json:"precision"`
	Recall    float64    `json:"recall"`
}

// RoutingMiss is one wrongly routed example.
type RoutingMiss struct {
	Text       string     `json:"text"`
	Want       chat.Label `json:"want"`
	Got        chat.Label `json:"got"`
	Decider    string     `json:"decider"`
	Confidence float64    `json:"confidence"`
}

// RoutingReport scores a router on a labelled routing set.
type RoutingReport struct {
	Examples  int                               `json:"examples"`
	Accuracy  float64                           `json:"accuracy"`
	Labels    []LabelScore                      `json:"labels"`
	Confusion map[chat.Label]map[chat.Label]int `json:"confusion"` // want -> got -> count
	Misses    []RoutingMiss                     `json:"misses"`
	// Tagged counts what each tag's examples scored, e.g. "lookalike"
	// (genuine questions that share words with refusals) or "ordinary".
	Tagged map[string]TagScore `json:"tagged"`
}

// TagScore is the share of a tag's examples routed to their own label.
type TagScore struct {
	Examples int     `json:"examples"`
	Correct  int     `json:"correct"`
	Rate     float64 `json:"rate"`
}

// ScoreRouting routes every example and scores the labels.
func ScoreRouting(r RouteRouter, examples []chat.RouteExample) RoutingReport {
	rep := RoutingReport{Examples: len(examples), Confusion: map[chat.Label]map[chat.Label]int{}, Tagged: map[string]TagScore{}}
	support, predicted, correct := map[chat.Label]int{}, map[chat.Label]int{}, map[chat.Label]int{}
	right := 0
	for _, ex := range examples {
		d := r.Route(ex.Text)
		support[ex.Label]++
		predicted[d.Label]++
		if rep.Confusion[ex.Label] == nil {
			rep.Confusion[ex.Label] = map[chat.Label]int{}
		}
		rep.Confusion[ex.Label][d.Label]++
		ok := d.Label == ex.Label
		if ok {
			correct[ex.Label]++
			right++
		} else {
			rep.Misses = append(rep.Misses, RoutingMiss{Text: ex.Text, Want: ex.Label, Got: d.Label, Decider: d.Decider, Confidence: d.Confidence})
		}
		for _, tag := range ex.Tags {
			ts := rep.Tagged[tag]
			ts.Examples++
			if ok {
				ts.Correct++
			}
			ts.Rate = ratio(ts.Correct, ts.Examples)
			rep.Tagged[tag] = ts
		}
	}
	rep.Accuracy = ratio(right, len(examples))
	for _, l := range chat.AllLabels() {
		if support[l] == 0 && predicted[l] == 0 {
			continue
		}
		rep.Labels = append(rep.Labels, LabelScore{Label: l, Support: support[l], Predicted: predicted[l], Correct: correct[l],
			Precision: ratio(correct[l], predicted[l]), Recall: ratio(correct[l], support[l])})
	}
	return rep
}

// Label returns one label's score (zero when absent).
func (r RoutingReport) Label(l chat.Label) LabelScore {
	for _, s := range r.Labels {
		if s.Label == l {
			return s
		}
	}
	return LabelScore{Label: l}
}

// WriteMarkdown writes the per-label table, the confusion matrix and the
// misses.
func (r RoutingReport) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Examples: %d, accuracy %.3f\n\n", r.Examples, r.Accuracy)
	b.WriteString("| label | support | predicted | precision | recall |\n|---|---:|---:|---:|---:|\n")
	for _, s := range r.Labels {
		fmt.Fprintf(&b, "| %s | %d | %d | %.3f | %.3f |\n", s.Label, s.Support, s.Predicted, s.Precision, s.Recall)
	}
	tags := slices.Sorted(func(yield func(string) bool) {
		for t := range r.Tagged {
			if !yield(t) {
				return
			}
		}
	})
	if len(tags) > 0 {
		b.WriteString("\n| tag | examples | routed to their label |\n|---|---:|---:|\n")
		for _, t := range tags {
			fmt.Fprintf(&b, "| %s | %d | %.3f |\n", t, r.Tagged[t].Examples, r.Tagged[t].Rate)
		}
	}
	b.WriteString("\nConfusion (rows: labelled, columns: routed; only labels that occur):\n\n")
	var used []chat.Label
	for _, s := range r.Labels {
		used = append(used, s.Label)
	}
	b.WriteString("| |")
	for _, l := range used {
		fmt.Fprintf(&b, " %s |", abbrev(l))
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(used)) + "\n")
	for _, want := range used {
		fmt.Fprintf(&b, "| %s |", abbrev(want))
		for _, got := range used {
			if n := r.Confusion[want][got]; n > 0 {
				fmt.Fprintf(&b, " %d |", n)
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	if len(r.Misses) > 0 {
		b.WriteString("\nMisses:\n\n")
		for _, m := range r.Misses {
			fmt.Fprintf(&b, "- %s → %s (%s, %.2f): %q\n", m.Want, m.Got, m.Decider, m.Confidence, m.Text)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// abbrev shortens a label for the confusion matrix's columns.
func abbrev(l chat.Label) string {
	parts := strings.Split(string(l), "_")
	if len(parts) == 1 {
		return string(l)
	}
	var s string
	for _, p := range parts {
		s += p[:1]
	}
	return s
}

// CrossValidateRouting splits examples into k folds (example i goes to
// fold i mod k, so the split is fixed), trains on k-1 folds with train and
// scores the held fold, and returns the pooled report. It is how the
// router's thresholds are chosen without touching the held-out set.
func CrossValidateRouting(examples []chat.RouteExample, k int, train func([]chat.RouteExample) RouteRouter) RoutingReport {
	var pooled []chat.RouteExample
	var routers []RouteRouter
	fold := make([]int, 0, len(examples))
	for f := range k {
		var tr []chat.RouteExample
		for i, ex := range examples {
			if i%k != f {
				tr = append(tr, ex)
			}
		}
		routers = append(routers, train(tr))
	}
	for i, ex := range examples {
		pooled = append(pooled, ex)
		fold = append(fold, i%k)
	}
	return ScoreRouting(foldRouter{routers: routers, fold: fold, texts: pooled}, pooled)
}

// foldRouter routes each example with the router that did not see it.
type foldRouter struct {
	routers []RouteRouter
	fold    []int
	texts   []chat.RouteExample
}

func (f foldRouter) Route(q string) chat.Decision {
	for i, ex := range f.texts {
		if ex.Text == q {
			return f.routers[f.fold[i]].Route(q)
		}
	}
	return f.routers[0].Route(q)
}
