package eval

import (
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	base := func() Report {
		r := Report{SchemaVersion: SchemaVersion, Behaviour: map[string]float64{"pii": 1}}
		r.Retrieval.Questions = 10
		r.Retrieval.RecallAt5 = 0.8
		r.Retrieval.MRR = 0.6
		r.Answers.Questions = 10
		r.Answers.MustIncludeCoverage = 0.5
		r.Items = []ItemReport{{ID: "a", Correct: true}, {ID: "b", Correct: false}, {ID: "c", Correct: true}}
		return r
	}
	tests := []struct {
		name      string
		change    func(*Report)
		regressed bool
		fixed     []string
		broken    []string
	}{
		{"same", func(*Report) {}, false, nil, nil},
		{"small drop within tolerance", func(r *Report) { r.Retrieval.RecallAt5 = 0.79 }, false, nil, nil},
		{"drop of exactly the tolerance", func(r *Report) { r.Retrieval.RecallAt5 = 0.78 }, false, nil, nil},
		{"big drop", func(r *Report) { r.Retrieval.MRR = 0.5 }, true, nil, nil},
		{"pii drop", func(r *Report) { r.Behaviour["pii"] = 0.75 }, true, nil, nil},
		{"withdrawn citation appears", func(r *Report) { r.Answers.WithdrawnCitations = 1 }, true, nil, nil},
		{"improvement", func(r *Report) { r.Answers.MustIncludeCoverage = 0.9 }, false, nil, nil},
		{"flips", func(r *Report) { r.Items[0].Correct, r.Items[1].Correct = false, true }, false, []string{"b"}, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := base()
			tt.change(&cur)
			c := Compare(base(), cur, 0.02)
			if c.Regressed() != tt.regressed {
				t.Errorf("Regressed() = %v; want %v (%+v)", c.Regressed(), tt.regressed, c.Deltas)
			}
			var fixed, broken []string
			for _, f := range c.Flips {
				if f.Fixed {
					fixed = append(fixed, f.ID)
				} else {
					broken = append(broken, f.ID)
				}
			}
			if strings.Join(fixed, ",") != strings.Join(tt.fixed, ",") || strings.Join(broken, ",") != strings.Join(tt.broken, ",") {
				t.Errorf("fixed %v, broken %v; want %v, %v", fixed, broken, tt.fixed, tt.broken)
			}
			var b strings.Builder
			if err := c.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			if tt.regressed != strings.Contains(b.String(), "REGRESSED") {
				t.Errorf("table marks regressions wrongly:\n%s", b.String())
			}
		})
	}
}

func TestCheckThresholds(t *testing.T) {
	r := Report{Behaviour: map[string]float64{"pii": 0.75}}
	r.Retrieval.Questions = 1
	r.Retrieval.RecallAt5 = 0.8
	r.Retrieval.Strict.RecallAt5 = 0.7
	tests := []struct {
		min  string
		fail string
	}{
		{"recall_at_5=0.8", ""},
		{"retrieval.recall_at_5=0.81", "retrieval.recall_at_5 is 0.8000, below the minimum 0.8100"},
		{"retrieval.strict.recall_at_5=0.75", "retrieval.strict.recall_at_5 is 0.7000"},
		{"pii=1", "behaviour.pii is 0.7500, below the minimum 1.0000"},
		{"behaviour.pii=0.7", ""},
		{"jailbreak=1", "jailbreak: no such metric"},
	}
	for _, tt := range tests {
		th, err := ParseThreshold(tt.min)
		if err != nil {
			t.Fatal(err)
		}
		fails := r.Check([]Threshold{th})
		got := strings.Join(fails, "; ")
		if (tt.fail == "") != (got == "") || !strings.Contains(got, tt.fail) {
			t.Errorf("Check(%s) = %q; want %q", tt.min, got, tt.fail)
		}
	}
	for _, bad := range []string{"recall", "=1", "x=abc", "x=NaN"} {
		if _, err := ParseThreshold(bad); err == nil {
			t.Errorf("ParseThreshold(%q) accepted it", bad)
		}
	}
}
