package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
)

// IndexRow is one vector storage's HNSW index: how long it took to build
// from the stored vectors, its size, and top-10 kNN latency and recall@10
// against an exact scan of the full-precision vectors.
type IndexRow struct {
	Name         string
	Build        time.Duration
	Index, Table int64
	Latency      Durations
	Recall       float64
}

// BenchIndex rebuilds the index of the store's vectors, copies them to
// halfvec in a schema of their own (dropped afterwards) and builds its index,
// then times the qs questions' top-10 kNN on each at ef_search ef, rounds
// times, alternating which runs first. memMB is maintenance_work_mem for
// both builds.
func BenchIndex(ctx context.Context, st *store.Store, emb retrieval.Embedder, qs []string, ef, rounds, memMB int) (rows []IndexRow, err error) {
	sp, err := st.CheckSpace(ctx, emb.Model(), emb.Dimensions())
	if err != nil {
		return nil, err
	}
	vecs, err := emb.Embed(ctx, qs)
	if err != nil {
		return nil, err
	}
	full := IndexRow{Name: fmt.Sprintf("vector(%d), float32 (the store's)", sp.Dimensions)}
	if full.Build, err = st.RebuildVectorIndex(ctx, sp, memMB); err != nil {
		return nil, err
	}
	if full.Index, full.Table, err = st.VectorIndexSize(ctx, sp); err != nil {
		return nil, err
	}
	hc, err := st.CopyToHalfvec(ctx, sp, memMB)
	defer func() {
		if derr := st.DropHalfvec(context.WithoutCancel(ctx), hc); err == nil {
			err = derr
		}
	}()
	if err != nil {
		return nil, err
	}
	half := IndexRow{Name: fmt.Sprintf("halfvec(%d), float16 (experiment)", sp.Dimensions), Build: hc.Build, Index: hc.Index, Table: hc.Table}
	runs := []func([]float32) ([]int64, error){
		func(v []float32) ([]int64, error) { return st.ChunkIDsNear(ctx, sp, v, 10, ef, false) },
		func(v []float32) ([]int64, error) { return st.HalfvecNear(ctx, hc, v, 10, ef) },
	}
	out := []*IndexRow{&full, &half}
	recall := [2]float64{}
	for i, v := range vecs {
		exact, err := st.ChunkIDsNear(ctx, sp, v, 10, 0, true)
		if err != nil {
			return nil, err
		}
		for r := range rounds + 1 { // round 0 warms the caches
			for j := range 2 {
				k := (i + r + j) % 2
				t := time.Now()
				got, err := runs[k](v)
				if err != nil {
					return nil, err
				}
				if r > 0 {
					out[k].Latency = append(out[k].Latency, time.Since(t))
				} else {
					recall[k] += retrieval.Overlap(exact, got)
				}
			}
		}
	}
	full.Recall, half.Recall = recall[0]/float64(len(vecs)), recall[1]/float64(len(vecs))
	return []IndexRow{full, half}, nil
}

// PrintIndex writes the index rows as a markdown table.
func PrintIndex(w io.Writer, rows []IndexRow, ef, memMB int) {
	fmt.Fprintf(w, "\n| storage (HNSW m 16, ef_construction 64, maintenance_work_mem %d MB) | index build s | index MB | table MB | kNN p50 ms | p95 ms | recall@10 (ef_search %d) |\n", memMB, ef)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %.1f | %s | %s | %.3f |\n", r.Name, r.Build.Seconds(), float64(r.Index)/(1<<20), float64(r.Table)/(1<<20),
			ms(r.Latency.Pct(50)), ms(r.Latency.Pct(95)), r.Recall)
	}
}
