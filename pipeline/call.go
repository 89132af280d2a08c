package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/pinline/pinline/internal/errclass"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// Call tasks (spec.Call) run a Dagger module function the way `dagger call`
// does: pinline starts the dagger CLI's `call` against the run's engine
// address (the gateway forwarder's socket for mTLS tiers) with the
// function and its arguments, in the repository root, in a telemetry trace
// of its own. Before that the run's session asks the engine for the
// module's resolved dependencies (moduleSource, which runs no module code);
// after it, the trace's spans name every image the call resolved with its
// digest. The result is an output of the run: the function's JSON result
// (outputs/<task>.json), or what `-o` exported when the task has an output.

// ErrUnsupportedSDK: the module's SDK cannot run on this engine (Python
// and TypeScript modules need network the engine does not have). The run
// is gated and SBOM'd, then stops before connecting.
var ErrUnsupportedSDK = errclass.New(errclass.ErrOperational, "module SDK not supported by this engine")

// call runs a call task: dependencies from the engine, then the dagger
// CLI's call, then the images from the trace's spans.
func (b *daggerBackend) call(ctx context.Context, n *node) outcome {
	t := n.task
	m, err := moduleOf(b.o.Root, t.Call)
	if err != nil {
		return outcome{status: record.StatusFailed, exitCode: -1, err: err}
	}
	rc := callRecord(m, t.Call)
	res := outcome{call: rc}
	if err := argDigests(ctx, b.o.Root, b.o.RunsDir, t.Call, rc); err != nil {
		res.status, res.exitCode, res.err = record.StatusFailed, -1, err
		return res
	}
	// A resolution cached for identical module files and configuration on
	// this engine (callcache.go) spares the run a second engine session
	// beside the child; otherwise the engine resolves the module's
	// dependencies (no module code runs) while the call runs, and a call
	// whose module cannot be resolved fails.
	var key string
	var hit *callCacheEntry
	if b.calls != nil {
		if k, err := callCacheKey(b.o, m); err == nil {
			key, hit = k, loadCallCache(k)
		}
	}
	var resolved chan error
	if hit == nil {
		resolved = b.resolveAsync(ctx, m, rc)
	}
	res = b.callFunction(ctx, n, m, res)
	eng := childEngine(res.stderr)
	if b.calls != nil {
		b.calls.noteChild(eng)
	}
	if hit != nil {
		// Only for the engine the entry names, and only while the module
		// is as it was when the key was computed.
		if k, err := callCacheKey(b.o, m); err == nil && k == key && eng == hit.engine() {
			applyCallCache(hit, rc)
			return res
		}
		if res.status != record.StatusSucceeded {
			return res
		}
		key = ""
		resolved = b.resolveAsync(ctx, m, rc)
	}
	// The call is over: the module's resolution gets a grace period, not
	// forever (an engine that stopped answering must not hang the run).
	select {
	case err = <-resolved:
	case <-time.After(resolveGrace):
		err = fmt.Errorf("%w: resolve module %s: no answer from the engine %s after the call ended", ErrEngine, m.rel, resolveGrace)
	}
	if err != nil && res.status == record.StatusSucceeded {
		res.outputs = nil
		return b.callFailure(ctx, res, err)
	}
	if err == nil && key != "" && res.status == record.StatusSucceeded {
		if k, kerr := callCacheKey(b.o, m); kerr == nil && k == key {
			storeCallCache(key, eng, rc, b.o.Now())
		}
	}
	return res
}

// resolveAsync asks the engine for the module's resolution into rc (over
// the run's session) and delivers the outcome on the channel.
func (b *daggerBackend) resolveAsync(ctx context.Context, m *callModule, rc *record.Call) chan error {
	resolved := make(chan error, 1)
	go func() {
		c := b.c
		if b.calls != nil {
			s, err := b.calls.session(ctx)
			if err != nil {
				resolved <- err
				return
			}
			c = s.client
		}
		resolved <- resolveModule(ctx, c, m, rc)
	}()
	return resolved
}

// resolveGrace bounds how long a call task waits, after its dagger call
// child ended, for the engine's answer about the module's dependencies.
var resolveGrace = 30 * time.Second

// callSpans is the receiver the call's dagger CLI exports its spans to.
func (b *daggerBackend) callSpans() *spanSink {
	if b.calls != nil {
		return b.calls.spans
	}
	if b.s != nil {
		return b.s.spans
	}
	return nil
}

// engineAlive reports whether the engine still answers (see session.alive).
func (b *daggerBackend) engineAlive(ctx context.Context) bool {
	s := b.s
	if b.calls != nil {
		var err error
		if s, err = b.calls.session(ctx); err != nil {
			return false
		}
	}
	return s != nil && s.alive(ctx, b.o.Engine.Address)
}

// callFunction runs the dagger CLI's call of a call task and exports its
// result.
func (b *daggerBackend) callFunction(ctx context.Context, n *node, m *callModule, res outcome) outcome {
	t := n.task
	var tid trace.TraceID
	var traceparent string
	if sink := b.callSpans(); sink != nil {
		if tctx, id, err := sink.newTrace(ctx); err == nil {
			tid = id
			traceparent = fmt.Sprintf("00-%s-%s-01", id, trace.SpanContextFromContext(tctx).SpanID())
		}
	}
	res.trace = tid
	run := func(ctx context.Context, extra ...string) (stdout, stderr string, code int, err error) {
		return b.runCall(ctx, m, t.Call, callTrace{id: tid, parent: traceparent}, extra...)
	}
	if t.Call.Output != "" {
		o := spec.Output{Path: "<" + t.Call.Function + ">", Dest: t.Call.Output, Type: outputAuto}
		out, err := b.out.export(ctx, t.Name, o, func(ctx context.Context, st staging) error {
			// dagger call writes st.abs, a fresh entry under .staging.
			var code int
			var err error
			res.stdout, res.stderr, code, err = run(ctx, "-o", st.abs)
			if err != nil {
				res.exitCode = code
			}
			return err
		})
		if err != nil {
			return b.callFailure(ctx, res, err)
		}
		res.outputs = append(res.outputs, out)
	} else {
		o := spec.Output{Path: "<" + t.Call.Function + ">", Dest: filepath.Join("outputs", t.Name+".json"), Type: "file"}
		out, err := b.out.export(ctx, t.Name, o, func(ctx context.Context, st staging) error {
			var code int
			var err error
			res.stdout, res.stderr, code, err = run(ctx, "--json")
			if err != nil {
				res.exitCode = code
				return err
			}
			return st.root.WriteFile(st.rel, []byte(res.stdout), 0o644)
		})
		if err != nil {
			return b.callFailure(ctx, res, err)
		}
		res.outputs = append(res.outputs, out)
	}
	res.status = record.StatusSucceeded
	return res
}

// callFailure classifies a failed call: the function's own failure (the
// CLI's exit code), or the engine going away.
func (b *daggerBackend) callFailure(ctx context.Context, res outcome, err error) outcome {
	res.status, res.err = record.StatusFailed, err
	if res.exitCode == 0 {
		res.exitCode = -1
	}
	if errors.Is(err, ErrCallStalled) || errors.Is(err, ErrEngine) {
		// pinline got no answer: an operational failure, not the
		// function's.
		res.operational = err
		return res
	}
	if ctx.Err() == nil && !b.engineAlive(ctx) && ctx.Err() == nil {
		res.engineGone = true
		res.err = fmt.Errorf("engine went away: %w", err)
	}
	return res
}

// CallResult decodes the JSON result a call task wrote (outputs/<task>.json):
// a string result is returned as is, anything else as its JSON text.
func CallResult(b []byte) string {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return s
	}
	return strings.TrimSpace(string(b))
}
