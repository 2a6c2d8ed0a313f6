package config_test

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/govchat/govchat/internal/config"
)

// The README's configuration table is generated from Settings(); this test
// keeps the two equal. To refresh it: go test ./internal/config -run Readme -update
var update = flag.Bool("update", false, "rewrite the README's configuration table")

const begin, end = "<!-- config:begin -->\n", "<!-- config:end -->"

func TestReadmeListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	want := config.MarkdownTable()
	if got := readme[i+len(begin) : j]; got != want {
		if *update {
			if err := os.WriteFile("../../README.md", []byte(readme[:i+len(begin)]+want+readme[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("README.md configuration table is out of date; run: go test ./internal/config -run Readme -update")
	}
}

func TestLoadPrecedenceAndValidation(t *testing.T) {
	env := map[string]string{"GOVCHAT_TOP_K": "9", "GOVCHAT_ADDR": "0.0.0.0:1", "GOVCHAT_RETENTION": "1h"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	config.RegisterFlags(fs, "addr", "top-k")
	if err := fs.Parse([]string{"--addr", "127.0.0.1:9"}); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(lookup, fs)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9" || c.TopK != 9 || c.Retention.Hours() != 1 || c.MaxQuestionChars != 300 {
		t.Errorf("Load() = addr %q, top-k %d, retention %v, max chars %d; want flag over env over default", c.Addr, c.TopK, c.Retention, c.MaxQuestionChars)
	}
	if c.UseLLM() {
		t.Error("UseLLM() with no endpoint = true")
	}
	for _, bad := range []map[string]string{
		{"GOVCHAT_TOP_K": "many"},
		{"GOVCHAT_EMBEDDER": "magic"},
		{"GOVCHAT_RETENTION": "forever"},
		{"GOVCHAT_MAX_CONNECTIONS": "0"},
		{"GOVCHAT_COMPOSER": "llm"},
		{"GOVCHAT_LLM_CHECKS": "maybe"},
		{"GOVCHAT_MAX_HTTP_CONNECTIONS": "500"},
		{"GOVCHAT_MAX_CONNECTIONS_PER_IP": "0"},
		{"GOVCHAT_READ_TIMEOUT": "0s"},
		{"GOVCHAT_WS_IDLE_TIMEOUT": "-1m"},
		{"GOVCHAT_ADMIN_FAILURES_PER_MINUTE": "0"},
		{"GOVCHAT_KILL_SWITCH_TIMEOUT": "soon"},
		{"GOVCHAT_ADMIN_QUERY_TIMEOUT": "0s"},
		{"GOVCHAT_ADMIN_QUERY_TIMEOUT": "-1s"},
		{"GOVCHAT_DB_MAX_CONNS": "0"},
		{"GOVCHAT_DB_MAX_CONNS": "5000"},
	} {
		_, err := config.Load(func(k string) (string, bool) { v, ok := bad[k]; return v, ok }, nil)
		if err == nil {
			t.Errorf("Load(%v) = nil error; want one", bad)
		}
	}
}

func TestAdminQueryTimeoutDefault(t *testing.T) {
	c, err := config.Load(func(string) (string, bool) { return "", false }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.AdminQueryTimeout != 10*time.Second {
		t.Errorf("Load() AdminQueryTimeout = %v; want 10s", c.AdminQueryTimeout)
	}
}
