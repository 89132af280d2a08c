package exec

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pinline/pinline/pipeline"
)

// Defaults of Options.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultMaxOutput = 1 << 20
	DefaultTier      = "local"
	DefaultScope     = "exec"
)

// caPath is where a setup step finds Options.CABundle.
const caPath = "/etc/ssl/certs/pinline-setup-ca.pem"

// The PATH of a snippet's compile and run (unless its preset sets one) and
// of its setup steps. userPath is Debian's PATH for an unprivileged user:
// no sbin directories. That also keeps update-ca-certificates (in
// /usr/sbin) out of reach of the engine's custom-CA installer: when the
// engine has CAs of its own (/usr/local/share/ca-certificates on its
// host) it puts them into every container it runs, by running the
// container's update-ca-certificates before and after the exec when that
// command is on the exec's PATH (two extra containers, ~3 s each under
// load) and by appending them to /etc/ssl/certs/ca-certificates.crt
// otherwise (file writes only). Either way the snippet trusts the same
// CAs; see docs/exec.md "Network" and bench/snippets.sh.
const (
	userPath = "/usr/local/bin:/usr/bin:/bin"
	rootPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// Options are shared by every snippet of a run.
type Options struct {
	// Presets are the presets by name (the lock file plus the user's).
	Presets map[string]Preset
	// Engine is where snippets run.
	Engine pipeline.Engine
	// Tier and Scope name the tier-scoped cache volumes (default local,
	// exec).
	Tier, Scope string
	// Timeout bounds each of a snippet's compile and run (default 30s).
	Timeout time.Duration
	// MaxOutput is the bytes kept of stdout and of stderr (default 1 MiB).
	MaxOutput int
	// NoCache makes every exec run again (the engine cannot serve it
	// from its cache).
	NoCache bool
	// CABundle (PEM) is trusted by setup steps that download packages;
	// never by the snippet.
	CABundle string
	// Cache keeps resolved configurations; nil resolves every time.
	Cache *ConfigCache
	// Log receives the engine session's progress; nil discards it.
	Log io.Writer
}

// Config is one snippet run (Run).
type Config struct {
	Options
	// Lang is the preset's name.
	Lang string
	// Code is the snippet's source.
	Code string
}

// Job is one snippet of a batch.
type Job struct {
	Lang    string
	Code    string
	Timeout time.Duration // 0: Options.Timeout
}

// Run runs one snippet in its own engine session. An unknown preset is an
// ErrInvalid, an unreachable engine an ErrEngine; a snippet that fails,
// does not compile or times out is a Result with Success false.
func Run(ctx context.Context, c Config) (Result, error) {
	if _, err := c.preset(c.Lang); err != nil {
		return Result{}, err
	}
	rs, err := Batch(ctx, c.Options, []Job{{Lang: c.Lang, Code: c.Code}}, 1)
	if err != nil {
		return Result{}, err
	}
	return rs[0], nil
}

// Matrix runs one snippet in several presets over one session.
func Matrix(ctx context.Context, o Options, presets []string, code string, concurrency int) ([]Result, error) {
	jobs := make([]Job, len(presets))
	for i, p := range presets {
		if _, err := o.preset(p); err != nil {
			return nil, err
		}
		jobs[i] = Job{Lang: p, Code: code}
	}
	return Batch(ctx, o, jobs, concurrency)
}

// Batch runs jobs over one engine session, concurrency at a time, and
// returns one result per job in order. A job with an unknown preset gets a
// failed result; only an engine that cannot be reached is an error.
func Batch(ctx context.Context, o Options, jobs []Job, concurrency int) ([]Result, error) {
	o.defaults()
	ss, err := pipeline.OpenSnippetSession(ctx, o.Engine, o.Tier, o.Scope, o.Log)
	if err != nil {
		if errors.Is(err, pipeline.ErrInvalid) {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrEngine, err)
	}
	results := make([]Result, len(jobs))
	raws := make([]*pipeline.SnippetResult, len(jobs))
	sem := make(chan struct{}, max(concurrency, 1))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = failed(j.Lang, "", fmt.Sprintf("not started: %v", ctx.Err()))
				return
			}
			defer func() { <-sem }()
			results[i], raws[i] = o.runOne(ctx, ss, j)
		}()
	}
	wg.Wait()
	// The CLI flushes its telemetry when the session ends: only then can
	// the spans tell which execs the engine served from its cache.
	_ = ss.Close()
	for i, raw := range raws {
		if raw != nil {
			if c := ss.Cached(*raw); c != nil {
				results[i].Cached = *c
			}
		}
	}
	return results, nil
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxOutput <= 0 {
		o.MaxOutput = DefaultMaxOutput
	}
	if o.Tier == "" {
		o.Tier = DefaultTier
	}
	if o.Scope == "" {
		o.Scope = DefaultScope
	}
}

func (o *Options) preset(name string) (Preset, error) {
	p, ok := o.Presets[name]
	if !ok {
		return Preset{}, fmt.Errorf("%w: unknown preset %q, valid presets are %q", ErrInvalid, name, slices.Sorted(maps.Keys(o.Presets)))
	}
	p.Name = name
	if err := p.Validate(); err != nil {
		return Preset{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return p, nil
}

func failed(preset, image, msg string) Result {
	return Result{Preset: preset, Image: image, ExitCode: -1, Error: msg}
}

// runOne runs one job; raw is set when the snippet reached the engine.
func (o *Options) runOne(ctx context.Context, ss *pipeline.SnippetSession, j Job) (Result, *pipeline.SnippetResult) {
	start := time.Now()
	p, err := o.preset(j.Lang)
	if err != nil {
		return failed(j.Lang, "", err.Error()), nil
	}
	in, err := o.resolve(p, j.Code)
	if err != nil {
		return failed(p.Name, p.Image, err.Error()), nil
	}
	timeout := o.Timeout
	if j.Timeout > 0 {
		timeout = j.Timeout
	}
	env := maps.Clone(p.Env)
	if env == nil {
		env = map[string]string{}
	}
	setupEnv := map[string]string{}
	if _, ok := env["PATH"]; !ok {
		env["PATH"], setupEnv["PATH"] = userPath, rootPath
	}
	sn := pipeline.Snippet{
		Image: p.Image, Workdir: Workdir, User: User, Env: env, Caches: p.Caches, Files: p.Files,
		Setup: append(slices.Clone(p.Setup), in.Setup...), File: p.File, Code: j.Code,
		Compile: p.Compile, Run: p.Run, Timeout: timeout, MaxOutput: o.MaxOutput,
	}
	if len(sn.Setup) > 0 {
		if o.CABundle != "" {
			sn.SetupFiles = map[string]string{caPath: o.CABundle}
			maps.Copy(setupEnv, map[string]string{"SSL_CERT_FILE": caPath, "NODE_EXTRA_CA_CERTS": caPath,
				"npm_config_cafile": caPath, "GIT_SSL_CAINFO": caPath})
		}
		sn.SetupEnv = setupEnv
	}
	if o.NoCache {
		var b [8]byte
		_, _ = rand.Read(b[:])
		sn.CacheBust = hex.EncodeToString(b[:])
	}
	raw, err := ss.Run(ctx, sn)
	res := Result{Preset: p.Name, Image: p.Image, ExecutionTime: time.Since(start).Milliseconds(),
		installed: in.Packages, started: start}
	if err != nil {
		res.ExitCode, res.Error = -1, err.Error()
		return res, nil
	}
	res.ran = true
	res.Output, res.Error, res.ExitCode = raw.Stdout, raw.Stderr, raw.ExitCode
	res.TimedOut, res.Truncated = raw.TimedOut, raw.Truncated
	switch raw.Stage {
	case pipeline.StageSetup:
		res.ExitCode, res.setupFailed = -1, true
		if why := installFailure(in, raw.Stderr); why != "" {
			res.Error = why + "\n" + raw.Stderr
		}
	case pipeline.StageCompile:
		res.CompileError = true
		res.ExitCode = raw.ExitCode
		res.Error = strings.TrimRight("compile failed:\n"+raw.Stderr+raw.Stdout, "\n")
		if raw.TimedOut {
			res.Error = "compile timed out\n" + raw.Stderr
		}
	case pipeline.StageRun:
		res.Success = raw.ExitCode == 0 && !raw.TimedOut
		if raw.TimedOut && res.Error == "" {
			res.Error = fmt.Sprintf("timed out after %s", timeout)
		}
	}
	return res, &raw
}

// resolve is the configuration cache in front of Detect and Resolve.
func (o *Options) resolve(p Preset, code string) (Install, error) {
	imports := Detect(p.Packages, code)
	if len(imports) == 0 {
		return Install{}, nil
	}
	if o.Cache != nil {
		if in, ok := o.Cache.Get(p, imports); ok {
			return in, nil
		}
	}
	in, err := Resolve(p.Packages, imports)
	if err != nil {
		return Install{}, err
	}
	if o.Cache != nil {
		o.Cache.Put(p, imports, in)
	}
	return in, nil
}
