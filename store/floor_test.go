package store_test

import (
	"errors"
	"testing"

	"github.com/govchat/govchat/store"
)

// The floor is stored with its space, and a re-embed's new space starts
// without one: another model's numbers are never carried over.
func TestSpaceFloor(t *testing.T) {
	ctx, s := newStore(t)
	sp, err := s.EnsureSpace(ctx, "model-a", 4)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Floor != nil {
		t.Fatalf("new space has floor %+v; want none", sp.Floor)
	}
	want := store.SpaceFloor{MinVector: 0.44, MinText: 0.03, MinVectorBoth: 0.35, MinTextBoth: 0.02, Note: "dev.jsonl: 36 pass, 6 decline"}
	if err := s.SetSpaceFloor(ctx, sp, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.CheckSpace(ctx, "model-a", 0)
	if err != nil {
		t.Fatalf("CheckSpace(model-a, 0 dimensions) = %v; want the space, dimensions unknown yet", err)
	}
	if got.Floor == nil || got.Floor.MinVector != want.MinVector || got.Floor.MinTextBoth != want.MinTextBoth ||
		got.Floor.Note != want.Note || got.Floor.CalibratedAt.IsZero() {
		t.Fatalf("floor read back = %+v; want %+v with a calibration time", got.Floor, want)
	}
	if _, err := s.CheckSpace(ctx, "model-b", 0); !errors.Is(err, store.ErrModelMismatch) {
		t.Errorf("CheckSpace(model-b, 0) = %v; want ErrModelMismatch", err)
	}
	if _, err := s.EnsureSpace(ctx, "model-a", 0); err != nil {
		t.Errorf("EnsureSpace(model-a, 0) on an existing space = %v; want ErrModelMismatch only for a real mismatch", err)
	}

	next, err := s.StartBuildingSpace(ctx, "model-b", 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ActivateSpace(ctx, next); err != nil {
		t.Fatal(err)
	}
	act, err := s.ActiveSpace(ctx)
	if err != nil || act.ID != next.ID || act.Floor != nil {
		t.Errorf("after re-embed: space %d floor %+v (%v); want space %d with no floor", act.ID, act.Floor, err, next.ID)
	}
	if err := s.SetSpaceFloor(ctx, sp, want); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetSpaceFloor(retired space) = %v; want ErrNotFound", err)
	}
}
