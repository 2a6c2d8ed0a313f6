package store_test

import (
	"context"
	"testing"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

func execSQL(t *testing.T, s *store.Store, sql string) {
	t.Helper()
	if err := s.ExecForTest(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// newStore is a store of the test's own and a context for it.
func newStore(t *testing.T) (context.Context, *store.Store) {
	t.Helper()
	s := storetest.New(t)
	return ctxT(t), s
}

// newSpace is newStore with the store's "m" space.
func newSpace(t *testing.T) (context.Context, *store.Store, store.Space) {
	t.Helper()
	ctx, s := newStore(t)
	return ctx, s, mustSpace(ctx, t, s)
}

// mustSpace is the space of model "m" with the 4 dimensions of doc's vectors.
func mustSpace(ctx context.Context, t *testing.T, s *store.Store) store.Space {
	t.Helper()
	sp, err := s.EnsureSpace(ctx, "m", 4)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// mustReplace stores d with its vectors in sp.
func mustReplace(ctx context.Context, t *testing.T, s *store.Store, sp store.Space, d govchat.Document, digest string, v [][]float32) {
	t.Helper()
	if _, err := s.ReplaceDocument(ctx, sp, d, digest, v); err != nil {
		t.Fatal(err)
	}
}
