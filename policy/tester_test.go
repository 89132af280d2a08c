package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultBundleRegoTests(t *testing.T) {
	t.Parallel()
	rep, err := RunTests(context.Background(), TestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if !r.Pass {
			t.Errorf("%s:%d %s.%s: %s", r.Pos.File, r.Pos.Line, r.Package, r.Name, r.Error)
		}
	}
	if !rep.OK() {
		t.Fatalf("default bundle tests: %d passed, %d failed", rep.Passed, rep.Failed)
	}
	// Every rule in the catalog has at least one test named after it.
	for _, r := range loadDefault(t).Rules() {
		found := false
		for _, res := range rep.Results {
			if strings.HasPrefix(res.Name, "test_"+strings.ToLower(r.ID)) {
				found = true
			}
		}
		if !found {
			t.Errorf("rule %s has no test_%s_* in policy/rego", r.ID, strings.ToLower(r.ID))
		}
	}
}

func TestRunTestsUserDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("team.rego", "package pinline.user.team\n\ndeny contains \"no\" if input.bad\n")
	write("team_test.rego", `package pinline.user.team_test

test_denies if "no" in data.pinline.user.team.deny with input as {"bad": true}

test_fails if "no" in data.pinline.user.team.deny with input as {"bad": false}
`)
	rep, err := RunTests(context.Background(), TestOptions{Dirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed != 1 || rep.Failed != 1 || rep.OK() {
		t.Fatalf("report = %+v", rep)
	}
	write("broken_test.rego", "package x_test\n\ntest_x if {\n\tnope(1)\n}\n")
	_, err = RunTests(context.Background(), TestOptions{Dirs: []string{dir}})
	var ce *CompileError
	if !errors.As(err, &ce) || !strings.HasSuffix(ce.File, "broken_test.rego") || ce.Line != 4 {
		t.Fatalf("err = %v", err)
	}
}
