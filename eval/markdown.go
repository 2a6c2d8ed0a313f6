package eval

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes report.md: the headline numbers, then every
// question that went wrong.
func (r Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	c := r.Config
	fmt.Fprintf(&b, "# Evaluation report\n\n%d questions from `%s` (sha256 %.12s), composer %s, embedder %s, version %s, k=%d, wall time %.1fs.\n\n",
		c.Questions, c.Dataset, c.DatasetSHA256, c.Composer, c.Embedder, c.Version, c.K, c.WallSeconds)

	fmt.Fprintf(&b, "## Retrieval (%d questions, from the %s)\n\n| Metric | Lenient | Strict |\n|---|---:|---:|\n", r.Retrieval.Questions, c.RetrievalSource)
	rows := []struct {
		name string
		l, s float64
	}{
		{"recall@1", r.Retrieval.RecallAt1, r.Retrieval.Strict.RecallAt1},
		{"recall@5", r.Retrieval.RecallAt5, r.Retrieval.Strict.RecallAt5},
		{"recall@10", r.Retrieval.RecallAt10, r.Retrieval.Strict.RecallAt10},
		{"MRR", r.Retrieval.MRR, r.Retrieval.Strict.MRR},
		{"nDCG@10", r.Retrieval.NDCGAt10, r.Retrieval.Strict.NDCGAt10},
	}
	for _, row := range rows {
		fmt.Fprintf(&b, "| %s | %.3f | %.3f |\n", row.name, row.l, row.s)
	}
	fmt.Fprintf(&b, "\nExpected source among the passages the composer saw: %.3f.\n\n", r.Retrieval.ContextRecall)

	a := r.Answers
	fmt.Fprintf(&b, "## Answers\n\n| Metric | Value |\n|---|---:|\n| must_include coverage (%d facts) | %.3f |\n| all facts stated (%d questions) | %.3f |\n| citation precision (%d citations) | %.3f |\n| citation recall | %.3f |\n| citations of withdrawn/gone items | %d |\n| citations for out-of-scope, pii, jailbreak | %d |\n\n",
		a.Facts, a.MustIncludeCoverage, a.Questions, a.AllFactsRate, a.Citations, a.CitationPrecision, a.CitationRecall, a.WithdrawnCitations, a.ForbiddenCitations)

	b.WriteString("## Behaviour per kind\n\n| Kind | Correct | Rate |\n|---|---:|---:|\n")
	for _, k := range sortedKeys(r.BehaviourN) {
		n := r.BehaviourN[k]
		fmt.Fprintf(&b, "| %s | %d/%d | %.3f |\n", k, n.Correct, n.Total, r.Behaviour[k])
	}
	writeTags(&b, r)
	writeJudge(&b, r.Judge)
	b.WriteString("\n## Statuses\n\n| Status | Count |\n|---|---:|\n")
	for _, s := range sortedKeys(r.Statuses) {
		fmt.Fprintf(&b, "| %s | %d |\n", s, r.Statuses[s])
	}
	if len(r.Routes) > 0 {
		b.WriteString("\n## Router labels\n\n| Label | Questions |\n|---|---:|\n")
		for _, l := range sortedKeys(r.Routes) {
			fmt.Fprintf(&b, "| %s | %d |\n", l, r.Routes[l])
		}
	}
	fmt.Fprintf(&b, "\n## Latency (ms)\n\n| Stage | p50 | p95 |\n|---|---:|---:|\n| whole question | %.1f | %.1f |\n", r.Latency.P50, r.Latency.P95)
	for _, s := range sortedKeys(r.Latency.Stages) {
		fmt.Fprintf(&b, "| %s | %.1f | %.1f |\n", s, r.Latency.Stages[s]["p50"], r.Latency.Stages[s]["p95"])
	}

	writeAnswers(&b, r.Items)
	writeWrong(&b, r.Items)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeWrong lists the questions that went wrong, with what was expected.
func writeWrong(b *strings.Builder, items []ItemReport) {
	b.WriteString("\n## Questions that went wrong\n\n")
	wrong := 0
	for _, it := range items {
		if it.Correct && (len(it.Expected) == 0 || len(it.HitRanks) > 0) {
			continue
		}
		wrong++
		q := it.Question
		if q == "" {
			q = "(not shown: it holds personal data)"
		}
		fmt.Fprintf(b, "### %s (%s)\n\n- Question: %s\n- Status: %s\n", it.ID, it.Kind, mdText(q), it.Status)
		if it.Standalone != "" && it.Standalone != it.Question {
			fmt.Fprintf(b, "- Rewritten: %s\n", mdText(it.Standalone))
		}
		if len(it.Expected) > 0 {
			fmt.Fprintf(b, "- Expected: %s; hit ranks %v\n", strings.Join(it.Expected, ", "), it.HitRanks)
		}
		if len(it.FactsMissing) > 0 {
			fmt.Fprintf(b, "- Missing facts: %s\n", mdText(strings.Join(it.FactsMissing, "; ")))
		}
		for _, p := range it.Problems {
			fmt.Fprintf(b, "- Problem: %s\n", mdText(p))
		}
		if it.Error != "" {
			fmt.Fprintf(b, "- Error: %s\n", mdText(it.Error))
		}
		b.WriteString("\n")
	}
	if wrong == 0 {
		b.WriteString("None.\n")
	}
}

// writeTags writes the by_tag figures, one row per tag.
func writeTags(b *strings.Builder, r Report) {
	if len(r.ByTag) == 0 {
		return
	}
	judged := r.Judge != nil
	b.WriteString("\n## By tag\n\n| Tag | Questions | recall@5 | MRR | facts | citation precision | behaviour |")
	if judged {
		b.WriteString(" faithfulness | relevancy |")
	}
	b.WriteString("\n|---|---:|---:|---:|---:|---:|---:|")
	if judged {
		b.WriteString("---:|---:|")
	}
	b.WriteString("\n")
	for _, tag := range sortedKeys(r.ByTag) {
		t := r.ByTag[tag]
		c := t.BehaviourTotal()
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %d/%d |", mdText(tag), t.Questions,
			orDash(t.Retrieval.Questions, t.Retrieval.RecallAt5), orDash(t.Retrieval.Questions, t.Retrieval.MRR),
			orDash(t.Answers.Facts, t.Answers.MustIncludeCoverage), orDash(t.Answers.Citations, t.Answers.CitationPrecision), c.Correct, c.Total)
		if judged {
			if t.Judge != nil && t.Judge.Judged > 0 {
				fmt.Fprintf(b, " %.3f | %.3f |", t.Judge.Faithfulness, t.Judge.Relevancy)
			} else {
				b.WriteString(" – | – |")
			}
		}
		b.WriteString("\n")
	}
}

// orDash is v to three places, or a dash when no item was scored (n == 0).
func orDash(n int, v float64) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f", v)
}

// writeJudge writes the LLM judge's scores and what it cost.
func writeJudge(b *strings.Builder, j *JudgeSummary) {
	if j == nil {
		return
	}
	fmt.Fprintf(b, "\n## LLM judge\n\n%s judged %d answers %d times each (%d skipped, %d failed or malformed judgements), spending %d prompt and %d completion tokens.\n\n",
		mdText(j.Model), j.Judged, j.RunsPerItem, j.Skipped, j.FailedRuns, j.PromptTokens, j.CompletionTokens)
	fmt.Fprintf(b, "| Score | Mean | Mean spread (sd) |\n|---|---:|---:|\n| faithfulness to the cited passages | %.3f | %.3f |\n| relevancy to the question | %.3f | %.3f |\n",
		j.Faithfulness, j.FaithfulnessSpread, j.Relevancy, j.RelevancySpread)
}

// writeAnswers lists every question scored on its answer: the answer,
// then its must-include facts marked found or missing, then the cited
// sources marked relevant (an expected source) or not.
func writeAnswers(b *strings.Builder, items []ItemReport) {
	b.WriteString("\n## Answers per question\n\nEach answer with its must-include facts (found or missing) and its cited sources (relevant: one of the expected sources).\n")
	for _, it := range items {
		if len(it.Expected) == 0 && len(it.FactsFound)+len(it.FactsMissing) == 0 && len(it.Cited) == 0 {
			continue
		}
		verdict := "correct"
		if !it.Correct {
			verdict = "wrong"
		}
		q := it.Question
		if q == "" {
			q = "(not shown: it holds personal data)"
		}
		fmt.Fprintf(b, "\n### %s (%s, %s, %s)\n\n- Question: %s\n- Answer:\n\n", it.ID, it.Kind, it.Status, verdict, mdText(q))
		for _, line := range strings.Split(strings.TrimSpace(it.Answer), "\n") {
			fmt.Fprintf(b, "  > %s\n", mdText(line))
		}
		b.WriteString("\n")
		var facts []string
		for _, f := range it.FactsFound {
			facts = append(facts, "found: "+mdText(f))
		}
		for _, f := range it.FactsMissing {
			facts = append(facts, "**missing: "+mdText(f)+"**")
		}
		if len(facts) > 0 {
			fmt.Fprintf(b, "- Facts: %s\n", strings.Join(facts, "; "))
		}
		if len(it.Citations) == 0 {
			b.WriteString("- Cited: none\n")
		}
		for _, c := range it.Citations {
			mark := "relevant"
			if !c.Relevant {
				mark = "**not relevant**"
			}
			fmt.Fprintf(b, "- Cited: %s (%s)\n", mdText(c.URL), mark)
		}
		if j := it.Judge; j != nil {
			if j.Skipped != "" {
				fmt.Fprintf(b, "- Judge: not judged (%s)\n", mdText(j.Skipped))
			} else {
				fmt.Fprintf(b, "- Judge: faithfulness %.2f (sd %.2f), relevancy %.2f (sd %.2f) over %d runs, %d failed\n",
					j.Faithfulness.Mean, j.Faithfulness.SD, j.Relevancy.Mean, j.Relevancy.SD, j.Runs, j.Failed)
			}
		}
		if len(it.ComposerPassages) > 0 {
			var ps []string
			for _, p := range it.ComposerPassages {
				ps = append(ps, fmt.Sprintf("%s %.2f %s, %s", mdText(p.URL), p.Score,
					pick(p.Relevant, "quotable", "not quotable"), pick(p.Expected, "expected", "not expected")))
			}
			fmt.Fprintf(b, "- Composer's passages: %s\n", strings.Join(ps, "; "))
		}
	}
}

func pick(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// mdText keeps dataset and answer text from breaking the Markdown around it.
func mdText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "|", "\\|", "`", "\\`").Replace(s)
}
