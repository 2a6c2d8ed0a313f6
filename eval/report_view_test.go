package eval

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/chat"
)

// TestReportsShowFactsAndCitations: report.md and report.html put each
// answer next to its must-include facts, marked found or missing, and its
// cited sources, marked relevant or not.
func TestReportsShowFactsAndCitations(t *testing.T) {
	r := sampleRun(t)
	a2 := r.Items[1]
	if len(a2.Citations) != 2 || !a2.Citations[0].Relevant || a2.Citations[1].Relevant {
		t.Fatalf("a2 citations = %+v; want the parent of the expected page relevant and /other not", a2.Citations)
	}

	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	m := md.String()
	section := m[strings.Index(m, "### a2 "):]
	section = section[:strings.Index(section[1:], "###")+1]
	for _, want := range []string{
		"> Your passport must be valid.",
		"**missing: 6 months**",
		"- Cited: /foreign-travel-advice/turkey (relevant)",
		"- Cited: /other (**not relevant**)",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("report.md's a2 section lacks %q:\n%s", want, section)
		}
	}
	if !strings.Contains(m, "found: £85; found: 10 weeks") {
		t.Errorf("report.md does not mark a1's facts found:\n%s", m)
	}
	if strings.Contains(m, "### p1 ") && strings.Contains(m, "QQ 12") {
		t.Error("report.md shows the pii item's personal data")
	}

	var h bytes.Buffer
	if err := r.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	out := h.String()
	row := out[strings.Index(out, "<td>a2</td>"):]
	row = row[:strings.Index(row, "</tr>")]
	answer := strings.Index(row, "Your passport must be valid.")
	missing := strings.Index(row, `<li class="miss">missing: 6 months</li>`)
	relevant := strings.Index(row, `<li class="found">/foreign-travel-advice/turkey: relevant</li>`)
	notRelevant := strings.Index(row, `<li class="miss">/other: not relevant</li>`)
	if answer < 0 || missing < answer || relevant < missing || notRelevant < relevant {
		t.Errorf("report.html's a2 row does not show answer, facts, then cited sources marked (%d %d %d %d):\n%s",
			answer, missing, relevant, notRelevant, row)
	}
	if !strings.Contains(out, `<li class="found">found: £85</li>`) {
		t.Error("report.html does not mark a1's £85 found")
	}
}

// TestReportExplainsOfflineComposer: for answers by the offline composer,
// each item carries the composer's relevance score for every passage it
// saw, next to whether the passage was an expected source.
func TestReportExplainsOfflineComposer(t *testing.T) {
	items := []Item{{ID: "c1", Kind: KindAnswerable, Question: "How much does the driving test cost?",
		ExpectedSources: []string{"/driving-test"}, MustInclude: []string{"£62"}}}
	ps := []govchat.Passage{
		{Title: "Driving test: cars", URL: "/driving-test/cost", VectorScore: 0.6, Text: "The driving test costs £62 on weekdays."},
		{Title: "Apply for a Blue Badge", URL: "/apply-blue-badge", VectorScore: 0.3, Text: "A Blue Badge costs up to £10."},
	}
	results := []Result{{Outcome: chat.Outcome{Status: chat.StatusOK, Composer: "offline", Standalone: items[0].Question,
		Answer: "The driving test costs £62 on weekdays. [1]", Retrieved: ps, Sources: []chat.Source{{URL: ps[0].URL, Used: true}}}}}
	r := Score(items, results, RunConfig{Composer: "offline"})
	got := r.Items[0].ComposerPassages
	if len(got) != 2 {
		t.Fatalf("composer_passages = %+v; want one per passage the composer saw", got)
	}
	if !got[0].Relevant || !got[0].Expected || got[1].Relevant || got[1].Expected || got[0].Score <= got[1].Score {
		t.Errorf("composer_passages = %+v; want the driving test page relevant, expected and scored higher", got)
	}
	if len(r.Items[0].Citations) != 1 || !r.Items[0].Citations[0].Relevant {
		t.Errorf("citations = %+v; want one relevant", r.Items[0].Citations)
	}
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("- Composer's passages: /driving-test/cost %.2f quotable, expected; /apply-blue-badge %.2f not quotable, not expected",
		got[0].Score, got[1].Score)
	if !strings.Contains(md.String(), want) {
		t.Errorf("report.md lacks %q:\n%s", want, md.String())
	}
}
