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

	"github.com/pinline/pinline/attest"
	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/oci"
	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/sbom"
	"github.com/pinline/pinline/spec"
)

type runOptions struct {
	file           string
	tier           string
	engineConfig   string
	key            string
	timeout        time.Duration
	connectTimeout time.Duration
	callStall      time.Duration
	allowDelete    int
	backend        string
	policyDirs     []string
	policyData     string
	gateTrust      gateTrustOptions
	sbomSHA512     bool
	tsa            timestampOptions
	secrets        string
	registry       registryOptions
	noAttach       bool
	frozen         bool
	daggerEnv      string
}

func (o *runOptions) AddFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVarP(&o.file, "file", "f", "pinline.yaml", "pipeline spec; its directory is the repository root")
	f.StringVar(&o.tier, "tier", "", "trust tier (default $"+EnvTier.Name+", then \"local\")")
	f.StringVar(&o.engineConfig, "engine-config", "", "client engine.json (default $"+EnvEngineConfig.Name+")")
	f.StringVar(&o.key, "key", "", "cosign private key: sign provenance for a succeeded run")
	f.DurationVar(&o.timeout, "timeout", 0, "give up on the whole run after this long (0: no limit)")
	f.DurationVar(&o.connectTimeout, "connect-timeout", pipeline.DefaultConnectTimeout, "give up reaching the engine after this long")
	addStallFlag(c, &o.callStall)
	f.IntVar(&o.allowDelete, "allow-delete", 0, "how many existing files exporting outputs may delete")
	f.StringVar(&o.backend, "backend", pipeline.BackendDagger, "where tasks run: dagger, or host (debugging; denied outside tier local)")
	f.StringArrayVar(&o.policyDirs, "policy", nil, "directory of user Rego policies and data files for the gate (repeatable)")
	f.StringVar(&o.policyData, "policy-data", "", policyDataHelp)
	o.gateTrust.AddFlags(c)
	o.tsa.AddFlags(c)
	f.StringVar(&o.secrets, "secrets", "", "operator secrets file: per tier, logical secret name -> {env|file|command} (default $"+EnvSecrets.Name+"; see --help)")
	o.registry.AddFlags(f)
	f.BoolVar(&o.noAttach, "no-attach", false, "do not attach the SBOM and signed provenance to published images (run.json and the provenance still name them)")
	f.BoolVar(&o.frozen, "frozen", false, frozenHelp)
	f.StringVar(&o.daggerEnv, "env", "", envHelp)
	f.BoolVar(&o.sbomSHA512, "sbom-sha512", true, "record SHA-512 besides SHA-256 for outputs in the SBOM (false: hash at SHA-256 speed, about twice as fast)")
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
signed provenance. A denied run never connects to the engine.

Secrets: a spec names logical secrets and where they go in the container
(env or path). Their values come from the operator's secrets file
(--secrets FILE or $PINLINE_SECRETS), kept outside the repository:

  version: 1
  tiers:
    untrusted:
      npm-token: {env: PR_NPM_TOKEN}          # a variable of pinline's environment
    trusted:
      npm-token: {file: /etc/pinline/npm}     # a file (relative: to the secrets file)
      deploy: {command: [fetch-secret, deploy]} # stdout of a command (minimal environment)

Outside tier local that file is the only source: a spec's own from: is
denied by PL015 (never waivable). In tier local a spec's from: is honoured:
env (never COSIGN_*, PINLINE_* or cloud credentials), a file inside the
repository or $HOME (no symlink or .. out of them), a command run with
PATH, HOME, USER and locale only. Outputs are written under the run
directory only (dest relative, no ..).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), s, o, args)
		},
	}
	o.AddFlags(c)
	return c
}

func runRun(ctx context.Context, s *streams, o *runOptions, tasks []string) error {
	// The spec is repository content: a symlink out of its directory would
	// have pinline read (and quote in errors) a host file.
	if real, inside := inventory.ResolveIn(filepath.Dir(o.file), filepath.Base(o.file)); !inside {
		return usageErr(fmt.Errorf("%s: the spec resolves to %s, outside its repository (a symlink)", o.file, real))
	}
	sp, err := spec.Load(o.file)
	if err != nil {
		return err // bad or missing spec: bad input; anything else operational
	}
	root, err := filepath.Abs(filepath.Dir(o.file))
	if err != nil {
		return opErr(err)
	}
	opts := pipeline.Options{
		Spec: sp, Root: root, Tasks: tasks, Tier: o.tier, Backend: o.backend,
		Timeout: o.timeout, CallStall: o.callStall, AllowDelete: o.allowDelete,
		Who:       whoAmI(),
		Frozen:    o.frozen,
		LookupEnv: s.env,
		HostEnv:   os.Environ(),
	}
	opts.Home, _ = s.env("HOME")
	if opts.Tier == "" {
		opts.Tier, _ = EnvTier.Lookup(s.env)
	}
	if opts.Tier == "" {
		opts.Tier = "local"
	}
	if p := secretsPath(s, o.secrets); p != "" {
		sf, err := spec.LoadSecretsFile(p)
		if err != nil {
			return usageErr(err)
		}
		opts.Secrets = sf
	}
	kc, err := o.registry.keychain(s)
	if err != nil {
		return err
	}
	opts.Registry = &pipeline.Registry{Auth: keychainAuth(kc), OCI: oci.Options{Keychain: kc}, NoAttach: o.noAttach}
	opts.BuilderID = pipeline.BuilderID(opts.Tier)
	// The gate: the policies of pinline check, whose catalogue holds the
	// executor's own rules (not waivable).
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
	opts.SkipSHA512 = !o.sbomSHA512
	opts.SBOM = pipeline.CycloneDX{Options: sbom.Options{ToolVersion: versionInfo().Version, SkipSHA512: !o.sbomSHA512}}
	if o.tsa.Server != "" && o.key == "" {
		return usageErr(errors.New("--timestamp-server needs --key (it timestamps the provenance signature)"))
	}
	if o.key != "" {
		// Load the key before anything runs: a run asked to sign must
		// never end up succeeded and unsigned.
		signer, err := attest.LoadSigner(ctx, o.key, passwordFunc(s, false))
		if err != nil {
			return err
		}
		opts.Attester = pipeline.SignedProvenance{Signer: signer, KeyRef: o.key, Version: versionInfo().Version, Sign: o.tsa.signOptions()}
	}
	if o.backend != pipeline.BackendHost {
		eng, cfg, err := runEngine(s, o)
		if err != nil {
			return err
		}
		opts.Engine = eng
		stop, err := viaGateway(ctx, s, o, cfg, &opts)
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
	if err == nil && opts.Engine.Health != nil {
		if herr := opts.Engine.Health(); herr != nil {
			fmt.Fprintf(s.errOut, "pinline: warning: gateway forwarder: %v\n", herr)
		}
	}
	return err // pipeline classes its errors (internal/errclass)
}

// frozenHelp is the --frozen flag of run and call.
const frozenHelp = "dagger.lock must not change: deny a lookup it does not hold before the run (PL028) and a run that added entries after it (PL026)"

// envHelp is the --env flag of run and call (check has its own words).
const envHelp = "gate with the dagger.toml workspace environment overlay NAME applied, as pinline check --env does " +
	"(decision.json and run.json name it; an overlay no workspace defines is bad input)"

// secretsPath is the operator secrets file: the flag, else
// $PINLINE_SECRETS ("" when neither is set).
func secretsPath(s *streams, flag string) string {
	if flag != "" {
		return flag
	}
	p, _ := EnvSecrets.Lookup(s.env)
	return p
}

// runEngine loads engine.json (returned for viaGateway) and resolves the
// engine address and the dagger CLI.
func runEngine(s *streams, o *runOptions) (pipeline.Engine, *engineconfig.Client, error) {
	path := engineConfigPath(s, o.engineConfig)
	if path == "" {
		return pipeline.Engine{}, nil, usageErr(errors.New("no engine configured: pass --engine-config or set " + EnvEngineConfig.Name))
	}
	cfg, err := engineconfig.LoadClient(path)
	if err != nil {
		return pipeline.Engine{}, nil, err
	}
	// An mTLS endpoint (engine.tls) goes through the gateway: viaGateway
	// replaces Address with the forwarder's socket.
	cli := daggerCLI(s)
	if cli == "" {
		p, err := exec.LookPath("dagger")
		if err != nil {
			return pipeline.Engine{}, nil, opErr(fmt.Errorf("no dagger CLI: set %s", EnvDaggerCLI.Name))
		}
		cli = p
	}
	return pipeline.Engine{Address: cfg.Engine.Address, CLI: cli, Env: os.Environ(), ConnectTimeout: o.connectTimeout}, cfg, nil
}

// addStallFlag adds --stall-timeout: how long a call task's dagger call
// child may show no sign of life before the run fails as operational.
func addStallFlag(c *cobra.Command, d *time.Duration) {
	c.Flags().DurationVar(d, "stall-timeout", pipeline.DefaultCallStall,
		"fail (exit 3) a module call whose dagger CLI child shows no output and no telemetry for this long; capped at 4/5 of the timeout (negative: never)")
}

func whoAmI() record.Who {
	w := record.Who{}
	if u, err := user.Current(); err == nil {
		w.User = u.Username
	}
	w.Host, _ = os.Hostname()
	return w
}
