package cli

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs the CLI in-process with an empty environment and returns the
// exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLIEnv(t, nil, args...)
}

// runCLIEnv runs the CLI in-process with exactly the given environment.
func runCLIEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := &streams{in: strings.NewReader(""), out: &out, errOut: &errOut, env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	code := run(t.Context(), s, args)
	return code, out.String(), errOut.String()
}
