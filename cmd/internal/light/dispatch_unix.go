//go:build unix

package light

import (
	"fmt"
	"os"
	"syscall"
)

// execFull replaces the process (same pid, streams, signals and exit code)
// with the full binary.
func execFull(full string, args []string) error {
	if err := syscall.Exec(full, append([]string{full}, args...), os.Environ()); err != nil {
		return fmt.Errorf("exec %s: %w", full, err)
	}
	return nil
}
