package retrieval

import (
	"fmt"
	"math"
	"sort"

	"github.com/govchat/govchat/store"
)

// Where a search's "no content" floor came from (Result.FloorRule).
const (
	// FloorFixed: Options.Floor, set by the caller.
	FloorFixed = "fixed"
	// FloorCalibrated: stored with the embedding space by
	// `govchat bench retrieval --floor --save`.
	FloorCalibrated = "calibrated"
	// FloorBuiltIn: calibrated for exactly this model in docs/retrieval.md.
	FloorBuiltIn = "built-in"
	// FloorUncalibrated: the space has no calibration; UncalibratedFloor.
	FloorUncalibrated = "uncalibrated"
)

// builtInFloors are floors calibrated in docs/retrieval.md, each for one
// exact model name: a cosine scale is a property of one model, so a floor is
// never borrowed by another (nor by the same model over other vectors).
var builtInFloors = map[string]Floor{
	"local-glove-sif-v1-256d-37fdac6d": DefaultFloor(),
}

// UncalibratedFloor is the rule for an embedding space nobody has
// calibrated: full-text evidence only. PostgreSQL's ts_rank is the same
// whatever the embedder, while cosine similarities of an unknown model have
// an unknown scale, so they are not trusted to declare content found. It is
// safe in the sense that matters here: it says "no content" more often
// rather than answering from unrelated pages (docs/retrieval.md).
func UncalibratedFloor() Floor { return Floor{MinText: DefaultFloor().MinText} }

// FloorOverride replaces single thresholds of whatever floor applies;
// negative fields keep it (the -1 default of GOVCHAT_MIN_*_SCORE).
type FloorOverride struct{ MinVector, MinText float64 }

// FloorFor is the floor for searches of sp, and its rule.
func FloorFor(sp store.Space) (Floor, string) {
	if f := sp.Floor; f != nil {
		return Floor{MinVector: f.MinVector, MinText: f.MinText, MinVectorBoth: f.MinVectorBoth, MinTextBoth: f.MinTextBoth}, FloorCalibrated
	}
	if f, ok := builtInFloors[sp.Model]; ok {
		return f, FloorBuiltIn
	}
	return UncalibratedFloor(), FloorUncalibrated
}

// floorFor is the floor a Searcher applies to searches of sp.
func (s *Searcher) floorFor(sp store.Space) (Floor, string) {
	if !s.opts.SpaceFloor {
		return s.opts.Floor, FloorFixed
	}
	f, rule := FloorFor(sp)
	if o := s.opts.Override; o != nil {
		if o.MinVector >= 0 {
			f.MinVector = o.MinVector
		}
		if o.MinText >= 0 {
			f.MinText = o.MinText
		}
	}
	return f, rule
}

// FloorSample is one question's best scores and whether it should find content.
type FloorSample struct {
	BestVector, BestText float64
	WantPass             bool
}

// Calibration minimums: with fewer items one question moves the result too far.
const (
	minCalibrationDecline = 4
	minCalibrationPass    = 10
)

// Calibrate derives a floor from questions that should find content and
// questions that should not (out of scope, withdrawn pages), by the rule in
// docs/retrieval.md: MinVector and MinText 0.01 above the highest
// should-decline score, MinTextBoth just above the highest should-decline
// text score, and MinVectorBoth at the median should-decline cosine; each
// rounded up to 0.01.
func Calibrate(samples []FloorSample) (Floor, error) {
	var declV, declT []float64
	pass := 0
	for _, s := range samples {
		if s.WantPass {
			pass++
			continue
		}
		declV, declT = append(declV, s.BestVector), append(declT, s.BestText)
	}
	if len(declV) < minCalibrationDecline || pass < minCalibrationPass {
		return Floor{}, fmt.Errorf("retrieval: calibrate the floor: %d should-decline and %d should-pass questions; need at least %d and %d",
			len(declV), pass, minCalibrationDecline, minCalibrationPass)
	}
	sort.Float64s(declV)
	sort.Float64s(declT)
	maxV, maxT := declV[len(declV)-1], declT[len(declT)-1]
	return Floor{
		MinVector:     ceil2(maxV + 0.01),
		MinText:       ceil2(maxT + 0.01),
		MinVectorBoth: ceil2(declV[len(declV)/2]),
		MinTextBoth:   ceil2(maxT + 0.001),
	}, nil
}

// ceil2 rounds up to two decimals, ignoring float noise below 1e-9.
func ceil2(x float64) float64 { return math.Ceil(x*100-1e-9) / 100 }

// Passes reports whether a search with these best scores finds content.
func (f Floor) Passes(bestVector, bestText float64) bool { return f.passes(bestVector, bestText) }
