package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func deployDir(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "deploy.rego"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadDeployErrorsArePositioned(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		src  string
		line int
		msg  string
	}{
		"parse":     {"package pinline.deploy\n\ndeny contains msg if {\n  msg := \n}\n", 5, ""},
		"compile":   {"package pinline.deploy\n\ndeny contains msg if {\n  msg := undefined_fn(1)\n}\n", 4, "undefined_fn"},
		"http.send": {"package pinline.deploy\n\ndeny contains msg if {\n  r := http.send({\"method\": \"GET\", \"url\": \"http://127.0.0.1:1\"})\n  msg := r.body\n}\n", 4, "http.send"},
		"now":       {"package pinline.deploy\n\ndeny contains \"late\" if {\n  time.now_ns() > 0\n}\n", 4, "time.now_ns"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := deployDir(t, tc.src)
			_, err := LoadDeploy(context.Background(), dir, DeployOptions{})
			var ce *CompileError
			if !errors.As(err, &ce) || ce.File != filepath.Join(dir, "deploy.rego") || ce.Line != tc.line || ce.Column == 0 || !strings.Contains(ce.Msg, tc.msg) {
				t.Fatalf("err = %v, want deploy.rego:%d:<col> %s", err, tc.line, tc.msg)
			}
		})
	}
	_, err := LoadDeploy(context.Background(), t.TempDir(), DeployOptions{})
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "no .rego files") {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := LoadDeploy(context.Background(), deployDir(t, "package pinline.deploy\ndeny contains \"x\" if time.now_ns() < 0\n"), DeployOptions{AllBuiltins: true}); err != nil {
		t.Errorf("time.now_ns with AllBuiltins: %v", err)
	}
}

// Strict builtin errors: a deny rule whose builtin fails on the input is
// an error, not an undefined expression that lets the deploy pass.
func TestDeployBuiltinErrorFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, err := LoadDeploy(ctx, deployDir(t, `package pinline.deploy

deny contains "built too long ago" if {
	started := time.parse_rfc3339_ns(input.statement.predicate.runDetails.metadata.startedOn)
	input.evaluation.timeNs - started > 90 * 24 * 3600 * 1000000000
}
`), DeployOptions{Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	in := func(started string) map[string]any {
		return map[string]any{"statement": map[string]any{"predicate": map[string]any{"runDetails": map[string]any{"metadata": map[string]any{"startedOn": started}}}}}
	}
	if deny, ok, err := p.Deny(ctx, in("2026-05-30T00:00:00Z")); err != nil || !ok || len(deny) != 0 {
		t.Errorf("recent build: %v %v %v", deny, ok, err)
	}
	if deny, ok, err := p.Deny(ctx, in("2025-01-01T00:00:00Z")); err != nil || !ok || len(deny) != 1 {
		t.Errorf("old build: %v %v %v", deny, ok, err)
	}
	_, _, err = p.Deny(ctx, in("yesterday"))
	var ee *EvalError
	if !errors.As(err, &ee) || !strings.Contains(err.Error(), "time.parse_rfc3339_ns") {
		t.Errorf("bad date: err = %v, want an EvalError from time.parse_rfc3339_ns", err)
	}
	und, err := LoadDeploy(ctx, deployDir(t, "package pinline.other\ndeny contains \"x\" if false\n"), DeployOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := und.Deny(ctx, nil); ok || err != nil {
		t.Errorf("undefined: defined %v, %v", ok, err)
	}
}
