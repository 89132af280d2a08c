package exec

import "time"

// Result is what one snippet run produced (the --json output, one line per
// snippet in a batch).
type Result struct {
	// Success is true when the snippet ran and exited 0.
	Success bool `json:"success"`
	// Output is the snippet's stdout (at most MaxOutput bytes).
	Output string `json:"output"`
	// Error is the snippet's stderr, or the failure message when it did
	// not get to run (compile or setup failure, bad input, engine).
	Error string `json:"error"`
	// ExitCode is the snippet's exit code: 124 after a timeout, -1 when it
	// never ran.
	ExitCode int `json:"exitCode"`
	// ExecutionTime is the wall time in milliseconds, from the request to
	// the result (image pull and setup included).
	ExecutionTime int64 `json:"executionTime"`
	// Cached is true when the engine served the exec from its cache.
	Cached bool `json:"cached"`
	// Preset is the preset's name, Image its image with digest.
	Preset string `json:"preset"`
	Image  string `json:"image"`
	// TimedOut is true when the snippet (or its compile) ran out of time.
	TimedOut bool `json:"timedOut"`
	// Truncated is true when stdout or stderr was cut at MaxOutput.
	Truncated bool `json:"truncated"`
	// CompileError is true when the preset's compile step failed (the
	// snippet never ran); Error then holds the compiler's output.
	CompileError bool `json:"compileError,omitempty"`

	// For the run record (Record): the packages installed per import,
	// when the snippet started, whether it reached the engine, whether its
	// setup step failed.
	installed   map[string]string
	started     time.Time
	ran         bool
	setupFailed bool
}
