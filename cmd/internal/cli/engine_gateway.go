package cli

import (
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
one JSON line. SIGTERM stops accepting and lets open sessions finish for
shutdownGrace. See docs/gateway.md.`,
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
	err = srv.ListenAndServe(cmd.Context(), func(a net.Addr) {
		fmt.Fprintf(s.errOut, "pinline gateway listening on %s (%d tiers)\n", a, len(cfg.Tiers))
	})
	if err != nil && !errors.Is(err, cmd.Context().Err()) {
		return opErr(err)
	}
	return nil
}
