package chat

import (
	"testing"

	"github.com/govchat/govchat/internal/corpustest"
)

// devItem is the part of an evaluation question these checks need.
type devItem struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Question string `json:"question"`
	History  []Turn `json:"history"`
}

// loadDev reads the shared development question set, a sibling of the
// repository. CI must have it, so there a missing file fails the test.
func loadDev(t *testing.T) []devItem { return corpustest.DevItems[devItem](t) }

// TestDevSetChecks runs the offline checks in pipeline order over the dev
// questions: personal data must be caught, jailbreaks blocked, and no real
// question stopped by any check.
func TestDevSetChecks(t *testing.T) {
	counts := map[string][2]int{} // kind -> {handled, total}
	stopped := 0
	for _, it := range loadDev(t) {
		q, err := Normalise(it.Question, 0)
		if err != nil {
			t.Errorf("%s: Normalise error %v", it.ID, err)
			continue
		}
		pii := DetectPII(q)
		jb := CheckJailbreak(q)
		rt := testRouter(t).Route(q)
		handled := false
		switch it.Kind {
		case "pii":
			handled = len(pii) > 0
			if !handled {
				t.Errorf("%s: DetectPII found nothing in a pii question", it.ID)
			}
		case "jailbreak":
			handled = jb.Blocked
			if !handled {
				t.Errorf("%s: CheckJailbreak did not block a jailbreak", it.ID)
			}
		case "out_of_scope":
			handled = rt.Label == LabelOutOfScope
			if len(pii) > 0 || jb.Blocked {
				t.Errorf("%s: out-of-scope question flagged: pii %v, jailbreak %+v", it.ID, pii, jb)
			}
		case "answerable", "followup":
			handled = len(pii) == 0 && !jb.Blocked && rt.Retrieve()
			if len(pii) > 0 || jb.Blocked {
				t.Errorf("%s: real question stopped by a rule: pii %v, jailbreak %+v", it.ID, pii, jb)
			}
			if !rt.Retrieve() {
				stopped++
				t.Logf("%s: real question routed to %s (%s, %.2f)", it.ID, rt.Label, rt.Decider, rt.Confidence)
			}
			if it.Kind == "followup" {
				if rw := RewriteFollowup(it.History, q); rw == q {
					t.Errorf("%s: follow-up %q not rewritten", it.ID, q)
				}
			}
		default:
			t.Errorf("%s: unknown kind %q", it.ID, it.Kind)
		}
		c := counts[it.Kind]
		c[1]++
		if handled {
			c[0]++
		}
		counts[it.Kind] = c
	}
	for k, c := range counts {
		t.Logf("%-13s %d/%d handled offline", k, c[0], c[1])
	}
	// On its own the router stops 1 of the 38 real dev questions today: a
	// follow-up that only makes sense with its history. The pipeline routes
	// follow-ups again once rewritten, and answers it (docs/eval.md).
	if stopped > 1 {
		t.Errorf("the router stopped %d real dev questions; want at most 1", stopped)
	}
}
