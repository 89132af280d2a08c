package policy

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/testenv"
)

// opaBin returns the opa CLI built by hack/setup.d/10-tools.sh. The test is
// skipped when it is not configured locally and fails in CI.
func opaBin(t *testing.T) string {
	t.Helper()
	return testenv.Require(t, "PINLINE_OPA_BIN", "hack/setup.d/10-tools.sh")
}

// TestEmbeddedBundleWithOPACLI checks that the embedded files pass the real
// `opa check --strict` and `opa test`, unchanged.
func TestEmbeddedBundleWithOPACLI(t *testing.T) {
	t.Parallel()
	bin := opaBin(t)
	for _, args := range [][]string{
		{"check", "--strict", "rego"},
		{"test", "rego"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("opa %v: %v\n%s", args, err, out)
		}
	}
}

// TestOPACLIRejectsBrokenPolicy makes sure the CLI check above can fail.
func TestOPACLIRejectsBrokenPolicy(t *testing.T) {
	t.Parallel()
	bin := opaBin(t)
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/x.rego", []byte("package x\n\nallow if {\n\tunused := 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "--strict", dir).CombinedOutput(); err == nil {
		t.Fatalf("opa check --strict accepted an unused variable:\n%s", out)
	}
}
