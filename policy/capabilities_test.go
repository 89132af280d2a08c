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

// User policies may not reach the network, the clock, the host runtime or
// randomness: each such call is a compile error at its position (exit 2),
// unless the operator opts in to OPA's full builtin set.
func TestUserPoliciesAreDeterministic(t *testing.T) {
	t.Parallel()
	calls := map[string]string{
		"http.send":          `http.send({"method": "GET", "url": "http://127.0.0.1:1/x"})`,
		"net.lookup_ip_addr": `net.lookup_ip_addr("localhost")`,
		"opa.runtime":        `opa.runtime()`,
		"rand.intn":          `rand.intn("x", 10)`,
		"uuid.rfc4122":       `uuid.rfc4122("x")`,
		"time.now_ns":        `time.now_ns()`,
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			src := "package pinline.user.exfil\n\ndeny contains msg if {\n\tx := " + call + "\n\tmsg := sprintf(\"%v\", [x])\n}\n"
			if err := os.WriteFile(filepath.Join(dir, "exfil.rego"), []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(context.Background(), Options{UserDirs: []string{dir}})
			var ce *CompileError
			if !errors.As(err, &ce) || !strings.HasSuffix(ce.File, "exfil.rego") || ce.Line != 4 || !strings.Contains(ce.Msg, name) {
				t.Fatalf("Load = %v, want a compile error at exfil.rego:4 naming %s", err, name)
			}
			if _, err := Load(context.Background(), Options{UserDirs: []string{dir}, AllBuiltins: true}); err != nil {
				t.Errorf("with AllBuiltins: %v", err)
			}
		})
	}
	for _, ok := range []string{"time.parse_rfc3339_ns", "time.date", "sprintf", "regex.match", "crypto.sha256"} {
		if RemovedBuiltin(ok) {
			t.Errorf("%s removed", ok)
		}
	}
}

// The time a policy sees is input.evaluation, so the same input gives the
// same decision.
func TestUserPolicyReadsEvaluationTime(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := "package pinline.user.age\n\ndeny contains \"too late\" if input.evaluation.timeNs > time.parse_rfc3339_ns(\"2026-06-30T00:00:00Z\")\n"
	if err := os.WriteFile(filepath.Join(dir, "age.rego"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		at    string
		allow bool
	}{{"2026-06-01T00:00:00Z", true}, {"2026-07-01T00:00:00Z", false}} {
		res, err := Check(ctx, CheckOptions{Root: "../testdata/repos/clean", UserDirs: []string{dir}, Now: mustTime(t, tc.at)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Decision.Allow != tc.allow {
			t.Errorf("at %s: allow = %v, want %v (%v)", tc.at, res.Decision.Allow, tc.allow, res.Decision.Violations)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
