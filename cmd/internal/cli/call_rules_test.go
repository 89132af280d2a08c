package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/pipeline"
)

// TestCallDeniedListsEachProblemOnce: a call with several hostile
// arguments is denied by the one gate (the call rules are catalogue
// rules), each problem once with its argument named, and never connects
// (engine.json names a socket that does not exist); a repository waiver of
// the call rules is refused as bad input, again before any engine.
func TestCallDeniedListsEachProblemOnce(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "engine.json")
	write(t, cfg, fmt.Sprintf(`{"engine": {"address": "unix://%s"}}`, filepath.Join(t.TempDir(), "none.sock")))
	const bb = "127.0.0.1:5123/pinline/busybox:latest@sha256:9525344fe70aa34fc4ed8bfc69472ac839cfa1ec8d7b06b1f47e961333447185"
	root := callRepo(t, "http://127.0.0.1/dep.git@v1.0.0", strings.Repeat("a", 40), bb, "deny")
	if err := os.Symlink("/etc", filepath.Join(root, "etc-link")); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{EnvDaggerCLI.Name: "/bin/false"}
	args := []string{"call", "--root", root, "--engine-config", cfg, "-m", "ci", "report",
		"--src", "../..", "--cfg", "etc-link/ssl", "--sock", "unix:///run/docker.sock"}
	code, out, e := runCLICtx(context.Background(), env, args...)
	if code != ExitDenied {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitDenied, out, e)
	}
	for what, rule := range map[string]string{
		"argument --src=../..":                    pipeline.RuleCallPath,
		"argument --cfg=etc-link/ssl":             pipeline.RuleCallPath,
		"argument --sock=unix:///run/docker.sock": pipeline.RuleCallHost,
	} {
		var lines []string
		for _, l := range strings.Split(out+e, "\n") {
			if strings.Contains(l, what) {
				lines = append(lines, l)
			}
		}
		if len(lines) != 1 || !strings.Contains(lines[0], rule) {
			t.Errorf("%s: lines %q, want one with %s in\n%s%s", what, lines, rule, out, e)
		}
	}
	if strings.Contains(out+e, "none.sock") || strings.Contains(out+e, "pinline.exec.") {
		t.Errorf("a gated call tried the engine, or a second gate spoke:\n%s%s", out, e)
	}
	pol := filepath.Join(root, ".pinline", "policy.yaml")
	b, err := os.ReadFile(pol)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly)
	b = append(b, fmt.Sprintf("  - {rule: %s, path: \"**\", reason: hostile, expires: %s}\n", pipeline.RuleCallPath, exp)...)
	if err := os.WriteFile(pol, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, e = runCLICtx(context.Background(), env, args...)
	if code != ExitUsage || !strings.Contains(out+e, "not waivable") || strings.Contains(out+e, "none.sock") {
		t.Fatalf("with a waiver of %s: exit %d (want %d, not waivable)\n%s%s", pipeline.RuleCallPath, code, ExitUsage, out, e)
	}
}
