package eval

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/govchat/govchat/internal/corpustest"
)

func TestDecode(t *testing.T) {
	good := `{"id":"a","kind":"answerable","question":"q?","expected_sources":["/x"],"must_include":["f"],"reference_answer":"r"}`
	tests := []struct {
		name, in string
		n        int
		err      string
	}{
		{"one", good + "\n", 1, ""},
		{"blank lines and CRLF", "\n" + good + "\r\n\n", 1, ""},
		{"no final newline", good, 1, ""},
		{"followup", `{"id":"f","kind":"followup","history":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}],"question":"and?","expected_sources":[],"must_include":[],"reference_answer":""}`, 1, ""},
		{"empty", "", 0, "no questions"},
		{"malformed", good + "\n{\"id\":\n", 0, "line 2: malformed JSON"},
		{"unknown field", `{"id":"a","kind":"answerable","question":"q","extra":1}`, 0, `line 1: unknown field "extra"; a line may have id, kind`},
		{"unknown field on line 3", good + "\n\n" + `{"id":"b","kind":"pii","question":"q","tag":["x"]}`, 0, `line 3: unknown field "tag"`},
		{"tags and metadata", `{"id":"a","kind":"answerable","question":"q","tags":["money","passports"],"metadata":{"source":"ops","n":2}}`, 1, ""},
		{"tags not strings", `{"id":"a","kind":"answerable","question":"q","tags":[1]}`, 0, "line 1: malformed JSON"},
		{"metadata not an object", `{"id":"a","kind":"answerable","question":"q","metadata":["x"]}`, 0, "line 1: malformed JSON"},
		{"empty tag", `{"id":"a","kind":"answerable","question":"q","tags":[" "]}`, 0, `a: tag " " is empty`},
		{"duplicate tag", `{"id":"a","kind":"answerable","question":"q","tags":["x","x"]}`, 0, `a: tag "x" given twice`},
		{"unknown kind", `{"id":"a","kind":"trivia","question":"q"}`, 0, `line 1: a: unknown kind "trivia"`},
		{"no kind", `{"id":"a","question":"q"}`, 0, "kind\" is missing"},
		{"no id", `{"kind":"pii","question":"q"}`, 0, "\"id\" is missing"},
		{"empty question", `{"id":"a","kind":"pii","question":"  "}`, 0, "question\" is empty"},
		{"duplicate id", good + "\n" + good, 0, "line 2: id \"a\" already used on line 1"},
		{"two values", good + good, 0, "more than one JSON value"},
		{"history on answerable", `{"id":"a","kind":"answerable","question":"q","history":[{"role":"user","content":"x"}]}`, 0, "only followup"},
		{"bad role", `{"id":"a","kind":"followup","question":"q","history":[{"role":"system","content":"x"}]}`, 0, `role is "system"`},
		{"source not a path", `{"id":"a","kind":"answerable","question":"q","expected_sources":["https://evil"]}`, 0, "not a path"},
		{"not UTF-8", "{\"id\":\"a\xff\",\"kind\":\"pii\",\"question\":\"q\"}", 0, "not valid UTF-8"},
		{"oversized", `{"id":"a","kind":"pii","question":"` + strings.Repeat("x", MaxLineBytes) + `"}`, 0, "line 1: longer than"},
		{"array", `[1,2]`, 0, "malformed JSON"},
		{"wrong type", `{"id":1,"kind":"pii","question":"q"}`, 0, "malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Decode error = %v; want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || len(items) != tt.n {
				t.Fatalf("Decode = %d items, %v; want %d, nil", len(items), err, tt.n)
			}
		})
	}
}

func TestDecodeDevSet(t *testing.T) {
	items, err := Decode(strings.NewReader(readFile(t, corpustest.DevSet(t))))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 50 {
		t.Errorf("dev set has %d items; want 50", len(items))
	}
}

// TestOwnQuestionSets: the project's own question sets decode, and no id
// or question is in two of them or in the shared dev set, so a held-out
// or fresh set measures questions nothing was chosen on.
func TestOwnQuestionSets(t *testing.T) {
	sets := map[string]string{"dev": corpustest.DevSet(t)}
	for _, name := range []string{"own-dev", "own-heldout", "own-fresh"} {
		sets[name] = filepath.Join("datasets", name+".jsonl")
	}
	ids, questions := map[string]string{}, map[string]string{}
	for name, path := range sets {
		items, err := Decode(strings.NewReader(readFile(t, path)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		answerable := 0
		for _, it := range items {
			if it.Kind == KindAnswerable && len(it.ExpectedSources) > 0 && len(it.MustInclude) > 0 {
				answerable++
			}
			q := strings.ToLower(strings.Join(strings.Fields(it.Question), " "))
			if other, ok := ids[it.ID]; ok {
				t.Errorf("id %s is in %s and %s", it.ID, other, name)
			}
			if other, ok := questions[q]; ok {
				t.Errorf("question %q is in %s and %s", it.Question, other, name)
			}
			ids[it.ID], questions[q] = name, name
		}
		if name != "dev" && answerable < 45 {
			t.Errorf("%s has %d answerable questions with sources and facts; want at least 45", name, answerable)
		}
	}
}

func FuzzDecodeDataset(f *testing.F) {
	f.Add(`{"id":"a","kind":"answerable","question":"q?","expected_sources":["/x"],"must_include":["f"],"reference_answer":"r"}`)
	f.Add(`{"id":"f","kind":"followup","history":[{"role":"user","content":"a"}],"question":"and?"}` + "\n\n")
	f.Add("{\"id\":\"a\"}\n{")
	f.Fuzz(func(t *testing.T, in string) {
		items, err := Decode(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, it := range items {
			if it.ID == "" || strings.TrimSpace(it.Question) == "" {
				t.Fatalf("Decode accepted an item without id or question: %+v", it)
			}
			switch it.Kind {
			case KindAnswerable, KindFollowup, KindOutOfScope, KindPII, KindJailbreak:
			default:
				t.Fatalf("Decode accepted kind %q", it.Kind)
			}
		}
	})
}
