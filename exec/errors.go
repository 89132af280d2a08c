package exec

import "github.com/pinline/pinline/internal/errclass"

// Errors callers branch on (classed for the exit codes: 2 and 3).
var (
	// ErrInvalid is bad input: an unknown preset, a preset by tag, a
	// malformed lock, config or batch file, an unmappable package.
	ErrInvalid = errclass.New(errclass.ErrBadInput, "invalid exec input")
	// ErrEngine is an engine that could not be reached or failed.
	ErrEngine = errclass.New(errclass.ErrOperational, "exec engine")
)
