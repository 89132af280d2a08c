package light

import (
	"errors"
	"fmt"

	"github.com/pinline/pinline/internal/errclass"
)

// Exit codes, documented in README and --help.
const (
	ExitOK          = 0 // allowed, verified, done
	ExitDenied      = 1 // policy denied, verification failed, task failed
	ExitUsage       = 2 // bad input or usage
	ExitOperational = 3 // something broke: engine, network, KMS, disk
)

// usageErr marks err as bad input or usage (exit 2).
func usageErr(err error) error { return errclass.Wrap(errclass.ErrBadInput, err) }

// opErr marks err as operational (exit 3).
func opErr(err error) error { return errclass.Wrap(errclass.ErrOperational, err) }

// deniedErr marks err as a denial or failed verification (exit 1).
func deniedErr(err error) error { return errclass.Wrap(errclass.ErrDenied, err) }

// quietError ends a command that already printed everything it had to say
// (for example a deny rendered as a report): main prints nothing more.
type quietError struct{ class error }

func (e *quietError) Error() string { return e.class.Error() }
func (e *quietError) Unwrap() error { return e.class }

// silentExit ends the command with code after the command printed its own
// result.
func silentExit(code int) error {
	switch code {
	case ExitDenied:
		return &quietError{errclass.ErrDenied}
	case ExitUsage:
		return &quietError{errclass.ErrBadInput}
	}
	return &quietError{errclass.ErrOperational}
}

// SnippetExit ends `pinline exec` with the snippet's own exit code (text
// mode), after the command printed the snippet's output.
type SnippetExit struct{ Code int }

func (e *SnippetExit) Error() string { return fmt.Sprintf("snippet exited %d", e.Code) }

// exitCode is the one mapping from an error to an exit code: the error's
// class (internal/errclass, which the libraries' errors carry), and for an
// error without one, cobra's argument errors are usage and anything else is
// operational: pinline fails closed, an unknown failure is never a pass.
// quiet says the command already printed its result.
func exitCode(err error) (code int, quiet bool) {
	if err == nil {
		return ExitOK, false
	}
	var se *SnippetExit
	if errors.As(err, &se) {
		return se.Code, true
	}
	var q *quietError
	quiet = errors.As(err, &q)
	if code, ok := errclass.Code(err); ok {
		return code, quiet
	}
	if isCobraUsage(err) {
		return ExitUsage, quiet
	}
	return ExitOperational, quiet
}

// The full CLI (cmd/internal/cli) shares the error classes and the one
// exit-code mapping.
var (
	UsageErr   = usageErr
	OpErr      = opErr
	DeniedErr  = deniedErr
	SilentExit = silentExit
	ExitCode   = exitCode
)
