// Package testenv finds the external programs and services that tests need
// (the cosign, opa, syft and chromium binaries, engines), which
// hack/setup.d/*.sh provision and name in environment variables. A test
// that lacks one is skipped on a developer machine and fails in CI (when CI
// is set), so CI never passes by skipping.
package testenv

import (
	"os"
	"testing"
)

// Require returns the value of the environment variable name. When it is
// unset the test fails under CI and is skipped elsewhere; provisioner names
// the setup step that sets it.
func Require(t testing.TB, name, provisioner string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: %s is not set (%s provisions it)", name, provisioner)
		}
		t.Skipf("%s is not set (run %s, or bash hack/test.sh)", name, provisioner)
	}
	return v
}

// RequireAll is Require for several variables at once: it returns their
// values by name, and fails (CI) or skips naming the first one unset.
func RequireAll(t testing.TB, provisioner string, names ...string) map[string]string {
	t.Helper()
	vals := make(map[string]string, len(names))
	for _, n := range names {
		vals[n] = Require(t, n, provisioner)
	}
	return vals
}
