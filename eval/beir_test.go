package eval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/chat"
)

func TestBEIRRoundTrip(t *testing.T) {
	dir := t.TempDir()
	docs := []govchat.Document{
		{Title: "Fees", Chunks: []govchat.Chunk{{ExactPath: "/passport-fees", Text: "£85"}, {ExactPath: "/passport-fees#child", Text: "£57.50"}}},
		{Title: "Fees (variant)", Chunks: []govchat.Chunk{{ExactPath: "/passport-fees", Text: "£85 again"}}},
		{Title: "Old", Withdrawn: true, Chunks: []govchat.Chunk{{ExactPath: "/old", Text: "gone"}}},
		{Title: "Other", Chunks: []govchat.Chunk{{ExactPath: "/other", Text: "x"}}},
	}
	items := []Item{
		{ID: "q1", Kind: KindAnswerable, Question: "passport cost?", ExpectedSources: []string{"/passport-fees"}},
		{ID: "q2", Kind: KindFollowup, History: []chat.Turn{{Role: "user", Content: "passports"}}, Question: "and a child?", ExpectedSources: []string{"/passport-fees"}},
		{ID: "q3", Kind: KindOutOfScope, Question: "football?"},
	}
	st, err := ExportBEIR(dir, items, docs)
	if err != nil {
		t.Fatal(err)
	}
	if st.Docs != 4 || st.Queries != 2 || st.Qrels != 6 {
		t.Errorf("ExportBEIR = %+v; want 4 docs, 2 queries, 6 qrels", st)
	}
	corpus := readFile(t, filepath.Join(dir, "corpus.jsonl"))
	if !strings.Contains(corpus, `"_id":"/passport-fees#~2"`) || strings.Contains(corpus, "/old") {
		t.Errorf("corpus.jsonl:\n%s", corpus)
	}
	if q := readFile(t, filepath.Join(dir, "queries.jsonl")); !strings.Contains(q, `"text":"passports and a child?"`) {
		t.Errorf("queries.jsonl:\n%s", q)
	}
	f, err := os.Open(filepath.Join(dir, "qrels", "test.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qrels, err := ReadQrels(f)
	if err != nil {
		t.Fatal(err)
	}
	run, err := ReadRun(strings.NewReader("q1 Q0 /other 1 0.9 x\nq1 Q0 /passport-fees#child 2 0.8 x\nq2 Q0 /other 1 1 x\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, n := ScoreQrels(qrels, run)
	if n != 2 || s.RecallAt1 != 0 || s.RecallAt5 != 0.5 || s.MRR != 0.25 {
		t.Errorf("ScoreQrels = %+v over %d; want recall@5 0.5, MRR 0.25 over 2", s, n)
	}
	if _, err := ReadQrels(strings.NewReader("a\tb\n")); err == nil {
		t.Error("ReadQrels accepted a line with two fields")
	}
}
