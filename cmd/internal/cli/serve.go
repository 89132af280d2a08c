package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pinline/pinline/serve"
)

type serveOptions struct {
	config string
	listen string
}

func newServeCmd(s *streams) *cobra.Command {
	o := &serveOptions{}
	c := &cobra.Command{
		Use:   "serve --config server.yaml",
		Short: "Run the control plane: fetch submitted commits, run them per tier, sign with the tier's key",
		Long: `serve is pinline's build service (SLSA Build L3 shape): clients submit a
repository URL, a full commit, a spec path and task names over HTTPS with
mTLS (pinline submit, or curl; API in docs/openapi.yaml). The client
certificate selects the tier with the gateway's identity rules. The server
checks the URL against the tier's allowed prefixes, fetches exactly that
commit itself into a fresh workspace (removed after the run), refuses a
spec path leaving the repository and unknown tasks, then queues the run
(per-tier concurrency, FIFO). Runs go through the same code path as
pinline run, with the tier's operator policy data, secrets and engine, and
are signed with the tier's key, which is loaded and decrypted once at start
and never leaves the server process (or a KMS URI: awskms://, gcpkms://,
azurekms://, hashivault://, configured from the server's environment as for
cosign; an unreachable KMS stops the start, exit 3; a KMS error fails the run
unsigned). A task may push to a git remote the tier's secrets file lists.
Records land in <store>/.pinline/runs/<id>/, the events of each run (live
task output included) beside them in <store>/.pinline/serve/. Every request
is audited as one JSON line.
SIGTERM drains: no new runs, running ones get shutdownGrace, then are
cancelled and recorded. On start, runs a previous process left queued or
running are marked failed. See docs/service.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), s, o)
		},
	}
	c.Flags().StringVar(&o.config, "config", "", "server configuration (server.yaml)")
	c.Flags().StringVar(&o.listen, "listen", "", "override the configuration's listen address (host:port)")
	_ = c.MarkFlagRequired("config")
	return c
}

func runServe(ctx context.Context, s *streams, o *serveOptions) error {
	cfg, err := serve.LoadConfig(o.config)
	if err != nil {
		return err
	}
	srv, err := serve.New(ctx, cfg, serve.Options{Version: versionInfo().Version, DaggerCLI: daggerCLI(s),
		LookupEnv: s.env, Audit: s.errOut, Log: s.errOut})
	if err != nil {
		return err
	}
	addr, err := srv.Listen(o.listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.errOut, "pinline serve: listening on https://%s (%d tiers, store %s)\n", addr, len(cfg.Tiers), cfg.Store)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case err := <-errc:
		return opErr(err)
	case <-ctx.Done():
	}
	fmt.Fprintf(s.errOut, "pinline serve: draining (grace %s)\n", cfg.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace+time.Minute)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return opErr(err)
	}
	return nil
}
