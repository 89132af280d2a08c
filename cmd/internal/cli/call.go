package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/internal/atomicfile"
	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/sbom"
	"github.com/pinline/pinline/spec"
)

type callOptions struct {
	runOptions
	root   string
	module string
	json   bool
	output string
}

func newCallCmd(s *streams) *cobra.Command {
	o := &callOptions{}
	c := &cobra.Command{
		Use:   "call [-m MODULE] [--tier T] [--engine-config FILE] [--key KEY] FUNCTION [ARGS...] [-o PATH] [--json]",
		Short: "Gate, then call a Dagger module function on the engine and record it",
		Long: `call runs a Dagger module function the way 'dagger call' does (FUNCTION and
ARGS are dagger call's: --src . --name x, chained functions, -o/--output PATH
or a trailing 'export --path PATH' to export the result, --json), but first
gates the repository exactly like 'pinline check' (the module's dagger.json,
lockfile, module source images and dependency pins, with the same policies
and waivers) and checks the arguments: a directory, file or file: secret
argument that resolves outside the repository (symlinks followed), a host
socket (unix://), a host service (tcp://) or a host command (cmd:) is denied.
A denied call never connects to the engine.

MODULE (default ".") and relative arguments are taken from the repository
root (--root, default the current directory). The call goes through the tier's engine
(the mTLS gateway when engine.json says so), is recorded in
.pinline/runs/<run-id>/ like 'pinline run' (run.json with the function,
arguments (secret ones by name only), the module's dependencies by commit
and every image the call resolved by digest; the result or the exported
output with its digest; the SBOM; with --key the signed provenance). The
result goes to stdout. Modules of SDKs the engine cannot run offline
(Python, TypeScript) are gated and SBOM'd, then the call stops (exit 3).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCall(cmd.Context(), s, o, args[0], args[1:])
		},
	}
	f := c.Flags()
	// Flags after FUNCTION are the function's (dagger call's), except the
	// result flags -o/--output and --json, which callArgs takes out.
	f.SetInterspersed(false)
	f.StringVarP(&o.module, "mod", "m", ".", "module directory (holding dagger.json), relative to the repository root")
	f.StringVarP(&o.root, "root", "C", ".", "repository root: gated, and where MODULE and relative arguments are taken from")
	f.StringVarP(&o.output, "output", "o", "", "export the result (a file, a directory or a value) to this path")
	f.BoolVar(&o.json, "json", false, "print the result as JSON")
	f.StringVar(&o.tier, "tier", "", "trust tier (default $"+EnvTier.Name+", then \"local\")")
	f.StringVar(&o.engineConfig, "engine-config", "", "client engine.json (default $"+EnvEngineConfig.Name+")")
	f.StringVar(&o.key, "key", "", "cosign private key: sign provenance for a succeeded call")
	f.DurationVar(&o.timeout, "timeout", 0, "give up on the call after this long (0: no limit)")
	f.DurationVar(&o.connectTimeout, "connect-timeout", pipeline.DefaultConnectTimeout, "give up reaching the engine after this long")
	addStallFlag(c, &o.callStall)
	f.StringArrayVar(&o.policyDirs, "policy", nil, "directory of user Rego policies and data files for the gate (repeatable)")
	f.StringVar(&o.policyData, "policy-data", "", "policy data file (default .pinline/policy.yaml when present)")
	f.BoolVar(&o.sbomSHA512, "sbom-sha512", true, "record SHA-512 besides SHA-256 for outputs in the SBOM")
	f.BoolVar(&o.frozen, "frozen", false, frozenHelp)
	f.StringVar(&o.daggerEnv, "env", "", envHelp)
	o.gateTrust.AddFlags(c)
	return c
}

// callArgs takes pinline's result flags out of the function's arguments:
// -o/--output PATH (also -o=PATH), --json, and a trailing `export --path
// PATH`, which becomes the output.
func callArgs(o *callOptions, args []string) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--json":
			o.json = true
		case a == "-o" || a == "--output":
			if i+1 >= len(args) {
				return nil, fmt.Errorf("%s needs a path", a)
			}
			i++
			o.output = args[i]
		case strings.HasPrefix(a, "-o=") || strings.HasPrefix(a, "--output="):
			_, o.output, _ = strings.Cut(a, "=")
		case a == "export" && i+1 < len(args) && (args[i+1] == "--path" || strings.HasPrefix(args[i+1], "--path=")):
			rest := args[i+1:]
			switch {
			case len(rest) == 2 && rest[0] == "--path":
				o.output = rest[1]
			case len(rest) == 1 && strings.HasPrefix(rest[0], "--path="):
				o.output = strings.TrimPrefix(rest[0], "--path=")
			default:
				return nil, errors.New("export must come last, as export --path PATH")
			}
			i = len(args)
		default:
			out = append(out, a)
		}
	}
	if o.output != "" && o.json {
		return nil, errors.New("-o and --json exclude each other: an exported result is a file, not JSON")
	}
	return out, nil
}

// callTask is the name of the one task of a `pinline call` run.
const callTask = "call"

func runCall(ctx context.Context, s *streams, o *callOptions, function string, args []string) error {
	args, err := callArgs(o, args)
	if err != nil {
		return usageErr(err)
	}
	root, err := filepath.Abs(o.root)
	if err != nil {
		return opErr(err)
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return usageErr(fmt.Errorf("--root %s is not a directory", o.root))
	}
	c := &spec.Call{Module: o.module, Function: function, Args: args}
	if o.output != "" {
		c.Output = filepath.ToSlash(filepath.Join(record.OutputDir, filepath.Base(filepath.Clean(o.output))))
	}
	// The command line's call is a one-task spec without a file (Path "":
	// the gate knows the arguments came from the caller, not from the
	// repository).
	sp := &spec.Spec{Version: 1, Name: "call-" + function, Tasks: []spec.Task{{Name: callTask, Call: c}}}
	opts := pipeline.Options{
		Spec: sp, Root: root, Tier: o.tier, Timeout: o.timeout, CallStall: o.callStall, Frozen: o.frozen,
		Who: whoAmI(), LookupEnv: s.env, HostEnv: os.Environ(),
	}
	if opts.Tier == "" {
		opts.Tier, _ = EnvTier.Lookup(s.env)
	}
	if opts.Tier == "" {
		opts.Tier = "local"
	}
	opts.BuilderID = "https://pinline.dev/builders/" + opts.Tier
	// The gate: the policies of pinline check (their catalogue holds the
	// executor's own rules, the call rules among them: PL030, PL031).
	maxAge, err := o.gateTrust.MaxAge()
	if err != nil {
		return err
	}
	// The user-level Dagger config the engine's CLI would read: the gate
	// reports its workspace overrides (PL025, refused outside tier local).
	user, err := daggerUserConfig(s)
	if err != nil {
		return err
	}
	opts.Gate = pipeline.PolicyGate{UserDirs: o.policyDirs, ConfigFile: o.policyData,
		WaiverMaxAge: maxAge, AllBuiltins: o.gateTrust.AllBuiltins, UserConfig: user, Env: o.daggerEnv}
	opts.SBOM = pipeline.CycloneDX{Options: sbom.Options{ToolVersion: versionInfo().Version, SkipSHA512: !o.sbomSHA512}}
	if o.key != "" {
		signer, err := attest.LoadSigner(ctx, o.key, passwordFunc(s, false))
		if err != nil {
			return err // attest classes it
		}
		opts.Attester = pipeline.SignedProvenance{Signer: signer, KeyRef: o.key, Version: versionInfo().Version}
	}
	eng, cfg, err := runEngine(s, &o.runOptions)
	if err != nil {
		return err
	}
	opts.Engine = eng
	stop, err := viaGateway(ctx, s, &o.runOptions, cfg, &opts)
	if err != nil {
		return err
	}
	defer stop()

	// Progress and the run summary go to stderr: stdout is the result.
	es := *s
	es.out = s.errOut
	r := newRunRenderer(&es)
	opts.Progress = r.event
	res, err := pipeline.Run(ctx, opts)
	if res != nil {
		r.summary(res)
	}
	if err == nil {
		err = callResult(s, o, res)
	}
	return err // pipeline classes its errors (internal/errclass)
}

// callResult prints the result of a succeeded call, or copies the
// exported output to -o's path.
func callResult(s *streams, o *callOptions, res *pipeline.Result) error {
	var out *record.Output
	for i := range res.Record.Outputs {
		if res.Record.Outputs[i].Task == callTask {
			out = &res.Record.Outputs[i]
		}
	}
	if out == nil {
		return fmt.Errorf("%w: the call recorded no result", pipeline.ErrEvidence)
	}
	src := filepath.Join(res.Dir, filepath.FromSlash(out.File))
	if o.output != "" {
		if err := copyOut(src, o.output); err != nil {
			return fmt.Errorf("export %s: %w", o.output, err)
		}
		abs, _ := filepath.Abs(o.output)
		fmt.Fprintln(s.out, abs)
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if o.json {
		_, err = s.out.Write(b)
		return err
	}
	fmt.Fprintln(s.out, pipeline.CallResult(b))
	return nil
}

// copyOut copies the recorded output (a file or a directory) to dst, the
// path the caller named with -o.
func copyOut(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return copyFile(src, dst)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type().IsRegular():
			return copyFile(p, to)
		}
		return nil // symlinks and special files are not followed out
	})
}

func copyFile(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(dst, b, 0o644)
}
