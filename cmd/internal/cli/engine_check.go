package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/pipeline"
)

type engineCheckOptions struct {
	engineConfig string
	tier         string
	json         bool
	timeout      time.Duration
}

func (o *engineCheckOptions) AddFlags(c *cobra.Command) {
	c.Flags().StringVar(&o.engineConfig, "engine-config", "", "client engine.json (default $"+EnvEngineConfig.Name+")")
	c.Flags().StringVar(&o.tier, "tier", "", "request this tier from the gateway (default: engine.json's tier, then $"+EnvTier.Name+")")
	c.Flags().BoolVar(&o.json, "json", false, "print the result as JSON")
	c.Flags().DurationVar(&o.timeout, "timeout", 15*time.Second, "give up after this long")
}

// EngineCheck is what `pinline engine check` reports (pipeline.ProbeEngine).
type EngineCheck = pipeline.EngineProbe

func newEngineCheckCmd(s *streams) *cobra.Command {
	o := &engineCheckOptions{}
	c := &cobra.Command{
		Use:   "check --engine-config FILE",
		Short: "Probe an engine endpoint: TLS handshake, tier and identity the gateway assigns, engine socket reachable",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.engineConfig = engineConfigPath(s, o.engineConfig)
			if o.engineConfig == "" {
				return usageErr(errors.New("--engine-config (or " + EnvEngineConfig.Name + ") is required"))
			}
			if o.tier == "" {
				o.tier, _ = EnvTier.Lookup(s.env)
			}
			cfg, err := engineconfig.LoadClient(o.engineConfig)
			if err != nil {
				return err
			}
			res, err := pipeline.ProbeEngine(cmd.Context(), cfg, pipeline.ProbeOptions{Tier: o.tier, DaggerCLI: daggerCLI(s), Timeout: o.timeout})
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(s.out, res)
			}
			fmt.Fprintf(s.out, "engine    %s (reachable)\n", res.Address)
			if res.Version != "" {
				fmt.Fprintf(s.out, "version   %s\n", res.Version)
			}
			if res.MTLS {
				fmt.Fprintf(s.out, "tier      %s\nidentity  %s\nbuilder   %s\ncache     %s\ncert      sha256:%s\n",
					res.Tier, res.Identity, res.BuilderID, res.CacheMode, res.Fingerprint)
				if res.CacheMode == engineconfig.CacheEngineNative {
					fmt.Fprintln(s.out, "note      engine-native TLS: the engine authorizes nobody; the tier is only requested")
				}
			}
			return nil
		},
	}
	o.AddFlags(c)
	return c
}

// daggerCLI is the configured dagger CLI, "" when none is.
func daggerCLI(s *streams) string {
	for _, v := range []EnvVar{EnvDaggerCLI, EnvDaggerCLIBin} {
		if p, ok := v.Lookup(s.env); ok && p != "" {
			return p
		}
	}
	return ""
}
