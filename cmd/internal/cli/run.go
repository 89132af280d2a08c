package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

type runOptions struct {
	file           string
	tier           string
	engineConfig   string
	key            string
	timeout        time.Duration
	connectTimeout time.Duration
	allowDelete    int
	backend        string
}

func (o *runOptions) AddFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVarP(&o.file, "file", "f", "pinline.yaml", "pipeline spec; its directory is the repository root")
	f.StringVar(&o.tier, "tier", "", "trust tier (default $"+EnvTier.Name+", then \"local\")")
	f.StringVar(&o.engineConfig, "engine-config", "", "client engine.json (default $"+EnvEngineConfig.Name+")")
	f.StringVar(&o.key, "key", "", "cosign private key: sign provenance for a succeeded run")
	f.DurationVar(&o.timeout, "timeout", 0, "give up on the whole run after this long (0: no limit)")
	f.DurationVar(&o.connectTimeout, "connect-timeout", pipeline.DefaultConnectTimeout, "give up reaching the engine after this long")
	f.IntVar(&o.allowDelete, "allow-delete", 0, "how many existing files exporting outputs may delete")
	f.StringVar(&o.backend, "backend", pipeline.BackendDagger, "where tasks run: dagger, or host (debugging; denied outside tier local)")
}

func newRunCmd(s *streams) *cobra.Command {
	o := &runOptions{}
	c := &cobra.Command{
		Use:   "run [-f pinline.yaml] [TASK...]",
		Short: "Gate, then execute a pipeline on the Dagger engine and record the run",
		Long: `run evaluates the policy gate on the repository and the spec, and only when it
allows opens one session on the Dagger engine and runs the selected tasks (all
when none are named, plus their dependencies) as a DAG. Everything is recorded
in .pinline/runs/<run-id>/: run.json, decision.json, logs/<task>.log, exported
outputs with SHA-256, and, for a succeeded run, the SBOM and (with --key) the
signed provenance. A denied run never connects to the engine.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), s, o, args)
		},
	}
	o.AddFlags(c)
	return c
}

func runRun(ctx context.Context, s *streams, o *runOptions, tasks []string) error {
	sp, err := spec.Load(o.file)
	if err != nil {
		var se *spec.Error
		if errors.As(err, &se) || errors.Is(err, os.ErrNotExist) {
			return usageErr(err)
		}
		return opErr(err)
	}
	root, err := filepath.Abs(filepath.Dir(o.file))
	if err != nil {
		return opErr(err)
	}
	opts := pipeline.Options{
		Spec: sp, Root: root, Tasks: tasks, Tier: o.tier, Backend: o.backend,
		Timeout: o.timeout, AllowDelete: o.allowDelete,
		Who:       whoAmI(),
		LookupEnv: s.env,
		HostEnv:   os.Environ(),
	}
	if opts.Tier == "" {
		opts.Tier, _ = EnvTier.Lookup(s.env)
	}
	if opts.Tier == "" {
		opts.Tier = "local"
	}
	opts.BuilderID = "https://pinline.dev/builders/" + opts.Tier
	gate, err := runGate()
	if err != nil {
		return opErr(err)
	}
	opts.Gate = gate
	if o.key != "" {
		att, err := runAttester(o.key, s)
		if err != nil {
			return err
		}
		opts.Attester = att
	}
	opts.SBOM = runSBOMWriter()
	if o.backend != pipeline.BackendHost {
		eng, err := runEngine(s, o)
		if err != nil {
			return err
		}
		opts.Engine = eng
		stop, err := viaGateway(ctx, s, o, &opts)
		if err != nil {
			return err
		}
		defer stop()
	}

	r := newRunRenderer(s)
	opts.Progress = r.event
	res, err := pipeline.Run(ctx, opts)
	if res != nil {
		r.summary(res)
	}
	return runExit(err)
}

// runExit maps pipeline errors to exit codes.
func runExit(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pipeline.ErrDenied):
		return deniedErr(err)
	case errors.Is(err, pipeline.ErrInvalid):
		return usageErr(err)
	case errors.Is(err, pipeline.ErrEngine), errors.Is(err, pipeline.ErrEvidence):
		return opErr(err)
	case errors.Is(err, pipeline.ErrTaskFailed), errors.Is(err, pipeline.ErrInterrupted), errors.Is(err, pipeline.ErrExportGuard):
		return deniedErr(err)
	}
	return opErr(err)
}

// runEngine resolves the engine address (engine.json) and the dagger CLI.
func runEngine(s *streams, o *runOptions) (pipeline.Engine, error) {
	path := o.engineConfig
	if path == "" {
		path, _ = EnvEngineConfig.Lookup(s.env)
	}
	if path == "" {
		return pipeline.Engine{}, usageErr(errors.New("no engine configured: pass --engine-config or set " + EnvEngineConfig.Name))
	}
	cfg, err := engineconfig.LoadClient(path)
	if err != nil {
		if errors.Is(err, engineconfig.ErrInvalid) || errors.Is(err, os.ErrNotExist) {
			return pipeline.Engine{}, usageErr(err)
		}
		return pipeline.Engine{}, opErr(err)
	}
	// An mTLS endpoint (engine.tls) goes through the gateway: viaGateway
	// replaces Address with the forwarder's socket.
	cli := ""
	for _, v := range []EnvVar{EnvDaggerCLI, EnvDaggerCLIBin} {
		if p, ok := v.Lookup(s.env); ok && p != "" {
			cli = p
			break
		}
	}
	if cli == "" {
		p, err := exec.LookPath("dagger")
		if err != nil {
			return pipeline.Engine{}, opErr(fmt.Errorf("no dagger CLI: set %s", EnvDaggerCLI.Name))
		}
		cli = p
	}
	return pipeline.Engine{Address: cfg.Engine.Address, CLI: cli, Env: os.Environ(), ConnectTimeout: o.connectTimeout}, nil
}

func whoAmI() record.Who {
	w := record.Who{}
	if u, err := user.Current(); err == nil {
		w.User = u.Username
	}
	w.Host, _ = os.Hostname()
	return w
}

// runGate is the pre-run gate: the executor's built-in rules.
// TODO(policy): add the OPA gate of `pinline check` once it lands:
// pipeline.Gates{pipeline.BuiltinGate{}, policyGate}.
func runGate() (pipeline.Gate, error) {
	return pipeline.Gates{pipeline.BuiltinGate{}}, nil
}

// runSBOMWriter is nil until the SBOM package is wired in.
// TODO(sbom): return the CycloneDX writer from package sbom.
func runSBOMWriter() pipeline.SBOMWriter { return nil }

// runAttester loads the signing key. TODO(attest): wire package attest.
// Until then --key is refused before anything runs: a run asked to sign
// must not succeed unsigned.
func runAttester(key string, _ *streams) (pipeline.Attester, error) {
	return nil, usageErr(fmt.Errorf("--key %s: provenance signing is not available in this build yet", key))
}
