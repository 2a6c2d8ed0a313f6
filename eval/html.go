package eval

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// Bar is one bar of a chart, laid out in SVG units.
type bar struct {
	Label      string
	Value      string
	X, Y, W, H float64
}

type point struct{ X, Y float64 }

type htmlData struct {
	R         Report
	Behaviour []bar
	Lenient   string // polyline points
	Strict    string
	RecallPts []point
	RecallLbl []bar
	Latency   []bar
	LatMax    string
	BehH      int
}

// WriteHTML writes report.html: self-contained, with inline SVG charts and
// no scripts. Every dataset and answer text is escaped by html/template.
func (r Report) WriteHTML(w io.Writer) error {
	d := htmlData{R: r}
	for i, k := range sortedKeys(r.BehaviourN) {
		v := r.Behaviour[k]
		d.Behaviour = append(d.Behaviour, bar{Label: k, Value: fmt.Sprintf("%d/%d", r.BehaviourN[k].Correct, r.BehaviourN[k].Total),
			X: 120, Y: float64(10 + i*26), W: 300 * v, H: 18})
	}
	d.BehH = 20 + 26*len(d.Behaviour)
	curve := func(ys []float64) string {
		var pts []string
		for k, y := range ys {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", 40+float64(k)*36, 170-160*y))
		}
		return strings.Join(pts, " ")
	}
	d.Lenient, d.Strict = curve(r.Retrieval.RecallAtK), curve(r.Retrieval.Strict.RecallAtK)
	for k, y := range r.Retrieval.RecallAtK {
		d.RecallPts = append(d.RecallPts, point{X: 40 + float64(k)*36, Y: 170 - 160*y})
		d.RecallLbl = append(d.RecallLbl, bar{Label: fmt.Sprint(k + 1), X: 40 + float64(k)*36})
	}
	d.Latency, d.LatMax = latencyBars(r.Items)
	return reportTemplate.Execute(w, d)
}

// latencyBars is a 10-bin histogram of per-question durations.
func latencyBars(items []ItemReport) ([]bar, string) {
	const bins = 10
	top := 0.0
	for _, it := range items {
		top = math.Max(top, it.DurationMS)
	}
	if top == 0 {
		return nil, "0"
	}
	var counts [bins]int
	for _, it := range items {
		counts[min(bins-1, int(it.DurationMS/top*bins))]++
	}
	most := 1
	for _, c := range counts {
		most = max(most, c)
	}
	var out []bar
	for i, c := range counts {
		h := 140 * float64(c) / float64(most)
		out = append(out, bar{Label: fmt.Sprintf("%.0f", top*float64(i)/bins), Value: fmt.Sprint(c),
			X: 40 + float64(i)*36, Y: 160 - h, W: 30, H: h})
	}
	return out, fmt.Sprintf("%.0f", top)
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":  func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"f3":   func(f float64) string { return fmt.Sprintf("%.3f", f) },
	"join": func(s []string) string { return strings.Join(s, ", ") },
	"ranks": func(r []int) string {
		return strings.Trim(fmt.Sprint(r), "[]")
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>govchat evaluation report</title>
<style>
body{font-family:Arial,sans-serif;margin:2em;color:#0b0c0c;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #b1b4b6;padding:4px 8px;text-align:left;vertical-align:top}
.bad{background:#fdecea}.ok{background:#eef7ee}svg{background:#f8f8f8;margin:0 1em 1em 0}
.charts{display:flex;flex-wrap:wrap}small{color:#505a5f}
.answer{white-space:pre-wrap;min-width:18em}.marks{margin:0;padding-left:1.1em}.found{color:#00703c}.miss{color:#d4351c;font-weight:bold}
</style>
</head>
<body>
<h1>Evaluation report</h1>
<p>{{.R.Config.Questions}} questions from <code>{{.R.Config.Dataset}}</code>; composer {{.R.Config.Composer}}, embedder {{.R.Config.Embedder}}, version {{.R.Config.Version}}, k={{.R.Config.K}}, {{printf "%.1f" .R.Config.WallSeconds}}s.</p>

<div class="charts">
<figure>
<svg width="460" height="{{.BehH}}" viewBox="0 0 460 {{.BehH}}" role="img" aria-label="Correct behaviour per kind">
{{range .Behaviour}}<text x="5" y="{{printf "%.0f" .Y}}" dy="14" font-size="12">{{.Label}}</text>
<rect x="{{printf "%.0f" .X}}" y="{{printf "%.0f" .Y}}" width="300" height="{{printf "%.0f" .H}}" fill="#dddddd"/>
<rect x="{{printf "%.0f" .X}}" y="{{printf "%.0f" .Y}}" width="{{printf "%.1f" .W}}" height="{{printf "%.0f" .H}}" fill="#00703c"/>
<text x="425" y="{{printf "%.0f" .Y}}" dy="14" font-size="12">{{.Value}}</text>
{{end}}</svg>
<figcaption>Correct behaviour per kind</figcaption>
</figure>

<figure>
<svg width="400" height="200" viewBox="0 0 400 200" role="img" aria-label="Recall at k, k = 1 to 10">
<line x1="40" y1="170" x2="370" y2="170" stroke="#505a5f"/><line x1="40" y1="10" x2="40" y2="170" stroke="#505a5f"/>
<text x="5" y="14" font-size="11">1.0</text><text x="5" y="172" font-size="11">0</text>
<polyline points="{{.Strict}}" fill="none" stroke="#f47738" stroke-width="2" stroke-dasharray="4 3"/>
<polyline points="{{.Lenient}}" fill="none" stroke="#1d70b8" stroke-width="2"/>
{{range .RecallPts}}<circle cx="{{printf "%.1f" .X}}" cy="{{printf "%.1f" .Y}}" r="3" fill="#1d70b8"/>{{end}}
{{range .RecallLbl}}<text x="{{printf "%.0f" .X}}" y="188" font-size="11" text-anchor="middle">{{.Label}}</text>{{end}}
</svg>
<figcaption>Recall@k: lenient (blue), strict (orange, dashed)</figcaption>
</figure>

<figure>
<svg width="420" height="200" viewBox="0 0 420 200" role="img" aria-label="Histogram of question latency">
<line x1="40" y1="160" x2="400" y2="160" stroke="#505a5f"/>
{{range .Latency}}<rect x="{{printf "%.0f" .X}}" y="{{printf "%.1f" .Y}}" width="{{printf "%.0f" .W}}" height="{{printf "%.1f" .H}}" fill="#4c2c92"/>
<text x="{{printf "%.0f" .X}}" y="176" font-size="10">{{.Label}}</text><text x="{{printf "%.0f" .X}}" y="{{printf "%.1f" .Y}}" dy="-2" font-size="10">{{.Value}}</text>
{{end}}<text x="360" y="192" font-size="10">max {{.LatMax}} ms</text>
</svg>
<figcaption>Questions by latency (ms)</figcaption>
</figure>
</div>

<h2>Retrieval ({{.R.Retrieval.Questions}} questions)</h2>
<table><tr><th>Metric</th><th>Lenient</th><th>Strict</th></tr>
<tr><td>recall@1</td><td>{{f3 .R.Retrieval.RecallAt1}}</td><td>{{f3 .R.Retrieval.Strict.RecallAt1}}</td></tr>
<tr><td>recall@5</td><td>{{f3 .R.Retrieval.RecallAt5}}</td><td>{{f3 .R.Retrieval.Strict.RecallAt5}}</td></tr>
<tr><td>recall@10</td><td>{{f3 .R.Retrieval.RecallAt10}}</td><td>{{f3 .R.Retrieval.Strict.RecallAt10}}</td></tr>
<tr><td>MRR</td><td>{{f3 .R.Retrieval.MRR}}</td><td>{{f3 .R.Retrieval.Strict.MRR}}</td></tr>
<tr><td>nDCG@10</td><td>{{f3 .R.Retrieval.NDCGAt10}}</td><td>{{f3 .R.Retrieval.Strict.NDCGAt10}}</td></tr>
</table>

<h2>Answers</h2>
<table>
<tr><td>must_include coverage</td><td>{{pct .R.Answers.MustIncludeCoverage}}</td></tr>
<tr><td>all facts stated</td><td>{{pct .R.Answers.AllFactsRate}}</td></tr>
<tr><td>citation precision</td><td>{{pct .R.Answers.CitationPrecision}}</td></tr>
<tr><td>citation recall</td><td>{{pct .R.Answers.CitationRecall}}</td></tr>
<tr><td>citations of withdrawn/gone items</td><td>{{.R.Answers.WithdrawnCitations}}</td></tr>
</table>

{{if .R.ByTag}}<h2>By tag</h2>
<table><tr><th>Tag</th><th>Questions</th><th>recall@5</th><th>MRR</th><th>facts</th><th>citation precision</th><th>behaviour</th>{{if .R.Judge}}<th>faithfulness</th><th>relevancy</th>{{end}}</tr>
{{range $tag, $t := .R.ByTag}}<tr><td>{{$tag}}</td><td>{{$t.Questions}}</td>{{if $t.Retrieval.Questions}}<td>{{f3 $t.Retrieval.RecallAt5}}</td><td>{{f3 $t.Retrieval.MRR}}</td>{{else}}<td>–</td><td>–</td>{{end}}<td>{{if $t.Answers.Facts}}{{pct $t.Answers.MustIncludeCoverage}}{{else}}–{{end}}</td><td>{{if $t.Answers.Citations}}{{pct $t.Answers.CitationPrecision}}{{else}}–{{end}}</td><td>{{with $t.BehaviourTotal}}{{.Correct}}/{{.Total}}{{end}}</td>{{if $.R.Judge}}{{if $t.Judge}}<td>{{f3 $t.Judge.Faithfulness}}</td><td>{{f3 $t.Judge.Relevancy}}</td>{{else}}<td>–</td><td>–</td>{{end}}{{end}}</tr>
{{end}}</table>
{{end}}
{{with .R.Judge}}<h2>LLM judge</h2>
<p>{{.Model}} judged {{.Judged}} answers {{.RunsPerItem}} times each ({{.Skipped}} skipped, {{.FailedRuns}} failed or malformed judgements), spending {{.PromptTokens}} prompt and {{.CompletionTokens}} completion tokens.</p>
<table><tr><th>Score</th><th>Mean</th><th>Mean spread (sd)</th></tr>
<tr><td>faithfulness to the cited passages</td><td>{{f3 .Faithfulness}}</td><td>{{f3 .FaithfulnessSpread}}</td></tr>
<tr><td>relevancy to the question</td><td>{{f3 .Relevancy}}</td><td>{{f3 .RelevancySpread}}</td></tr>
</table>
{{end}}
<h2>Latency</h2>
<p>p50 {{printf "%.1f" .R.Latency.P50}} ms, p95 {{printf "%.1f" .R.Latency.P95}} ms.</p>

<h2>Questions</h2>
<p>Each answer next to its must-include facts (found or <span class="miss">missing</span>) and its cited sources (relevant, or <span class="miss">not relevant</span>: not one of the expected sources).</p>
<table><tr><th>ID</th><th>Kind</th><th>Tags</th><th>Status</th><th>Question</th><th>Hit ranks</th><th>Answer</th><th>Facts</th><th>Cited sources</th><th>Problems</th></tr>
{{range .R.Items}}<tr class="{{if .Correct}}ok{{else}}bad{{end}}"><td>{{.ID}}</td><td>{{.Kind}}</td><td>{{join .Tags}}</td><td>{{.Status}}</td>
<td>{{if .Question}}{{.Question}}{{else}}<small>not shown: personal data</small>{{end}}</td><td>{{ranks .HitRanks}}</td>
<td class="answer"><small>{{.Answer}}</small></td>
<td><ul class="marks">{{range .FactsFound}}<li class="found">found: {{.}}</li>{{end}}{{range .FactsMissing}}<li class="miss">missing: {{.}}</li>{{end}}</ul></td>
<td><ul class="marks">{{range .Citations}}<li class="{{if .Relevant}}found{{else}}miss{{end}}">{{.URL}}: {{if .Relevant}}relevant{{else}}not relevant{{end}}</li>{{else}}<li>none</li>{{end}}</ul></td>
<td>{{join .Problems}}{{with .Judge}}{{if .Skipped}}{{else}} <small>judge: faithfulness {{f3 .Faithfulness.Mean}} (sd {{f3 .Faithfulness.SD}}), relevancy {{f3 .Relevancy.Mean}} (sd {{f3 .Relevancy.SD}}), {{.Failed}} failed</small>{{end}}{{end}}</td></tr>
{{end}}</table>
</body>
</html>
`))
