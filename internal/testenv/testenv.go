// Package testenv finds the external programs and services that tests need
// (the cosign, opa, syft and chromium binaries, engines), which
// hack/setup.d/*.sh provision and name in environment variables. A test
// that lacks one is skipped on a developer machine and fails in CI (when CI
// is set), so CI never passes by skipping.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Require returns the value of the environment variable name. When it is
// unset the test fails under CI and is skipped elsewhere; provisioner names
// the setup step that sets it.
func Require(t testing.TB, name, provisioner string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		missing(t, fmt.Sprintf("%s is not set", name), provisioner)
	}
	return v
}

// RequireFile returns path when it exists (for example /bin/busybox, which
// the busybox-static package installs). Otherwise the test fails under CI and
// is skipped elsewhere.
func RequireFile(t testing.TB, path, provisioner string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		missing(t, err.Error(), provisioner)
	}
	return path
}

// RequireProgram returns the path of the program name found on PATH (for
// example sha256sum). Otherwise the test fails under CI and is skipped
// elsewhere.
func RequireProgram(t testing.TB, name, provisioner string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, err.Error(), provisioner)
	}
	return p
}

// Unavailable is for a missing facility no variable names (a pty, say):
// it fails the test under CI and skips it elsewhere, like the Require
// functions.
func Unavailable(t testing.TB, what, provisioner string) {
	t.Helper()
	missing(t, what, provisioner)
}

// missing fails the test under CI (CI set) and skips it elsewhere.
func missing(t testing.TB, what, provisioner string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI: %s (%s provisions it)", what, provisioner)
	}
	t.Skipf("%s (run %s, or bash hack/test.sh)", what, provisioner)
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
