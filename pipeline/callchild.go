package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/pinline/pinline/spec"
)

// callWaitDelay bounds how long a cancelled dagger call child may take to
// go away after its process group was killed.
const callWaitDelay = 5 * time.Second

// callTrace is the telemetry trace of one call child: its id and the
// TRACEPARENT handed to the child ("" without telemetry).
type callTrace struct {
	id     trace.TraceID
	parent string
}

// runCall runs `dagger call` in the repository root against the run's
// engine. The child has its own process group, killed when ctx ends or
// when it stalls (callWatch): then the error wraps ErrCallStalled.
func (b *daggerBackend) runCall(ctx context.Context, m *callModule, c *spec.Call, tr callTrace, extra ...string) (string, string, int, error) {
	argv := []string{"--progress=plain", "call", "-m", m.dir}
	argv = append(argv, extra...)
	argv = append(argv, c.Function)
	argv = append(argv, c.Args...)
	if hasDirArg(b.o.Root, c) {
		// One directory-argument call at a time on an engine (calllock.go).
		unlock, err := lockDirCall(ctx, dirCallKey(b.o.Engine), b.o.Log)
		switch {
		case err == nil:
			defer unlock()
		case ctx.Err() != nil:
			return "", "", -1, err
		default:
			fmt.Fprintf(b.o.Log, "directory-argument lock: %v (the call runs without it)\n", err)
		}
	}
	window := stallWindow(ctx, b.o.CallStall)
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	cmd := exec.CommandContext(cctx, b.o.Engine.CLI, argv...)
	cmd.Dir = b.o.Root
	// Never signing material or credentials (childenv.go), nor the
	// caller's telemetry or session settings: the child is the dagger CLI
	// reading `env:` secret arguments from its environment, and a
	// sensitive variable is never one (checkCalls refuses them).
	env := slices.DeleteFunc(childEnv(b.o.Engine.Env), func(kv string) bool {
		return strings.HasPrefix(kv, "OTEL_") || strings.HasPrefix(kv, "TRACEPARENT=") ||
			strings.HasPrefix(kv, "DAGGER_SESSION_") || strings.HasPrefix(kv, "_EXPERIMENTAL_DAGGER_")
	})
	env = append(env, "_EXPERIMENTAL_DAGGER_RUNNER_HOST="+b.o.Engine.Address, "DO_NOT_TRACK=1", "DAGGER_NO_NAG=1")
	var exports *atomic.Int64
	if sink := b.callSpans(); sink != nil && tr.parent != "" {
		// A token of the child's own: its exports are signs of its life.
		senv, last, forget, err := sink.childEnv()
		if err != nil {
			senv = sink.Env()
		} else {
			exports = last
			defer forget()
		}
		env = append(append(env, senv...), "TRACEPARENT="+tr.parent)
	}
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = callWaitDelay
	var stdout, stderr lockedBuffer
	watch := newCallWatch(b.callSpans(), tr.id, exports)
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&stdout, watch), io.MultiWriter(&stderr, watch)
	if window > 0 {
		done := make(chan struct{})
		defer close(done)
		go watch.run(done, window, func() { cancel(errStalled) })
	}
	err := cmd.Run()
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(cctx), errStalled) {
		return stdout.String(), stderr.String(), -1, fmt.Errorf("%w: dagger call %s showed no output and no telemetry for %s and was killed%s",
			ErrCallStalled, c.Function, window, lastLine(stderr.String()))
	}
	code := 0
	if err != nil {
		code = -1
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			code = ee.ExitCode()
			err = fmt.Errorf("dagger call %s: exit code %d%s", c.Function, code, lastLine(stderr.String()))
		}
	}
	return stdout.String(), stderr.String(), code, err
}

// lastLine is the last non-empty line of s, prefixed with ": " ("" when
// there is none).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			if len(l) > 300 {
				l = l[:300] + "..."
			}
			return ": " + l
		}
	}
	return ""
}
