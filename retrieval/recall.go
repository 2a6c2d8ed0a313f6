package retrieval

import (
	"context"
	"fmt"

	"github.com/govchat/govchat/store"
)

// RecallStore is what the recall monitor needs.
type RecallStore interface {
	CheckSpace(ctx context.Context, model string, dims int) (store.Space, error)
	SampleChunkTexts(ctx context.Context, n int) ([]store.ChunkText, error)
	ChunkIDsNear(ctx context.Context, sp store.Space, v []float32, k, efSearch int, exact bool) ([]int64, error)
}

// RecallReport compares the HNSW index with an exact scan.
type RecallReport struct {
	Queries  int     `json:"queries"`
	K        int     `json:"k"`
	EfSearch int     `json:"ef_search"`
	Recall   float64 `json:"recall"` // mean share of the exact top k that HNSW also returned
	Worst    float64 `json:"worst"`
}

// CheckRecall samples n chunk texts as queries and reports recall@k of the
// approximate index against an exact scan: a drop after bulk changes shows the
// index needs a rebuild or a larger ef_search.
func CheckRecall(ctx context.Context, st RecallStore, emb Embedder, n, k, efSearch int) (RecallReport, error) {
	rep := RecallReport{K: k, EfSearch: efSearch, Worst: 1}
	sp, err := st.CheckSpace(ctx, emb.Model(), emb.Dimensions())
	if err != nil {
		return rep, fmt.Errorf("retrieval: recall check: %w", err)
	}
	sample, err := st.SampleChunkTexts(ctx, n)
	if err != nil {
		return rep, fmt.Errorf("retrieval: recall check: %w", err)
	}
	texts := make([]string, len(sample))
	for i, c := range sample {
		texts[i] = c.EmbedText
	}
	if len(texts) == 0 {
		return rep, ErrEmptyIndex
	}
	vecs, err := emb.Embed(ctx, texts)
	if err != nil {
		return rep, fmt.Errorf("retrieval: recall check: %w", err)
	}
	total := 0.0
	for _, v := range vecs {
		approx, err := st.ChunkIDsNear(ctx, sp, v, k, efSearch, false)
		if err != nil {
			return rep, err
		}
		exact, err := st.ChunkIDsNear(ctx, sp, v, k, 0, true)
		if err != nil {
			return rep, err
		}
		r := Overlap(exact, approx)
		total += r
		rep.Worst = min(rep.Worst, r)
	}
	rep.Queries = len(vecs)
	rep.Recall = total / float64(len(vecs))
	return rep, nil
}

// Overlap is the share of want that got contains.
func Overlap(want, got []int64) float64 {
	if len(want) == 0 {
		return 1
	}
	in := make(map[int64]bool, len(got))
	for _, id := range got {
		in[id] = true
	}
	hit := 0
	for _, id := range want {
		if in[id] {
			hit++
		}
	}
	return float64(hit) / float64(len(want))
}
