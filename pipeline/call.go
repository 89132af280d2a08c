package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"dagger.io/dagger"
	"go.opentelemetry.io/otel/trace"

	"github.com/pinline/pinline/internal/errclass"
	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/sbom"
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

// versionTimeout bounds asking the engine for its version after the calls.
const versionTimeout = 10 * time.Second

// callWaitDelay bounds how long a cancelled dagger call child may take to
// go away after its process group was killed.
const callWaitDelay = 5 * time.Second

// callModule is what the run knows about a call task's module before it
// connects.
type callModule struct {
	dir  string // absolute, symlinks resolved
	rel  string // relative to the root, slash separated
	name string
	sdk  string
}

// moduleOf reads the module configuration of a call task from the
// repository (dagger.json or dagger-module.toml in the module directory).
func moduleOf(root string, c *spec.Call) (*callModule, error) {
	rel := c.Module
	if rel == "" {
		rel = "."
	}
	dir, err := insideRoot(root, rel)
	if err != nil {
		return nil, fmt.Errorf("module %q: %w", rel, err)
	}
	m := &callModule{dir: dir, rel: filepath.ToSlash(filepath.Clean(rel))}
	var mod *inventory.Module
	if b, err := os.ReadFile(filepath.Join(dir, "dagger.json")); err == nil {
		mod, _, err = inventory.ParseDaggerJSON(filepath.Join(m.rel, "dagger.json"), b)
		if err != nil {
			return nil, err
		}
	} else if b, err := os.ReadFile(filepath.Join(dir, "dagger-module.toml")); err == nil {
		if mod, err = inventory.ParseModuleTOML(filepath.Join(m.rel, "dagger-module.toml"), b); err != nil {
			return nil, err
		}
	} else {
		return nil, fmt.Errorf("module %q: no dagger.json or dagger-module.toml", rel)
	}
	m.name = mod.Name
	if mod.SDK != nil {
		m.sdk = mod.SDK.Source
	}
	return m, nil
}

// sdkSupported says whether the engine can run modules of the SDK, and if
// not, what it lacks.
func sdkSupported(sdk string) (bool, string) {
	switch strings.ToLower(sdk) {
	case "go":
		return true, ""
	case "python":
		return false, "the engine has no offline Python SDK runtime (it needs PyPI and the upstream Python base image)"
	case "typescript":
		return false, "the engine has no offline TypeScript SDK runtime (it needs the npm registry and the upstream Node base image)"
	case "":
		return false, "the module has no SDK, so it has no functions to call"
	}
	return false, fmt.Sprintf("the engine runs only the builtin Go SDK offline, not SDK %q", sdk)
}

// errOutsideRoot is a path that leaves the repository.
var errOutsideRoot = errors.New("path escapes the repository")

// insideRoot resolves rel against root and fails unless the result, with
// every symlink resolved, stays inside root. A path that does not exist is
// resolved as far as it exists.
func insideRoot(root, p string) (string, error) {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(root, p)
	}
	res, err := resolveExisting(abs)
	if err != nil {
		return "", err
	}
	if res != r && !strings.HasPrefix(res, r+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: resolves to %s, outside the repository %s", errOutsideRoot, res, r)
	}
	return res, nil
}

// resolveExisting evaluates the symlinks of the longest existing prefix of
// abs and appends the rest.
func resolveExisting(abs string) (string, error) {
	abs = filepath.Clean(abs)
	var rest []string
	for cur := abs; ; cur = filepath.Dir(cur) {
		r, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(append([]string{r}, rest...)...), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		if filepath.Dir(cur) == cur {
			return "", err
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
	}
}

// callArg is one argument of a call, as the gate and the record see it.
type callArg struct {
	name   string
	value  string
	hasVal bool
	secret bool   // a secret provider (env:, file:): recorded by name only
	scheme string // the secret provider (env, file, cmd, ...); value is what follows it
	host   string // what the value reaches on the host, when it does: "path", "socket", "service", "command", "store"
}

// secretSchemes are dagger call's secret providers.
var secretSchemes = []string{"env", "file", "cmd", "op", "vault", "libsecret"}

// parseCallArgs splits `--name value`, `--name=value` and bare `--flag`
// tokens (other tokens, such as chained functions, are kept as values of
// no flag). Values are classified by what they reach on the host.
func parseCallArgs(args []string) []callArg {
	var out []callArg
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") || a == "--" {
			out = append(out, classify(callArg{value: a, hasVal: true}))
			continue
		}
		name, val, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		ca := callArg{name: name}
		if ok {
			ca.value, ca.hasVal = val, true
		} else if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			ca.value, ca.hasVal = args[i], true
		}
		out = append(out, classify(ca))
	}
	return out
}

func classify(a callArg) callArg {
	if !a.hasVal {
		return a
	}
	v := a.value
	scheme, rest, hasScheme := strings.Cut(v, ":")
	if hasScheme && slices.Contains(secretSchemes, scheme) {
		a.secret, a.scheme = true, scheme
		switch scheme {
		case "file":
			a.host = "path"
		case "cmd":
			a.host = "command"
		case "env":
		default:
			a.host = "store"
		}
		a.value = strings.TrimPrefix(rest, "//")
		return a
	}
	switch {
	case strings.HasPrefix(v, "unix://"):
		a.host = "socket"
	case strings.HasPrefix(v, "tcp://") || strings.HasPrefix(v, "udp://"):
		a.host = "service"
	case strings.Contains(v, "://"):
	default:
		a.host = "path"
	}
	return a
}

// String is the argument as recorded: secret values never.
func (a callArg) String() string {
	var b strings.Builder
	if a.name != "" {
		b.WriteString("--" + a.name)
		if a.hasVal {
			b.WriteString("=")
		}
	}
	if a.secret {
		b.WriteString("***")
	} else {
		b.WriteString(a.value)
	}
	return b.String()
}

// callCommand is the recorded command line of a call task (secrets masked).
func callCommand(c *spec.Call) []string {
	mod := c.Module
	if mod == "" {
		mod = "."
	}
	argv := []string{"dagger", "call", "-m", mod, c.Function}
	for _, a := range parseCallArgs(c.Args) {
		argv = append(argv, a.String())
	}
	return argv
}

// callRecord is the record.Call of a call task before it ran.
func callRecord(m *callModule, c *spec.Call) *record.Call {
	rc := &record.Call{Module: m.rel, ModuleName: m.name, SDK: m.sdk, Function: c.Function, Args: []record.CallArg{}}
	for _, a := range parseCallArgs(c.Args) {
		ra := record.CallArg{Name: a.name, Secret: a.secret}
		if !a.secret {
			ra.Value = a.value
		}
		rc.Args = append(rc.Args, ra)
	}
	return rc
}

// argDigests records the digest of every named, non-secret argument whose
// value names a directory or file of the repository: what the function is
// handed from the host, hashed just before the call (the gate has checked
// that it resolves inside the repository). A directory's digest is its
// manifest's (dirDigest), without the runs directory, which changes while
// the run writes its records; values that name nothing stay without one.
func argDigests(ctx context.Context, root, runsDir string, c *spec.Call, rc *record.Call) error {
	runs, _ := resolveExisting(runsDir)
	for i, a := range parseCallArgs(c.Args) {
		if a.secret || a.host != "path" || a.name == "" {
			continue
		}
		p, err := insideRoot(root, a.value)
		if err != nil {
			return fmt.Errorf("argument --%s: %w", a.name, err)
		}
		st, err := os.Stat(p)
		if err != nil {
			continue // a value that names nothing: a string argument
		}
		var d string
		switch {
		case st.IsDir():
			d, _, _, err = dirDigestExcept(ctx, p, runs)
		case st.Mode().IsRegular():
			var h sbom.Digests
			h, err = sbom.HashFileSHA256(ctx, p)
			d = h.SHA256
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("argument --%s: digest %s: %w", a.name, a.value, err)
		}
		rc.Args[i].Digest = "sha256:" + d
	}
	return nil
}

// moduleSourceQuery asks the engine what a module source resolves to
// without running module code.
const moduleSourceQuery = `query ModuleSource($ref: String!) {
  moduleSource(refString: $ref) {
    kind asString digest moduleName
    dependencies { moduleName asString kind version commit pin digest }
  }
}`

type moduleSourceInfo struct {
	ModuleSource struct {
		Kind         string `json:"kind"`
		AsString     string `json:"asString"`
		Digest       string `json:"digest"`
		ModuleName   string `json:"moduleName"`
		Dependencies []struct {
			ModuleName string `json:"moduleName"`
			AsString   string `json:"asString"`
			Kind       string `json:"kind"`
			Version    string `json:"version"`
			Commit     string `json:"commit"`
			Pin        string `json:"pin"`
			Digest     string `json:"digest"`
		} `json:"dependencies"`
	} `json:"moduleSource"`
}

// resolveModule fills rc with the engine's view of the module: its digest
// and its dependencies with the commits they resolved to.
func resolveModule(ctx context.Context, c *dagger.Client, m *callModule, rc *record.Call) error {
	var info moduleSourceInfo
	if err := c.Do(ctx, &dagger.Request{Query: moduleSourceQuery, Variables: map[string]any{"ref": m.dir}},
		&dagger.Response{Data: &info}); err != nil {
		return fmt.Errorf("resolve module %s: %w", m.rel, err)
	}
	ms := info.ModuleSource
	rc.ModuleDigest = ms.Digest
	if ms.ModuleName != "" {
		rc.ModuleName = ms.ModuleName
	}
	rc.Dependencies = []record.CallDependency{}
	for _, d := range ms.Dependencies {
		rc.Dependencies = append(rc.Dependencies, record.CallDependency{Name: d.ModuleName, Source: d.AsString,
			Kind: d.Kind, Version: d.Version, Commit: d.Commit, Pin: d.Pin, Digest: d.Digest})
	}
	return nil
}

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
	// The engine resolves the module's dependencies (no module code runs)
	// while the call runs; a call whose module cannot be resolved fails.
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
	res = b.callFunction(ctx, n, m, res)
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
	return res
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

// CallResult decodes the JSON result a call task wrote (outputs/<task>.json):
// a string result is returned as is, anything else as its JSON text.
func CallResult(b []byte) string {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return s
	}
	return strings.TrimSpace(string(b))
}

// checkCalls reads the module of every call task of the plan before
// anything connects and records what each calls. A module whose SDK the
// engine cannot run fails with ErrUnsupportedSDK naming what it lacks.
func checkCalls(o *Options, p *plan, rec *record.Run) error {
	var unsupported []string
	for i, n := range p.order {
		c := n.task.Call
		if c == nil {
			continue
		}
		m, err := moduleOf(o.Root, c)
		if err != nil {
			return fmt.Errorf("%w: task %q: %w", ErrInvalid, n.task.Name, err)
		}
		rec.Tasks[i].Call = callRecord(m, c)
		for _, a := range parseCallArgs(c.Args) {
			if a.scheme == "env" && sensitiveEnv(a.value) {
				return fmt.Errorf("%w: task %q: argument --%s: environment variable %s is signing material or a credential of pinline and never a secret source",
					ErrInvalid, n.task.Name, a.name, a.value)
			}
		}
		if ok, why := sdkSupported(m.sdk); !ok {
			unsupported = append(unsupported, fmt.Sprintf("task %q: module %s (sdk %q): %s", n.task.Name, m.rel, m.sdk, why))
		}
	}
	if len(unsupported) > 0 {
		return fmt.Errorf("%w: %s", ErrUnsupportedSDK, strings.Join(unsupported, "; "))
	}
	return nil
}

// imageDigest is a sha256 manifest digest.
var imageDigest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// resolvedImages are the images a trace's spans say the engine resolved:
// span names "resolving <ref>@sha256:<hex>", deduplicated in span order.
func (s *spanSink) resolvedImages(tid trace.TraceID) []record.Image {
	s.mu.Lock()
	spans := s.traces[tid]
	s.mu.Unlock()
	var out []record.Image
	seen := map[string]bool{}
	for _, sp := range spans {
		ref, ok := strings.CutPrefix(sp.name, "resolving ")
		if !ok {
			continue
		}
		ref = strings.TrimSpace(ref)
		name, dg, ok := strings.Cut(ref, "@")
		if !ok || !imageDigest.MatchString(dg) || seen[ref] {
			continue
		}
		seen[ref] = true
		out = append(out, record.Image{Name: name, Ref: ref, Digest: dg})
	}
	return out
}

// collectCalls adds what the call tasks resolved to the run record: the
// images of their traces (record.Run.Images, with the task's call) and the
// module dependencies by commit (record.Run.Modules).
func (r *runner) collectCalls(spans *spanSink, rec *record.Run) {
	seenImg := map[string]bool{}
	for _, im := range rec.Images {
		seenImg[im.Ref] = true
	}
	seenMod := map[string]bool{}
	for _, m := range rec.Modules {
		seenMod[m.Source+"@"+m.Pin] = true
	}
	for _, n := range r.p.order {
		out := r.results[n.task.Name]
		t := r.tasks[n.task.Name]
		if n.task.Call == nil || out == nil || t.Call == nil {
			continue
		}
		if spans != nil && out.trace.IsValid() {
			t.Call.Images = spans.resolvedImages(out.trace)
		}
		for _, im := range t.Call.Images {
			if !seenImg[im.Ref] {
				seenImg[im.Ref] = true
				rec.Images = append(rec.Images, im)
			}
		}
		for _, d := range t.Call.Dependencies {
			pin := d.Commit
			if pin == "" {
				pin = d.Pin
			}
			if k := d.Source + "@" + pin; !seenMod[k] {
				seenMod[k] = true
				rec.Modules = append(rec.Modules, record.Module{Name: d.Name, Source: d.Source, Pin: pin})
			}
		}
	}
}

// callOnly reports whether every task of the plan is a call task.
func callOnly(p *plan) bool {
	for _, n := range p.order {
		if n.task.Call == nil {
			return false
		}
	}
	return len(p.order) > 0
}

// callSession is the engine side of a run of module calls only. The
// calls' telemetry receiver starts at once (the dagger call children export
// to it); pinline's own session connects in the background and is waited
// for only by what needs it (moduleSource, liveness, the engine version).
type callSession struct {
	address string
	spans   *spanSink
	done    chan struct{}
	s       *session
	err     error
}

// connectCalls probes the engine (a missing engine fails at once, as for
// any run) and starts the background connect.
func connectCalls(ctx context.Context, e Engine, log io.Writer) (*callSession, error) {
	timeout := e.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	if err := probe(ctx, e.Address, min(timeout, 5*time.Second)); err != nil {
		if e.Health != nil {
			if herr := e.Health(); herr != nil {
				return nil, fmt.Errorf("%w: %w", ErrEngine, herr)
			}
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrEngine, e.Address, err)
	}
	cs := &callSession{address: e.Address, done: make(chan struct{})}
	if sp, err := newSpanSink(); err == nil {
		cs.spans = sp
	}
	go func() {
		defer close(cs.done)
		cs.s, cs.err = connect(ctx, e, log)
	}()
	return cs, nil
}

// session waits for pinline's session.
func (cs *callSession) session(ctx context.Context) (*session, error) {
	select {
	case <-cs.done:
		return cs.s, cs.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// finish waits for the session, asks it for the engine version and closes
// it and the receiver. The spans stay readable.
func (cs *callSession) finish(ctx context.Context) string {
	<-cs.done
	v := ""
	if cs.s != nil {
		// Bounded: an engine that stopped answering leaves the version
		// out of the record instead of hanging the run.
		vctx, cancel := context.WithTimeout(ctx, versionTimeout)
		v, _ = cs.s.client.Version(vctx)
		cancel()
	}
	cs.close()
	return v
}

func (cs *callSession) close() {
	<-cs.done
	if cs.s != nil {
		_ = cs.s.Close()
	}
	if cs.spans != nil {
		_ = cs.spans.Close()
	}
}
