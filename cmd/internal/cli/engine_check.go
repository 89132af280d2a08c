package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/gateway"
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

// EngineCheck is what `pinline engine check` reports.
type EngineCheck struct {
	Address     string `json:"address"`
	MTLS        bool   `json:"mtls"`
	Reachable   bool   `json:"reachable"`
	Tier        string `json:"tier,omitempty"`
	Identity    string `json:"identity,omitempty"`
	BuilderID   string `json:"builderId,omitempty"`
	CacheMode   string `json:"cacheMode,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// Version is the engine's version, asked through the same path with
	// the dagger CLI when one is configured.
	Version string `json:"version,omitempty"`
}

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
			res, err := engineCheck(cmd.Context(), o, daggerCLI(s))
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

// engineCheck dials the endpoint once. Through the gateway, a preface
// means the handshake passed, the tier was assigned and the gateway
// reached one of the tier's engine sockets.
func engineCheck(ctx context.Context, o *engineCheckOptions, cli string) (*EngineCheck, error) {
	cfg, err := engineconfig.LoadClient(o.engineConfig)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	res := &EngineCheck{Address: cfg.Engine.Address, MTLS: cfg.MTLS()}
	if !cfg.MTLS() {
		ep, err := cfg.Endpoint()
		if err != nil {
			return nil, usageErr(err)
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, ep.Scheme, ep.Path)
		if err != nil {
			return nil, opErr(fmt.Errorf("engine %s: %w", cfg.Engine.Address, err))
		}
		c.Close()
		res.Reachable = true
		res.Version, err = engineVersion(ctx, cli, cfg.Engine.Address)
		return res, err
	}
	d, err := newDialer(cfg, o.tier, time.Now())
	if err != nil {
		return nil, err
	}
	d.Timeout = o.timeout
	c, h, err := d.Dial(ctx)
	if errors.Is(err, gateway.ErrEngineNative) {
		// An engine's own TLS listener: the probe checks it accepts the
		// certificate and answers HTTP/2.
		h, err = d.Probe(ctx)
	} else if err == nil {
		c.Close()
	}
	if errors.Is(err, gateway.ErrRefused) {
		return nil, deniedErr(err)
	}
	if err != nil {
		return nil, opErr(err)
	}
	res.Reachable = true
	if cli != "" {
		tgt, err := openClient(ctx, cfg, d.Tier, time.Now())
		if err != nil {
			return nil, err
		}
		res.Version, err = engineVersion(ctx, cli, tgt.Address)
		if cerr := tgt.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
	}
	res.Tier, res.Identity, res.BuilderID, res.CacheMode, res.Fingerprint = h.Tier, h.Identity, h.BuilderID, h.CacheMode, h.Fingerprint
	if h.EngineNative {
		res.BuilderID = pipeline.NativeBuilderID
	}
	return res, nil
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

// engineVersion asks the engine at runner host addr for its version with
// `dagger query`; "" when no CLI is configured.
func engineVersion(ctx context.Context, cli, addr string) (string, error) {
	if cli == "" {
		return "", nil
	}
	cmd := exec.CommandContext(ctx, cli, "query", "--progress", "plain")
	cmd.Env = append(os.Environ(), "_EXPERIMENTAL_DAGGER_RUNNER_HOST="+addr, "DO_NOT_TRACK=1", "NO_COLOR=1")
	cmd.Stdin = strings.NewReader("{ version }")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.Output()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // a session child may outlive the CLI
	}
	if err != nil {
		return "", opErr(fmt.Errorf("engine version via %s: %w", cli, err))
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.Version == "" {
		return "", opErr(fmt.Errorf("engine version: unexpected answer %q", out))
	}
	return v.Version, nil
}
