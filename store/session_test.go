package store_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/store/storetest"
)

// sessionSQL matches SQL that leaves state on a server connection after its
// transaction ends. Behind PgBouncer in transaction mode that state would
// reach another client, or be missing on the next statement.
var sessionSQL = regexp.MustCompile(`(?i)(\bpg_(try_)?advisory_lock(_shared)?\s*\(|\bset_config\s*\(|\b(un)?listen\s+\w|` +
	`\bprepare\s+\w+\s*(\(|as\b)|\bcreate\s+(temp|temporary)\s+table|\bwith\s+hold\b|\bset\s+session\b|\bdiscard\s+all\b)`)

// sessionStateProblems lists the statements in one Go file that would leave
// session state: SQL that sessionSQL matches, a SET that is not SET LOCAL, a
// SET LOCAL sent outside a transaction (any receiver but tx), and named
// prepared statements (Prepare), which outlive the transaction.
func sessionStateProblems(fset *token.FileSet, f *ast.File) []string {
	consts := map[string]string{}
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[n.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	var out []string
	report := func(n ast.Node, msg string) { out = append(out, fset.Position(n.Pos()).String()+": "+msg) }
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(n.Value); n.Kind == token.STRING && err == nil && sessionSQL.MatchString(s) {
				report(n, "session-level SQL: "+sessionSQL.FindString(s))
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			switch sel.Sel.Name {
			case "Prepare":
				report(n, "named prepared statement")
			case "Exec", "Query", "QueryRow":
				recv, _ := sel.X.(*ast.Ident)
				inTx := recv != nil && recv.Name == "tx"
				for _, sql := range callSQL(n, consts) {
					for _, st := range statements(sql) {
						fields := strings.Fields(strings.ToUpper(st))
						switch {
						case len(fields) == 0 || fields[0] != "SET":
						case len(fields) < 2 || fields[1] != "LOCAL":
							report(n, "SET without LOCAL: "+strings.TrimSpace(st))
						case !inTx:
							report(n, "SET LOCAL outside a transaction: "+strings.TrimSpace(st))
						}
					}
				}
			}
		}
		return true
	})
	return out
}

// callSQL returns the string literals and string constants among a call's
// arguments, looking inside concatenations and calls such as s.q(...).
func callSQL(call *ast.CallExpr, consts map[string]string) []string {
	var out []string
	for _, a := range call.Args {
		ast.Inspect(a, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); n.Kind == token.STRING && err == nil {
					out = append(out, s)
				}
			case *ast.Ident:
				if s, ok := consts[n.Name]; ok {
					out = append(out, s)
				}
			}
			return true
		})
	}
	return out
}

// statements splits SQL at semicolons, without its "--" comment lines.
func statements(sql string) []string {
	var lines []string
	for _, l := range strings.Split(sql, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	return strings.Split(strings.Join(lines, "\n"), ";")
}

func checkSource(t *testing.T, name, src string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	return sessionStateProblems(fset, f)
}

// The checker itself: each of these must be caught, and the safe forms not.
func TestSessionStateCheckerCatches(t *testing.T) {
	for _, tc := range []struct {
		body string
		bad  bool
	}{
		{"s.pool.Exec(ctx, `SET hnsw.ef_search = 100`)", true},
		{"tx.Exec(ctx, `SET enable_seqscan = off`)", true},
		{"s.pool.Exec(ctx, `SET LOCAL hnsw.ef_search = 100`)", true},
		{"tx.Exec(ctx, `SET LOCAL a = 1; SET b = 2`)", true},
		{"s.pool.Exec(ctx, `SELECT pg_advisory_lock(1)`)", true},
		{"s.pool.Exec(ctx, `SELECT set_config('search_path', 'x', false)`)", true},
		{"s.pool.Exec(ctx, `LISTEN changes`)", true},
		{"s.pool.Exec(ctx, `CREATE TEMP TABLE x (id int)`)", true},
		{"conn.Prepare(ctx, \"find\", `SELECT 1`)", true},
		{"s.pool.Exec(ctx, setSQL)", true},
		{"tx.Exec(ctx, `SET LOCAL hnsw.ef_search = `+n)", false},
		{"tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, 1)", false},
		{"s.pool.Exec(ctx, `UPDATE t SET state = 'x'`)", false},
		{"s.pool.Exec(ctx, s.q(`INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET v = 2`))", false},
	} {
		src := "package p\nconst setSQL = `SET work_mem = '1GB'`\nfunc f() {\n" + tc.body + "\n}\n"
		if got := checkSource(t, "p.go", src); (len(got) > 0) != tc.bad {
			t.Errorf("check(%s) = %q; want a problem: %v", tc.body, got, tc.bad)
		}
	}
}

// Every statement in store/ and its migrations is safe behind PgBouncer in
// transaction mode: no session state outlives a transaction.
func TestNoSessionStateInStore(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range checkSource(t, name, string(src)) {
			t.Error(p)
		}
		checked++
	}
	migrations, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(migrations) == 0 {
		t.Fatalf("migrations: %v, %d files", err, len(migrations))
	}
	for _, name := range migrations {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		// Migrations run inside a transaction, where only SET LOCAL ends with it.
		for _, st := range statements(string(b)) {
			if f := strings.Fields(strings.ToUpper(st)); len(f) > 0 && f[0] == "SET" && (len(f) < 2 || f[1] != "LOCAL") {
				t.Errorf("%s: SET without LOCAL: %s", name, strings.TrimSpace(st))
			}
		}
		if m := sessionSQL.FindString(string(b)); m != "" {
			t.Errorf("%s: session-level SQL: %s", name, m)
		}
	}
	if checked < 5 {
		t.Fatalf("checked %d Go files; the store has more", checked)
	}
}

// withExecMode returns url with pgx's default_query_exec_mode set to mode.
func withExecMode(t *testing.T, raw, mode string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("default_query_exec_mode", mode)
	u.RawQuery = q.Encode()
	return u.String()
}

// The store works in both query modes that need no prepared statement to
// outlive a transaction (the ones to use behind PgBouncer in transaction
// mode), and the per-query settings of a search end with its transaction.
func TestPoolerSafeQueryModes(t *testing.T) {
	base := storetest.URL(t)
	for _, mode := range []string{"simple_protocol", "exec"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			schema := fmt.Sprintf("test_mode_%s_%d", mode, time.Now().UnixNano()%1e9)
			// One connection: every statement below shares it, as clients
			// share a server connection behind PgBouncer.
			s, err := store.Open(ctx, withExecMode(t, base, mode), store.Options{Schema: schema, MaxConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close(); storetest.DropSchema(t, base, schema) })
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate() = %v", err)
			}
			checkRoundTrip(ctx, t, s)
		})
	}
}

func checkRoundTrip(ctx context.Context, t *testing.T, s *store.Store) {
	t.Helper()
	sp := mustSpace(ctx, t, s)
	d, v := doc("/passport-fees", 3, "passport fee renewal cost")
	if _, err := s.ReplaceDocument(ctx, sp, d, "digest", v); err != nil {
		t.Fatalf("ReplaceDocument() = %v", err)
	}
	for _, q := range []store.SearchQuery{
		{Vector: []float32{1, 0, 0, 0}, Text: "passport renewal", EfSearch: 123, Locale: "en", Limit: 5},
		{Vector: []float32{1, 0, 0, 0}, Text: "passport", Exact: true, DocumentTypes: []string{"guide"}, Limit: 5},
	} {
		got, err := s.Search(ctx, sp, q)
		if err != nil || len(got) != 3 || got[0].TextRank == 0 {
			t.Fatalf("Search(%+v) = %d passages, %v; want 3 with full-text ranks", q, len(got), err)
		}
	}
	// 123 is set by no other test: on the dev database every connection
	// shares one session, so only a value of our own tells a leak.
	if got, err := s.ShowForTest(ctx, "hnsw.ef_search"); err != nil || got == "123" {
		t.Errorf("hnsw.ef_search after the search = %q, %v: the search's SET LOCAL outlived its transaction", got, err)
	}
	q := "Can I renew my passport?"
	if _, err := s.EnsureConversation(ctx, "c", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartMessage(ctx, "m1", "c", &q, "pending"); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteMessage(ctx, store.Message{ID: "m1", Answer: "Yes.", Status: "answered", Composer: "offline",
		RouteLabel: "ordinary", RouteConfidence: 0.9}); err != nil {
		t.Fatalf("CompleteMessage() = %v", err)
	}
	hist, err := s.History(ctx, "c", 3)
	if err != nil || len(hist) != 1 || *hist[0].Question != q || hist[0].RouteConfidence < 0.89 {
		t.Errorf("History() = %+v, %v; want the stored turn", hist, err)
	}
}
