// Command pinline-full is the complete pinline command line: every command,
// including those that link the Dagger engine, signing (cosign, cloud
// KMS) and verification. Users run pinline, which runs the gate's commands
// itself and execs pinline-full, installed next to it, for the others.
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
