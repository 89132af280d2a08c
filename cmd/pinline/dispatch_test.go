package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pinline/pinline/cmd/internal/cli"
	"github.com/pinline/pinline/cmd/internal/light"
)

// TestEveryCommandReachable: every command of the full tree answers
// through the pinline binary exactly as pinline-full answers it, whether
// pinline runs it itself (the light commands) or execs pinline-full.
func TestEveryCommandReachable(t *testing.T) {
	t.Parallel()
	full := filepath.Join(filepath.Dir(bin), light.FullName)
	names := cli.CommandNames()
	if len(names) < 14 {
		t.Fatalf("only %d commands: %v", len(names), names)
	}
	lightSeen := 0
	for _, name := range names {
		if light.IsLight([]string{name}) {
			lightSeen++
		}
		got := pinline(t, t.TempDir(), name, "--help")
		want := runBin(t, full, name, "--help")
		if got.code != 0 || got.stdout != want.stdout || got.stderr != want.stderr {
			t.Errorf("pinline %s --help: exit %d, output differs from pinline-full's:\n%s\n-- want --\n%s", name, got.code, got.stdout, want.stdout)
		}
	}
	// policy is light for its test subcommand only: export links attest.
	if lightSeen != 3 || !light.IsLight([]string{"policy", "test"}) || light.IsLight([]string{"policy", "export"}) {
		t.Errorf("%d light commands among %v, want check, pin, hooks (and policy test, not policy export)", lightSeen, names)
	}
	for _, args := range [][]string{{"policy", "test", "--help"}, {"policy", "export", "--help"}} {
		got, want := pinline(t, t.TempDir(), args...), runBin(t, full, args...)
		if got.code != 0 || got.stdout != want.stdout || got.stderr != want.stderr {
			t.Errorf("pinline %v: exit %d, output differs from pinline-full's:\n%s\n-- want --\n%s", args, got.code, got.stdout, want.stdout)
		}
	}
	// Without arguments, help lists every command (pinline-full's root).
	root := pinline(t, t.TempDir())
	for _, name := range names {
		if !strings.Contains(root.stdout, "\n  "+name+" ") {
			t.Errorf("pinline without arguments does not list %s:\n%s", name, root.stdout)
		}
	}
	// A full command really runs in pinline-full: version reports the
	// libraries only it links; exit codes pass through the exec.
	if v := pinline(t, t.TempDir(), "version"); v.code != 0 || strings.Contains(v.stdout, "(not linked)") {
		t.Errorf("pinline version: exit %d\n%s", v.code, v.stdout)
	}
	if r := pinline(t, t.TempDir(), "runs", "--no-such-flag"); r.code != 2 || !strings.Contains(r.stderr, "unknown flag") {
		t.Errorf("pinline runs --no-such-flag: exit %d %q", r.code, r.stderr)
	}
	if r := pinline(t, t.TempDir(), "no-such-command"); r.code != 2 {
		t.Errorf("pinline no-such-command: exit %d %q", r.code, r.stderr)
	}
}

// TestLightWithoutFull: the pinline binary alone runs the gate; any other
// command fails operationally (exit 3) naming the missing pinline-full,
// and pinline never looks for it on PATH.
func TestLightWithoutFull(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	alone := filepath.Join(dir, "pinline")
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	// A pinline-full on PATH must not be used.
	pathDir := filepath.Dir(bin)
	for _, args := range [][]string{{"check", "--help"}, {"policy", "test", "--help"}, {"pin", "--help"}, {"hooks", "install", "--help"}} {
		if r := runBinEnv(t, alone, []string{"PATH=" + pathDir}, args...); r.code != 0 {
			t.Errorf("%v: exit %d %q", args, r.code, r.stderr)
		}
	}
	r := runBinEnv(t, alone, []string{"PATH=" + pathDir}, "run", "--help")
	if r.code != 3 || !strings.Contains(r.stderr, light.FullName+", which is not installed next to "+alone) {
		t.Errorf("run without pinline-full: exit %d %q", r.code, r.stderr)
	}
	// Through a symlink, pinline finds the pinline-full it was installed
	// with.
	link := filepath.Join(t.TempDir(), "pinline")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	if r := runBin(t, link, "runs", "--help"); r.code != 0 {
		t.Errorf("symlinked pinline runs --help: exit %d %q", r.code, r.stderr)
	}
}

func runBin(t *testing.T, path string, args ...string) result {
	t.Helper()
	return runBinEnv(t, path, []string{"PATH=" + os.Getenv("PATH")}, args...)
}

func runBinEnv(t *testing.T, path string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(env, "HOME="+os.Getenv("HOME"), "NO_COLOR=1")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", path, err)
	}
	return r
}
