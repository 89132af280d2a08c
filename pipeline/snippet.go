package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"dagger.io/dagger"
	"go.opentelemetry.io/otel/trace"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/record"
)

// Snippet runner support (pinline exec, package exec). The exec package
// owns presets, package detection and results; this file is the part that
// talks to the engine, over the same session code as a pipeline run.

// SnippetSession is one engine session that runs many snippets.
type SnippetSession struct {
	s     *session
	tier  string
	scope string

	mu     sync.Mutex
	pulled map[string]*pull // image → its pull, once per session
}

// pull is one image's pull in a session; done closes when err is set.
type pull struct {
	done chan struct{}
	err  error
}

// OpenSnippetSession connects to the engine. tier and scope name the
// tier-scoped cache volumes (engineconfig.CacheVolume) the presets'
// package-manager caches use. Errors wrap ErrEngine.
func OpenSnippetSession(ctx context.Context, e Engine, tier, scope string, log io.Writer) (*SnippetSession, error) {
	if _, err := engineconfig.CacheVolume(tier, scope, "probe"); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	s, err := connect(ctx, e, log)
	if err != nil {
		return nil, err
	}
	return &SnippetSession{s: s, tier: tier, scope: scope, pulled: map[string]*pull{}}, nil
}

// Close ends the session.
func (ss *SnippetSession) Close() error { return ss.s.Close() }

// Snippet is one snippet run: every field is decided by the exec package.
type Snippet struct {
	Image   string            // by digest
	Workdir string            // where File is written
	User    string            // the unprivileged user for compile and run
	Env     map[string]string // setup, compile and run
	Caches  map[string]string // logical cache name → mount path, owned by User
	Files   map[string]string // written (owned by User) before setup
	// Setup commands run as root before the snippet is written, with
	// SetupFiles mounted (read-only, for setup only) and SetupEnv added
	// (over Env; Env's value is back for compile and run).
	Setup      [][]string
	SetupFiles map[string]string
	SetupEnv   map[string]string
	SetupTime  time.Duration // bound of all setup commands (default 10 min)
	File       string        // snippet file name
	Code       string
	Compile    []string // optional
	Run        []string
	Timeout    time.Duration // of the run
	// CompileTimeout bounds the compile step (default max(Timeout, 2 min)):
	// compiling is the preset's cost, not the snippet's run time.
	CompileTimeout time.Duration
	MaxOutput      int // bytes kept of stdout and of stderr, each
	// CacheBust, when set, is part of the exec's inputs: the engine
	// cannot serve the run from its cache.
	CacheBust string
}

// Snippet stages.
const (
	StageSetup   = "setup"
	StageCompile = "compile"
	StageRun     = "run"
)

// SnippetResult is what one snippet did. Stage is the stage that decided
// the result: the run, or the compile or setup step that failed.
type SnippetResult struct {
	Stage     string
	ExitCode  int
	Stdout    string
	Stderr    string
	TimedOut  bool
	Truncated bool
	// trace is the telemetry trace of the final exec (see Cached).
	trace trace.TraceID
}

// Cached reports whether the engine served a result's final exec from its
// cache; nil when telemetry cannot tell. The CLI flushes its spans when the
// session ends: call it after Close.
func (ss *SnippetSession) Cached(r SnippetResult) *bool {
	if ss.s.spans == nil || !r.trace.IsValid() {
		return nil
	}
	if cached, ok := ss.s.spans.execCached(r.trace); ok {
		return &cached
	}
	return nil
}

// runWrapper bounds one command: timeout(1) sends TERM (then KILL after 2 s)
// to the command's process group, and stdout and stderr are each cut at
// the byte limit while the rest is drained. The status line (exit code,
// whether time ran out, whether a stream was cut) goes to a file of its
// own, so the streams are the command's alone. The wrapper itself exits 0.
const runWrapper = `#!/bin/bash
max=$1; secs=$2; status=$3; shift 3
cap() { head -c "$max"; if [ "$(wc -c)" -gt 0 ]; then : > "$1"; fi; }
run() {
  local start end rc t
  start=$(date +%s%N)
  timeout -k 2 "$secs" "$@" &
  t=$!
  wait "$t"; rc=$?
  end=$(date +%s%N)
  # timeout(1) leads the command's process group: whatever the command
  # left behind (or forked while being signalled) ends with it.
  kill -KILL -- -"$t" 2>/dev/null
  echo "$rc $(( (end - start) / 1000000 ))" > "$status".rc
}
mkdir -p "${status%/*}" && rm -f "$status" "$status".out "$status".err "$status".fifo "$status".rc
mkfifo "$status".fifo
cap "$status".err < "$status".fifo >&2 &
errcap=$!
run "$@" 2> "$status".fifo | cap "$status".out
wait "$errcap"
cut=0; if [ -e "$status".out ] || [ -e "$status".err ]; then cut=1; fi
echo "$(cat "$status".rc) $cut" > "$status"
`

// backstop is how long after its timeout a step may take to end (image
// pull excluded) before pinline stops waiting for the engine.
const backstop = 60 * time.Second

const (
	wrapperPath = "/usr/local/lib/pinline/run"
	statusDir   = "/tmp/.pinline"
)

// pull pulls an image once per session: the snippets of a batch that
// share it wait for the first one's pull, later ones find it done. A
// failed pull is not remembered (the next snippet tries again).
func (ss *SnippetSession) pull(ctx context.Context, image string) error {
	ss.mu.Lock()
	p, ok := ss.pulled[image]
	if !ok {
		p = &pull{done: make(chan struct{})}
		ss.pulled[image] = p
	}
	ss.mu.Unlock()
	if ok {
		select {
		case <-p.done:
			if p.err == nil {
				return nil
			}
			return ss.pull(ctx, image)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	_, p.err = ss.s.client.Container().From(image).Sync(ctx)
	if p.err != nil {
		ss.mu.Lock()
		delete(ss.pulled, image)
		ss.mu.Unlock()
	}
	close(p.done)
	return p.err
}

// Run runs one snippet. The error is operational (engine, transport);
// everything the snippet did is in the result.
func (ss *SnippetSession) Run(ctx context.Context, sn Snippet) (SnippetResult, error) {
	c := ss.s.client
	// Pull first: the steps' bounds never include the pull.
	if err := ss.pull(ctx, sn.Image); err != nil {
		return SnippetResult{}, fmt.Errorf("%w: pull %s: %w", ErrEngine, sn.Image, err)
	}
	ctr := c.Container().From(sn.Image).WithUser("0:0")
	for _, k := range slices.Sorted(maps.Keys(sn.Env)) {
		ctr = ctr.WithEnvVariable(k, sn.Env[k])
	}
	for _, name := range slices.Sorted(maps.Keys(sn.Caches)) {
		vol, err := engineconfig.CacheVolume(ss.tier, ss.scope, name)
		if err != nil {
			return SnippetResult{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		// Private: snippets running at once never mount the same cache
		// instance (concurrent overlay mounts of one owned cache fail in
		// the engine with EINVAL); each gets its own, reused afterwards.
		ctr = ctr.WithMountedCache(sn.Caches[name], c.CacheVolume(vol),
			dagger.ContainerWithMountedCacheOpts{Sharing: dagger.CacheSharingModePrivate, Owner: sn.User})
	}
	ctr = ctr.WithNewFile(wrapperPath, runWrapper, dagger.ContainerWithNewFileOpts{Permissions: 0o755})
	for _, p := range slices.Sorted(maps.Keys(sn.Files)) {
		ctr = ctr.WithNewFile(p, sn.Files[p], dagger.ContainerWithNewFileOpts{Owner: sn.User, Permissions: 0o644})
	}
	ctr = ctr.WithWorkdir(sn.Workdir)
	if len(sn.Setup) > 0 {
		setup := ctr
		for _, p := range slices.Sorted(maps.Keys(sn.SetupFiles)) {
			f := c.Directory().WithNewFile("f", sn.SetupFiles[p]).File("f")
			setup = setup.WithMountedFile(p, f)
		}
		for _, k := range slices.Sorted(maps.Keys(sn.SetupEnv)) {
			setup = setup.WithEnvVariable(k, sn.SetupEnv[k])
		}
		for _, cmd := range sn.Setup {
			setup = setup.WithExec(cmd)
		}
		setup = setup.WithExec([]string{"chown", "-R", sn.User, sn.Workdir})
		for _, p := range slices.Sorted(maps.Keys(sn.SetupFiles)) {
			setup = setup.WithoutMount(p)
		}
		for _, k := range slices.Sorted(maps.Keys(sn.SetupEnv)) {
			if v, ok := sn.Env[k]; ok {
				setup = setup.WithEnvVariable(k, v) // setup's value was an override
			} else {
				setup = setup.WithoutEnvVariable(k)
			}
		}
		bound := sn.SetupTime
		if bound <= 0 {
			bound = 10 * time.Minute
		}
		sctx, cancel := context.WithTimeout(ctx, bound)
		synced, err := setup.Sync(sctx)
		cancel()
		if err != nil {
			var ee *dagger.ExecError
			if errors.As(err, &ee) {
				return SnippetResult{Stage: StageSetup, ExitCode: ee.ExitCode, Stdout: ee.Stdout,
					Stderr: fmt.Sprintf("setup failed: %s: exit code %d\n%s", strings.Join(ee.Cmd, " "), ee.ExitCode, tail(ee.Stderr, 4000))}, nil
			}
			if sctx.Err() != nil && ctx.Err() == nil {
				return SnippetResult{Stage: StageSetup, ExitCode: TimeoutExitCode, TimedOut: true,
					Stderr: fmt.Sprintf("setup did not finish in %s", bound)}, nil
			}
			return SnippetResult{}, fmt.Errorf("%w: setup: %w", ErrEngine, err)
		}
		ctr = synced
	}
	ctr = ctr.WithUser(sn.User).
		WithNewFile(sn.Workdir+"/"+sn.File, sn.Code, dagger.ContainerWithNewFileOpts{Owner: sn.User, Permissions: 0o644})
	if sn.CacheBust != "" {
		ctr = ctr.WithEnvVariable("PINLINE_EXEC_NONCE", sn.CacheBust)
	}
	if len(sn.Compile) > 0 {
		res, next, err := ss.step(ctx, ctr, sn, StageCompile, sn.Compile)
		if err != nil || res.ExitCode != 0 || res.TimedOut {
			return res, err
		}
		ctr = next
	}
	res, _, err := ss.step(ctx, ctr, sn, StageRun, sn.Run)
	return res, err
}

// step runs one bounded command and reads its streams and status.
func (ss *SnippetSession) step(ctx context.Context, ctr *dagger.Container, sn Snippet, stage string, cmd []string) (SnippetResult, *dagger.Container, error) {
	status := statusDir + "/" + stage
	limit := sn.Timeout
	if stage == StageCompile {
		limit = sn.CompileTimeout
		if limit <= 0 {
			limit = max(sn.Timeout, 2*time.Minute)
		}
	}
	secs := max(int(limit.Seconds()), 1)
	args := append([]string{wrapperPath, strconv.Itoa(sn.MaxOutput), strconv.Itoa(secs) + "s", status}, cmd...)
	ctr = ctr.WithExec(args)

	var tid trace.TraceID
	syncCtx := ctx
	if ss.s.spans != nil {
		if tctx, id, err := ss.s.spans.newTrace(ctx); err == nil {
			syncCtx, tid = tctx, id
		}
	}
	// The wrapper ends the command; this bound only covers an engine that
	// does not answer (or a snippet that escaped its process group).
	bctx, cancel := context.WithTimeout(syncCtx, limit+backstop)
	defer cancel()
	synced, err := ctr.Sync(bctx)
	if err != nil {
		if bctx.Err() != nil && ctx.Err() == nil {
			return SnippetResult{Stage: stage, ExitCode: TimeoutExitCode, TimedOut: true,
				Stderr: fmt.Sprintf("%s did not end %s after its timeout", stage, backstop)}, nil, nil
		}
		return SnippetResult{}, nil, fmt.Errorf("%w: %s: %w", ErrEngine, stage, err)
	}
	res := SnippetResult{Stage: stage}
	var st string
	var serr, eerr error
	done := make(chan struct{}, 2)
	go func() { res.Stderr, eerr = synced.Stderr(ctx); done <- struct{}{} }()
	go func() { st, serr = synced.File(status).Contents(ctx); done <- struct{}{} }()
	res.Stdout, err = synced.Stdout(ctx)
	<-done
	<-done
	if err = errors.Join(err, eerr, serr); err != nil {
		return SnippetResult{}, nil, fmt.Errorf("%w: %s: %w", ErrEngine, stage, err)
	}
	var rc, ms, cut int
	if _, err := fmt.Sscanf(st, "%d %d %d", &rc, &ms, &cut); err != nil {
		return SnippetResult{}, nil, fmt.Errorf("%w: %s: unreadable status %q", ErrEngine, stage, st)
	}
	res.ExitCode, res.Truncated = rc, cut == 1
	// timeout(1) exits 124 after TERM and 137 after KILL; a command that
	// exits 124 on its own before its time is not a timeout.
	if (rc == TimeoutExitCode || rc == 137) && ms >= secs*1000 {
		res.TimedOut, res.ExitCode = true, TimeoutExitCode
	}
	res.trace = tid
	return res, synced, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// WriteSnippetRecord writes rec (a `pinline exec` run: exec.Record) as
// run.json of a new run directory <runsDir>/<rec.ID>/, created like a
// pipeline run's (openRunDir: inside root, symlinks refused), so that
// `pinline runs` and `report` list it beside pipeline runs. It returns the
// run directory.
func WriteSnippetRecord(root, runsDir string, rec *record.Run) (string, error) {
	if !record.ValidRunID(rec.ID) {
		return "", fmt.Errorf("%w: invalid run id %q", ErrInvalid, rec.ID)
	}
	rd, err := openRunDir(root, runsDir, rec.ID)
	if err != nil {
		return "", err
	}
	defer rd.Close()
	if err := record.WriteRun(rd.root, rec); err != nil {
		return "", err
	}
	return rd.path, nil
}
