package retrieval_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/govchat/govchat"
	"github.com/govchat/govchat/embed"
	"github.com/govchat/govchat/retrieval"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// With a read replica the retriever searches the replica. The stand-in
// primary and replica hold different pages, so the passages show which one
// was searched.
func TestSearchReadsTheReplica(t *testing.T) {
	split, primary, replica := storetest.Replicated(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	emb, err := embed.NewLexical(embed.DefaultLexicalDims)
	if err != nil {
		t.Fatal(err)
	}
	index := func(s *store.Store, path, title, text string) {
		t.Helper()
		sp, err := s.EnsureSpace(ctx, emb.Model(), emb.Dimensions())
		if err != nil {
			t.Fatal(err)
		}
		vecs, err := emb.Embed(ctx, []string{text})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(text))
		d := govchat.Document{ContentID: path, Locale: "en", BasePath: path, Title: title, DocumentType: "guide",
			SchemaName: "guide", Chunks: []govchat.Chunk{{ExactPath: path, HeadingPath: []string{title}, Text: text,
				EmbedText: text, Digest: hex.EncodeToString(sum[:]), Tokens: len(text) / 4}}}
		if _, err := s.ReplaceDocument(ctx, sp, d, "digest", vecs); err != nil {
			t.Fatal(err)
		}
	}
	index(primary, "/vat-registration", "Register for VAT", "You must register for VAT if your VAT taxable turnover is more than the threshold.")
	index(replica, "/passport-fees", "Passport fees", "A standard adult passport renewal costs a fee when you apply online.")

	s := retrieval.New(split, emb, retrieval.Options{})
	for _, q := range []string{"How much is a passport renewal fee?", "When must I register for VAT?"} {
		res, err := s.Search(ctx, retrieval.Query{Text: q})
		if err != nil {
			t.Fatalf("Search(%q) = %v", q, err)
		}
		if len(res.Passages) == 0 {
			t.Errorf("Search(%q) found nothing; want the replica's page", q)
		}
		for _, p := range res.Passages {
			if p.BasePath != "/passport-fees" {
				t.Errorf("Search(%q) found %s, which only the primary holds", q, p.BasePath)
			}
		}
	}
}
