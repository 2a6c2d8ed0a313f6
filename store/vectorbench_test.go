package store_test

import (
	"slices"
	"testing"
)

// TestVectorIndexBenchHelpers: the index rebuilds and has a size; the halfvec
// copy holds every vector, finds the same nearest chunks as the float32
// vectors, lives in its own schema and is dropped without touching the store's.
func TestVectorIndexBenchHelpers(t *testing.T) {
	ctx, s, sp := newSpace(t)
	d, v := doc("/p", 6, "words")
	mustReplace(ctx, t, s, sp, d, "x", v)
	if took, err := s.RebuildVectorIndex(ctx, sp, 64); err != nil || took <= 0 {
		t.Fatalf("RebuildVectorIndex() = %v, %v", took, err)
	}
	if idx, tbl, err := s.VectorIndexSize(ctx, sp); err != nil || idx <= 0 || tbl <= 0 {
		t.Fatalf("VectorIndexSize() = %d, %d, %v; want sizes above 0", idx, tbl, err)
	}
	hc, err := s.CopyToHalfvec(ctx, sp, 64)
	t.Cleanup(func() { _ = s.DropHalfvec(ctx, hc) })
	if err != nil {
		t.Fatalf("CopyToHalfvec() = %v", err)
	}
	if hc.Schema != s.Schema()+"_halfvec" || hc.Index <= 0 || hc.Table <= 0 {
		t.Errorf("CopyToHalfvec() = %+v; want schema %s_halfvec and sizes above 0", hc, s.Schema())
	}
	q := []float32{0, 1, 0.2, 0}
	want, err := s.ChunkIDsNear(ctx, sp, q, 10, 40, true)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.HalfvecNear(ctx, hc, q, 10, 40)
	// Chunks 1 and 5 share the nearest vector: compare the first two as a set.
	if err != nil || len(got) != 6 || !slices.Equal(slices.Sorted(slices.Values(got[:2])), slices.Sorted(slices.Values(want[:2]))) {
		t.Errorf("HalfvecNear() = %v, %v; want all 6 chunks, the nearest two as in %v", got, err, want)
	}
	if err := s.DropHalfvec(ctx, hc); err != nil {
		t.Fatalf("DropHalfvec() = %v", err)
	}
	if _, err := s.HalfvecNear(ctx, hc, q, 10, 40); err == nil {
		t.Error("HalfvecNear() after DropHalfvec() found the copy still there")
	}
	if ids, err := s.ChunkIDsNear(ctx, sp, q, 10, 40, false); err != nil || len(ids) != 6 {
		t.Errorf("ChunkIDsNear() after DropHalfvec() = %v, %v; want the store's 6 chunks", ids, err)
	}
}
