package policy

import (
	"errors"
	"fmt"
)

// CompileError is a policy that does not parse or compile. The CLI maps it
// to exit 2.
type CompileError struct {
	File   string
	Line   int
	Column int
	Msg    string
	// More counts further errors that were not included.
	More int
}

func (e *CompileError) Error() string {
	s := fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	if e.More > 0 {
		s += fmt.Sprintf(" (and %d more errors)", e.More)
	}
	return s
}

// EvalError is a policy evaluation that failed (a builtin error, a
// conflict, a timeout). The decision is unknown, so it is never an allow;
// the CLI maps it to exit 3.
type EvalError struct{ Err error }

func (e *EvalError) Error() string { return "evaluate policy: " + e.Err.Error() }

func (e *EvalError) Unwrap() error { return e.Err }

// ErrUndefined is returned when the policy produced no decision at all
// (for example the bundle lacks data.pinline.gate.decision). Undefined is
// never an allow.
var ErrUndefined = errors.New("policy decision is undefined")
