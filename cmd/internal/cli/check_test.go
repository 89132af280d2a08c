package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/policy"
	"github.com/pinline/pinline/spec"
)

func TestExitCodeOfGateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		code int
	}{
		{&inventory.ParseError{File: "dagger.json", Line: 1, Msg: "x"}, ExitUsage},
		{&spec.Error{File: "pinline.yaml", Line: 2, Msg: "x"}, ExitUsage},
		{&policy.ParseError{File: ".pinline/policy.yaml", Msg: "x"}, ExitUsage},
		{fmt.Errorf("load: %w", &policy.CompileError{File: "a.rego", Line: 3, Msg: "x"}), ExitUsage},
		{&policy.EvalError{Err: errors.New("boom")}, ExitOperational},
		{policy.ErrUndefined, ExitOperational},
		{errors.New("disk on fire"), ExitOperational},
	}
	for _, tc := range tests {
		if code, _ := exitCode(tc.err); code != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.err, code, tc.code)
		}
	}
}

func TestCheckInProcess(t *testing.T) {
	t.Parallel()
	if code, _, errOut := runCLIEnv(t, nil, "check", "--format", "yaml"); code != ExitUsage || !strings.Contains(errOut, "valid formats") {
		t.Errorf("bad format: %d %q", code, errOut)
	}
	if code, _, errOut := runCLIEnv(t, nil, "check", "no/such/dir"); code != ExitUsage || !strings.Contains(errOut, "no/such/dir: no such file or directory") {
		t.Errorf("missing path: %d %q", code, errOut)
	}
	code, out, _ := runCLIEnv(t, map[string]string{"PINLINE_TIER": "trusted"}, "check", "--format", "json", "../../../testdata/repos/clean")
	if code != ExitOK || !strings.Contains(out, `"allow": true`) {
		t.Errorf("clean: %d\n%s", code, out)
	}
	if code, _, _ := runCLIEnv(t, nil, "check", "../../../testdata/repos/unpinned"); code != ExitDenied {
		t.Errorf("unpinned: exit %d", code)
	}
	if code, out, _ := runCLIEnv(t, nil, "policy", "test"); code != ExitOK || !strings.HasPrefix(out, "PASS: ") {
		t.Errorf("policy test: %d %q", code, out)
	}
}

func TestResolveTier(t *testing.T) {
	t.Parallel()
	s := &streams{env: func(k string) (string, bool) { return "ci", k == EnvTier.Name }}
	if got := (&policyOptions{}).resolveTier(s); got != "ci" {
		t.Errorf("env tier = %q", got)
	}
	if got := (&policyOptions{tier: "local"}).resolveTier(s); got != "local" {
		t.Errorf("flag tier = %q", got)
	}
	none := &streams{env: func(string) (string, bool) { return "", false }}
	if got := (&policyOptions{}).resolveTier(none); got != "local" {
		t.Errorf("default tier = %q", got)
	}
}
