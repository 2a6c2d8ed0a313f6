package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/govchat/govchat/store/storetest"
)

// DATABASE_READ_URL through the real command wiring: search and index status
// read the replica, while migrate and ingest write to DATABASE_URL only.
func TestReadReplicaWiring(t *testing.T) {
	primary, replica := storetest.URL(t), storetest.ReadURL(t)
	schema := fmt.Sprintf("test_replica_%d", time.Now().UnixNano()%1e9)
	t.Cleanup(func() {
		storetest.DropSchema(t, primary, schema)
		storetest.DropSchema(t, replica, schema)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env := func(db, read string) map[string]string {
		return map[string]string{"DATABASE_URL": db, "DATABASE_READ_URL": read, "GOVCHAT_DB_SCHEMA": schema, "GOVCHAT_EMBEDDER": "lexical"}
	}
	documents := func(e map[string]string) int {
		t.Helper()
		return readIndexStatus(ctx, t, e).documents()
	}

	// The stand-in replica gets the index; the primary only the schema.
	mustRun(ctx, t, env(replica, ""), "ingest", "--from", testPages)
	mustRun(ctx, t, env(primary, replica), "migrate")
	both := env(primary, replica)
	if n := documents(env(primary, "")); n != 0 {
		t.Fatalf("primary holds %d documents after migrate; want 0 (migrate must not touch the replica's index)", n)
	}
	if n := documents(both); n == 0 {
		t.Error("index status with DATABASE_READ_URL counted 0 documents; want the replica's")
	}
	var passages []struct{ URL string }
	if err := json.Unmarshal([]byte(mustRun(ctx, t, both, "search", "bins", "--json")), &passages); err != nil || len(passages) == 0 {
		t.Errorf("search with DATABASE_READ_URL = %v, %v; want the replica's passages", passages, err)
	}
	if code, _, _ := run(ctx, env(primary, ""), "search", "bins", "--json"); code == 0 {
		t.Error("search on the empty primary succeeded; the test cannot tell the databases apart")
	}

	// Ingest writes to the primary even with a read URL set.
	mustRun(ctx, t, both, "ingest", "--from", testPages)
	if n := documents(env(primary, "")); n == 0 {
		t.Error("ingest with DATABASE_READ_URL wrote nothing to the primary")
	}
}
