// Package store owns every SQL statement in govchat: migrations, documents and
// chunks, embedding spaces, hybrid search, conversations and feedback. Callers
// never import pgx; errors they need to tell apart are sentinels here.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Sentinel errors. Callers check them with errors.Is.
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrSchemaTooNew means the database was migrated by a newer govchat.
	ErrSchemaTooNew = errors.New("store: the database schema is newer than this binary")
	// ErrSchemaOutdated means migrations are pending.
	ErrSchemaOutdated = errors.New("store: the database schema is out of date")
	// ErrModelMismatch means the index was built with another embedding model.
	ErrModelMismatch = errors.New("store: embedding model mismatch")
	// ErrConflict means a concurrent change won; the caller may retry.
	ErrConflict = errors.New("store: conflicting change")
)

// Options configure Open.
type Options struct {
	// Schema holds every govchat table. Default "govchat".
	Schema string
	// MaxConns caps the pool, and the read pool when there is one. Default 8.
	MaxConns int32
	// ReadURL, when set, names a streaming replica (or a pooler in front of
	// replicas). Searches and other reads that tolerate replication lag go
	// there; writes, and reads that must see a write just made, stay on the
	// primary. Nothing is created on it: the primary's schema reaches it by
	// replication.
	ReadURL string
	// Logger receives store events; nil discards them.
	Logger *slog.Logger
}

// Store is the govchat database.
type Store struct {
	pool *pgxpool.Pool // the primary: every write, and reads of what was just written
	// read serves searches, index status and other reads that may lag the
	// primary by a replica's delay; it is pool itself without Options.ReadURL.
	read   *pgxpool.Pool
	schema string
	log    *slog.Logger
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to the database at url, creating the pgvector extension and
// the schema if they are missing, and registers pgvector's types on every
// connection; with opts.ReadURL it also opens a pool on the read replica. It
// does not migrate: call Migrate or CheckSchema.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Schema == "" {
		opts.Schema = "govchat"
	}
	if !schemaName.MatchString(opts.Schema) {
		return nil, fmt.Errorf("store: schema name %q must be lower-case letters, digits and underscores", opts.Schema)
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 8
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := poolConfig(url, "DATABASE_URL", opts.MaxConns)
	if err != nil {
		return nil, err
	}
	// The vector type must exist before pgvector's types can be registered.
	if err := createExtensionAndSchema(ctx, cfg.ConnConfig.Copy(), opts.Schema); err != nil {
		return nil, err
	}
	pool, err := openPool(ctx, cfg, "")
	if err != nil {
		return nil, err
	}
	s := &Store{pool: pool, read: pool, schema: opts.Schema, log: log}
	if opts.ReadURL != "" {
		rcfg, err := poolConfig(opts.ReadURL, "DATABASE_READ_URL", opts.MaxConns)
		if err == nil {
			s.read, err = openPool(ctx, rcfg, "read replica ")
		}
		if err != nil {
			pool.Close()
			return nil, err
		}
	}
	return s, nil
}

func poolConfig(url, name string, maxConns int32) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse %s: %w", name, err)
	}
	cfg.MaxConns = maxConns
	return cfg, nil
}

// openPool opens a pool that registers pgvector's types on every connection
// and checks that it answers. name ("" or "read replica ") goes in errors.
func openPool(ctx context.Context, cfg *pgxpool.Config, name string) (*pgxpool.Pool, error) {
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		return pgxvec.RegisterTypes(ctx, c)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open %spool: %w", name, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: ping %s: %w", strings.TrimSpace("database "+name), err)
	}
	return pool, nil
}

// setupLock is the key of the transaction-level advisory lock that every
// govchat process takes before creating the extension, a schema or a
// migration, so instances started together on a new database take turns.
// A transaction lock is released at COMMIT or ROLLBACK, so it is safe behind
// PgBouncer in transaction mode, where a session lock could outlive its holder.
const setupLock = 0x676f7663686174 // "govchat"

// lockSetup takes the setup lock for the rest of tx.
func lockSetup(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(setupLock))
	return err
}

// createExtensionAndSchema creates pgvector and the schema under the setup
// lock. A creator that does not take the lock (another tool, an older
// govchat) can still race us to the catalogue; its unique violation means the
// object now exists, so one retry settles it.
func createExtensionAndSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	defer conn.Close(ctx)
	create := func() error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if err := lockSetup(ctx, tx); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS vector; CREATE SCHEMA IF NOT EXISTS `+schema)
			return err
		})
	}
	err = create()
	if isUniqueViolation(err) {
		err = create()
	}
	if err != nil {
		return fmt.Errorf("store: create extension and schema: %w", err)
	}
	return nil
}

// isUniqueViolation reports a unique_violation (SQLSTATE 23505).
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// Close closes every connection.
func (s *Store) Close() {
	if s.read != s.pool {
		s.read.Close()
	}
	s.pool.Close()
}

// Ping checks that the database, and the read replica when there is one,
// answer: searches need both.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if s.read != s.pool {
		if err := s.read.Ping(ctx); err != nil {
			return fmt.Errorf("store: ping read replica: %w", err)
		}
	}
	return nil
}

// Replicated reports whether reads that tolerate lag go to a read replica.
func (s *Store) Replicated() bool { return s.read != s.pool }

// Schema is the schema that holds the tables.
func (s *Store) Schema() string { return s.schema }

// q qualifies the table names in a statement with the store's schema.
func (s *Store) q(sql string) string { return strings.ReplaceAll(sql, "{{schema}}", s.schema) }

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("store: migration %q is not named NNNN_name.sql", name)
		}
		b, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration %s: versions must run 1, 2, 3... without gaps", m.name)
		}
	}
	return ms, nil
}

// LatestVersion is the newest schema version this binary knows.
func LatestVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// SchemaVersion reports the version the database is at (0 when empty).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return s.schemaVersion(ctx, s.pool)
}

func (s *Store) schemaVersion(ctx context.Context, db *pgxpool.Pool) (int, error) {
	var exists bool
	err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'schema_migrations')`, s.schema).Scan(&exists)
	if err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := db.QueryRow(ctx, s.q(`SELECT coalesce(max(version), 0) FROM {{schema}}.schema_migrations`)).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// CheckSchema returns nil when the database is at exactly this binary's
// version, ErrSchemaOutdated when migrations are pending and ErrSchemaTooNew
// when a newer govchat has migrated it. With a read replica it checks the
// replica too, which catches a DATABASE_READ_URL that names another database
// or a replica that has not yet replayed a migration.
func (s *Store) CheckSchema(ctx context.Context) error {
	if err := s.checkSchema(ctx, s.pool, "database"); err != nil {
		return err
	}
	if s.read != s.pool {
		return s.checkSchema(ctx, s.read, "read replica")
	}
	return nil
}

func (s *Store) checkSchema(ctx context.Context, db *pgxpool.Pool, name string) error {
	v, err := s.schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	latest := LatestVersion()
	switch {
	case v > latest:
		return fmt.Errorf("%w: %s at version %d, this binary knows up to %d; upgrade govchat", ErrSchemaTooNew, name, v, latest)
	case v < latest && db == s.pool:
		return fmt.Errorf("%w: %s at version %d, this binary needs %d; run `govchat migrate`", ErrSchemaOutdated, name, v, latest)
	case v < latest:
		return fmt.Errorf("%w: %s at version %d, this binary needs %d; migrate the primary and let the replica catch up, "+
			"or check that DATABASE_READ_URL names a replica of DATABASE_URL", ErrSchemaOutdated, name, v, latest)
	}
	return nil
}

// Migrate applies every pending migration, each in its own transaction, and
// returns how many it applied. Re-running is a no-op. It refuses a database
// whose schema is newer than this binary. Each step holds the setup lock, so
// several instances migrating one database at once apply every step exactly
// once and the others see it done.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	applied := 0
	for {
		done, err := s.migrateStep(ctx, ms)
		if err != nil || done {
			return applied, err
		}
		applied++
	}
}

// migrateStep applies the next pending migration under the setup lock, or
// reports done when there is none.
func (s *Store) migrateStep(ctx context.Context, ms []migration) (done bool, err error) {
	start := time.Now()
	var m migration
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockSetup(ctx, tx); err != nil {
			return fmt.Errorf("store: take the migration lock: %w", err)
		}
		if _, err := tx.Exec(ctx, s.q(`CREATE TABLE IF NOT EXISTS {{schema}}.schema_migrations (
			version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)); err != nil {
			return fmt.Errorf("store: create schema_migrations: %w", err)
		}
		var v int
		if err := tx.QueryRow(ctx, s.q(`SELECT coalesce(max(version), 0) FROM {{schema}}.schema_migrations`)).Scan(&v); err != nil {
			return fmt.Errorf("store: read schema version: %w", err)
		}
		if v > len(ms) {
			return fmt.Errorf("%w: database at version %d, this binary knows up to %d; upgrade govchat", ErrSchemaTooNew, v, len(ms))
		}
		if v == len(ms) {
			done = true
			return nil
		}
		m = ms[v]
		// The primary key on version still stops a migrator that does not
		// take the lock from applying the same step twice.
		if _, err := tx.Exec(ctx, s.q(`INSERT INTO {{schema}}.schema_migrations (version, name) VALUES ($1, $2)`), m.version, m.name); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, s.q(m.sql)); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		return nil
	})
	if err != nil || done {
		return done, err
	}
	s.log.Info("applied migration", "name", m.name, "ms", time.Since(start).Milliseconds())
	return false, nil
}

// DropSchema removes the store's whole schema and everything in it; for
// throw-away benchmark and test schemas.
func (s *Store) DropSchema(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{s.schema}.Sanitize()+` CASCADE`); err != nil {
		return fmt.Errorf("store: drop schema %s: %w", s.schema, err)
	}
	return nil
}
