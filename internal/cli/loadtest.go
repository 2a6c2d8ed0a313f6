package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/govchat/govchat/loadtest"
)

func runLoadtest(ctx context.Context, io IO, args []string) error {
	fs := flags("loadtest", io)
	url := fs.String("url", "ws://127.0.0.1:8080/ws", "websocket URL of a server on this machine (loopback only)")
	conns := fs.Int("conns", 100, "connections to hold open, including the askers")
	askers := fs.Int("askers", 10, "connections that ask questions, one at a time each")
	duration := fs.Duration("duration", 30*time.Second, "how long the askers ask, after every connection is open")
	ramp := fs.Duration("ramp", 10*time.Second, "spread the connects over this")
	questions := fs.String("questions", "", "file of questions: an eval dataset (JSONL) or one question per line")
	answerTimeout := fs.Duration("answer-timeout", 30*time.Second, "an ask with no done after this counts as hung")
	serverPID := fs.Int("server-pid", 0, "the server's process id, to sample its resident memory")
	asJSON := fs.Bool("json", false, "print one JSON object as the last line")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	cfg := loadtest.Config{URL: *url, Conns: *conns, Askers: *askers, Duration: *duration, Ramp: *ramp,
		AnswerTimeout: *answerTimeout, ServerPID: *serverPID}
	if *questions != "" {
		f, err := os.Open(*questions)
		if err != nil {
			return fmt.Errorf("--questions: %w", err)
		}
		cfg.Questions, err = loadtest.ReadQuestions(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(io.Err, "loadtest: %d connections (%d asking) to %s for %s after a %s ramp\n", cfg.Conns, cfg.Askers, cfg.URL, cfg.Duration, cfg.Ramp)
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	printLoadReport(io, rep)
	if *asJSON {
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		fmt.Fprintln(io.Out, string(b))
	}
	if rep.Errors > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("loadtest: %d errors", rep.Errors)}
	}
	return nil
}

func printLoadReport(io IO, rep loadtest.Report) {
	w := io.Out
	fmt.Fprintf(w, "connections held at end  %d of %d (max %d)\n", rep.Connections, rep.ConnsTarget, rep.MaxConnections)
	fmt.Fprintf(w, "asks completed           %d in %.1fs by %d askers\n", rep.Asks, rep.DurationS, rep.Askers)
	fmt.Fprintf(w, "statuses                 %s\n", counts(rep.Statuses))
	fmt.Fprintf(w, "errors                   %d %s\n", rep.Errors, counts(rep.ErrorsByType))
	fmt.Fprintf(w, "ask -> first delta ms    p50 %.1f  p95 %.1f  p99 %.1f\n", rep.P50FirstDeltaMs, rep.P95FirstDeltaMs, rep.P99FirstDeltaMs)
	fmt.Fprintf(w, "ask -> done ms           p50 %.1f  p95 %.1f  p99 %.1f  max %.1f\n", rep.P50DoneMs, rep.P95DoneMs, rep.P99DoneMs, rep.MaxDoneMs)
	fmt.Fprintf(w, "closes                   %d clean, %d not\n", rep.CleanCloses, rep.UncleanCloses)
	fmt.Fprintf(w, "this process             rss %.1f MiB, heap %.1f MiB\n", mib(rep.RSSBytes), mib(int64(rep.HeapBytes)))
	if rep.ServerRSSBeforeBytes > 0 {
		fmt.Fprintf(w, "server rss MiB           before %.1f, idle conns %.1f, end %.1f; %.1f KiB per connection\n",
			mib(rep.ServerRSSBeforeBytes), mib(rep.ServerRSSIdleBytes), mib(rep.ServerRSSEndBytes), float64(rep.ServerRSSPerConnBytes)/1024)
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func counts(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return "(" + strings.Join(parts, " ") + ")"
}
