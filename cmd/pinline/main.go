// Command pinline gates, runs and attests Dagger pipelines.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/pinline/pinline/cmd/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
