package eval

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Delta is one metric in two reports.
type Delta struct {
	Name      string
	Old, New  float64
	Regressed bool
}

// Flip is a question whose correctness changed.
type Flip struct {
	ID    string
	Kind  Kind
	Fixed bool // wrong before, right now; false: broken
}

// Comparison is the result of Compare.
type Comparison struct {
	Deltas []Delta
	Flips  []Flip
}

// Regressed reports whether any headline metric got worse by more than
// the tolerance.
func (c Comparison) Regressed() bool {
	for _, d := range c.Deltas {
		if d.Regressed {
			return true
		}
	}
	return false
}

// Compare lines up the metrics two reports share and the questions whose
// correctness flipped. A higher-is-better metric regresses when it falls
// by more than tol; an error count when it rises at all.
func Compare(old, cur Report, tol float64) Comparison {
	var c Comparison
	om, nm := old.Metrics(), cur.Metrics()
	for _, name := range sortedKeys(nm) {
		o, ok := om[name]
		if !ok {
			continue
		}
		n := nm[name]
		d := Delta{Name: name, Old: o, New: n}
		if lowerIsBetter[name] {
			d.Regressed = n > o
		} else {
			d.Regressed = o-n > tol+1e-9
		}
		c.Deltas = append(c.Deltas, d)
	}
	before := map[string]bool{}
	for _, it := range old.Items {
		before[it.ID] = it.Correct
	}
	for _, it := range cur.Items {
		was, ok := before[it.ID]
		if ok && was != it.Correct {
			c.Flips = append(c.Flips, Flip{ID: it.ID, Kind: it.Kind, Fixed: it.Correct})
		}
	}
	return c
}

// WriteText prints the comparison as a table and the flipped questions.
func (c Comparison) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-36s %9s %9s %9s\n", "metric", "old", "new", "delta")
	for _, d := range c.Deltas {
		mark := ""
		if d.Regressed {
			mark = "  REGRESSED"
		}
		fmt.Fprintf(&b, "%-36s %9.4g %9.4g %+9.4f%s\n", d.Name, d.Old, d.New, d.New-d.Old, mark)
	}
	var fixed, broken []string
	for _, f := range c.Flips {
		if f.Fixed {
			fixed = append(fixed, f.ID+" ("+string(f.Kind)+")")
		} else {
			broken = append(broken, f.ID+" ("+string(f.Kind)+")")
		}
	}
	fmt.Fprintf(&b, "\nfixed (%d): %s\nbroken (%d): %s\n", len(fixed), strings.Join(fixed, ", "), len(broken), strings.Join(broken, ", "))
	_, err := io.WriteString(w, b.String())
	return err
}

// Threshold is one --min NAME=VALUE.
type Threshold struct {
	Name string
	Min  float64
}

// ParseThreshold reads NAME=VALUE.
func ParseThreshold(s string) (Threshold, error) {
	name, v, ok := strings.Cut(s, "=")
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if !ok || err != nil || strings.TrimSpace(name) == "" || math.IsNaN(f) {
		return Threshold{}, fmt.Errorf("eval: --min %q is not NAME=NUMBER", s)
	}
	return Threshold{Name: strings.TrimSpace(name), Min: f}, nil
}

// Check returns one plain message per threshold the report falls short of,
// or names no such metric.
func (r Report) Check(ts []Threshold) []string {
	var fails []string
	for _, t := range ts {
		full, v, ok := r.Lookup(t.Name)
		switch {
		case !ok:
			fails = append(fails, fmt.Sprintf("%s: no such metric in this report (see docs/eval.md)", t.Name))
		case v < t.Min:
			fails = append(fails, fmt.Sprintf("%s is %.4f, below the minimum %.4f", full, v, t.Min))
		}
	}
	return fails
}
