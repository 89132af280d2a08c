package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/serve"
)

type submitOptions struct {
	server    string
	tlsConfig string
	cacert    string
	cert      string
	key       string
	repo      string
	commit    string
	file      string
	tier      string
	runsDir   string
	noLogs    bool
}

func newSubmitCmd(s *streams) *cobra.Command {
	o := &submitOptions{}
	c := &cobra.Command{
		Use:   "submit --server https://host:port --repo URL --commit SHA [-f pinline.yaml] [TASK...]",
		Short: "Submit a commit to pinline serve, follow it, and download its signed record",
		Long: `submit asks the control plane (pinline serve) to run a commit of a repository.
The server fetches the commit itself; the client sends only the repository
URL, the full 40-hex commit, the spec path and the task names, and holds no
signing key. submit shows the queue position and task progress (one line per
change when not on a terminal), streams task output to standard output while
the task runs (then the lines of its log the live stream missed), then
downloads the run record, outputs, SBOM and provenance into
.pinline/runs/<id>/ so that pinline verify, runs and report work on them.
Its exit code is the run's (0 succeeded, 1 denied or failed, 2 bad input,
3 operational). From CI:

  pinline submit --server https://pinline.internal:8443 --tls-config ci.json \
    --repo https://git.example/org/app.git --commit "$(git rev-parse HEAD)" build

--tls-config is an engine.json-style file whose engine.tls block names the
client certificate, its key and the CA of the server ({"engine": {"address":
"tcp://host:port", "tls": {"ca": ..., "cert": ..., "key": ...}}}); or give
--cacert, --cert and --key.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSubmit(cmd.Context(), s, o, args)
		},
	}
	f := c.Flags()
	f.StringVar(&o.server, "server", "", "the server, https://host:port")
	f.StringVar(&o.tlsConfig, "tls-config", "", "engine.json-style file naming the client certificate, key and server CA")
	f.StringVar(&o.cacert, "cacert", "", "CA of the server certificate (PEM)")
	f.StringVar(&o.cert, "cert", "", "client certificate (PEM)")
	f.StringVar(&o.key, "key", "", "client certificate key (PEM)")
	f.StringVar(&o.repo, "repo", "", "repository URL the server fetches")
	f.StringVar(&o.commit, "commit", "", "full 40-hex commit to run (branches and tags are refused)")
	f.StringVarP(&o.file, "file", "f", serve.DefaultSpec, "spec path inside the repository")
	f.StringVar(&o.tier, "tier", "", "ask for a tier (the certificate decides whether it is granted)")
	f.StringVar(&o.runsDir, "runs-dir", filepath.Join(".pinline", "runs"), "where the run's files are downloaded (<dir>/<id>/)")
	f.BoolVar(&o.noLogs, "no-logs", false, "do not print task logs")
	_ = c.MarkFlagRequired("server")
	_ = c.MarkFlagRequired("repo")
	_ = c.MarkFlagRequired("commit")
	return c
}

func (o *submitOptions) tlsClient() (*tls.Config, error) {
	ca, cert, key, serverName := o.cacert, o.cert, o.key, ""
	if o.tlsConfig != "" {
		if ca != "" || cert != "" || key != "" {
			return nil, usageErr(errors.New("give --tls-config or --cacert/--cert/--key, not both"))
		}
		cfg, err := engineconfig.LoadClient(o.tlsConfig)
		if err != nil {
			return nil, err
		}
		if cfg.Engine.TLS == nil {
			return nil, usageErr(fmt.Errorf("%s: no engine.tls block (client certificate, key and CA)", o.tlsConfig))
		}
		t := cfg.Engine.TLS
		ca, cert, key, serverName = t.CA, t.Cert, t.Key, t.ServerName
	}
	if ca == "" || cert == "" || key == "" {
		return nil, usageErr(errors.New("a client certificate is required: --tls-config FILE, or --cacert, --cert and --key"))
	}
	pair, err := engineconfig.LoadKeyPair("client", cert, key, time.Now())
	if err != nil {
		return nil, err
	}
	pool, err := engineconfig.LoadCAPool("cacert", ca)
	if err != nil {
		return nil, err
	}
	return engineconfig.ClientTLSConfig(pool, pair, serverName), nil
}

func runSubmit(ctx context.Context, s *streams, o *submitOptions, tasks []string) error {
	if err := serve.CheckServerURL(o.server); err != nil {
		return err
	}
	tc, err := o.tlsClient()
	if err != nil {
		return err
	}
	c, err := serve.NewClient(o.server, tc)
	if err != nil {
		return err
	}
	st, err := c.Submit(ctx, &serve.SubmitRequest{Repository: o.repo, Commit: strings.TrimSpace(o.commit), Spec: o.file, Tasks: tasks, Tier: o.tier})
	if err != nil {
		return err
	}
	tty := isTTY(s.errOut)
	fmt.Fprintf(s.errOut, "pinline: run %s submitted to tier %s (builder %s)\n", st.ID, st.Tier, st.BuilderID)
	logs := &serve.LogView{W: s.out}
	final, err := c.Events(ctx, st.ID, func(e serve.Event) {
		if !o.noLogs {
			logs.Event(e)
		}
		switch e.Type {
		case "queued":
			if tty {
				fmt.Fprintf(s.errOut, "\r\033[Kqueued: position %d", e.Position)
			} else {
				fmt.Fprintf(s.errOut, "pinline: queued, position %d\n", e.Position)
			}
		case "started":
			if tty {
				fmt.Fprint(s.errOut, "\r\033[K")
			}
			fmt.Fprintf(s.errOut, "pinline: running\n")
		case "task":
			if e.ExitCode != nil {
				fmt.Fprintf(s.errOut, "pinline: task %s %s (exit %d)\n", e.Task, e.Status, *e.ExitCode)
			} else {
				fmt.Fprintf(s.errOut, "pinline: task %s %s\n", e.Task, e.Status)
			}
		}
	})
	if errors.Is(err, context.Canceled) {
		// Interrupted locally: the run goes on unless cancelled.
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, cerr := c.Cancel(cctx, st.ID); cerr == nil {
			fmt.Fprintf(s.errOut, "pinline: run %s cancelled\n", st.ID)
		}
		return opErr(fmt.Errorf("interrupted: %w", err))
	}
	if err != nil {
		return err
	}
	dir, derr := c.Download(ctx, final.ID, o.runsDir)
	var apiErr *serve.APIError
	switch {
	case errors.As(derr, &apiErr) && apiErr.Body.Reason == "no-files":
		dir = "(no run directory: " + apiErr.Body.Error + ")"
	case derr != nil:
		return fmt.Errorf("download run %s: %w", final.ID, derr)
	}
	signed := "not signed"
	if final.Signed {
		signed = "signed by the server (tier " + final.Tier + ", key " + final.SignerKeyID + ")"
	}
	fmt.Fprintf(s.errOut, "pinline: run %s %s, %s; files in %s\n", final.ID, final.State, signed, dir)
	if final.Error != "" {
		fmt.Fprintf(s.errOut, "pinline: %s\n", final.Error)
	}
	if final.ExitCode != 0 {
		return silentExit(final.ExitCode)
	}
	return nil
}
