package cli

import (
	"bytes"
	"context"
	"strings"
	"sync"
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
	return runCLICtx(t.Context(), env, args...)
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runCLICtx runs the CLI in-process under ctx with exactly the given
// environment; the output buffers are safe for the CLI's concurrent
// writers.
func runCLICtx(ctx context.Context, env map[string]string, args ...string) (int, string, string) {
	var out, errOut lockedBuf
	s := &streams{in: strings.NewReader(""), out: &out, errOut: &errOut,
		env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	code := run(ctx, s, args)
	return code, out.String(), errOut.String()
}
