package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/spf13/cobra"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/gateway"
)

type engineGatewayOptions struct {
	config   string
	auditLog string
}

func (o *engineGatewayOptions) AddFlags(c *cobra.Command) {
	c.Flags().StringVar(&o.config, "config", "", "gateway configuration (YAML or JSON)")
	c.Flags().StringVar(&o.auditLog, "audit-log", "", "append the JSON-line audit log to this file (\"-\": stderr; default: the config's auditLog)")
	_ = c.MarkFlagRequired("config")
}

func newEngineGatewayCmd(s *streams) *cobra.Command {
	o := &engineGatewayOptions{}
	c := &cobra.Command{
		Use:   "gateway --config FILE",
		Short: "Run the mTLS gateway: tier by certificate identity, audit log, least-connections proxy to engine sockets",
		Long: `Run the mTLS gateway in front of Dagger engine unix sockets.

Every connection must present a client certificate signed by a configured
client CA. The certificate's identity (subject CN/O/OU, SAN DNS/URI/SPIFFE)
selects exactly one tier; the connection is proxied to the tier's least-busy
engine socket after a one-line JSON preface telling the client its tier,
identity and builder id. Every connection, admitted or refused, is logged as
one JSON line. Every connection of one run carries the run's session key
and all of them reach the same engine (rendezvous placement over the
healthy, non-draining engines; a session whose engine goes away fails, it
never moves). Engines are health-checked every healthInterval. With
metricsListen set, Prometheus metrics are served on GET /metrics there;
with adminSocket set, operators drain and undrain engines through it
(pinline engine admin). SIGTERM stops accepting and lets open sessions
finish for shutdownGrace. See docs/gateway.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEngineGateway(cmd, s, o)
		},
	}
	o.AddFlags(c)
	return c
}

func runEngineGateway(cmd *cobra.Command, s *streams, o *engineGatewayOptions) error {
	cfg, err := engineconfig.LoadGateway(o.config)
	if err != nil {
		return err
	}
	dest := cfg.AuditLog
	if o.auditLog != "" {
		dest = o.auditLog
	}
	var audit io.Writer = s.errOut
	if dest != "" && dest != "-" {
		f, err := os.OpenFile(dest, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return opErr(fmt.Errorf("audit log: %w", err))
		}
		defer f.Close()
		audit = f
	}
	srv, err := gateway.New(cfg, audit, nil)
	if err != nil {
		return err
	}
	srv.SetLog(s.errOut)
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	if err := serveSideListeners(ctx, s, srv, cfg, cancel); err != nil {
		return err
	}
	err = srv.ListenAndServe(ctx, func(a net.Addr) {
		fmt.Fprintf(s.errOut, "pinline gateway listening on %s (%d tiers)\n", a, len(cfg.Tiers))
	})
	if err != nil && !errors.Is(err, ctx.Err()) {
		return opErr(err)
	}
	return nil
}

// serveSideListeners starts the metrics listener and the admin socket
// when the configuration asks for them; if one fails later, stop ends the
// gateway.
func serveSideListeners(ctx context.Context, s *streams, srv *gateway.Server, cfg *engineconfig.Gateway, stop func()) error {
	if cfg.MetricsListen != "" {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", cfg.MetricsListen)
		if err != nil {
			return opErr(fmt.Errorf("metrics listener: %w", err))
		}
		fmt.Fprintf(s.errOut, "pinline gateway metrics on http://%s/metrics\n", ln.Addr())
		go func() {
			if err := srv.ServeMetrics(ctx, ln); err != nil {
				fmt.Fprintf(s.errOut, "pinline gateway: metrics: %v\n", err)
				stop()
			}
		}()
	}
	if cfg.AdminSocket != "" {
		ln, err := gateway.ListenAdmin(cfg.AdminSocket)
		if err != nil {
			return opErr(err)
		}
		go func() {
			if err := srv.ServeAdmin(ctx, ln); err != nil {
				fmt.Fprintf(s.errOut, "pinline gateway: admin socket: %v\n", err)
				stop()
			}
		}()
	}
	return nil
}
