// Command govchat is the one govchat binary: migrate, ingest, search, serve,
// ask, eval and more. See `govchat help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/govchat/govchat/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Env: os.LookupEnv})
	stop()
	os.Exit(code)
}
