package chat

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/govchat/govchat/embed"
	"github.com/govchat/govchat/internal/corpustest"
)

func ownAnswerable(t *testing.T) []string {
	f, err := os.Open("../eval/datasets/own-dev.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var it struct{ Kind, Question string }
		json.Unmarshal(sc.Bytes(), &it)
		if it.Kind == "answerable" || it.Kind == "followup" {
			out = append(out, it.Question)
		}
	}
	return out
}

func TestTmpSweep(t *testing.T) {
	ex, _ := BuiltinRoutingSet()
	enc, _ := embed.NewLocal(corpustest.VectorsFile(t), embed.WithLexicalDims(0))
	own := ownAnswerable(t)
	type cfg struct {
		w    float32
		opt  trainOptions
	}
	for _, c := range []cfg{
		{1, defaultTrain},
		{2, defaultTrain},
		{3, defaultTrain},
		{2, trainOptions{epochs: 60, rate: 0.5, l2: 1e-5, seed: 20261130}},
		{2, trainOptions{epochs: 30, rate: 0.5, l2: 1e-4, seed: 20261130}},
	} {
		k := 5
		probs := make([]map[Label]float64, len(ex))
		var r *Router
		for f := range k {
			var tr []RouteExample
			for i, e := range ex {
				if i%k != f {
					tr = append(tr, e)
				}
			}
			r = &Router{model: trainLinear(tr, featurizer{enc: enc, dims: enc.Dimensions(), weight: c.w}, c.opt), th: defaultThresholds}
			for i, e := range ex {
				if i%k == f {
					probs[i] = r.model.predict(e.Text)
				}
			}
		}
		full := &Router{model: trainLinear(ex, featurizer{enc: enc, dims: enc.Dimensions(), weight: c.w}, c.opt), th: defaultThresholds}
		stopped := map[Label]int{}
		for _, q := range own {
			if d := full.Route(q); !d.Retrieve() {
				stopped[d.Label]++
			}
		}
		th := defaultThresholds
		sup, pred, cor := map[Label]int{}, map[Label]int{}, map[Label]int{}
		fa := 0
		for i, e := range ex {
			d := r.decide(e.Text, probs[i], th)
			sup[e.Label]++
			pred[d.Label]++
			if d.Label == e.Label {
				cor[e.Label]++
			}
			if e.Label == LabelGenuineRAG && d.Label == LabelCrisis {
				fa++
			}
		}
		fmt.Printf("w=%v opt=%+v crisisFA=%d own-dev stopped=%v\n", c.w, c.opt, fa, stopped)
		for _, l := range []Label{LabelGenuineRAG, LabelCrisis, LabelPersonalInfo, LabelJailbreak, LabelIllegal, LabelOutOfScope} {
			fmt.Printf("  %-14s P %.3f R %.3f\n", l, float64(cor[l])/float64(max(1, pred[l])), float64(cor[l])/float64(max(1, sup[l])))
		}
	}
}
