package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/govchat/govchat/chat"
	"github.com/govchat/govchat/ingest"
	"github.com/govchat/govchat/ingest/source"
	"github.com/govchat/govchat/internal/config"
	"github.com/govchat/govchat/server"
	"github.com/govchat/govchat/store"
	"github.com/govchat/govchat/web"
)

// Secrets (OPENAI_API_KEY, GOVCHAT_ADMIN_TOKEN) are read from the
// environment only: a flag would show them in the process list.
var serveSettings = []string{"database-url", "database-read-url", "db-schema", "db-max-conns", "log-level", "log-format", "embedder", "vectors-file",
	"openai-base-url", "openai-api-type", "azure-api-version", "embedding-model", "embedding-dimensions",
	"composer", "chat-model", "llm-timeout", "llm-first-token-timeout", "llm-checks",
	"top-k", "ef-search", "max-per-page", "doc-type-weights", "min-vector-score", "min-text-score",
	"chunk-max-tokens", "allow-schemas",
	"addr", "allowed-origins", "max-question-chars", "max-message-bytes", "max-connections",
	"rate-per-ip", "rate-per-conversation", "retention", "shutdown-timeout", "web-dir", "forbidden-terms", "trust-proxy",
	"max-connections-per-ip", "max-http-connections", "read-timeout", "ws-idle-timeout", "admin-failures-per-minute",
	"kill-switch-timeout", "admin-query-timeout"}

func runServe(ctx context.Context, io IO, args []string) error {
	fs := flags("serve", io, serveSettings...)
	cfg, err := parse(fs, io, args)
	if err != nil {
		return err
	}
	log := newLogger(cfg, io.Err)
	stk, err := openStack(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer stk.Close()
	st, emb := stk.store, stk.emb
	if st.Replicated() {
		log.Info("searches and index status read the replica named by DATABASE_READ_URL; writes and history use DATABASE_URL")
	}
	pipe := chat.NewPipeline(stk.searcher, st, stk.llm, stk.pipelineConfig(cfg), log)

	scfg := serverConfig(cfg)
	// One door for every channel: the websocket and the form share its
	// kill switch, limits, metrics and audit log.
	door := server.NewDoor(scfg, pipe, st, log)
	scfg.Page, err = web.New(web.Options{Dir: cfg.WebDir, Asker: door, Composer: pipe.Composer(), MaxQuestionChars: cfg.MaxQuestionChars,
		TrustedOrigins: cfg.AllowedOrigins, Logger: log})
	if err != nil {
		return err
	}

	reindex := reindexer(cfg, ingest.NewSyncer(st, emb, log), log)
	indexReady := func(ctx context.Context) error {
		_, err := st.CheckSpace(ctx, emb.Model(), emb.Dimensions())
		return err
	}

	srv := server.New(scfg, door, st, log, server.WithReindexer(reindex), server.WithReadyCheck("index", indexReady),
		server.WithDify(cfg.DifyAPIKey, stk.searcher), server.WithConsole(st, pipe))

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintf(io.Err, "govchat listening on http://%s\n", ln.Addr())
	if cfg.AdminToken == "" {
		log.Info("admin endpoints are off: GOVCHAT_ADMIN_TOKEN is not set")
	}
	if cfg.DifyAPIKey == "" {
		log.Info("the Dify External Knowledge API (POST /dify/retrieval) is off: GOVCHAT_DIFY_API_KEY is not set")
	}

	purgeCtx, stopPurge := context.WithCancel(ctx)
	purged := make(chan struct{})
	go func() {
		defer close(purged)
		purgeLoop(purgeCtx, st, log, time.Hour)
	}()
	err = srv.Run(ctx, ln)
	stopPurge()
	<-purged
	return err
}

// reindexer fetches one page from the Content API and syncs it: what the
// admin reindex endpoint runs. It returns the sync's counts as JSON.
func reindexer(cfg config.Config, syncer *ingest.Syncer, log *slog.Logger) func(ctx context.Context, path string) (string, error) {
	popts := parseOptions(cfg)
	return func(ctx context.Context, path string) (string, error) {
		api := source.ContentAPI{BaseURL: source.DefaultBaseURL, Paths: []string{path}, UserAgent: fetchUserAgent(), Logger: log}
		items, err := ingest.Collect(ctx, api, popts)
		if err != nil {
			return "", err
		}
		stats, err := syncer.Sync(ctx, items, ingest.SyncOptions{})
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(stats)
		return string(b), err
	}
}

func serverConfig(cfg config.Config) server.Config {
	return server.Config{
		MaxQuestionChars: cfg.MaxQuestionChars, MaxMessageBytes: cfg.MaxMessageBytes, MaxConnections: cfg.MaxConnections,
		MaxConnsPerIP: cfg.MaxConnsPerIP, MaxHTTPConns: cfg.MaxHTTPConns, ReadTimeout: cfg.ReadTimeout,
		WSIdleTimeout: cfg.WSIdleTimeout, AdminFailures: cfg.AdminFailures, KillSwitchTimeout: cfg.KillSwitchTimeout,
		RatePerIP: cfg.RatePerIP, RatePerConv: cfg.RatePerConv, AllowedOrigins: cfg.AllowedOrigins, TrustProxy: cfg.TrustProxy,
		AdminToken: cfg.AdminToken, ShutdownTimeout: cfg.ShutdownTimeout, AdminQueryTimeout: cfg.AdminQueryTimeout,
	}
}

// purgeLoop deletes conversations past their retention, idle rate-limit
// buckets and expired busy claims, now and every interval. Each run may take
// half an interval, so a stuck statement cannot hold a connection until the
// next run or shutdown.
func purgeLoop(ctx context.Context, st *store.Store, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		purge(ctx, st, log, every/2)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// purge is one run of purgeLoop, cut short after timeout.
func purge(ctx context.Context, st *store.Store, log *slog.Logger, timeout time.Duration) {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	n, err := st.PurgeExpired(rctx)
	switch {
	case err != nil && ctx.Err() == nil:
		log.Warn("could not purge expired conversations", "error", err)
	case n > 0:
		log.Info("purged expired conversations", "count", n)
	}
	// A bucket untouched for an hour is full again at any rate above one a
	// minute, the same as none.
	if _, err := st.PurgeLimits(rctx, time.Hour); err != nil && ctx.Err() == nil {
		log.Warn("could not purge idle rate-limit buckets", "error", err)
	}
}

type askSourceJSON struct {
	Index   int    `json:"index"`
	Title   string `json:"title"`
	Heading string `json:"heading"`
	URL     string `json:"url"`
}

type askJSON struct {
	Status         string          `json:"status"`
	Answer         string          `json:"answer"`
	Sources        []askSourceJSON `json:"sources"`
	ConversationID string          `json:"conversation_id"`
	MessageID      string          `json:"message_id"`
	Composer       string          `json:"composer"`
	Route          *server.Route   `json:"route,omitempty"`
}

func runAsk(ctx context.Context, io IO, args []string) error {
	fs := flags("ask", io)
	url := fs.String("url", "ws://127.0.0.1:8080/ws", "websocket URL of a govchat server")
	conv := fs.String("conversation", "", "continue this conversation (the id printed after an answer)")
	asJSON := fs.Bool("json", false, "print only one JSON object with the answer as the last line")
	words, err := parsePositional(fs, args)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(strings.Join(words, " "))
	if q == "" {
		fmt.Fprintln(io.Err, `usage: govchat ask "question" [--url ws://127.0.0.1:8080/ws] [--conversation ID] [--json]`)
		return errUsage
	}
	c, err := server.Dial(ctx, *url, nil)
	if err != nil {
		return exitError{code: 1, msg: fmt.Sprintf("govchat ask: could not connect: %v", err)}
	}
	defer c.Close()
	var onDelta func(string)
	if !*asJSON {
		onDelta = func(s string) { fmt.Fprint(io.Out, s) }
	}
	a, err := c.Ask(ctx, q, *conv, onDelta)
	if err != nil {
		var se *server.ServerError
		if errors.As(err, &se) {
			return exitError{code: 1, msg: fmt.Sprintf("govchat ask: %s (%s)", se.Message, se.Code)}
		}
		return exitError{code: 1, msg: fmt.Sprintf("govchat ask: %v", err)}
	}
	if *asJSON {
		return printAnswerJSON(io, a)
	}
	printAnswer(io, a)
	return nil
}

// printAnswerJSON prints the answer as one JSON object on a line.
func printAnswerJSON(io IO, a server.Answer) error {
	out := askJSON{Status: string(a.Status), Answer: a.Answer, Sources: []askSourceJSON{}, ConversationID: a.ConversationID,
		MessageID: a.MessageID, Composer: a.Composer, Route: a.Route}
	for _, s := range a.Sources {
		out.Sources = append(out.Sources, askSourceJSON{Index: s.Index, Title: s.Title, Heading: s.Heading, URL: govukURL(s.URL)})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	fmt.Fprintln(io.Out, string(b))
	return nil
}

// printAnswer ends the streamed answer with its sources, and says on
// standard error how to continue the conversation.
func printAnswer(io IO, a server.Answer) {
	fmt.Fprintln(io.Out)
	if len(a.Sources) > 0 {
		fmt.Fprintln(io.Out, "\nSources:")
		for i, s := range a.Sources {
			label := s.Title
			if s.Heading != "" {
				label += ": " + s.Heading
			}
			n := s.Index
			if n == 0 {
				n = i + 1
			}
			fmt.Fprintf(io.Out, "%d. %s — %s\n", n, label, govukURL(s.URL))
		}
	}
	fmt.Fprintf(io.Err, "\n(status %s, composer %s; continue with --conversation %s)\n", a.Status, a.Composer, a.ConversationID)
}

// govukURL makes a source path a link a terminal can open.
func govukURL(path string) string {
	if strings.HasPrefix(path, "/") {
		return "https://www.gov.uk" + path
	}
	return path
}

// The pipeline and the store are what the server expects.
var (
	_ server.Asker = (*chat.Pipeline)(nil)
	_ server.Store = (*store.Store)(nil)
)
