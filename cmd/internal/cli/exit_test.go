package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/pinline/pinline/attest"
	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/pin"
	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/policy"
)

// TestExitCode covers what the former per-command classifiers decided: the
// libraries' errors carry their class, the CLI maps classes once.
func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		err   error
		code  int
		quiet bool
	}{
		{"nil", nil, ExitOK, false},
		{"unclassified", errors.New("disk on fire"), ExitOperational, false},
		{"cobra usage", errors.New(`unknown command "nope" for "pinline"`), ExitUsage, false},
		{"reason without class", fmt.Errorf("verify: %w", attest.ErrSignatureMismatch), ExitOperational, false},
		{"verification class", fmt.Errorf("%w: %w", attest.ErrVerificationFailed, attest.ErrSubjectMismatch), ExitDenied, false},
		{"signature error", &attest.SignatureError{Signatures: 1, Keys: 1}, ExitDenied, false},
		{"deploy policy deny", &attest.PolicyError{Violations: []string{"x"}}, ExitDenied, false},
		{"deploy policy compile", fmt.Errorf("--policy: %w", &policy.CompileError{File: "deploy.rego", Line: 1, Msg: "x"}), ExitUsage, false},
		{"key bad input", fmt.Errorf("--key: %w: %w", attest.ErrBadInput, attest.ErrKey), ExitUsage, false},
		{"kms", fmt.Errorf("%w: %w", attest.ErrOperational, attest.ErrKMS), ExitOperational, false},
		{"pin input", &pin.InputError{Err: errors.New("x")}, ExitUsage, false},
		{"pin network", &pin.NetworkError{Ref: "r", Host: "h", Err: &pin.InputError{Err: errors.New("x")}}, ExitOperational, false},
		{"engine config", fmt.Errorf("f: %w", engineconfig.ErrInvalid), ExitUsage, false},
		{"engine config missing", mustErr(engineconfig.LoadClient("/no/such/engine.json")), ExitUsage, false},
		{"run denied", fmt.Errorf("%w: 2 violation(s)", pipeline.ErrDenied), ExitDenied, false},
		{"run invalid", fmt.Errorf("%w: task %q: %w", pipeline.ErrInvalid, "t", pipeline.ErrEngine), ExitUsage, false},
		{"task failed", fmt.Errorf("%w: a", pipeline.ErrTaskFailed), ExitDenied, false},
		{"interrupted", fmt.Errorf("%w: x", pipeline.ErrInterrupted), ExitDenied, false},
		{"export guard", pipeline.ErrExportGuard, ExitDenied, false},
		{"engine", fmt.Errorf("%w: x", pipeline.ErrEngine), ExitOperational, false},
		{"evidence", fmt.Errorf("%w: %w", pipeline.ErrEvidence, attest.ErrBadInput), ExitOperational, false},
		{"malformed record", pipeline.ErrMalformedRecord, ExitUsage, false},
		{"caller class wins", opErr(fmt.Errorf("x: %w", fs.ErrNotExist)), ExitOperational, false},
		{"usage", usageErr(errors.New("--x is required")), ExitUsage, false},
		{"quiet deny", silentExit(ExitDenied), ExitDenied, true},
	} {
		code, quiet := exitCode(tc.err)
		if code != tc.code || quiet != tc.quiet {
			t.Errorf("%s: exitCode(%v) = %d, %v; want %d, %v", tc.name, tc.err, code, quiet, tc.code, tc.quiet)
		}
	}
}

func mustErr(_ any, err error) error { return err }
