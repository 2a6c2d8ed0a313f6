package chat

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode"
)

// probeGroupLabel says which label each group of the probe set must carry.
// The probe set is written apart from the training data to measure how the
// router generalises, so the groups are fixed and each maps to one label.
var probeGroupLabel = map[string]Label{
	"crisis":        LabelCrisis,
	"out_of_scope":  LabelOutOfScope,
	"personal_info": LabelPersonalInfo,
	"jailbreak":     LabelJailbreak,
	"illegal":       LabelIllegal,
	"ordinary":      LabelGenuineRAG,
	"lookalike":     LabelGenuineRAG,
}

type probeItem struct {
	Text  string   `json:"text"`
	Label Label    `json:"label"`
	Tags  []string `json:"tags"` // one: the group
}

// group is the item's one tag, "" when it has none or several.
func (it probeItem) group() string {
	if len(it.Tags) != 1 {
		return ""
	}
	return it.Tags[0]
}

// probeKey folds case, apostrophes, punctuation and spacing so that near
// copies compare equal.
func probeKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '\'' || r == '\u2019' || r == '\u2018':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteRune(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// readJSONL decodes every non-blank line of path into a new T.
func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v T
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return out
}

func TestProbesDataLabelsAndGroups(t *testing.T) {
	items := readJSONL[probeItem](t, "testdata/routing-probes.jsonl")
	if len(items) < 400 {
		t.Fatalf("probe set has %d items; want at least 400", len(items))
	}
	counts := map[string]int{}
	seen := map[string]int{}
	for i, it := range items {
		if strings.TrimSpace(it.Text) == "" {
			t.Errorf("item %d: empty text", i+1)
		}
		if !it.Label.Valid() {
			t.Errorf("item %d: label %q is not one the router knows", i+1, it.Label)
		}
		want, ok := probeGroupLabel[it.group()]
		if !ok {
			t.Errorf("item %d: unknown group %q", i+1, it.group())
		} else if it.Label != want {
			t.Errorf("item %d: group %q has label %q; want %q", i+1, it.group(), it.Label, want)
		}
		k := probeKey(it.Text)
		if j, dup := seen[k]; dup {
			t.Errorf("item %d duplicates item %d: %q", i+1, j, it.Text)
		}
		seen[k] = i + 1
		counts[it.group()]++
	}
	for g := range probeGroupLabel {
		if counts[g] == 0 {
			t.Errorf("group %q has no items", g)
		}
	}
}

func TestProbesDataNotInTraining(t *testing.T) {
	probes := readJSONL[probeItem](t, "testdata/routing-probes.jsonl")
	train := readTrainTexts(t, "routedata/train.jsonl")
	if len(train) == 0 {
		t.Fatal("routedata/train.jsonl gave no texts to compare against")
	}
	for i, p := range probes {
		if train[probeKey(p.Text)] {
			t.Errorf("probe %d is also in the training data: %q", i+1, p.Text)
		}
	}
}

// readTrainTexts returns the normalised "text" of every training line. Only
// that field is decoded, so the check does not depend on the rest of the
// training format.
func readTrainTexts(t *testing.T, path string) map[string]bool {
	t.Helper()
	type line struct {
		Text *string `json:"text"`
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		if l.Text == nil {
			t.Fatalf("%s:%d: no \"text\" field", path, n)
		}
		out[probeKey(*l.Text)] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return out
}
