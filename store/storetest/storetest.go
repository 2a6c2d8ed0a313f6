// Package storetest gives each test its own migrated govchat schema in the
// database named by DATABASE_URL (the dev database that `make test` starts).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/govchat/govchat/internal/corpustest"
	"github.com/govchat/govchat/store"
)

// URL returns DATABASE_URL. Without it the test fails when CI is set (or
// GOVCHAT_REQUIRE_DB=1) and is skipped otherwise (corpustest.Missing), with
// the fix in the message.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("DATABASE_URL")
	if url != "" {
		return url
	}
	const msg = "DATABASE_URL is not set: run `make test`, which starts the dev database, or start it with scripts/devdb.sh start"
	corpustest.Missing(t, msg)
	return ""
}

// New opens a store on a fresh schema, migrates it and drops the schema when
// the test ends, so tests never see each other's rows.
func New(t testing.TB) *store.Store {
	t.Helper()
	s := NewUnmigrated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// NewUnmigrated is New without the migrations.
func NewUnmigrated(t testing.TB) *store.Store {
	t.Helper()
	url := URL(t)
	schema := "test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, url, store.Options{Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		DropSchema(t, url, schema)
	})
	return s
}

// DropSchema removes a test schema and everything in it.
func DropSchema(t testing.TB, url, schema string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var shared struct {
	url, schema string
}

// NewShared is New for a fixture shared by several tests of a package; call
// DropShared from TestMain after the tests.
func NewShared(t testing.TB) *store.Store {
	t.Helper()
	url := URL(t)
	schema := "test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := store.Open(ctx, url, store.Options{Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	shared.url, shared.schema = url, schema
	return s
}

// DropShared drops the schema made by NewShared, if any.
func DropShared() {
	if shared.schema == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, shared.url)
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{shared.schema}.Sanitize()+` CASCADE`)
}

// ReadURL returns GOVCHAT_TEST_READ_URL: a second dev database that stands in
// for a read replica (`make test` starts one). Like URL, it fails without it
// when CI or GOVCHAT_REQUIRE_DB=1 is set and skips otherwise.
func ReadURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("GOVCHAT_TEST_READ_URL")
	if url != "" {
		return url
	}
	const msg = "GOVCHAT_TEST_READ_URL is not set: run `make test`, which starts a second dev database, or start one with " +
		"GOVCHAT_STATE=/tmp/devdb2 scripts/devdb.sh start --memory --port auto and export its URL"
	corpustest.Missing(t, msg)
	return ""
}

// Replicated opens three stores on one fresh schema name: primary on
// DATABASE_URL, replica on GOVCHAT_TEST_READ_URL (both migrated, each filled
// by the test itself, because a dev database cannot replicate), and split,
// which writes to the primary and reads from the replica as
// DATABASE_READ_URL would make it. Both schemas are dropped at the end.
func Replicated(t testing.TB) (split, primary, replica *store.Store) {
	t.Helper()
	purl, rurl := URL(t), ReadURL(t)
	schema := "test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	open := func(url string, opts store.Options) *store.Store {
		t.Helper()
		opts.Schema, opts.MaxConns = schema, 4
		s, err := store.Open(ctx, url, opts)
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(s.Close)
		return s
	}
	primary, replica = open(purl, store.Options{}), open(rurl, store.Options{})
	t.Cleanup(func() {
		DropSchema(t, purl, schema)
		DropSchema(t, rurl, schema)
	})
	for _, s := range []*store.Store{primary, replica} {
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	return open(purl, store.Options{ReadURL: rurl}), primary, replica
}
