package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// With a read URL, searches and index status come from the replica and every
// write, and the conversation history, from the primary. The two dev
// databases hold different pages, so each answer shows which one served it.
func TestReadReplicaServesSearchesPrimaryTakesWrites(t *testing.T) {
	split, primary, replica := storetest.Replicated(t)
	ctx := ctxT(t)
	fill := func(s *store.Store, path string, n int, words string) store.Space {
		t.Helper()
		sp := mustSpace(ctx, t, s)
		d, v := doc(path, n, words)
		mustReplace(ctx, t, s, sp, d, "digest-"+path, v)
		return sp
	}
	fill(primary, "/vat-registration", 3, "register for VAT threshold")
	fill(replica, "/passport-fees", 2, "passport fee renewal cost")
	if _, err := replica.StartRun(ctx, "replica-only run"); err != nil {
		t.Fatal(err)
	}
	if !split.Replicated() || primary.Replicated() {
		t.Fatalf("Replicated() = %v (split), %v (primary); want true, false", split.Replicated(), primary.Replicated())
	}
	if err := split.Ping(ctx); err != nil {
		t.Fatalf("Ping() = %v", err)
	}
	if err := split.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema() = %v", err)
	}

	t.Run("reads go to the replica", func(t *testing.T) { checkReadsFromReplica(t, split) })
	t.Run("writes and history go to the primary", func(t *testing.T) { checkWritesToPrimary(t, split, primary, replica) })
	t.Run("an outdated replica is refused", func(t *testing.T) {
		execSQL(t, replica, fmt.Sprintf(`DELETE FROM %s.schema_migrations WHERE version = %d`, replica.Schema(), store.LatestVersion()))
		err := split.CheckSchema(ctx)
		if !errors.Is(err, store.ErrSchemaOutdated) || !strings.Contains(err.Error(), "read replica") {
			t.Errorf("CheckSchema() with the replica a version behind = %v; want ErrSchemaOutdated naming the read replica", err)
		}
		if err := primary.CheckSchema(ctx); err != nil {
			t.Errorf("primary CheckSchema() = %v; want nil", err)
		}
	})
}

func checkReadsFromReplica(t *testing.T, split *store.Store) {
	ctx := ctxT(t)
	sp, err := split.CheckSpace(ctx, "m", 4)
	if err != nil {
		t.Fatalf("CheckSpace() = %v", err)
	}
	got, err := split.Search(ctx, sp, store.SearchQuery{Vector: []float32{1, 0, 0, 0}, Text: "passport or VAT", TextConfig: "english", Limit: 10})
	if err != nil {
		t.Fatalf("Search() = %v", err)
	}
	if len(got) != 2 {
		t.Errorf("Search() = %d passages; want the replica's 2", len(got))
	}
	for _, p := range got {
		if p.BasePath != "/passport-fees" {
			t.Errorf("Search() found %s, which only the primary holds", p.URL)
		}
	}
	for _, exact := range []bool{false, true} {
		ids, err := split.ChunkIDsNear(ctx, sp, []float32{1, 0, 0, 0}, 10, 40, exact)
		if err != nil || len(ids) != 2 {
			t.Errorf("ChunkIDsNear(exact %v) = %v, %v; want the replica's 2 chunks", exact, ids, err)
		}
	}
	if docs, chunks, err := split.ChunkCount(ctx); err != nil || docs != 1 || chunks != 2 {
		t.Errorf("ChunkCount() = %d, %d, %v; want the replica's 1, 2", docs, chunks, err)
	}
	counts, err := split.IndexCounts(ctx)
	if err != nil || len(counts) != 1 || counts[0] != (store.SchemaCount{SchemaName: "guide", Locale: "en", Documents: 1, Chunks: 2}) {
		t.Errorf("IndexCounts() = %+v, %v; want the replica's one guide with 2 chunks", counts, err)
	}
	if run, err := split.LastRun(ctx); err != nil || run.Source != "replica-only run" {
		t.Errorf("LastRun() = %+v, %v; want the replica's run", run, err)
	}
	texts, err := split.SampleChunkTexts(ctx, 10)
	if err != nil || len(texts) != 2 || !strings.Contains(texts[0].EmbedText, "passport") {
		t.Errorf("SampleChunkTexts() = %+v, %v; want the replica's 2 passport chunks", texts, err)
	}
}

func checkWritesToPrimary(t *testing.T, split, primary, replica *store.Store) {
	ctx := ctxT(t)
	if _, err := split.EnsureConversation(ctx, "conv-1", time.Hour); err != nil {
		t.Fatal(err)
	}
	q := "How much is a passport?"
	seq, err := split.StartMessage(ctx, "msg-1", "conv-1", &q, "pending")
	if err != nil || seq != 1 {
		t.Fatalf("StartMessage() = %d, %v; want 1", seq, err)
	}
	if err := split.CompleteMessage(ctx, store.Message{ID: "msg-1", Answer: "It costs money.", Status: "answered", Composer: "offline"}); err != nil {
		t.Fatal(err)
	}
	// The follow-up's history read comes straight after the write: a lagging
	// replica must not be asked.
	hist, err := split.History(ctx, "conv-1", 5)
	if err != nil || len(hist) != 1 || hist[0].Answer != "It costs money." {
		t.Errorf("History() straight after the answer = %+v, %v; want the turn just written", hist, err)
	}
	if err := split.SetSetting(ctx, "kill_switch_test", "on"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		s    *store.Store
		want bool
	}{{"primary", primary, true}, {"replica", replica, false}} {
		ok, err := tc.s.ConversationExists(ctx, "conv-1")
		if err != nil || ok != tc.want {
			t.Errorf("%s ConversationExists() = %v, %v; want %v", tc.name, ok, err, tc.want)
		}
		if _, err := tc.s.GetMessage(ctx, "msg-1"); (err == nil) != tc.want {
			t.Errorf("%s GetMessage() = %v; stored there: %v", tc.name, err, tc.want)
		}
		if v, err := tc.s.GetSetting(ctx, "kill_switch_test"); err != nil || (v == "on") != tc.want {
			t.Errorf("%s GetSetting() = %q, %v; stored there: %v", tc.name, v, err, tc.want)
		}
	}
}

func TestOpenRefusesAnUnreachableReadReplica(t *testing.T) {
	url := storetest.URL(t)
	ctx := ctxT(t)
	_, err := store.Open(ctx, url, store.Options{Schema: "test_unreachable_replica", ReadURL: "postgres://postgres@127.0.0.1:1/postgres?connect_timeout=5"})
	if err == nil || !strings.Contains(err.Error(), "read replica") {
		t.Errorf("Open() with an unreachable read URL = %v; want an error naming the read replica", err)
	}
	storetest.DropSchema(t, url, "test_unreachable_replica")
}
