package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// TestConcurrentOpenAndMigrate starts four instances on one new schema at
// once, as a deployment of several replicas does. On the dev database
// (PGlite, one session) it passes trivially; against a real PostgreSQL in
// DATABASE_URL it exercises the advisory lock.
func TestConcurrentOpenAndMigrate(t *testing.T) {
	url := storetest.URL(t)
	schema := fmt.Sprintf("test_concurrent_%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() { storetest.DropSchema(t, url, schema) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const n = 4
	var wg sync.WaitGroup
	applied := make([]int, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s, err := store.Open(ctx, url, store.Options{Schema: schema, MaxConns: 2})
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			applied[i], errs[i] = s.Migrate(ctx)
		}()
	}
	close(start)
	wg.Wait()
	total := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
		total += applied[i]
	}
	if total != store.LatestVersion() {
		t.Errorf("the four instances applied %d migrations between them; want each of the %d exactly once", total, store.LatestVersion())
	}
	s, err := store.Open(ctx, url, store.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema() after the concurrent start = %v; want nil", err)
	}
}
