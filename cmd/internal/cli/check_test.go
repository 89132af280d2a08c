package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// TestCheckWorkspaceEnvAndUserConfig drives check over a Dagger 1.0
// workspace: --env applies an overlay (its unpinned module is denied), the
// user-level config of $DAGGER_CONFIG (or $HOME/.config/dagger) is a
// warning in tier local and denied in other tiers.
func TestCheckWorkspaceEnvAndUserConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pin := strings.Repeat("ab", 20)
	ws := "[modules.lint]\nsource = \"github.com/acme/lint@v1.0.0\"\npin = \"" + pin + "\"\n\n" +
		"[env.ci.modules.scan]\nsource = \"github.com/acme/scan@main\"\n"
	if err := os.WriteFile(filepath.Join(dir, "dagger.toml"), []byte(ws), 0o644); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".config", "dagger"), 0o755); err != nil {
		t.Fatal(err)
	}
	user := "[workspaces.\"github.com/acme/app\".modules.lint]\nsource = \"github.com/evil/lint@main\"\n"
	if err := os.WriteFile(filepath.Join(home, ".config", "dagger", "config.toml"), []byte(user), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env  map[string]string
		args []string
		code int
		want string
	}{
		{nil, nil, ExitOK, ""},
		{nil, []string{"--env", "ci"}, ExitDenied, "PL001"},
		{nil, []string{"--env", "prod"}, ExitUsage, `workspace env "prod" is not defined (defined envs: ci)`},
		{map[string]string{"HOME": home}, nil, ExitOK, "PL025"},
		{map[string]string{"HOME": home}, []string{"--tier", "trusted"}, ExitDenied, "PL025"},
		{map[string]string{"DAGGER_CONFIG": filepath.Join(home, ".config", "dagger", "config.toml")}, []string{"--tier", "untrusted"}, ExitDenied, `overrides module "lint"`},
		{map[string]string{"DAGGER_CONFIG": filepath.Join(home, "nope.toml")}, nil, ExitUsage, "DAGGER_CONFIG"},
	}
	for _, tt := range tests {
		code, out, errOut := runCLIEnv(t, tt.env, append(append([]string{"check"}, tt.args...), dir)...)
		if code != tt.code || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("%v %v: exit %d, want %d with %q:\n%s%s", tt.env, tt.args, code, tt.code, tt.want, out, errOut)
		}
	}
}
