package light

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pinline/pinline/cmd/internal/render"
	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/policy"
)

// policyOptions are the flags shared by commands that evaluate policies.
type policyOptions struct {
	dirs []string
	tier string
	data string
	GateTrustOptions
}

// PolicyDataHelp is the --policy-data help of check and run.
const PolicyDataHelp = "operator policy data file (waivers, allowlists); outside tier local it must be outside the repository, " +
	"and the repository's .pinline/policy.yaml is ignored (default in tier local: .pinline/policy.yaml when present)"

func (o *policyOptions) AddFlags(c *cobra.Command) {
	c.Flags().StringArrayVar(&o.dirs, "policy", nil, "directory of user Rego policies and data files (repeatable)")
	c.Flags().StringVar(&o.tier, "tier", "", "trust tier (default $PINLINE_TIER, else local)")
	c.Flags().StringVar(&o.data, "policy-data", "", PolicyDataHelp)
	o.GateTrustOptions.AddFlags(c)
}

// GateTrustOptions are the operator's knobs of the gate's trust rules.
type GateTrustOptions struct {
	waiverMaxAge string
	AllBuiltins  bool
}

func (o *GateTrustOptions) AddFlags(c *cobra.Command) {
	c.Flags().StringVar(&o.waiverMaxAge, "waiver-max-age", policy.FormatAge(policy.DefaultWaiverMaxAge),
		"a waiver may expire at most this long after the evaluation time (days: 90d, or a duration: 2160h)")
	c.Flags().BoolVar(&o.AllBuiltins, "policy-all-builtins", false,
		"give policies OPA's full builtin set (http.send, net.*, opa.runtime, rand.*, time.now_ns); default: deterministic builtins only")
}

// maxAge parses --waiver-max-age (a usage error when malformed).
func (o *GateTrustOptions) MaxAge() (time.Duration, error) {
	d, err := policy.ParseAge(o.waiverMaxAge)
	if err != nil {
		return 0, usageErr(fmt.Errorf("--waiver-max-age: %w", err))
	}
	return d, nil
}

// resolveTier applies the --tier > PINLINE_TIER > local order.
func (o *policyOptions) resolveTier(s *streams) string {
	if o.tier != "" {
		return o.tier
	}
	if v, ok := EnvTier.Lookup(s.env); ok && v != "" {
		return v
	}
	return "local"
}

type checkOptions struct {
	policy     policyOptions
	format     string
	failOnWarn bool
	output     string
	env        string
}

func (o *checkOptions) AddFlags(c *cobra.Command) {
	o.policy.AddFlags(c)
	c.Flags().StringVar(&o.format, "format", "text", "output format: text, json, sarif or junit")
	c.Flags().BoolVar(&o.failOnWarn, "fail-on-warn", false, "exit 1 when there are warnings")
	c.Flags().StringVarP(&o.output, "output", "o", "", "write the report to FILE instead of stdout")
	c.Flags().StringVar(&o.env, "env", "", "apply the dagger.toml workspace environment overlay NAME (as dagger --env does)")
}

func newCheckCmd(s *streams) *cobra.Command {
	o := &checkOptions{}
	c := &cobra.Command{
		Use:   "check [PATH...]",
		Short: "Gate a repository before anything runs (no engine needed)",
		Long: `check inspects dagger.json, dagger.lock, dagger-module.toml, dagger.toml,
.dagger/config.toml, pinline.yaml and image references in Dagger module source under PATH (default .),
and evaluates the embedded policies (docs/policies.md) plus any --policy
directories against them. Run it at the repository root: positions are
relative to it and host mounts must stay inside it (a single PATH outside the
working directory is taken as the repository root instead).

Policy data (allowlists, waivers) belongs to the operator. In tier local it is
read from .pinline/policy.yaml (or --policy-data). In every other tier the
repository is data: its .pinline/policy.yaml is reported (PL020) and never
applied, and --policy-data must name a file outside the repository (after
resolving symlinks). Waivers expire at most --waiver-max-age (90d) after the
evaluation time. Policies see only deterministic builtins (no http.send,
net.*, opa.runtime, rand.*, time.now_ns; input.evaluation holds the time)
unless --policy-all-builtins.

The user-level Dagger config
(` + "`$DAGGER_CONFIG`" + `, else ~/.config/dagger/config.toml) is read for
[workspaces.*] overrides of workspace modules: PL025, a warning in tier local,
denied in every other tier.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd, s, o, args)
		},
	}
	o.AddFlags(c)
	return c
}

func runCheck(cmd *cobra.Command, s *streams, o *checkOptions, args []string) error {
	if err := render.CheckFormat(o.format); err != nil {
		return usageErr(err)
	}
	maxAge, err := o.policy.MaxAge()
	if err != nil {
		return err
	}
	defer tuneGCForCheck()()
	root, paths := inventory.RepositoryRoot(args)
	user, err := daggerUserConfig(s)
	if err != nil {
		return err
	}
	res, err := policy.Check(cmd.Context(), policy.CheckOptions{
		Root: root, Paths: paths, Tier: o.policy.resolveTier(s), UserDirs: o.policy.dirs, ConfigFile: o.policy.data,
		WaiverMaxAge: maxAge, AllBuiltins: o.policy.AllBuiltins,
		Env: o.env, UserConfig: user,
	})
	if err != nil {
		return err
	}
	rep := render.Report{Decision: res.Decision, Rules: res.Rules, ToolVersion: versionInfo().Version, FailOnWarn: o.failOnWarn}
	var w io.Writer = s.out
	color := s.color(s.out)
	if o.output != "" {
		f, err := os.Create(o.output)
		if err != nil {
			return opErr(fmt.Errorf("create report: %w", err))
		}
		defer f.Close()
		w, color = f, false
	}
	if err := render.Write(w, o.format, rep, render.Options{Color: color}); err != nil {
		return opErr(fmt.Errorf("write report: %w", err))
	}
	if rep.Failed() {
		if o.output != "" || o.format != "text" {
			fmt.Fprintf(s.errOut, "pinline: denied: %d violation(s), %d warning(s)\n", len(res.Decision.Violations), len(res.Decision.Warnings))
		}
		return silentExit(ExitDenied)
	}
	return nil
}
