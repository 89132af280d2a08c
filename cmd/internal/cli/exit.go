package cli

import (
	"errors"
	"fmt"
)

// Exit codes, documented in README and --help.
const (
	ExitOK          = 0 // allowed, verified, done
	ExitDenied      = 1 // policy denied, verification failed, task failed
	ExitUsage       = 2 // bad input or usage
	ExitOperational = 3 // something broke: engine, network, KMS, disk
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
	// quiet is set when the command already printed everything it had to
	// say (for example a deny rendered as a report).
	quiet bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as bad input or usage (exit 2).
func usageErr(err error) error { return &exitError{code: ExitUsage, err: err} }

// opErr marks err as operational (exit 3).
func opErr(err error) error { return &exitError{code: ExitOperational, err: err} }

// deniedErr marks err as a denial or failed verification (exit 1).
func deniedErr(err error) error { return &exitError{code: ExitDenied, err: err} }

// silentExit ends the command with code after the command printed its own
// result.
func silentExit(code int) error { return &exitError{code: code, quiet: true} }

// exitCode maps an error to an exit code. Errors that nobody classified are
// operational: pinline fails closed, and an unknown failure is never a pass.
func exitCode(err error) (int, bool) {
	if err == nil {
		return ExitOK, false
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, ee.quiet
	}
	return ExitOperational, false
}
