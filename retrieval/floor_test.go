package retrieval_test

import (
	"context"
	"testing"
	"time"

	"github.com/govchat/govchat/internal/corpustest/corpusindex"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
)

func TestFloorFor(t *testing.T) {
	stored := &store.SpaceFloor{MinVector: 0.8, MinText: 0.05, MinVectorBoth: 0.7, MinTextBoth: 0.04, CalibratedAt: time.Now()}
	tests := []struct {
		name string
		sp   store.Space
		want retrieval.Floor
		rule string
	}{
		{"stored with the space", store.Space{Model: "text-embedding-3-small", Floor: stored},
			retrieval.Floor{MinVector: 0.8, MinText: 0.05, MinVectorBoth: 0.7, MinTextBoth: 0.04}, retrieval.FloorCalibrated},
		{"built in for this exact model", store.Space{Model: "local-glove-sif-v1-256d-37fdac6d"}, retrieval.DefaultFloor(), retrieval.FloorBuiltIn},
		{"the local embedder over other vectors", store.Space{Model: "local-glove-sif-v1-256d-0badf00d"}, retrieval.UncalibratedFloor(), retrieval.FloorUncalibrated},
		{"an OpenAI model nobody calibrated", store.Space{Model: "text-embedding-3-small"}, retrieval.UncalibratedFloor(), retrieval.FloorUncalibrated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rule := retrieval.FloorFor(tt.sp)
			if got != tt.want || rule != tt.rule {
				t.Errorf("FloorFor() = %+v, %s; want %+v, %s", got, rule, tt.want, tt.rule)
			}
		})
	}
	// Without a calibration no cosine, however high, finds content alone.
	u := retrieval.UncalibratedFloor()
	if u.Passes(0.99, 0.0) || !u.Passes(0, 0.05) || u.Passes(0.99, 0.02) {
		t.Errorf("UncalibratedFloor %+v: want full-text evidence only", u)
	}
}

func TestCalibrate(t *testing.T) {
	var samples []retrieval.FloorSample
	// The dev set's should-decline items (docs/retrieval.md).
	for _, s := range [][2]float64{{0.246, 0.002}, {0.31, 0.008}, {0.376, 0.017}, {0.39, 0.014}, {0.417, 0.011}, {0.426, 0.017}} {
		samples = append(samples, retrieval.FloorSample{BestVector: s[0], BestText: s[1]})
	}
	for i := range 12 {
		samples = append(samples, retrieval.FloorSample{BestVector: 0.45 + float64(i)/100, BestText: 0.02, WantPass: true})
	}
	f, err := retrieval.Calibrate(samples)
	if err != nil {
		t.Fatal(err)
	}
	want := retrieval.Floor{MinVector: 0.44, MinText: 0.03, MinVectorBoth: 0.39, MinTextBoth: 0.02}
	if f != want {
		t.Errorf("Calibrate() = %+v; want %+v", f, want)
	}
	for _, s := range samples {
		if !s.WantPass && f.Passes(s.BestVector, s.BestText) {
			t.Errorf("calibrated floor admits should-decline %+v", s)
		}
	}
	if _, err := retrieval.Calibrate(samples[:8]); err == nil {
		t.Error("Calibrate(6 decline, 2 pass) = nil error; want too few questions")
	}
}

// On the corpus index the searcher takes the local model's built-in floor
// from the space, and a setting replaces one threshold of it.
func TestSearchTakesTheSpaceFloor(t *testing.T) {
	ix := corpusindex.Shared(t)
	const q = "who won the FA cup final last year and what was the score"
	for _, tc := range []struct {
		override  *retrieval.FloorOverride
		noContent bool
	}{
		{nil, true},
		{&retrieval.FloorOverride{MinVector: 0.01, MinText: -1}, false},
	} {
		s := retrieval.New(ix.Store, ix.Embedder, retrieval.Options{SpaceFloor: true, Override: tc.override})
		res, err := s.Search(context.Background(), retrieval.Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		if res.FloorRule != retrieval.FloorBuiltIn || res.NoContent != tc.noContent {
			t.Errorf("override %+v: rule %s, NoContent %v (floor %+v, cosine %.3f); want built-in, %v",
				tc.override, res.FloorRule, res.NoContent, res.Floor, res.BestVector, tc.noContent)
		}
	}
}
