package policy

import (
	"fmt"

	"github.com/pinline/pinline/internal/errclass"
)

// CompileError is a policy that does not parse or compile: bad input
// (errclass.ErrBadInput, exit 2).
type CompileError struct {
	File   string
	Line   int
	Column int
	Msg    string
	// More counts further errors that were not included.
	More int
}

// Is makes a CompileError bad input (errclass.ErrBadInput, exit 2).
func (e *CompileError) Is(target error) bool { return target == errclass.ErrBadInput }

func (e *CompileError) Error() string {
	s := fmt.Sprintf("policy does not compile: %s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	if e.More > 0 {
		s += fmt.Sprintf(" (and %d more errors)", e.More)
	}
	return s
}

// EvalError is a policy evaluation that failed (a builtin error, a
// conflict, a timeout). The decision is unknown, so it is never an allow;
// it is operational (errclass.ErrOperational, exit 3).
type EvalError struct{ Err error }

func (e *EvalError) Error() string {
	return "policy evaluation failed, refusing to allow: " + e.Err.Error()
}

// Is makes an EvalError operational.
func (e *EvalError) Is(target error) bool { return target == errclass.ErrOperational }

func (e *EvalError) Unwrap() error { return e.Err }

// ErrUndefined is returned when the policy produced no decision at all
// (for example the bundle lacks data.pinline.gate.decision). Undefined is
// never an allow; it is operational (exit 3).
var ErrUndefined = errclass.New(errclass.ErrOperational, "policy decision is undefined, refusing to allow")
