// Package cli implements govchat's subcommands: it parses configuration,
// wires the packages together and runs them. It holds no domain logic.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/govchat/govchat/internal/config"
	"github.com/govchat/govchat/internal/version"
	"github.com/govchat/govchat/store"
)

// IO is what a command reads and writes, injectable for tests.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	Env func(string) (string, bool)
}

type command struct {
	summary string
	run     func(ctx context.Context, io IO, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"version":  {"print the version", runVersion},
		"migrate":  {"apply database migrations", runMigrate},
		"ingest":   {"index guidance from files, the Content API or a sitemap", runIngest},
		"index":    {"`index status`: counts per schema and locale, the embedding model, the last run", runIndex},
		"search":   {"show the passages the bot would see for a question, with scores", runSearch},
		"serve":    {"serve the chat page, the websocket API and the admin endpoints", runServe},
		"ask":      {"ask a running server a question from the terminal", runAsk},
		"eval":     {"run a question set through the pipeline and report metrics; `eval compare` two reports", runEval},
		"bench":    {"measure retrieval and ingest speed and print tables", runBench},
		"loadtest": {"hold many websocket connections and ask questions against a server on this machine", runLoadtest},
	}
}

// errUsage marks errors already explained to the user.
var errUsage = errors.New("usage")

// Main runs one subcommand and returns the process exit code.
func Main(ctx context.Context, args []string, io IO) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(io.Out, cmds)
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(io.Err, "govchat: unknown command %q\n\n", args[0])
		usage(io.Err, cmds)
		return 2
	}
	if err := cmd.run(ctx, io, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errUsage) {
			return 2
		}
		var ex exitError
		if errors.As(err, &ex) {
			if ex.msg != "" {
				fmt.Fprintln(io.Err, ex.msg)
			}
			return ex.code
		}
		fmt.Fprintf(io.Err, "govchat %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// exitError ends a command with a specific code and message.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "govchat: answers questions about public-service guidance, with sources.")
	fmt.Fprintln(w, "\nUsage: govchat <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun `govchat <command> -h` for a command's flags. Settings come from the environment; see README.md.")
}

// flags makes a flag set for a subcommand that offers the named settings.
func flags(name string, io IO, settings ...string) *flag.FlagSet {
	fs := flag.NewFlagSet("govchat "+name, flag.ContinueOnError)
	fs.SetOutput(io.Err)
	config.RegisterFlags(fs, settings...)
	return fs
}

// parse parses args and loads the configuration.
func parse(fs *flag.FlagSet, io IO, args []string) (config.Config, error) {
	if err := fs.Parse(args); err != nil {
		return config.Config{}, flagError(err)
	}
	return config.Load(io.Env, fs)
}

// parseArgs is parse for a command that takes positional arguments (a
// question, file names): they may come before the flags as well as after,
// and are returned in order.
func parseArgs(fs *flag.FlagSet, io IO, args []string) (config.Config, []string, error) {
	pos, err := parsePositional(fs, args)
	if err != nil {
		return config.Config{}, nil, err
	}
	cfg, err := config.Load(io.Env, fs)
	return cfg, pos, err
}

// parsePositional parses the flags in args, letting positional arguments
// come before them as well as after, and returns those arguments in order.
func parsePositional(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return nil, flagError(err)
	}
	return append(pos, fs.Args()...), nil
}

// flagError keeps a request for help and turns any other flag error into
// errUsage (the flag package has printed it).
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return errUsage
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore connects and, when migrate is set, applies pending migrations;
// otherwise it refuses a schema that is not exactly current.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool) (*store.Store, error) {
	if cfg.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set; for the dev database run `scripts/devdb.sh start` and export the URL it prints")
	}
	s, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Schema: cfg.DBSchema, ReadURL: cfg.DatabaseReadURL,
		MaxConns: int32(cfg.DBMaxConns), Logger: log})
	if err != nil {
		return nil, err
	}
	if migrate {
		if _, err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
	if err := s.CheckSchema(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func runVersion(_ context.Context, io IO, args []string) error {
	fmt.Fprintf(io.Out, "govchat %s (schema version %d)\n", version.String(), store.LatestVersion())
	return nil
}

func runMigrate(ctx context.Context, io IO, args []string) error {
	fs := flags("migrate", io, "database-url", "db-schema", "log-level", "log-format")
	cfg, err := parse(fs, io, args)
	if err != nil {
		return err
	}
	log := newLogger(cfg, io.Err)
	cfg.DatabaseReadURL = "" // migrations run on the primary; replicas follow
	s, err := openStore(ctx, cfg, log, false)
	if err != nil && !errors.Is(err, store.ErrSchemaOutdated) {
		return err
	}
	if s == nil {
		s, err = store.Open(ctx, cfg.DatabaseURL, store.Options{Schema: cfg.DBSchema, Logger: log})
		if err != nil {
			return err
		}
	}
	defer s.Close()
	n, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "applied %d migration%s; schema %q is at version %d\n", n, plural(n), cfg.DBSchema, v)
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
