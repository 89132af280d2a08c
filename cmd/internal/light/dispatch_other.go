//go:build !unix

package light

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
)

// execFull runs the full binary as a child with this process's streams and
// exits with its exit code (no exec(2) outside Unix).
func execFull(full string, args []string) error {
	cmd := exec.Command(full, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	signal.Ignore(os.Interrupt) // the child, in the same console group, gets it
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		os.Exit(ee.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("run %s: %w", full, err)
	}
	os.Exit(0)
	return nil
}
