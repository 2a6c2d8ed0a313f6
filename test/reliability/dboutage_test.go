package reliability

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/internal/corpustest"
	"github.com/govchat/govchat/store"
)

// devDB is a PGlite of this test's own, kept on disk so it can be stopped
// and started again with its data.
type devDB struct {
	root, state, dir string
	port             int
}

func newDevDB(t *testing.T) *devDB {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		corpustest.Missing(t, "node is needed to run PGlite")
	}
	tmp := t.TempDir()
	db := &devDB{root: repoRoot(t), state: filepath.Join(tmp, "state"), dir: filepath.Join(tmp, "data"), port: freePort(t)}
	t.Cleanup(func() { db.stop(t) })
	return db
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (d *devDB) script(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(d.root, "scripts", "devdb.sh"), args...)
	cmd.Env = append(os.Environ(), "GOVCHAT_STATE="+d.state)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("devdb.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// start returns DATABASE_URL.
func (d *devDB) start(t *testing.T) string {
	t.Helper()
	return d.script(t, "start", "--dir", d.dir, "--port", strconv.Itoa(d.port))
}

func (d *devDB) stop(t *testing.T) { t.Helper(); d.script(t, "stop") }

// TestDatabaseOutage: with the database stopped mid-conversation, a question
// ends with status error promptly and the process carries on; once the
// database is back, a new question is answered without any restart (the pool
// reconnects) and the conversation stored before the outage is still there.
func TestDatabaseOutage(t *testing.T) {
	db := newDevDB(t)
	url := db.start(t)
	ctx := context.Background()
	st, err := store.Open(ctx, url, store.Options{Schema: "outage", MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p := chat.NewPipeline(index(t, st, writePages(t, guidance)), st, nil, chat.Config{}, nil)

	first, err := askGuarded(t, ctx, p, chat.Request{Question: "How do I renew my passport online?"}, chat.Events{})
	if err != nil || first.Status != chat.StatusOK {
		t.Fatalf("before the outage: status %q, err %v; want answered", first.Status, err)
	}

	db.stop(t)
	qctx, cancel := context.WithTimeout(ctx, hangGuard)
	out, err := askGuarded(t, qctx, p, chat.Request{ConversationID: first.ConversationID, Question: "How much does it cost to renew?"}, chat.Events{})
	cancel()
	if err == nil || out.Status != chat.StatusError {
		t.Errorf("during the outage: status %q, err %v; want status error and an error", out.Status, err)
	}

	db.start(t)
	var back chat.Outcome
	deadline := time.Now().Add(hangGuard)
	for time.Now().Before(deadline) {
		back, err = askGuarded(t, ctx, p, chat.Request{Question: "When must I register a birth?"}, chat.Events{})
		if err == nil && back.Status == chat.StatusOK {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if back.Status != chat.StatusOK {
		t.Fatalf("after the database came back: status %q, err %v; want answered", back.Status, err)
	}
	hist, err := st.History(ctx, first.ConversationID, 10)
	if err != nil || len(hist) == 0 {
		t.Errorf("History(conversation from before the outage) = %d messages, %v; want it kept", len(hist), err)
	}
}
