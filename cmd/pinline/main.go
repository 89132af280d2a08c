// Command pinline gates, runs and attests Dagger pipelines.
//
// This binary links only the gate: it runs check, policy, pin and hooks
// itself and execs pinline-full (cmd/pinline-full, installed next to it)
// for every other command, so that a check does not pay for initialising
// cosign, cloud KMS, Kubernetes and Dagger packages.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/pinline/pinline/cmd/internal/light"
)

func main() {
	args := os.Args[1:]
	if !light.IsLight(args) {
		err := light.ExecFull(args) // returns only when it could not exec
		fmt.Fprintf(os.Stderr, "pinline: %v\n", err)
		os.Exit(light.ExitOperational)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := light.Main(ctx, args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
