package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pinline/pinline/exec"
	"github.com/pinline/pinline/pipeline"
)

type execOptions struct {
	runOptions
	lang        string
	json        bool
	timeout     time.Duration
	maxOutput   int
	presets     string
	configs     []string
	batch       string
	matrix      []string
	concurrency int
	noCache     bool
	cacheDir    string
	cacheSize   int
	cacheStats  bool
	clearCache  bool
	caBundle    string
	runsDir     string
}

func (o *execOptions) AddFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVarP(&o.lang, "lang", "l", "", "preset (language) to run the snippet in")
	f.BoolVar(&o.json, "json", false, "print the result as JSON (one line per snippet with --batch / --matrix)")
	f.DurationVar(&o.timeout, "timeout", exec.DefaultTimeout, "end the snippet (and, separately, its compile) after this long: exit code 124")
	f.IntVar(&o.maxOutput, "max-output", exec.DefaultMaxOutput, "bytes kept of stdout and of stderr, each (the rest is dropped: truncated)")
	f.StringVar(&o.presets, "presets", "", "presets lock file (default $"+EnvExecPresets.Name+")")
	f.StringArrayVar(&o.configs, "config", nil, "user presets file (YAML/JSON, images by digest; repeatable, later wins)")
	f.StringVar(&o.batch, "batch", "", "JSON lines file of {lang, code|file, timeout}: run all over one engine session")
	f.StringSliceVar(&o.matrix, "matrix", nil, "run the snippet in each of these presets (comma-separated)")
	f.IntVarP(&o.concurrency, "concurrency", "j", 4, "snippets run at once (--batch, --matrix)")
	f.BoolVar(&o.noCache, "no-cache", false, "never let the engine serve a snippet from its cache")
	f.StringVar(&o.cacheDir, "cache-dir", exec.CacheDir, "configuration cache directory")
	f.IntVar(&o.cacheSize, "cache-size", exec.DefaultCacheEntries, "configuration cache entries kept in memory")
	f.BoolVar(&o.cacheStats, "cache-stats", false, "print the configuration cache's entries and counters, then exit")
	f.BoolVar(&o.clearCache, "clear-cache", false, "empty the configuration cache, then exit")
	f.StringVar(&o.caBundle, "ca-bundle", "", "PEM bundle the package-install steps trust (default $"+EnvExecCABundle.Name+"; never given to the snippet)")
	f.StringVar(&o.runsDir, "runs-dir", ".pinline/runs", "where the run record goes (run.json: presets, image digests, results; never the source or its output)")
	f.StringVar(&o.tier, "tier", "", "trust tier (default $"+EnvTier.Name+", then \"local\")")
	f.StringVar(&o.engineConfig, "engine-config", "", "client engine.json (default $"+EnvEngineConfig.Name+")")
	f.DurationVar(&o.connectTimeout, "connect-timeout", pipeline.DefaultConnectTimeout, "give up reaching the engine after this long")
}

func newExecCmd(s *streams) *cobra.Command {
	o := &execOptions{}
	c := &cobra.Command{
		Use:   "exec --lang LANG FILE|-  |  --batch FILE  |  --matrix P1,P2 FILE|-",
		Short: "Run a code snippet in a digest-pinned language preset",
		Long: `exec runs an untrusted code snippet in a container on the engine: the preset
(--lang) gives the image (pinned by digest in the presets lock file), the file
name, the compile and run commands. Imports the preset can detect (Python,
Ruby, Perl: Debian packages; JavaScript/TypeScript: npm; Go: the module proxy)
are installed in a setup step first. The snippet runs as an unprivileged
user, with no host mounts and no secrets, bounded by --timeout (exit 124)
and --max-output.

Text mode prints the snippet's stdout and stderr and exits with its exit
code (124 after a timeout; 1 for a compile error, with the compiler's
output). --json prints the result object: success, output, error, exitCode,
executionTime (ms), cached, preset, image, timedOut, truncated (and
compileError). --batch and --matrix print one JSON line per snippet, in
input order, and exit 0 when every snippet succeeded, 1 otherwise.

Presets: bash, go, java, javascript, perl, php, python, ruby, rust,
typescript (docs/exec.md). --config adds presets (image by digest; a tag
alone is refused, exit 2). --cache-stats and --clear-cache act on the
configuration cache (.pinline/exec-cache/).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExec(cmd.Context(), s, o, args)
		},
	}
	o.AddFlags(c)
	return c
}

func runExec(ctx context.Context, s *streams, o *execOptions, args []string) error {
	cache := exec.NewConfigCache(o.cacheDir, o.cacheSize)
	switch {
	case o.clearCache:
		n, err := cache.Clear()
		if err != nil {
			return opErr(err)
		}
		fmt.Fprintf(s.out, "removed %d configuration cache entries from %s\n", n, o.cacheDir)
		return nil
	case o.cacheStats:
		st, err := cache.Stats()
		if err != nil {
			return opErr(err)
		}
		return writeJSON(s.out, st)
	}
	modes := 0
	for _, on := range []bool{o.lang != "", o.batch != "", len(o.matrix) > 0} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return usageErr(errors.New("exec needs exactly one of --lang, --batch or --matrix"))
	}
	if o.batch != "" && len(args) > 0 {
		return usageErr(errors.New("--batch takes no FILE argument"))
	}
	if o.batch == "" && len(args) != 1 {
		return usageErr(errors.New("exec needs the snippet: FILE, or - for stdin"))
	}
	// Input first: a bad batch or snippet file is exit 2 before any engine.
	var jobs []exec.Job
	var code string
	var err error
	if o.batch != "" {
		jobs, err = readBatch(o.batch)
	} else {
		code, err = readSnippet(s, args[0])
	}
	if err != nil {
		return err
	}
	opts, stop, err := execSetup(ctx, s, o)
	if err != nil {
		return err
	}
	defer stop()
	opts.Cache = cache

	started := time.Now()
	var rs []exec.Result
	switch {
	case o.batch != "":
		rs, err = exec.Batch(ctx, opts, jobs, o.concurrency)
	case len(o.matrix) > 0:
		for _, p := range o.matrix {
			jobs = append(jobs, exec.Job{Lang: p, Code: code})
		}
		rs, err = exec.Matrix(ctx, opts, o.matrix, code, o.concurrency)
	default:
		jobs = []exec.Job{{Lang: o.lang, Code: code}}
		var res exec.Result
		if res, err = exec.Run(ctx, exec.Config{Options: opts, Lang: o.lang, Code: code}); err == nil {
			rs = []exec.Result{res}
		}
	}
	// The record is written whatever happened, before the results: a run
	// that cannot leave its record fails (exit 3) instead of passing
	// unrecorded.
	if rerr := writeExecRecord(opts, jobs, rs, started, err, o.runsDir); rerr != nil {
		if err == nil {
			err = opErr(rerr)
		} else {
			fmt.Fprintf(s.errOut, "pinline: %v\n", rerr)
		}
	}
	if err != nil {
		return err
	}
	if o.batch != "" || len(o.matrix) > 0 {
		return writeLines(s.out, rs)
	}
	res := rs[0]
	if o.json {
		if err := writeJSON(s.out, res); err != nil {
			return err
		}
	} else {
		_, _ = io.WriteString(s.out, res.Output)
		_, _ = io.WriteString(s.errOut, res.Error)
		if res.Error != "" && !strings.HasSuffix(res.Error, "\n") {
			_, _ = io.WriteString(s.errOut, "\n")
		}
	}
	switch {
	case res.Success:
		return nil
	case res.CompileError && res.ExitCode == 0, res.ExitCode < 0:
		return &snippetExit{Code: ExitDenied}
	case res.ExitCode > 255:
		return &snippetExit{Code: ExitDenied}
	default:
		return &snippetExit{Code: res.ExitCode}
	}
}

// writeExecRecord writes the run record of an exec into runsDir (relative
// to the working directory, which is the run's root).
func writeExecRecord(opts exec.Options, jobs []exec.Job, rs []exec.Result, started time.Time, runErr error, runsDir string) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if !filepath.IsAbs(runsDir) {
		runsDir = filepath.Join(root, runsDir)
	}
	if runErr != nil && errors.Is(runErr, exec.ErrInvalid) {
		return nil // bad input: nothing ran
	}
	rec := exec.Record(opts, jobs, rs, exec.RecordInfo{Who: whoAmI(), Root: root, StartedAt: started, FinishedAt: time.Now(), Err: runErr})
	if _, err := pipeline.WriteSnippetRecord(root, runsDir, rec); err != nil {
		return fmt.Errorf("run record: %w", err)
	}
	return nil
}

// execSetup loads presets and the CA bundle and resolves the engine.
func execSetup(ctx context.Context, s *streams, o *execOptions) (exec.Options, func(), error) {
	lockPath := o.presets
	if lockPath == "" {
		lockPath, _ = EnvExecPresets.Lookup(s.env)
	}
	if lockPath == "" {
		return exec.Options{}, nil, usageErr(fmt.Errorf("no presets lock file: pass --presets or set %s (hack/setup.d/45-presets.sh builds one)", EnvExecPresets.Name))
	}
	lock, err := exec.ReadLock(lockPath)
	if err != nil {
		return exec.Options{}, nil, err
	}
	var cfgs []exec.Lock
	for _, p := range o.configs {
		c, err := exec.LoadConfig(p)
		if err != nil {
			return exec.Options{}, nil, err
		}
		cfgs = append(cfgs, c)
	}
	opts := exec.Options{Presets: exec.Merge(lock, cfgs...), Timeout: o.timeout, MaxOutput: o.maxOutput, NoCache: o.noCache}
	if o.timeout <= 0 || o.maxOutput <= 0 || o.concurrency <= 0 {
		return exec.Options{}, nil, usageErr(errors.New("--timeout, --max-output and --concurrency must be positive"))
	}
	ca := o.caBundle
	if ca == "" {
		ca, _ = EnvExecCABundle.Lookup(s.env)
	}
	if ca != "" {
		b, err := os.ReadFile(ca)
		if err != nil {
			return exec.Options{}, nil, usageErr(fmt.Errorf("--ca-bundle: %w", err))
		}
		opts.CABundle = string(b)
	}
	eng, cfg, err := runEngine(s, &o.runOptions)
	if err != nil {
		return exec.Options{}, nil, err
	}
	popts := pipeline.Options{Engine: eng, Tier: o.tier}
	if popts.Tier == "" {
		popts.Tier, _ = EnvTier.Lookup(s.env)
	}
	stop, err := viaGateway(ctx, s, &o.runOptions, cfg, &popts)
	if err != nil {
		return exec.Options{}, nil, err
	}
	opts.Engine, opts.Tier = popts.Engine, popts.Tier
	return opts, stop, nil
}

// maxSnippet bounds a snippet read from a file or stdin.
const maxSnippet = 4 << 20

func readSnippet(s *streams, arg string) (string, error) {
	var r io.Reader
	if arg == "-" {
		r = s.in
	} else {
		f, err := os.Open(arg)
		if err != nil {
			return "", usageErr(err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSnippet+1))
	if err != nil {
		return "", usageErr(err)
	}
	if len(b) > maxSnippet {
		return "", usageErr(fmt.Errorf("%s: snippet larger than %d bytes", arg, maxSnippet))
	}
	return string(b), nil
}

// readBatch reads a batch file; a job's file is relative to the batch
// file's directory.
func readBatch(path string) ([]exec.Job, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErr(err)
	}
	defer f.Close()
	lines, err := exec.ParseBatch(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	jobs := make([]exec.Job, len(lines))
	for i, l := range lines {
		jobs[i] = l.Job
		if l.File != "" {
			p := l.File
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, usageErr(fmt.Errorf("%s:%d: file: %w", path, l.Line, err))
			}
			jobs[i].Code = string(b)
		}
	}
	return jobs, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeLines prints one JSON line per result; the exit is 1 unless every
// snippet succeeded.
func writeLines(w io.Writer, rs []exec.Result) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	ok := true
	for _, r := range rs {
		if err := enc.Encode(r); err != nil {
			return opErr(err)
		}
		ok = ok && r.Success
	}
	if !ok {
		return &snippetExit{Code: ExitDenied}
	}
	return nil
}
