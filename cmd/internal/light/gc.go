package light

import "runtime/debug"

// checkMemoryLimit is the heap size below which check never collects
// garbage.
const checkMemoryLimit = 256 << 20

// tuneGCForCheck makes the garbage collector run only when the heap nears
// checkMemoryLimit, unless the user tuned GOGC: check is a short process
// that allocates a lot of short-lived OPA values, and with the default
// GOGC it spends a third of its CPU time collecting them. It returns a
// function that restores the previous settings.
func tuneGCForCheck() func() {
	prev := debug.SetGCPercent(-1)
	if prev != 100 {
		debug.SetGCPercent(prev)
		return func() {}
	}
	prevLimit := debug.SetMemoryLimit(checkMemoryLimit)
	return func() {
		debug.SetMemoryLimit(prevLimit)
		debug.SetGCPercent(prev)
	}
}
