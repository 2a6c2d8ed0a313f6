package store_test

import (
	"context"
	"testing"

	"github.com/govchat/govchat/store"
)

func execSQL(t *testing.T, s *store.Store, sql string) {
	t.Helper()
	if err := s.ExecForTest(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
