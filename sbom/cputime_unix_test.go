//go:build unix

package sbom

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used. The
// benchmarks report it per operation next to wall time, which on a shared
// machine includes time spent waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
